/* Library-internal declarations: the context and tensor structs, error
 * helpers, the kernel table and launch helpers. Not installed. */
#ifndef NNACT_INTERNAL_H
#define NNACT_INTERNAL_H

#include "nnact.h"
#include "act_list.h"

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

/* ---- kernels (program.c) ---- */
typedef enum nnact_family {
    NNACT_FAMILY_ACT,
    NNACT_FAMILY_SOFTMAX,
    NNACT_FAMILY_PRELU,
    NNACT_FAMILY_DENSE,
    NNACT_FAMILY_LOSS,
    NNACT_FAMILY_OPTIM,
    NNACT_FAMILY_COUNT
} nnact_family;

#define NNACT_ACT_KERNEL_IDS(name, KIND, da, db, needs) \
    NNACT_K_act_##name##_fwd, NNACT_K_act_##name##_bwd, NNACT_K_dense_##name##_fwd,
typedef enum nnact_kernel_id {
    NNACT_ELEMENTWISE_ACTS(NNACT_ACT_KERNEL_IDS)
    NNACT_K_softmax_fwd,
    NNACT_K_softmax_bwd,
    NNACT_K_softmax_fwd_rows,
    NNACT_K_softmax_bwd_rows,
    NNACT_K_prelu_fwd,
    NNACT_K_prelu_bwd,
    NNACT_K_prelu_bwd_dalpha,
    NNACT_K_prelu_dalpha_blocks,
    NNACT_K_prelu_dalpha_total,
    NNACT_K_colsum,
    NNACT_K_loss_mse_rows, NNACT_K_loss_mse_group,
    NNACT_K_loss_bce_rows, NNACT_K_loss_bce_group,
    NNACT_K_loss_bce_logits_rows, NNACT_K_loss_bce_logits_group,
    NNACT_K_loss_cce_rows, NNACT_K_loss_cce_group,
    NNACT_K_loss_softmax_cce_rows, NNACT_K_loss_softmax_cce_group,
    NNACT_K_loss_reduce,
    NNACT_K_optim_sgd,
    NNACT_K_optim_adam,
    NNACT_K_COUNT
} nnact_kernel_id;
#undef NNACT_ACT_KERNEL_IDS

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
typedef enum nnact_prof_category {
    NNACT_PROF_ACT, NNACT_PROF_SOFTMAX, NNACT_PROF_PRELU, NNACT_PROF_DENSE,
    NNACT_PROF_LOSS, NNACT_PROF_OPTIM, NNACT_PROF_SGEMM, NNACT_PROF_COUNT
} nnact_prof_category;
typedef struct nnact_prof_record {
    nnact_prof_category category;
    cl_event start, end; /* the same event for a single kernel */
} nnact_prof_record;
#define NNACT_PROF_RECORDS 4096

/* ---- context and tensors ---- */
struct nnact_ctx {
    cl_context context;
    cl_device_id device;
    cl_command_queue queue;
    nnact_device_info info;
    char build_options[160];
    cl_program programs[NNACT_FAMILY_COUNT];
    cl_kernel kernels[NNACT_K_COUNT];
    size_t elem_local;   /* work-group size of elementwise kernels */
    size_t column_local; /* work-group size of per-column reductions */
    size_t reduce_local; /* work-group size of row reductions (power of 2) */
    bool row_kernels;    /* one work-item per row (CPU devices) for row ops */
    int stream_mode;     /* NNACT_STREAM: -1 by size, 0 never, 1 always */
    size_t stream_bytes; /* streaming stores from this many bytes touched */
    char tuning[2400];   /* where the CLBlast parameters came from */
    char *clblast_pending; /* parameters to apply at the first SGEMM */
    char clblast_origin[2400];
    bool clblast_from_file;
    /* Last argument values set on each kernel, to skip clSetKernelArg for
     * unchanged ones (pocl spends ~0.1 us per call). A buffer handle may
     * be reused once released, so buffer arguments are trusted only while
     * mem_generation (bumped on every release) is unchanged. */
    struct {
        unsigned char value[NNACT_MAX_ARGS][8];
        uint8_t size[NNACT_MAX_ARGS]; /* 0: not set */
        uint64_t generation;
    } args[NNACT_K_COUNT];
    uint64_t mem_generation;
    nnact_prof_record *prof; /* non-NULL when profiling (NNACT_PROFILE=1) */
    size_t prof_n;
    uint64_t prof_calls[NNACT_PROF_COUNT];
    double prof_seconds[NNACT_PROF_COUNT];
    cl_mem workspace;    /* scratch for intermediates, grown on demand */
    size_t workspace_bytes;
    bool debug;
};

