/* Library-internal declarations: the context and tensor structs, error
 * helpers, the kernel table and launch helpers. Not installed. */
#ifndef NNACT_INTERNAL_H
#define NNACT_INTERNAL_H

#include "nnact.h"
#include "act_list.h"
#include "device/kernel_list.h"

#include <stdbool.h>

/* ---- errors (error.c) ---- */
#if defined(__GNUC__)
#define NNACT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define NNACT_PRINTF(a, b)
#endif

/* Records a message for nnact_last_error() and returns status. */
nnact_status nnact_fail(nnact_status status, const char *fmt, ...) NNACT_PRINTF(2, 3);
/* The status of an OpenCL error: NNACT_ERR_OUT_OF_MEMORY for the
 * resource errors, NNACT_ERR_BUILD for CL_BUILD_PROGRAM_FAILURE, else
 * NNACT_ERR_OPENCL. */
nnact_status nnact_cl_status(cl_int err);
/* Maps an OpenCL error to a status; message "<what>: CL_NAME (code)". */
nnact_status nnact_fail_cl(cl_int err, const char *what);
const char *nnact_cl_error_name(cl_int err);

/* ---- devices (device.c, select.c) ---- */
/* Pure selector over a device list (no OpenCL calls): on success *chosen is
 * the index into devs; why (may be NULL) receives a sentence saying why. */
nnact_status nnact_select_from(const nnact_device_info *devs, size_t n,
                               const char *selector, size_t *chosen,
                               char *why, size_t why_cap);
/* "nvidia", "amd", "intel", "arm", "apple" for a CL_DEVICE_VENDOR string;
 * NULL when unknown. */
const char *nnact_vendor_keyword(const char *vendor);
/* Fills info for one device; pidx/didx are its listing indices. */
void nnact_describe_device(cl_platform_id platform, cl_device_id device,
                           unsigned pidx, unsigned didx, nnact_device_info *info);
/* Fills info for a device given by handle (an adopted queue's), with its
 * listing indices when the device is listed. */
void nnact_describe_listed(cl_device_id device, nnact_device_info *info);
/* Resolves a selector to an OpenCL device. */
nnact_status nnact_resolve_device(const char *selector, nnact_device_info *info,
                                  cl_platform_id *platform, cl_device_id *device,
                                  char *why, size_t why_cap);

/* ---- device traits (traits.c, pure: tested on synthetic devices) ---- */
/* What the device reports beyond nnact_device_info (context.c asks). */
typedef struct nnact_device_limits {
    size_t max_work_group;
    uint64_t global_cache_bytes;
    bool correctly_rounded_divide; /* CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT */
    bool hw_fma;                   /* CL_FP_FMA */
    size_t timer_resolution_ns;    /* CL_DEVICE_PROFILING_TIMER_RESOLUTION */
} nnact_device_limits;
/* Every choice made from what the device is (traits.c says why of each). */
typedef struct nnact_device_traits {
    bool pocl;
    bool row_kernels;    /* one work-item per row for row operations */
    size_t elem_local;   /* work-group size of elementwise kernels */
    size_t column_local; /* work-group size of per-column reductions */
    size_t reduce_local; /* work-group size of row reductions (power of 2) */
    size_t stream_bytes; /* streaming stores from this many bytes touched */
    char build_options[160];
    bool binaries_cacheable; /* program binaries may be cached (bincache.c) */
    bool timer_trusted;      /* device timestamps may be believed (profile.c) */
    uint64_t plausible_min_ns; /* shorter device spans are not believed */
} nnact_device_traits;
void nnact_device_traits_of(const nnact_device_info *d, const nnact_device_limits *lim,
                            nnact_device_traits *t);
bool nnact_device_is_pocl(const nnact_device_info *d);
/* Whether the one-work-item-per-row kernels suit the device. */
bool nnact_row_kernels_suit(const nnact_device_info *d);

