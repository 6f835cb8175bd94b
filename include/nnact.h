/* libnnact-cl public API: device selection, contexts, tensors, activations,
 * softmax, learnable PReLU, matrix products and dense layers on OpenCL.
 *
 * Conventions: every function that acts returns an nnact_status; on failure
 * nnact_last_error() holds a specific message for the calling thread. Getters
 * return their value directly. Destroy functions accept NULL. Out-parameters
 * come last. Operations enqueue on the context's in-order queue and return
 * without waiting; nnact_tensor_read() and nnact_ctx_finish() wait.
 *
 * Thread safety: distinct contexts may be used from distinct threads at once;
 * one context (and its tensors) must be used by one thread at a time, like a
 * cuDNN handle. */
#ifndef NNACT_H
#define NNACT_H

#include <stddef.h>
#include <stdint.h>

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#ifdef __APPLE__
#include <OpenCL/cl.h>
#else
#include <CL/cl.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define NNACT_API __attribute__((visibility("default")))
#else
#define NNACT_API
#endif

#define NNACT_VERSION_MAJOR 0
#define NNACT_VERSION_MINOR 1
#define NNACT_VERSION_PATCH 0

/* ---- Status ------------------------------------------------------------ */

typedef enum nnact_status {
    NNACT_OK = 0,
    NNACT_ERR_INVALID_ARG,      /* NULL pointer, bad parameter, foreign tensor */
    NNACT_ERR_SHAPE,            /* tensor shapes do not fit the operation */
    NNACT_ERR_NO_PLATFORM,      /* no OpenCL platform (install an ICD, e.g. pocl) */
    NNACT_ERR_DEVICE_NOT_FOUND, /* the selector matched no device */
    NNACT_ERR_OUT_OF_MEMORY,    /* host or device allocation failed */
    NNACT_ERR_BUILD,            /* kernel build failed; message holds the log */
    NNACT_ERR_UNSUPPORTED,      /* the device or queue lacks a needed feature */
    NNACT_ERR_IO,               /* file read/write failed or file is malformed */
    NNACT_ERR_OPENCL,           /* another OpenCL error; message names it */
    NNACT_ERR_COMM              /* replicas disagree or communication failed
                                   (libnnact-cl-mpi: the message holds MPI's) */
} nnact_status;

/* Constant name of a status, e.g. "NNACT_ERR_SHAPE"; "unknown status" else. */
NNACT_API const char *nnact_status_string(nnact_status status);

/* Message describing the most recent failure in the calling thread ("" if
 * none). Valid until the next nnact_ call on that thread. */
NNACT_API const char *nnact_last_error(void);

/* For libraries built on this one (libnnact-cl-mpi, bindings), so their
 * failures read like the library's own: makes message (NULL: "") the calling
 * thread's nnact_last_error() and returns status. */
NNACT_API nnact_status nnact_set_error(nnact_status status, const char *message);

/* The running library's version, "MAJOR.MINOR.PATCH" (its NNACT_VERSION_*
 * macros, which may differ from the header a program was compiled with:
 * bindings compare the two when they load). A static string. */
NNACT_API const char *nnact_version(void);

/* ---- Devices ----------------------------------------------------------- */

typedef enum nnact_device_type {
    NNACT_DEVICE_OTHER = 0,
    NNACT_DEVICE_CPU,
    NNACT_DEVICE_GPU,
    NNACT_DEVICE_ACCELERATOR
} nnact_device_type;

typedef struct nnact_device_info {
    unsigned platform_index; /* as listed by nnact-info; usable as "P:D" */
    unsigned device_index;   /* index within its platform */
    char platform_name[128];
    char platform_version[128];
    char device_name[128];
    char vendor[128];         /* CL_DEVICE_VENDOR as reported */
    char driver_version[64];
    nnact_device_type type;
    uint64_t global_mem_bytes;
    unsigned compute_units;
    int fp16;                 /* cl_khr_fp16 */
    int fp64;                 /* cl_khr_fp64 or double support */
    int host_unified_memory;  /* integrated GPU / CPU device */
    /* CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT: > 1 when the device runs OpenCL
     * vector types as SIMD instructions (pocl, CPU runtimes); 1 when its
     * compiler splits them into scalars and vectorises across work-items
     * instead (GPUs, Mesa's llvmpipe, Oclgrind). Picks the row-kernel form
     * and ranks CPU devices (README.md, "Choosing a device"). */
    unsigned native_float_width;
} nnact_device_info;

/* "cpu", "gpu", "accelerator" or "other" (the selector's type keywords). */
NNACT_API const char *nnact_device_type_name(nnact_device_type type);

/* Lists every device of every platform. *count always receives the total;
 * at most cap entries are written to out (out may be NULL when cap is 0).
 * No OpenCL platform: NNACT_OK with *count = 0.
 * Errors: NNACT_ERR_INVALID_ARG (count NULL, out NULL with cap > 0),
 * NNACT_ERR_OPENCL, NNACT_ERR_OUT_OF_MEMORY. */
NNACT_API nnact_status nnact_devices(nnact_device_info *out, size_t cap, size_t *count);

/* Resolves a selector exactly as nnact_ctx_create() would. NULL selector:
 * the NNACT_DEVICE environment variable, then "auto". Grammar (see README):
 * comma-separated alternatives tried in order, each one of auto | cpu | gpu |
 * accelerator | nvidia | amd | intel | arm | apple | pocl | P | P:D | a
 * case-insensitive substring of the device or platform name.
 * Errors: NNACT_ERR_INVALID_ARG (chosen NULL), NNACT_ERR_NO_PLATFORM,
 * NNACT_ERR_DEVICE_NOT_FOUND (message lists the devices that exist). */
NNACT_API nnact_status nnact_device_select(const char *selector, nnact_device_info *chosen);

