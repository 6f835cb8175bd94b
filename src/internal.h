/* Library-internal declarations, not installed: one header per floor
 * (base.h, device.h, tensor.h, gemm.h, ops.h; model/mlp_internal.h above
 * them), each including the one below, and here the context struct, which
 * holds state of every floor. */
#ifndef NNACT_INTERNAL_H
#define NNACT_INTERNAL_H

#include "ops.h"

/* Gather-index uploads in flight (tensor/gather.c). */
#define NNACT_STAGING 8
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

#endif