/* ---- kernels (program.c, the table in device/kernel_list.h) ---- */
#define NNACT_FAMILY(ID, name, prof) NNACT_FAMILY_##ID,
typedef enum nnact_family { NNACT_FAMILIES NNACT_FAMILY_COUNT } nnact_family;
#undef NNACT_FAMILY

#define NNACT_KERNEL(name, family, ...) NNACT_K_##name,
typedef enum nnact_kernel_id { NNACT_KERNELS NNACT_K_COUNT } nnact_kernel_id;
#undef NNACT_KERNEL

/* The storage types as a table dimension (nnact_dtype is 0 .. count - 1):
 * kernels are ctx->kernels[id][dtype]. */
#define NNACT_DTYPE_COUNT 2
_Static_assert(NNACT_F16 == NNACT_DTYPE_COUNT - 1, "nnact_dtype counts from 0, F16 last");

#define NNACT_MAX_ARGS 20

/* Rows per work-group for the one-row-per-item kernels (a fixed size:
 * pocl compiles once per local size). */
#define NNACT_ROW_LOCAL 4

/* Rows per block of learnable PReLU's dalpha partial sums: blocks spread
 * the reduction over the cores; 64 was fastest at 4096x4096 on pocl. */
#define NNACT_PRELU_BLOCK_ROWS 64

/* Whether a kernel touching this many bytes (inputs and outputs) should
 * store its output around the caches (cl/common.cl store_aligned): when
 * the tensors do not fit in the device's cache, as memcpy does. */
cl_uint nnact_stream_stores(const struct nnact_ctx *ctx, size_t bytes_touched);

/* ---- profiling (profile.c) ---- */
#define NNACT_PROF(ID, label) NNACT_PROF_##ID,
typedef enum nnact_prof_category { NNACT_PROF_CATEGORIES NNACT_PROF_COUNT } nnact_prof_category;
#undef NNACT_PROF
typedef struct nnact_prof_record {
    nnact_prof_category category;
    cl_event start, end; /* the same event for a single kernel */
} nnact_prof_record;
#define NNACT_PROF_RECORDS 4096

/* ---- context and tensors ---- */
/* Context-owned scratch buffers: one for operations' intermediates, one for
 * CLBlast's padded copies (an SGEMM may read the first while using the
 * second, and CLBlast would otherwise allocate its own on every call). */
/* The NNACT_F32_SLOTS slots from NNACT_SCRATCH_F32_0 hold float32 copies of
 * the F16 tensors of one call (dtype.c nnact_as_f32): a dense backward pass
 * has eight tensors. */