/* ---- Context ----------------------------------------------------------- */

typedef struct nnact_ctx nnact_ctx;

/* Creates a context and an in-order queue on the selected device. A NULL
 * selector reads NNACT_DEVICE now; unset or empty means "auto". Kernel
 * programs are built lazily, once per context and kernel family.
 * Errors: those of nnact_device_select, NNACT_ERR_OPENCL,
 * NNACT_ERR_OUT_OF_MEMORY, NNACT_ERR_INVALID_ARG (out NULL). */
NNACT_API nnact_status nnact_ctx_create(nnact_ctx **out, const char *selector);

/* Adopts an application's in-order queue (retained; the application's queue
 * and cl_context stay usable after nnact_ctx_destroy).
 * Errors: NNACT_ERR_INVALID_ARG (NULL or invalid queue), NNACT_ERR_UNSUPPORTED
 * (out-of-order queue), NNACT_ERR_OPENCL, NNACT_ERR_OUT_OF_MEMORY. */
NNACT_API nnact_status nnact_ctx_create_from_queue(nnact_ctx **out, cl_command_queue queue);

/* Waits for queued work, then releases everything the context holds. Tensors
 * of the context must be destroyed first. */
NNACT_API void nnact_ctx_destroy(nnact_ctx *ctx);

NNACT_API const nnact_device_info *nnact_ctx_device(const nnact_ctx *ctx);
NNACT_API cl_command_queue nnact_ctx_queue(const nnact_ctx *ctx);

/* Blocks until all work enqueued on the context is done. */
NNACT_API nnact_status nnact_ctx_finish(nnact_ctx *ctx);

/* Device time per kernel category, recorded when the context was created
 * with NNACT_PROFILE=1 in the environment (from its own profiling queue;
 * adopted queues need CL_QUEUE_PROFILING_ENABLE). Waits for queued work,
 * writes at most cap entries and returns how many categories have time;
 * 0 when profiling is off. The names are static strings. */
typedef struct nnact_profile_entry {
    const char *name;
    uint64_t calls;
    double seconds;
} nnact_profile_entry;
NNACT_API size_t nnact_ctx_profile(nnact_ctx *ctx, nnact_profile_entry *out, size_t cap);

/* Where nnact_ctx_profile's times come from: "device timestamps", or, when
 * the implementation's event times are implausible (a timer resolution of
 * 0, end before start, a near-zero span: Mesa 22.3's rusticl), "wall
 * clock, each launch waited for: <why>". NULL when profiling is off. */
NNACT_API const char *nnact_ctx_profile_clock(const nnact_ctx *ctx);

/* ---- Tensors: 2-D, row-major, float32 (or half: see Storage types) ------ */

typedef struct nnact_tensor nnact_tensor;

/* Allocates rows x cols floats on the device (contents undefined). Zero-sized
 * tensors are valid; operations on them check shapes and do nothing.
 * Errors: NNACT_ERR_INVALID_ARG, NNACT_ERR_SHAPE (size overflows),
 * NNACT_ERR_OUT_OF_MEMORY. */
NNACT_API nnact_status nnact_tensor_create(nnact_ctx *ctx, size_t rows, size_t cols,
                                 nnact_tensor **out);

/* A view of rows x cols floats of an application's buffer starting at any
 * element offset. The buffer is retained, never written except by
 * operations. Errors: NNACT_ERR_INVALID_ARG (NULL, buffer of another
 * cl_context, view past the buffer's end). */
NNACT_API nnact_status nnact_tensor_wrap(nnact_ctx *ctx, cl_mem buffer, size_t offset_elems,
                               size_t rows, size_t cols, nnact_tensor **out);

NNACT_API void nnact_tensor_destroy(nnact_tensor *t);

/* Blocking copies of rows*cols floats (after all enqueued work for read);
 * an F16 tensor converts on the host (see nnact_float_to_half). */
NNACT_API nnact_status nnact_tensor_write(nnact_tensor *t, const float *host);
NNACT_API nnact_status nnact_tensor_read(const nnact_tensor *t, float *host);

/* ---- Storage types ------------------------------------------------------
 * A tensor stores float32 (NNACT_F32, what every function above means) or
 * IEEE binary16 halves (NNACT_F16: half the bytes). Arithmetic is float32
 * either way: loads widen, every result rounds once (to nearest even) to
 * the output's type; a value beyond half's range becomes +-inf, NaN stays
 * NaN. No device extension is needed (vload_half/vstore_half are core
 * OpenCL). Which operations run natively on F16 and which widen to a
 * float32 workspace: doc/storage-types.md. */
typedef enum nnact_dtype { NNACT_F32 = 0, NNACT_F16 } nnact_dtype;

/* "f32", "f16"; NULL for an unknown dtype. */
NNACT_API const char *nnact_dtype_name(nnact_dtype dtype);
/* Bytes per element: 4, 2; 0 for an unknown dtype. */
NNACT_API size_t nnact_dtype_size(nnact_dtype dtype);

/* nnact_tensor_create / nnact_tensor_wrap with a storage type. For wrap,
 * offset_elems counts elements of dtype (an F16 view at offset 5 starts 10
 * bytes in) and the buffer must hold offset_elems + rows*cols of them.
 * Errors: as those, plus NNACT_ERR_INVALID_ARG for an unknown dtype. */
NNACT_API nnact_status nnact_tensor_create_typed(nnact_ctx *ctx, size_t rows, size_t cols,
                                                 nnact_dtype dtype, nnact_tensor **out);
NNACT_API nnact_status nnact_tensor_wrap_typed(nnact_ctx *ctx, cl_mem buffer,
                                               size_t offset_elems, size_t rows,
                                               size_t cols, nnact_dtype dtype,
                                               nnact_tensor **out);