struct nnact_tensor {
    nnact_ctx *ctx;
    cl_mem buf; /* NULL for a zero-sized tensor */
    size_t offset, rows, cols;
};

/* Argument checks; name is the parameter's name in the public API. */
nnact_status nnact_check_ctx(const nnact_ctx *ctx, const char *fn);
nnact_status nnact_check_tensor(const nnact_ctx *ctx, const nnact_tensor *t,
                                const char *fn, const char *name);
/* Kernels of the activation table (act.c): forward/backward ids and what
 * the derivative reads (NNACT_NEEDS_*). */
int nnact_act_needs(nnact_act_kind kind);
/* Lower-cases name into key with '-' as '_' (the by-name lookups' rule);
 * false when it does not fit. */
bool nnact_name_key(const char *name, char *key, size_t cap);
nnact_status nnact_check_act(const nnact_act *act, const char *fn);
size_t nnact_elementwise_items(size_t n);
nnact_status nnact_check_same_shape(const nnact_tensor *a, const char *an,
                                    const nnact_tensor *b, const char *bn,
                                    const char *fn);
static inline size_t nnact_numel(const nnact_tensor *t) { return t->rows * t->cols; }

/* A scratch buffer of at least bytes, owned by the context. Safe to reuse
 * call after call because the queue is in order. */
nnact_status nnact_workspace(nnact_ctx *ctx, size_t bytes, cl_mem *out);

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
 * $HOME/.cache/nnact (tuning.c); mkdir -p. */
bool nnact_cache_dir(char *buf, size_t cap);
void nnact_make_dirs(const char *dir);

/* Program-binary cache (bincache.c): on for GPU drivers, off on pocl. */
bool nnact_bincache_enabled(const nnact_ctx *ctx);
cl_program nnact_bincache_load(nnact_ctx *ctx, const char *family, const char *const *sources);
void nnact_bincache_store(nnact_ctx *ctx, const char *family, const char *const *sources,
                          cl_program prog);

/* ---- CLBlast (blas.c) ---- */
nnact_status nnact_fail_clblast(int status, const char *what);
/* Applies CLBlast parameter overrides written as "Kernel NAME=V ..." lines
 * (or ';'-separated) for the context's device (tuning.c). */
nnact_status nnact_apply_clblast_params(nnact_ctx *ctx, const char *text, const char *origin,
                                        bool apply);
/* Hands the parameters kept by nnact_load_tuning to CLBlast (first SGEMM). */
nnact_status nnact_apply_pending_tuning(nnact_ctx *ctx);
/* At context creation: NNACT_CLBLAST_PARAMS, else this device's tuning file
 * (unless NNACT_TUNING=0). */
nnact_status nnact_load_tuning(nnact_ctx *ctx);
/* nnact_gemm after its checks (shapes already known to fit). */
nnact_status nnact_gemm_unchecked(nnact_ctx *ctx, nnact_transpose trans_a,
                                  nnact_transpose trans_b, float alpha,
                                  const nnact_tensor *a, const nnact_tensor *b, float beta,
                                  nnact_tensor *c);

nnact_prof_category nnact_prof_of_family(nnact_family f);
void nnact_prof_add(nnact_ctx *ctx, nnact_prof_category c, cl_event start, cl_event end);
void nnact_prof_release(nnact_ctx *ctx);

/* ---- launching (program.c) ---- */
typedef struct nnact_arg {
    size_t size;
    const void *value; /* NULL with size > 0: __local memory of that size */
} nnact_arg;
#define NNACT_ARG(v) ((nnact_arg){sizeof(v), &(v)})
#define NNACT_LOCAL(bytes) ((nnact_arg){(bytes), NULL})

/* Gets (building on first use) a kernel of the context. */
nnact_status nnact_kernel(nnact_ctx *ctx, nnact_kernel_id id, cl_kernel *out);
/* Sets the arguments and enqueues at least items work-items (rounded up to
 * whole groups of local; kernels ignore the extra ones). */
nnact_status nnact_launch(nnact_ctx *ctx, nnact_kernel_id id, size_t items,
                          size_t local, size_t nargs, const nnact_arg *args);
const char *nnact_kernel_name(nnact_kernel_id id);

#endif