#define NNACT_F32_SLOTS 10
typedef enum nnact_scratch_slot {
    NNACT_SCRATCH_OPS, NNACT_SCRATCH_GEMM, NNACT_SCRATCH_INDEX, NNACT_SCRATCH_F32_0,
    NNACT_SCRATCH_COUNT = NNACT_SCRATCH_F32_0 + NNACT_F32_SLOTS
} nnact_scratch_slot;
typedef struct nnact_scratch_buf {
    cl_mem buf;
    size_t bytes;
} nnact_scratch_buf;
/* CLBlast's temporary-buffer size for one SGEMM call shape (blas.c). */
#define NNACT_GEMM_SIZES 16
#define NNACT_STAGING 8
typedef struct nnact_gemm_size {
    size_t key[10], bytes;
    bool valid;
} nnact_gemm_size;
/* The argument values last set on one kernel (ctx->args, program.c). */
typedef struct nnact_arg_cache {
    unsigned char value[NNACT_MAX_ARGS][8];
    uint8_t size[NNACT_MAX_ARGS]; /* 0: not set */
    uint64_t generation;
} nnact_arg_cache;
struct nnact_ctx {
    cl_context context;
    cl_device_id device;
    cl_command_queue queue;
    nnact_device_info info;
    nnact_device_traits traits; /* the device's; the fields below add NNACT_* */
    char build_options[160];
    cl_program programs[NNACT_FAMILY_COUNT];
    cl_kernel kernels[NNACT_K_COUNT][NNACT_DTYPE_COUNT];
    size_t elem_local;   /* work-group size of elementwise kernels */
    size_t column_local; /* work-group size of per-column reductions */
    size_t reduce_local; /* work-group size of row reductions (power of 2) */
    bool row_kernels;    /* one work-item per row for row ops (nnact_row_kernels_suit) */
    int stream_mode;     /* NNACT_STREAM: -1 by size, 0 never, 1 always */
    size_t stream_bytes; /* streaming stores from this many bytes touched */
    char tuning[2400];   /* where the CLBlast parameters came from */
    nnact_tuning_source tuning_source;
    char *clblast_pending; /* parameters to apply at the first SGEMM */
    char clblast_origin[2400];
    /* Last argument values set on each kernel, to skip clSetKernelArg for
     * unchanged ones (pocl spends ~0.1 us per call). A buffer handle may
     * be reused once released, so buffer arguments are trusted only while
     * mem_generation (bumped on every release) is unchanged. */
    nnact_arg_cache args[NNACT_K_COUNT][NNACT_DTYPE_COUNT];
    uint64_t mem_generation;
    nnact_prof_record *prof; /* non-NULL when profiling (NNACT_PROFILE=1) */
    size_t prof_n;
    uint64_t prof_calls[NNACT_PROF_COUNT];
    double prof_seconds[NNACT_PROF_COUNT];
    nnact_scratch_buf scratch[NNACT_SCRATCH_COUNT]; /* grown on demand */
    nnact_gemm_size gemm_sizes[NNACT_GEMM_SIZES];
    /* Host copies of gather indices being uploaded without a wait: a slot
     * is reused only after its upload (NNACT_STAGING uploads ago) is done. */
    struct {
        cl_ulong *host;
        size_t cap;
        cl_event uploaded;
    } staging[NNACT_STAGING];
    unsigned staging_next;
    unsigned gemm_sizes_next;
    bool prof_checked;   /* the first profiled launch's times were checked */
    bool prof_wall;      /* device timestamps implausible: wall clock */
    double prof_t0;      /* wall mode: when the current launch began */
    char prof_clock[224]; /* nnact_ctx_profile_clock() */
    bool debug;
    unsigned debug_said; /* nnact_debug_once bits */
    size_t f32_slots_used; /* F16 stand-in slots held by calls in progress */
    bool counted;        /* nnact_clblast_ctx_opened was called */
};

struct nnact_tensor {
    nnact_ctx *ctx;
    cl_mem buf; /* NULL for a zero-sized tensor */
    size_t offset, rows, cols; /* offset in elements of dtype */
    nnact_dtype dtype;         /* last: a {ctx, buf, off, r, c} literal is F32 */
};

/* ---- storage types (dtype.c) ---- */
static inline size_t nnact_elem_size(const nnact_tensor *t)
{
    return t->dtype == NNACT_F16 ? 2 : 4;
}
/* dst = src converted (same shapes; a copy when the types match). Enqueues. */
nnact_status nnact_convert(nnact_ctx *ctx, const nnact_tensor *src, nnact_tensor *dst);

/* ---- the storage plan of an operation (plan.c) ---- */
/* One operand of an operation body: the address of the body's own pointer
 * to it, which the plan rebinds to a float32 stand-in when the body runs
 * widened. Read operands are const; written ones are not. */
enum { NNACT_USE_IN = 1, NNACT_USE_OUT = 2, NNACT_USE_INOUT = 3 };
typedef struct nnact_operand {
    const nnact_tensor **in; /* a read operand, else NULL */
    nnact_tensor **out;      /* a written (or updated) operand, else NULL */
    int use;                 /* NNACT_USE_* */
} nnact_operand;
#define NNACT_READ(p) ((nnact_operand){(p), NULL, NNACT_USE_IN})
#define NNACT_WRITE(p) ((nnact_operand){NULL, (p), NNACT_USE_OUT})
#define NNACT_UPDATE(p) ((nnact_operand){NULL, (p), NNACT_USE_INOUT})
typedef struct nnact_plan {
    nnact_dtype dtype; /* the storage type the body's kernels run in */
    nnact_ctx *ctx;
    size_t base, n; /* stand-ins in slots base .. base + n - 1 */
    nnact_tensor tmp[NNACT_F32_SLOTS];
    const nnact_tensor *orig[NNACT_F32_SLOTS];
    nnact_tensor *dst[NNACT_F32_SLOTS]; /* narrowed into when written */
    int use[NNACT_F32_SLOTS];
} nnact_plan;
/* Plans the storage of one call over its n operands (NULL tensors are
 * skipped): natively when they share a storage type that kernel_list.h
 * lists for the kernel native (NNACT_K_COUNT: none but float32), else on
 * float32 stand-ins, saying widen_note (may be NULL) once per context under
 * NNACT_DEBUG. On success the body runs and then calls nnact_plan_done. */