/* The storage type (NNACT_F32 for NULL). */
NNACT_API nnact_dtype nnact_tensor_dtype(const nnact_tensor *t);

/* Blocking copies of the bytes as stored: rows*cols elements of the
 * tensor's dtype (uint16_t bit patterns for F16). nnact_tensor_write and
 * nnact_tensor_read convert from and to float on the host instead. */
NNACT_API nnact_status nnact_tensor_write_raw(nnact_tensor *t, const void *host);
NNACT_API nnact_status nnact_tensor_read_raw(const nnact_tensor *t, void *host);

/* Host conversions used by write/read (round to nearest even; overflow to
 * +-inf; NaN stays NaN, quiet). */
NNACT_API uint16_t nnact_float_to_half(float f);
NNACT_API float nnact_half_to_float(uint16_t h);

NNACT_API size_t nnact_tensor_rows(const nnact_tensor *t);
NNACT_API size_t nnact_tensor_cols(const nnact_tensor *t);
/* The underlying buffer and element offset (for CLBlast or custom kernels). */
NNACT_API cl_mem nnact_tensor_buffer(const nnact_tensor *t);
NNACT_API size_t nnact_tensor_offset(const nnact_tensor *t);

/* ---- Activations ------------------------------------------------------- */

typedef enum nnact_act_kind {
    NNACT_ACT_IDENTITY = 0,
    NNACT_ACT_SIGMOID,
    NNACT_ACT_TANH,
    NNACT_ACT_RELU,
    NNACT_ACT_LEAKY_RELU,
    NNACT_ACT_PRELU,   /* fixed slope alpha; see nnact_prelu_* for learnable */
    NNACT_ACT_SWISH,
    NNACT_ACT_SOFTMAX, /* row-wise, temperature alpha */
    NNACT_ACT_ELU,         /* alpha (default 1) */
    NNACT_ACT_SELU,        /* fixed lambda and alpha */
    NNACT_ACT_CELU,        /* alpha (default 1, != 0) */
    NNACT_ACT_GELU,        /* x Phi(x), the erf form; alias "gelu_erf" */
    NNACT_ACT_GELU_TANH,   /* the tanh approximation */
    NNACT_ACT_SOFTPLUS,    /* log(1 + e^(beta x))/beta, beta (default 1, > 0) */
    NNACT_ACT_MISH,
    NNACT_ACT_SOFTSIGN,
    NNACT_ACT_HARDSIGMOID,
    NNACT_ACT_HARDSWISH,
    NNACT_ACT_RELU6,
    NNACT_ACT_HARDTANH,    /* clamp to [alpha, beta] (default [-1, 1], alpha < beta) */
    NNACT_ACT_LOG_SOFTMAX, /* row-wise, temperature alpha */
    NNACT_ACT_COUNT
} nnact_act_kind;

/* alpha: slope of leaky relu / prelu (default 0.01), softmax and log-softmax
 * temperature (default 1), elu / celu alpha (default 1), hardtanh's lower
 * bound (default -1). beta: swish's and softplus' beta (default 1),
 * hardtanh's upper bound (default 1). Unused fields are 0. Formulas and
 * derivatives of every kind: the operation table in doc/operations.md. */
typedef struct nnact_act {
    nnact_act_kind kind;
    float alpha;
    float beta;
} nnact_act;

/* Fills *out with the kind and its default parameters. Names: "linear",
 * "identity", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "swish",
 * "silu", "softmax", "elu", "selu", "celu", "gelu", "gelu_erf", "gelu_tanh",
 * "softplus", "mish", "softsign", "hardsigmoid", "hard_sigmoid",
 * "hardswish", "hard_swish", "relu6", "hardtanh", "log_softmax";
 * case-insensitive, '-' same as '_'.
 * Errors: NNACT_ERR_INVALID_ARG (NULL, unknown name). */
NNACT_API nnact_status nnact_act_from_name(const char *name, nnact_act *out);

/* Lowercase canonical name (round-trips through nnact_act_from_name);
 * NULL for a kind out of range. */
NNACT_API const char *nnact_act_name(nnact_act_kind kind);

/* y = f(x). y may alias x; shapes must be equal.
 * Errors: NNACT_ERR_INVALID_ARG (NULL, kind out of range, NaN/inf parameter,
 * temperature <= 0, celu alpha 0, softplus beta <= 0, hardtanh alpha >=
 * beta, tensor of another context), NNACT_ERR_SHAPE,
 * NNACT_ERR_BUILD, NNACT_ERR_OPENCL. */
NNACT_API nnact_status nnact_act_forward(nnact_ctx *ctx, const nnact_act *act,
                               const nnact_tensor *x, nnact_tensor *y);

/* dx = dy (.) f'(x); softmax, log-softmax: the vector-Jacobian product.
 * Needs y for sigmoid, tanh, softmax, log_softmax; neither for identity; x
 * for all others. The one not needed may be NULL. y may alias x; dx may alias dy.
 * Errors: as nnact_act_forward, plus NNACT_ERR_INVALID_ARG naming a needed
 * tensor that is NULL. */
NNACT_API nnact_status nnact_act_backward(nnact_ctx *ctx, const nnact_act *act,
                                const nnact_tensor *x, const nnact_tensor *y,
                                const nnact_tensor *dy, nnact_tensor *dx);

/* ---- Softmax (row-wise, temperature T > 0) ---------------------------------
 * y = exp((x - max)/T) / sum. A -inf entry gives 0, an all -inf row gives
 * zeros, a row with NaN or +inf gives NaN throughout. */
NNACT_API nnact_status nnact_softmax_forward(nnact_ctx *ctx, float temperature,
                                   const nnact_tensor *x, nnact_tensor *y);
