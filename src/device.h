/* The device floor (src/device/): devices and their traits, the kernel
 * table and its programs, launching, profiling, the context's scratch
 * buffers and program-binary cache. */
#ifndef NNACT_DEVICE_H
#define NNACT_DEVICE_H

#include "base.h"
#include "device/kernel_list.h"

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

/* ---- contexts, the device floor's part (context.c) ---- */
/* nnact_ctx_create and _from_queue up to the CLBlast state (the public
 * functions, gemm/context_open.c, add it): the same checks and messages;
 * *out is NULL on failure. */
nnact_status nnact_ctx_open_device(nnact_ctx **out, const char *selector);
nnact_status nnact_ctx_open_queue(nnact_ctx **out, cl_command_queue queue);
/* Releases what the device floor holds and frees ctx. */
void nnact_ctx_close_device(nnact_ctx *ctx);

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
#define NNACT_FAMILY(ID, name, prof, ...) NNACT_FAMILY_##ID,
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

nnact_prof_category nnact_prof_of_family(nnact_family f);
/* At context creation with profiling on: which clock to believe. */
void nnact_prof_init(nnact_ctx *ctx);
/* Just before enqueueing a profiled command (wall-clock mode starts its
 * clock here, after waiting for the queue). */
void nnact_prof_begin(nnact_ctx *ctx);
void nnact_prof_add(nnact_ctx *ctx, nnact_prof_category c, cl_event start, cl_event end);
void nnact_prof_release(nnact_ctx *ctx);


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
/* The argument values last set on one kernel (ctx->args, program.c). */
typedef struct nnact_arg_cache {
    unsigned char value[NNACT_MAX_ARGS][8];
    uint8_t size[NNACT_MAX_ARGS]; /* 0: not set */
    uint64_t generation;
} nnact_arg_cache;
/* A scratch buffer of at least bytes, owned by the context. Safe to reuse
 * call after call because the queue is in order. */
nnact_status nnact_workspace(nnact_ctx *ctx, size_t bytes, cl_mem *out);
nnact_status nnact_scratch(nnact_ctx *ctx, nnact_scratch_slot slot, size_t bytes, cl_mem *out);

/* Work-items of a kernel taking VW (16) elements each (program.c). */
size_t nnact_elementwise_items(size_t n);

/* Debug line (NNACT_DEBUG=1) once per context and reason (context.c). */
void nnact_debug_once(nnact_ctx *ctx, unsigned bit, const char *msg);


/* Program-binary cache (bincache.c): on for GPU drivers, off on pocl. */
bool nnact_bincache_enabled(const nnact_ctx *ctx);
cl_program nnact_bincache_load(nnact_ctx *ctx, const char *family, const char *const *sources);
void nnact_bincache_store(nnact_ctx *ctx, const char *family, const char *const *sources,
                          cl_program prog);

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