nnact_status nnact_plan_storage(nnact_plan *p, nnact_ctx *ctx, nnact_kernel_id native,
                                const char *widen_note, size_t n, const nnact_operand *ops);
/* Narrows the written stand-ins when st is NNACT_OK; returns the first
 * failure. */
nnact_status nnact_plan_done(nnact_plan *p, nnact_status st);
/* Debug line (NNACT_DEBUG=1) once per context and reason (context.c). */
void nnact_debug_once(nnact_ctx *ctx, unsigned bit, const char *msg);

/* Argument checks of the public entries (check.c); fn is the public
 * function, name the parameter's name in the public API. */
nnact_status nnact_check_ctx(const nnact_ctx *ctx, const char *fn);
nnact_status nnact_check_tensor(const nnact_ctx *ctx, const nnact_tensor *t,
                                const char *fn, const char *name);
nnact_status nnact_check_same_shape(const nnact_tensor *a, const char *an,
                                    const nnact_tensor *b, const char *bn,
                                    const char *fn);
nnact_status nnact_check_dtype(nnact_dtype dtype, const char *fn);
nnact_status nnact_check_temperature(float t, const char *fn);
/* An activation's kind and parameters (as a model file stores them)... */
nnact_status nnact_check_act(const nnact_act *act, const char *fn);
/* ... and, for one passed to a call, the row-wise ones' temperature too. */
nnact_status nnact_check_act_call(const nnact_act *act, const char *fn);

/* Lower-cases name into key with '-' as '_' (the by-name lookups' rule,
 * name_key.c); false when it does not fit. */
bool nnact_name_key(const char *name, char *key, size_t cap);

/* Work-items of a kernel taking VW (16) elements each (program.c). */
size_t nnact_elementwise_items(size_t n);
static inline size_t nnact_numel(const nnact_tensor *t) { return t->rows * t->cols; }

/* A scratch buffer of at least bytes, owned by the context. Safe to reuse
 * call after call because the queue is in order. */
nnact_status nnact_workspace(nnact_ctx *ctx, size_t bytes, cl_mem *out);
nnact_status nnact_scratch(nnact_ctx *ctx, nnact_scratch_slot slot, size_t bytes, cl_mem *out);

/* Writes n bytes to path through a synced temporary file and a rename
 * (fileio.c); fn names the caller in messages. */
nnact_status nnact_write_file_atomic(const char *path, const void *data, size_t n,
                                     const char *fn);
/* Reads a whole file into a malloc'd buffer (NUL-terminated, n excludes the
 * NUL). Errors: NNACT_ERR_IO (cannot open or read), NNACT_ERR_OUT_OF_MEMORY. */
nnact_status nnact_read_file(const char *path, unsigned char **data, size_t *n,
                             const char *fn);
/* 64-bit FNV-1a of s, continuing from h (start from NNACT_FNV_BASIS). */
#define NNACT_FNV_BASIS 0xcbf29ce484222325ull
uint64_t nnact_fnv1a(uint64_t h, const char *s);

/* The cache directory: $NNACT_CACHE_DIR, else $XDG_CACHE_HOME/nnact, else
 * $HOME/.cache/nnact (cache_dir.c); nnact_make_dirs is mkdir -p, 0700. */