/* dx = y (.) (dy - sum_row(y (.) dy)) / T, O(cols) per row. dx may alias dy. */
NNACT_API nnact_status nnact_softmax_backward(nnact_ctx *ctx, float temperature,
                                    const nnact_tensor *y, const nnact_tensor *dy,
                                    nnact_tensor *dx);

/* ---- Log-softmax (row-wise, temperature T > 0) ------------------------------
 * z = (x - max)/T, y = z - log sum e^z. A -inf entry gives -inf, an all -inf
 * row gives -inf throughout, a row with NaN or +inf gives NaN throughout.
 * Pair it with the NNACT_LOSS_NLL loss. */
NNACT_API nnact_status nnact_log_softmax_forward(nnact_ctx *ctx, float temperature,
                                       const nnact_tensor *x, nnact_tensor *y);
/* dx = (dy - e^y (.) sum_row(dy)) / T, from y, O(cols) per row. dx may alias
 * y or dy. */
NNACT_API nnact_status nnact_log_softmax_backward(nnact_ctx *ctx, float temperature,
                                        const nnact_tensor *y, const nnact_tensor *dy,
                                        nnact_tensor *dx);

/* ---- Learnable PReLU ------------------------------------------------------
 * alpha is 1x1 (shared) or 1xcols (per column). */
NNACT_API nnact_status nnact_prelu_forward(nnact_ctx *ctx, const nnact_tensor *x,
                                 const nnact_tensor *alpha, nnact_tensor *y);
/* dx = dy (.) (x > 0 ? 1 : alpha); dalpha (alpha's shape) is overwritten with
 * sum over rows of dy*x where x <= 0, by a deterministic reduction. dx may
 * alias dy; dx or dalpha may be NULL to skip that output. */
NNACT_API nnact_status nnact_prelu_backward(nnact_ctx *ctx, const nnact_tensor *x,
                                  const nnact_tensor *alpha, const nnact_tensor *dy,
                                  nnact_tensor *dx, nnact_tensor *dalpha);

/* ---- Matrix product (CLBlast SGEMM) -------------------------------------- */

typedef enum nnact_transpose { NNACT_NO_TRANS = 0, NNACT_TRANS = 1 } nnact_transpose;

/* c = alpha * op(a) * op(b) + beta * c, with op(a) m x k, op(b) k x n and c
 * m x n. k = 0 gives beta * c. F16 operands are widened to float32 and
 * multiplied by SGEMM (an F16 c is rounded once at the end). Errors: NNACT_ERR_INVALID_ARG, NNACT_ERR_SHAPE
 * (naming the three shapes), NNACT_ERR_BUILD (CLBlast could not build its
 * kernels), NNACT_ERR_OPENCL / NNACT_ERR_UNSUPPORTED / NNACT_ERR_OUT_OF_MEMORY
 * with CLBlast's status name in the message. */
NNACT_API nnact_status nnact_gemm(nnact_ctx *ctx, nnact_transpose trans_a,
                                  nnact_transpose trans_b, float alpha,
                                  const nnact_tensor *a, const nnact_tensor *b,
                                  float beta, nnact_tensor *c);

/* ---- CLBlast tuning -----------------------------------------------------------
 * CLBlast uses generic parameters for devices it has no tuning for (pocl
 * CPUs among them). A context takes its parameters, in this order, from:
 * NNACT_CLBLAST_PARAMS (text); the user's tuning file for this exact device
 * (written by nnact_tune / nnact-tune); the database shipped in the library,
 * whose entries match a device class (pocl: the LLVM CPU target, so every
 * machine of one CPU generation); else CLBlast's own database. A file or
 * entry that does not fit is a miss, never an error. Parameter text: one
 * kernel per line (or ';'-separated), "Kernel NAME=VALUE ...", '#'
 * comments; e.g. "Xgemm GEMMK=1 MWG=128 ...; GemmRoutine
 * XGEMM_MIN_INDIRECT_SIZE=64". Environment: NNACT_TUNING=0 (neither file
 * nor database), NNACT_TUNING_DB=0 (no database) or =FILE (read the
 * database from FILE), NNACT_CACHE_DIR (where the file lives; default
 * $XDG_CACHE_HOME/nnact or $HOME/.cache/nnact). */

typedef enum nnact_tuning_source {
    NNACT_TUNING_NONE = 0, /* CLBlast's own database and defaults */
    NNACT_TUNING_FILE,     /* the user's tuning file for this device */
    NNACT_TUNING_SHIPPED,  /* the library's database entry for the device class */
    NNACT_TUNING_ENV,      /* NNACT_CLBLAST_PARAMS */
    NNACT_TUNING_OVERRIDE  /* nnact_clblast_override or nnact_tune in this process */
} nnact_tuning_source;

/* Applies parameters for the context's device (CLBlast keeps them per
 * device for the whole process). Errors: NNACT_ERR_INVALID_ARG (syntax),
 * CLBlast's status name otherwise. */
NNACT_API nnact_status nnact_clblast_override(nnact_ctx *ctx, const char *params);
/* The tuning file for the context's device (keyed by device name, driver
 * and platform versions and the CLBlast version). */
NNACT_API nnact_status nnact_tuning_path(const nnact_ctx *ctx, char *buf, size_t cap);
/* Saves parameters as that file, atomically. */
NNACT_API nnact_status nnact_tuning_save(const nnact_ctx *ctx, const char *params);
/* Where the context's CLBlast parameters came from, in words: "tuned (PATH)",
 * "shipped database [name-prefix=..., cu=*]", "NNACT_CLBLAST_PARAMS",
 * "CLBlast defaults (not tuned)", ... */
NNACT_API const char *nnact_ctx_tuning(const nnact_ctx *ctx);
/* The same as a value (NNACT_TUNING_NONE for a NULL ctx). */
NNACT_API nnact_tuning_source nnact_ctx_tuning_source(const nnact_ctx *ctx);
/* The line to add to the shipped database (src/gemm/tuning.db) so that devices
 * of this one's class use params without tuning. */
NNACT_API nnact_status nnact_tuning_db_line(const nnact_ctx *ctx, const char *params,
                                            char *buf, size_t cap);

typedef enum nnact_tune_level {
    NNACT_TUNE_OFF = 0, /* nothing */
    NNACT_TUNE_FAST,    /* a few proven candidates, bounded to ~30 s on a CPU */
    NNACT_TUNE_FULL     /* the wide search (minutes) */
} nnact_tune_level;
/* Called as tuning proceeds: fraction done in [0, 1] and what it is doing. */
typedef void (*nnact_tune_progress)(void *user, double fraction, const char *what);
/* Searches CLBlast SGEMM parameters for the context's device: each candidate
 * validated against a double-precision host product on every shape it will
 * serve (sets that compute wrong results are rejected), timed inside the real
 * SGEMM on the MLP's products, the fastest applied to the context and saved
 * as the device's tuning file. progress may be NULL. The library never tunes
 * unless asked. CLBlast keeps parameters per device for the whole process:
 * do not run products on other contexts of the same device meanwhile. Errors: NNACT_ERR_INVALID_ARG, NNACT_ERR_UNSUPPORTED (no
 * candidate computed correct results: CLBlast's defaults stay), NNACT_ERR_IO
 * (saving), those of nnact_gemm. */
NNACT_API nnact_status nnact_tune(nnact_ctx *ctx, nnact_tune_level level,
                                  nnact_tune_progress progress, void *user);

/* ---- Dense layers -----------------------------------------------------------
 * Layout as in the NumPy libraries: x is batch x in, W is in x out, b is
 * 1 x out, y is batch x out. */

/* y = act(x W + b): CLBlast SGEMM, then one fused pass that adds the bias and
 * applies the activation. b may be NULL (no bias); act may be NULL (none).
 * z, if not NULL (batch x out), receives the pre-activation x W + b, which
 * the backward pass of every activation except identity, sigmoid, tanh,
 * softmax and log_softmax needs.
 * Errors: NNACT_ERR_INVALID_ARG, NNACT_ERR_SHAPE (naming both shapes), those
 * of nnact_gemm and nnact_act_forward. */
NNACT_API nnact_status nnact_dense_forward(nnact_ctx *ctx, const nnact_tensor *x,
                                           const nnact_tensor *W, const nnact_tensor *b,
                                           const nnact_act *act, nnact_tensor *z,
                                           nnact_tensor *y);

/* Given dy (batch x out): g = dy (.) act'(.) from y (sigmoid, tanh, softmax,
 * log_softmax) or z (the others), dW = x^T g (in x out), db = sum over
 * rows of g (1 x out, deterministic; may be NULL), dx = g W^T (batch x in;
 * may be NULL for the first layer). dy is not modified; g lives in a
 * workspace of the context. Errors: as nnact_dense_forward, plus
 * NNACT_ERR_INVALID_ARG naming a needed z or y that is NULL. */
NNACT_API nnact_status nnact_dense_backward(nnact_ctx *ctx, const nnact_tensor *x,
                                            const nnact_tensor *W, const nnact_act *act,
                                            const nnact_tensor *z, const nnact_tensor *y,
                                            const nnact_tensor *dy, nnact_tensor *dW,
                                            nnact_tensor *db, nnact_tensor *dx);

/* ---- Losses (mean over the batch, deterministic) ----------------------------
 * pred is batch x k. target is batch x k (dense or one-hot), or batch x 1
 * holding integer class labels in [0, k) (sparse); a label that is not such
 * an integer makes the call fail with NNACT_ERR_INVALID_ARG naming the row,
 * and is never used as an index.
 *
 *  kind               loss (mean)                         gradient
 *  MSE                mean over all elements (p - t)^2     2 (p - t) / (batch k)
 *  BCE                -mean[t log q + (1-t) log(1-q)],     (q - t) / (q (1-q)) / (batch k)
 *                     q = clip(p, eps, 1 - eps)
 *  BCE_LOGITS         the same on logits z, stably         (sigmoid(z) - t) / (batch k)
 *  CCE                -sum_j t_j log clip(p_j) / batch     -t / clip(p) / batch
 *  SOFTMAX_CCE        CCE of softmax(z / T), on logits z   (softmax(z/T) - t) / (T batch)
 *  NLL                -sum_j t_j p_j / batch, on           -t / batch
 *                     log-probabilities p (log_softmax)
 * "sparse_cce" is CCE with labels. NLL with labels is PyTorch's NLLLoss
 * (mean reduction); entries with t = 0 add 0 even where p = -inf. */

typedef enum nnact_loss_kind {
    NNACT_LOSS_MSE = 0,
    NNACT_LOSS_BCE,
    NNACT_LOSS_BCE_LOGITS,
    NNACT_LOSS_CCE,
    NNACT_LOSS_SOFTMAX_CCE,
    NNACT_LOSS_NLL,
    NNACT_LOSS_COUNT
} nnact_loss_kind;

/* epsilon: the clip of BCE and CCE (default 1e-7); temperature: of
 * SOFTMAX_CCE (default 1). Unused fields are 0. */
typedef struct nnact_loss {
    nnact_loss_kind kind;
    float epsilon;
    float temperature;
} nnact_loss;

/* Names: "mse", "bce", "bce_logits", "cce" (alias "categorical_crossentropy",
 * "cross_entropy"), "sparse_cce" (alias "sparse_categorical_crossentropy"),
 * "softmax_cce"; case-insensitive, '-' same as '_'. */