bool nnact_cache_dir(char *buf, size_t cap);
void nnact_make_dirs(const char *dir);
/* Reads a cache entry (NUL-terminated, n excludes the NUL) when it and its
 * directory belong to this user and no one else may write them; else a
 * miss: NNACT_ERR_IO (or NNACT_ERR_OUT_OF_MEMORY) with why saying what was
 * refused ("" when there is simply no entry), and no message recorded. */
nnact_status nnact_read_cache_entry(const char *path, unsigned char **data, size_t *n,
                                    char *why, size_t cap);

/* Program-binary cache (bincache.c): on for GPU drivers, off on pocl. */
bool nnact_bincache_enabled(const nnact_ctx *ctx);
cl_program nnact_bincache_load(nnact_ctx *ctx, const char *family, const char *const *sources);
void nnact_bincache_store(nnact_ctx *ctx, const char *family, const char *const *sources,
                          cl_program prog);

/* ---- CLBlast parameters (tuning.c, a leaf; blas.c applies them) ---- */
/* Receives one parsed "Kernel NAME=V ..." entry. */
typedef nnact_status (*nnact_param_fn)(void *user, const char *kernel, size_t n,
                                       const char **names, const size_t *values);
/* Parses parameter text (lines or ';'-separated entries, '#' comments) and
 * passes each entry to fn (NULL: syntax check only); origin names the text
 * in messages. */
nnact_status nnact_tuning_parse(const char *text, const char *origin, nnact_param_fn fn,
                                void *user);
/* Looks the device up in database text (src/tuning.db's format): on a hit,
 * params receives the entry's parameters and cls its match fields. Lines that
 * do not parse, or name another CLBlast version, are misses. Pure. */
bool nnact_tuning_db_find(const char *db, const nnact_device_info *info,
                          const char *clblast, char *params, size_t pcap, char *cls,
                          size_t ccap);
/* The database text: NNACT_TUNING_DB=FILE, else the one built in (origin
 * says which); NULL when switched off (NNACT_TUNING_DB=0). *owned is set
 * when it must be freed. */
const char *nnact_tuning_database(char **owned, char *origin, size_t cap);
/* At context creation: chooses the parameter source (see tuning.c) and
 * keeps the text for the first SGEMM. */
nnact_status nnact_load_tuning(nnact_ctx *ctx);

/* ---- CLBlast's program cache (clblast_cache.c) ---- */
/* Counts the contexts alive on each device (thread-safe); closing the last
 * one empties CLBlast's program cache. opened returns false (and counts
 * nothing) when out of memory. */
bool nnact_clblast_ctx_opened(cl_device_id device);
void nnact_clblast_ctx_closed(cl_device_id device);

/* ---- CLBlast (blas.c) ---- */
nnact_status nnact_fail_clblast(int status, const char *what);
/* nnact_gemm after its checks (shapes already known to fit). */
nnact_status nnact_gemm_body(nnact_ctx *ctx, nnact_transpose trans_a,
                             nnact_transpose trans_b, float alpha, const nnact_tensor *a,
                             const nnact_tensor *b, float beta, nnact_tensor *c);

/* ---- operation bodies (ops/): called after the public entry's checks ---- */
/* What the derivative of an activation reads (NNACT_NEEDS_*) and whether it
 * is row-wise (act.c). */
int nnact_act_needs(nnact_act_kind kind);
bool nnact_act_row_wise(nnact_act_kind kind);
nnact_status nnact_act_forward_body(nnact_ctx *ctx, const nnact_act *act,
                                    const nnact_tensor *x, nnact_tensor *y);
/* in: the tensor the derivative reads (x or y; NULL when none). */
nnact_status nnact_act_backward_body(nnact_ctx *ctx, const nnact_act *act,
                                     const nnact_tensor *in, const nnact_tensor *dy,
                                     nnact_tensor *dx);
/* Checks the tensor an activation's derivative reads (x or y, named xn and
 * yn) and returns it in *in (NULL when it reads neither). */