NNACT_API nnact_status nnact_loss_from_name(const char *name, nnact_loss *out);
NNACT_API const char *nnact_loss_name(nnact_loss_kind kind);

/* Computes the loss and, if grad is not NULL (pred's shape), its gradient
 * with respect to pred. loss and accuracy (fraction of rows whose argmax
 * matches the target's; with one column, both on the same side of the
 * threshold) may be NULL. When loss or accuracy is asked for, or the target
 * holds labels, the call waits for the result; otherwise it only enqueues.
 * Errors: NNACT_ERR_INVALID_ARG (NULL, bad parameters, bad label),
 * NNACT_ERR_SHAPE, NNACT_ERR_OPENCL. */
NNACT_API nnact_status nnact_loss_eval(nnact_ctx *ctx, const nnact_loss *loss,
                                       const nnact_tensor *pred, const nnact_tensor *target,
                                       float *value, float *accuracy, nnact_tensor *grad);

/* Running sums of a loss over many batches, kept on the device: loss sum,
 * correct rows, bad labels, the loss's divisor and rows. */
#define NNACT_LOSS_SUMS 5
/* As nnact_loss_eval, but instead of waiting for the loss and accuracy,
 * adds the batch's sums to sums (1 x NNACT_LOSS_SUMS, zeroed by the caller
 * with nnact_tensor_fill) and only enqueues, labels or not: a training loop
 * reads them once per epoch rather than waiting on the device every step.
 * Bad labels are counted (never used as indices) and reported by
 * nnact_loss_sums_read. Errors: those of nnact_loss_eval, NNACT_ERR_SHAPE
 * for sums. */
NNACT_API nnact_status nnact_loss_accumulate(nnact_ctx *ctx, const nnact_loss *loss,
                                             const nnact_tensor *pred,
                                             const nnact_tensor *target, nnact_tensor *sums,
                                             nnact_tensor *grad);
/* Mean loss and accuracy over every batch added since sums was zeroed
 * (either may be NULL; waits). Errors: NNACT_ERR_INVALID_ARG (NULL, or bad
 * labels were seen: how many), NNACT_ERR_SHAPE, NNACT_ERR_OPENCL. */
NNACT_API nnact_status nnact_loss_sums_read(const nnact_tensor *sums, float *value,
                                            float *accuracy);

/* ---- Optimizers (update parameters in place) ------------------------------ */

typedef enum nnact_optim_kind {
    NNACT_OPTIM_SGD = 0, /* with momentum and Nesterov */
    NNACT_OPTIM_ADAM,    /* weight_decay as L2 added to the gradient */
    NNACT_OPTIM_ADAMW,   /* weight_decay decoupled: p -= lr wd p */
    NNACT_OPTIM_COUNT
} nnact_optim_kind;

/* Defaults by name: "sgd" lr 0.01, momentum 0; "momentum" as sgd with 0.9;
 * "nesterov" the same with nesterov; "adam" lr 1e-3, beta1 0.9, beta2
 * 0.999, eps 1e-8; "adamw" as adam with weight_decay 0.01. */
typedef struct nnact_optim {
    nnact_optim_kind kind;
    float lr;
    float momentum;     /* SGD */
    int nesterov;       /* SGD */
    float beta1, beta2; /* Adam(W) */
    float eps;          /* Adam(W) */
    float weight_decay;
} nnact_optim;

NNACT_API nnact_status nnact_optim_from_name(const char *name, nnact_optim *out);
NNACT_API const char *nnact_optim_name(nnact_optim_kind kind);

/* One step for one parameter tensor. step counts from 1 (Adam's bias
 * correction uses it). state1 is SGD's velocity (needed when momentum > 0)
 * or Adam's first moment; state2 is Adam's second moment. States have the
 * parameter's shape and start at zero (the caller zeroes them). param and
 * the states must be float32 (the master weights); grad may be F16.
 * Errors: NNACT_ERR_INVALID_ARG (NULL, needed state NULL, an F16 param or
 * state, lr < 0, momentum
 * or betas outside [0, 1), eps <= 0, a non-finite value, step 0),
 * NNACT_ERR_SHAPE. */
NNACT_API nnact_status nnact_optim_step(nnact_ctx *ctx, const nnact_optim *opt,
                                        uint64_t step, nnact_tensor *param,
                                        const nnact_tensor *grad, nnact_tensor *state1,
                                        nnact_tensor *state2);

/* Fills a tensor with a value (e.g. zeroing optimizer state); enqueues. An
 * F16 tensor gets the value rounded to half. */
NNACT_API nnact_status nnact_tensor_fill(nnact_tensor *t, float value);

/* dst row r = src row rows[r] for every row of dst (a minibatch drawn from a
 * data set kept on the device). rows is host memory, checked and copied
 * before the call returns; the gather is enqueued, nothing waits.
 * Errors: NNACT_ERR_INVALID_ARG (NULL, different contexts, an index past
 * src's rows: named), NNACT_ERR_SHAPE (column counts differ). */
NNACT_API nnact_status nnact_tensor_gather_rows(nnact_tensor *dst, const nnact_tensor *src,
                                                const size_t *rows);

/* ---- Multi-layer perceptron ------------------------------------------------
 * Dense layers sizes[0] -> sizes[1] -> ... -> sizes[n-1], layer i with
 * activation acts[i] (names as nnact_act_from_name). Parameters, gradients,
 * optimizer state and per-batch caches all live on the context's device. */

typedef struct nnact_mlp nnact_mlp;

/* Weights are drawn on the host from seed (same seed, same weights on any
 * device): He uniform, U(+-sqrt(6/in)), before relu, leaky relu and prelu;
 * Glorot uniform, U(+-sqrt(6/(in+out))), otherwise. Biases start at 0.
 * Errors: NNACT_ERR_INVALID_ARG (NULL, fewer than 2 sizes, a size of 0,
 * unknown activation), NNACT_ERR_OUT_OF_MEMORY. */
NNACT_API nnact_status nnact_mlp_create(nnact_ctx *ctx, const size_t *sizes,
                                        size_t n_sizes, const char *const *acts,
                                        uint64_t seed, nnact_mlp **out);
NNACT_API void nnact_mlp_destroy(nnact_mlp *mlp);

/* Number of dense layers (n_sizes - 1); sizes[i] for i <= depth, else 0. */
NNACT_API size_t nnact_mlp_depth(const nnact_mlp *mlp);
NNACT_API size_t nnact_mlp_size(const nnact_mlp *mlp, size_t i);
/* The activation of layer i (NULL past the last layer). */
NNACT_API const nnact_act *nnact_mlp_act(const nnact_mlp *mlp, size_t layer);

/* Parameters of layer i (W: in x out, b: 1 x out) and their gradients from
 * the last nnact_mlp_backprop; NULL for a layer out of range. */
NNACT_API nnact_tensor *nnact_mlp_weights(nnact_mlp *mlp, size_t layer);
NNACT_API nnact_tensor *nnact_mlp_bias(nnact_mlp *mlp, size_t layer);
NNACT_API nnact_tensor *nnact_mlp_weights_grad(nnact_mlp *mlp, size_t layer);
NNACT_API nnact_tensor *nnact_mlp_bias_grad(nnact_mlp *mlp, size_t layer);

/* Storage of the per-batch activations and their gradients (every layer's
 * z, y and dy): NNACT_F32 (the default) or NNACT_F16, half the bytes.
 * Weights, biases, their gradients and the optimizer state stay float32
 * ("master weights"), so saved models are the same. With F16 the loss
 * gradient is scaled dynamically, as PyTorch's GradScaler does, so that
 * small gradients survive half's range: by 65536 at first; a backprop whose
 * parameter gradients hold inf or NaN (checked on the device) makes the next
 * nnact_mlp_apply skip its step (on the device: no wait) and halves the
 * scale; after 2000 good steps in a row the scale doubles. The host learns
 * of a skip at the next backprop, from a 4-byte read started without a
 * wait. The gradients nnact_mlp_weights_grad returns are unscaled. Errors: NNACT_ERR_INVALID_ARG
 * (NULL, unknown dtype), NNACT_ERR_OUT_OF_MEMORY. */
NNACT_API nnact_status nnact_mlp_set_storage(nnact_mlp *mlp, nnact_dtype dtype);
NNACT_API nnact_dtype nnact_mlp_storage(const nnact_mlp *mlp);
/* The loss scaler's initial scale (finite, >= 1) and growth interval (>= 1
 * steps); resets its counters. Errors: NNACT_ERR_INVALID_ARG. */
NNACT_API nnact_status nnact_mlp_set_loss_scaling(nnact_mlp *mlp, float init_scale,
                                                  unsigned growth_interval);
/* The current loss scale (1 with F32 storage) and the steps skipped so far,
 * the last step's outcome included (they wait for its check). */
NNACT_API float nnact_mlp_loss_scale(const nnact_mlp *mlp);
NNACT_API uint64_t nnact_mlp_skipped_steps(const nnact_mlp *mlp);

/* Inference: y (batch x sizes[n-1]) = the network applied to x. */
NNACT_API nnact_status nnact_mlp_forward(nnact_mlp *mlp, const nnact_tensor *x,
                                         nnact_tensor *y);

/* Forward and backward on a batch: the mean loss and the gradients of every
 * parameter. With a softmax last layer and a CCE or SOFTMAX_CCE loss the
 * two are fused (softmax-CCE on the logits, gradient (p - onehot)/N).
 * loss_value and accuracy may be NULL. */
NNACT_API nnact_status nnact_mlp_backprop(nnact_mlp *mlp, const nnact_tensor *x,
                                          const nnact_tensor *target,
                                          const nnact_loss *loss, float *loss_value,
                                          float *accuracy);

/* One optimizer step on every parameter from the last gradients. The state
 * (zeroed on first use) belongs to the optimizer kind; changing the kind
 * starts a fresh state and step count. */
NNACT_API nnact_status nnact_mlp_apply(nnact_mlp *mlp, const nnact_optim *opt);

/* nnact_mlp_backprop then nnact_mlp_apply. */
NNACT_API nnact_status nnact_mlp_train_step(nnact_mlp *mlp, const nnact_tensor *x,
                                            const nnact_tensor *target,
                                            const nnact_loss *loss, const nnact_optim *opt,
                                            float *loss_value, float *accuracy);
/* The same step without waiting for the loss: the batch's loss and
 * accuracy are added to sums (see nnact_loss_accumulate), read once per
 * epoch with nnact_loss_sums_read. */
NNACT_API nnact_status nnact_mlp_train_step_accumulate(nnact_mlp *mlp, const nnact_tensor *x,
                                                       const nnact_tensor *target,
                                                       const nnact_loss *loss,
                                                       const nnact_optim *opt,
                                                       nnact_tensor *sums);

/* Mean loss and accuracy on x (any number of rows) without updating. */
NNACT_API nnact_status nnact_mlp_evaluate(nnact_mlp *mlp, const nnact_tensor *x,
                                          const nnact_tensor *target,
                                          const nnact_loss *loss, float *loss_value,
                                          float *accuracy);

/* ---- Data parallelism: flat parameters and gradients -------------------
 * The parameters as one float32 range, layer by layer, each layer's weights
 * (row-major) then its biases: W0 b0 W1 b1 ... (the order nnact_mlp_save
 * writes). The gradients use the same offsets. A replica on each device
 * backprops its shard (nnact_mlp_backprop_accumulate: nothing waits), the
 * shard gradients are summed, weighted by rows / global rows, written to
 * every replica, and each applies the same step: the replicas stay equal.
 * doc/distributed.md. */