nnact_status nnact_check_act_input(nnact_ctx *ctx, const nnact_act *act,
                                   const nnact_tensor *x, const char *xn,
                                   const nnact_tensor *y, const char *yn,
                                   const nnact_tensor *dy, const char *fn,
                                   const nnact_tensor **in);

/* A row operation (softmax.c): for each direction its two kernel forms, a
 * work-item per row (rows) and a work-group per row (group, with scratch
 * floats of local memory per work-item), and whether the row form may take
 * several rows per item. */
typedef struct nnact_row_kernels {
    nnact_kernel_id rows, group;
    size_t scratch;
    bool multi_row;
} nnact_row_kernels;
typedef struct nnact_row_op {
    nnact_row_kernels fwd, bwd;
} nnact_row_op;
extern const nnact_row_op nnact_softmax_op, nnact_log_softmax_op;
nnact_status nnact_row_forward(nnact_ctx *ctx, const nnact_row_op *op, float temperature,
                               const nnact_tensor *x, nnact_tensor *y);
nnact_status nnact_row_backward(nnact_ctx *ctx, const nnact_row_op *op, float temperature,
                                const nnact_tensor *y, const nnact_tensor *dy,
                                nnact_tensor *dx);

/* nnact_loss_eval / nnact_loss_accumulate (sums NULL or not) with the
 * gradient multiplied by grad_scale (the MLP's loss scaling). */
nnact_status nnact_loss_run(nnact_ctx *ctx, const nnact_loss *loss, const nnact_tensor *pred,
                            const nnact_tensor *target, float *value, float *accuracy,
                            nnact_tensor *grad, nnact_tensor *sums, float grad_scale,
                            const char *fn);
nnact_status nnact_loss_accumulate_scaled(nnact_ctx *ctx, const nnact_loss *loss,
                                          const nnact_tensor *pred, const nnact_tensor *target,
                                          nnact_tensor *sums, nnact_tensor *grad, float gscale);
/* nnact_optim_step that does nothing on the device when skip (a uint
 * buffer, may be NULL) holds a nonzero first element. */
nnact_status nnact_optim_step_skip(nnact_ctx *ctx, const nnact_optim *opt, uint64_t step,
                                   nnact_tensor *param, const nnact_tensor *grad,
                                   nnact_tensor *state1, nnact_tensor *state2, cl_mem skip);

nnact_prof_category nnact_prof_of_family(nnact_family f);
/* At context creation with profiling on: which clock to believe. */
void nnact_prof_init(nnact_ctx *ctx);
/* Just before enqueueing a profiled command (wall-clock mode starts its
 * clock here, after waiting for the queue). */
void nnact_prof_begin(nnact_ctx *ctx);
void nnact_prof_add(nnact_ctx *ctx, nnact_prof_category c, cl_event start, cl_event end);
void nnact_prof_release(nnact_ctx *ctx);

/* ---- launching (program.c) ---- */
typedef struct nnact_arg {
    size_t size;
    const void *value; /* NULL with size > 0: __local memory of that size */
} nnact_arg;
#define NNACT_ARG(v) ((nnact_arg){sizeof(v), &(v)})
#define NNACT_LOCAL(bytes) ((nnact_arg){(bytes), NULL})

/* Gets (building on first use) a kernel of the context in the storage
 * type's instantiation; NNACT_ERR_UNSUPPORTED when the table has none. */
nnact_status nnact_kernel(nnact_ctx *ctx, nnact_kernel_id id, nnact_dtype dtype,
                          cl_kernel *out);
/* Whether kernel_list.h lists the kernel for this storage type. */
bool nnact_kernel_exists(nnact_kernel_id id, nnact_dtype dtype);
/* Sets the arguments and enqueues at least items work-items (rounded up to
 * whole groups of local; kernels ignore the extra ones). */
nnact_status nnact_launch(nnact_ctx *ctx, nnact_kernel_id id, nnact_dtype dtype,
                          size_t items, size_t local, size_t nargs, const nnact_arg *args);
const char *nnact_kernel_name(nnact_kernel_id id);

#endif