/* Number of parameters (Σ in*out + out over the layers); 0 for NULL. */
NNACT_API size_t nnact_mlp_param_count(const nnact_mlp *mlp);
/* Where layer's W and b lie in the flat range (one bucket per layer).
 * Errors: NNACT_ERR_INVALID_ARG (NULL, layer past the last). */
NNACT_API nnact_status nnact_mlp_param_range(const nnact_mlp *mlp, size_t layer,
                                             size_t *offset, size_t *count);
/* Copy count floats of the flat parameters (or gradients) from offset to
 * host, or from host. They wait for the queue. Writing parameters is how a
 * replica takes another's (nnact_mlp_apply keeps its optimizer state). With
 * F16 storage, nnact_mlp_grads_write recomputes the inf/NaN flag the next
 * nnact_mlp_apply skips on from all the gradients after the write (the
 * reduced ones), so replicas fed the same sums skip together.
 * Errors: NNACT_ERR_INVALID_ARG (NULL, a range past the end: named),
 * NNACT_ERR_OPENCL. */
NNACT_API nnact_status nnact_mlp_params_read(nnact_mlp *mlp, size_t offset, size_t count,
                                             float *host);
NNACT_API nnact_status nnact_mlp_params_write(nnact_mlp *mlp, size_t offset, size_t count,
                                              const float *host);
NNACT_API nnact_status nnact_mlp_grads_read(nnact_mlp *mlp, size_t offset, size_t count,
                                            float *host);
NNACT_API nnact_status nnact_mlp_grads_write(nnact_mlp *mlp, size_t offset, size_t count,
                                             const float *host);
/* Forward and backward on a batch, as nnact_mlp_backprop, without waiting
 * (label targets too): the batch's loss and accuracy are added to sums (see
 * nnact_loss_accumulate). Errors: those of nnact_mlp_backprop,
 * NNACT_ERR_INVALID_ARG (sums NULL). */
NNACT_API nnact_status nnact_mlp_backprop_accumulate(nnact_mlp *mlp, const nnact_tensor *x,
                                                     const nnact_tensor *target,
                                                     const nnact_loss *loss,
                                                     nnact_tensor *sums);
/* CRC-32 (zlib's) of the parameter bytes as nnact_mlp_save writes them
 * (little-endian float32, W0 b0 W1 b1 ...): equal replicas, equal CRCs.
 * Waits. Errors: NNACT_ERR_INVALID_ARG (NULL), NNACT_ERR_OUT_OF_MEMORY,
 * NNACT_ERR_OPENCL. */
NNACT_API nnact_status nnact_mlp_params_crc32(nnact_mlp *mlp, uint32_t *crc);
/* In-process data parallelism: n replicas of one architecture, each on its
 * own context, driven by this one thread (CLBlast 1.5.3 is not safe with
 * several devices on several threads). Every replica's gradients are read,
 * summed on the host in replica order as g = w0*g0, then g = g + wi*gi
 * (weights NULL: each 1/n; pass rows_i / global rows for uneven shards),
 * and g is written to every replica (nnact_mlp_grads_write). Waits.
 * Errors: NNACT_ERR_INVALID_ARG (NULL replicas, a NULL replica, n = 0, two
 * replicas on one context, a non-finite weight), NNACT_ERR_SHAPE (the
 * replicas' architectures differ: named), NNACT_ERR_OUT_OF_MEMORY,
 * NNACT_ERR_OPENCL. */
NNACT_API nnact_status nnact_mlps_allreduce_grads(nnact_mlp *const *replicas, size_t n,
                                                  const float *weights);

/* Saves the architecture and parameters (not the optimizer state) in a
 * versioned, CRC-32-checked little-endian file, written to a temporary file
 * in the same directory and renamed, so a crash never leaves a half-written
 * model; a save removes the temporary files killed saves of the same path
 * left. An overwritten file keeps its mode; a new one gets 0666 less the
 * umask. A model with a NaN or inf parameter is not saved
 * (NNACT_ERR_INVALID_ARG). Loading a missing, truncated, corrupt (NaN or inf
 * parameters included) or other-version file fails with NNACT_ERR_IO and a
 * message saying which. */
NNACT_API nnact_status nnact_mlp_save(nnact_mlp *mlp, const char *path);
NNACT_API nnact_status nnact_mlp_load(nnact_ctx *ctx, const char *path, nnact_mlp **out);

/* ---- IDX files (the MNIST format), plain or gzip-compressed ---------------- */

typedef struct nnact_idx {
    size_t ndims;        /* 1 to 4 */
    size_t dims[4];      /* dims[0] is the item count */
    size_t count;        /* product of dims */
    unsigned char *data; /* count unsigned bytes, row-major */
} nnact_idx;

/* Reads an IDX file of unsigned bytes (type 0x08), gzip-compressed or not.
 * A gzip file may hold several members; each must end with its trailer and
 * nothing else may follow. A header claiming more data than the file can
 * hold fails before anything is allocated.
 * Errors: NNACT_ERR_INVALID_ARG (NULL), NNACT_ERR_IO (cannot open, bad magic,
 * truncated, trailing bytes, dimensions overflow, a damaged gzip stream;
 * the message says which),
 * NNACT_ERR_UNSUPPORTED (another element type), NNACT_ERR_OUT_OF_MEMORY. */
NNACT_API nnact_status nnact_idx_read(const char *path, nnact_idx *out);
NNACT_API void nnact_idx_free(nnact_idx *idx);

#ifdef __cplusplus
}
#endif

#endif /* NNACT_H */
