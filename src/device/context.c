/* Contexts: one device, one in-order queue, and the lazily built kernel
 * programs of that device. */
#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when the variable is set and not "0", 0 for "0", dflt when unset. */
static int env_flag(const char *name, int dflt)
{
    const char *v = getenv(name);
    return v && *v ? strcmp(v, "0") != 0 : dflt;
}

/* Row operations (softmax, losses) come in two forms: a work-item per row
 * walking it 16 floats at a time (cl/softmax.cl *_rows), or a work-group per
 * row. The first needs a compiler that maps float16 onto SIMD registers and
 * few, heavy threads: a CPU runtime that reports a native float vector width
 * above 1 (pocl: 8 with AVX2, 16 with AVX-512). Device type alone is not
 * enough: Mesa's llvmpipe (rusticl) reports CL_DEVICE_TYPE_CPU but a native
 * width of 1 -- it scalarises vectors and runs 8 work-items per SIMD
 * instruction like a GPU. There, softmax 64x64 (nnact-bench, wall clock)
 * took 29.5 ms forward / 7.1 ms backward per row-item against 6.2 / 1.7 ms
 * per work-group, and building the per-row form cost 16 s of CPU against 1 s
 * (before cl/common.cl's FMA fallback, 14 min). GPUs get the work-group form
 * whatever width they report. NNACT_ROW_KERNELS=0/1 overrides (to test both
 * forms on one device). */
bool nnact_row_kernels_suit(const nnact_device_info *d)
{
    return d->native_float_width > 1 && d->type != NNACT_DEVICE_GPU;
}

/* Fixed launch shapes: pocl compiles a kernel once per local size, and
 * barrier-heavy large groups are slow on CPU devices. */
static void choose_launch_shapes(nnact_ctx *ctx)
{
    size_t max_wg = 1;
    clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof max_wg, &max_wg, NULL);
    bool cpu = ctx->info.type == NNACT_DEVICE_CPU;
    /* 256 items of VW floats: a 64x64 tensor is one group (each group
     * costs pocl scheduling time). */
    size_t elem = cpu ? 256 : 64, reduce = cpu ? 16 : 256;
    while (elem > max_wg)
        elem /= 2;
    while (reduce > max_wg)
        reduce /= 2;
    ctx->elem_local = elem ? elem : 1;
    /* Column reductions have few items (one per column or per VW columns):
     * small groups keep every core busy. */
    ctx->column_local = max_wg < 64 ? max_wg : 64;
    ctx->reduce_local = reduce ? reduce : 1;
    ctx->row_kernels = env_flag("NNACT_ROW_KERNELS", nnact_row_kernels_suit(&ctx->info));
    /* Streaming stores pay off once the data cannot stay in the cache,
     * which happens well below the size the device reports: on pocl (32 MiB
     * shared L3 reported, 2-core VM) streaming was as fast or faster from
     * 8 MB touched (1024x1000 floats in and out) and slower only at 2 MB
     * (nnact-bench --size 256x1000 ... 4096x1000, NNACT_STREAM=0/1
     * alternated), so they start at an eighth of it. NNACT_STREAM=0/1
     * forces them off/on (to test both paths). */
    cl_ulong cache = 0;
    clGetDeviceInfo(ctx->device, CL_DEVICE_GLOBAL_MEM_CACHE_SIZE, sizeof cache, &cache, NULL);
    ctx->stream_bytes = cache ? (size_t)(cache / 8) : SIZE_MAX;
    ctx->stream_mode = env_flag("NNACT_STREAM", -1);
}

cl_uint nnact_stream_stores(const nnact_ctx *ctx, size_t bytes_touched)
{
    if (ctx->stream_mode >= 0)
        return (cl_uint)ctx->stream_mode;
    return bytes_touched >= ctx->stream_bytes;
}

static void choose_build_options(nnact_ctx *ctx)
{
    /* Strict IEEE: no fast-relaxed or finite-math options, ever. Correctly
     * rounded division where the device offers it keeps (x - m)/T exact. */
    cl_device_fp_config cfg = 0;
    clGetDeviceInfo(ctx->device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof cfg, &cfg, NULL);
    /* Without a hardware FMA, fma() is emulated per lane at great compile
     * and run cost: the kernels use mad() instead (cl/common.cl FMA). */
    snprintf(ctx->build_options, sizeof ctx->build_options, "-cl-std=CL1.2%s%s",
             (cfg & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT)
                 ? " -cl-fp32-correctly-rounded-divide-sqrt" : "",
             (cfg & CL_FP_FMA) ? "" : " -DNNACT_NO_HW_FMA");
}

static nnact_status ctx_alloc(nnact_ctx **out, const char *fn)
{
    if (!out)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: out is NULL", fn);
    *out = calloc(1, sizeof **out);
    if (!*out)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    (*out)->debug = env_flag("NNACT_DEBUG", 0);
    return NNACT_OK;
}

nnact_status nnact_ctx_create(nnact_ctx **out, const char *selector)
{
    if (!out)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_ctx_create: out is NULL");
    nnact_ctx *ctx;
    nnact_status st = ctx_alloc(&ctx, "nnact_ctx_create");
    if (st != NNACT_OK)
        return st;
    *out = NULL;
    cl_platform_id platform;
    char why[1024] = "";
    st = nnact_resolve_device(selector, &ctx->info, &platform, &ctx->device, why,
                              sizeof why);
    if (st != NNACT_OK) {
        free(ctx);
        return st;
    }
    if (ctx->debug)
        fprintf(stderr, "nnact: %s\n", why);

    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)platform, 0};
    cl_int err;
    ctx->context = clCreateContext(props, 1, &ctx->device, NULL, NULL, &err);
    if (err != CL_SUCCESS) {
        free(ctx);
        return nnact_fail_cl(err, "nnact_ctx_create: clCreateContext");
    }
    const bool profile = env_flag("NNACT_PROFILE", 0);
    ctx->queue = clCreateCommandQueue(ctx->context, ctx->device,
                                      profile ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
    if (err != CL_SUCCESS) {
        clReleaseContext(ctx->context);
        free(ctx);
        return nnact_fail_cl(err, "nnact_ctx_create: clCreateCommandQueue");
    }
    if (!(ctx->counted = nnact_clblast_ctx_opened(ctx->device))) {
        nnact_ctx_destroy(ctx);
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "nnact_ctx_create: out of host memory");
    }
    choose_launch_shapes(ctx);
    choose_build_options(ctx);
    if (profile && !(ctx->prof = malloc(NNACT_PROF_RECORDS * sizeof *ctx->prof))) {
        nnact_ctx_destroy(ctx);
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "nnact_ctx_create: out of host memory");
    }
    if (ctx->prof)
        nnact_prof_init(ctx);
    if ((st = nnact_load_tuning(ctx)) != NNACT_OK) {
        nnact_ctx_destroy(ctx);
        return st;
    }
    *out = ctx;
    return NNACT_OK;
}

nnact_status nnact_ctx_create_from_queue(nnact_ctx **out, cl_command_queue queue)
{
    const char *fn = "nnact_ctx_create_from_queue";
    if (out)
        *out = NULL;
    if (!queue)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: queue is NULL", fn);
    if (!out)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: out is NULL", fn);
    nnact_ctx *ctx;
    nnact_status st = ctx_alloc(&ctx, fn);
    if (st != NNACT_OK)
        return st;
    *out = NULL;
    cl_command_queue_properties qp = 0;
    cl_int err = clGetCommandQueueInfo(queue, CL_QUEUE_PROPERTIES, sizeof qp, &qp, NULL);
    if (err == CL_SUCCESS)
        err = clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof ctx->context,
                                    &ctx->context, NULL);
    if (err == CL_SUCCESS)
        err = clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof ctx->device,
                                    &ctx->device, NULL);
    if (err != CL_SUCCESS) {
        free(ctx);
        if (err == CL_INVALID_COMMAND_QUEUE)
            return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: queue is not a valid "
                              "command queue (CL_INVALID_COMMAND_QUEUE)", fn);
        return nnact_fail_cl(err, "nnact_ctx_create_from_queue: clGetCommandQueueInfo");
    }
    if (qp & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE) {
        free(ctx);
        return nnact_fail(NNACT_ERR_UNSUPPORTED, "%s: the queue is out-of-order; "
                          "operations rely on in-order execution", fn);
    }
    clRetainCommandQueue(queue);
    clRetainContext(ctx->context);
    ctx->queue = queue;
    if (!(ctx->counted = nnact_clblast_ctx_opened(ctx->device))) {
        nnact_ctx_destroy(ctx);
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    nnact_describe_listed(ctx->device, &ctx->info);
    choose_launch_shapes(ctx);
    choose_build_options(ctx);
    if (env_flag("NNACT_PROFILE", 0) && (qp & CL_QUEUE_PROFILING_ENABLE) &&
        !(ctx->prof = malloc(NNACT_PROF_RECORDS * sizeof *ctx->prof))) {
        nnact_ctx_destroy(ctx);
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    if (ctx->prof)
        nnact_prof_init(ctx);
    if ((st = nnact_load_tuning(ctx)) != NNACT_OK) {
        nnact_ctx_destroy(ctx);
        return st;
    }
    if (ctx->debug)
        fprintf(stderr, "nnact: adopted the application's queue on '%s' (%s)\n",
                ctx->info.device_name, ctx->info.platform_name);
    *out = ctx;
    return NNACT_OK;
}

void nnact_ctx_destroy(nnact_ctx *ctx)
{
    if (!ctx)
        return;
    clFinish(ctx->queue);
    nnact_prof_release(ctx);
    free(ctx->clblast_pending);
    for (size_t i = 0; i < NNACT_K_COUNT; i++)
        for (size_t d = 0; d < NNACT_DTYPE_COUNT; d++)
            if (ctx->kernels[i][d])
                clReleaseKernel(ctx->kernels[i][d]);
    for (size_t i = 0; i < NNACT_FAMILY_COUNT; i++)
        if (ctx->programs[i])
            clReleaseProgram(ctx->programs[i]);
    for (size_t i = 0; i < NNACT_STAGING; i++) {
        if (ctx->staging[i].uploaded)
            clReleaseEvent(ctx->staging[i].uploaded);
        free(ctx->staging[i].host);
    }
    for (size_t i = 0; i < NNACT_SCRATCH_COUNT; i++)
        if (ctx->scratch[i].buf)
            clReleaseMemObject(ctx->scratch[i].buf);
    clReleaseCommandQueue(ctx->queue);
    clReleaseContext(ctx->context);
    if (ctx->counted)
        nnact_clblast_ctx_closed(ctx->device);
    free(ctx);
}

const nnact_device_info *nnact_ctx_device(const nnact_ctx *ctx)
{
    return ctx ? &ctx->info : NULL;
}

cl_command_queue nnact_ctx_queue(const nnact_ctx *ctx) { return ctx ? ctx->queue : NULL; }

nnact_status nnact_ctx_finish(nnact_ctx *ctx)
{
    nnact_status st = nnact_check_ctx(ctx, "nnact_ctx_finish");
    if (st != NNACT_OK)
        return st;
    cl_int err = clFinish(ctx->queue);
    return err == CL_SUCCESS ? NNACT_OK : nnact_fail_cl(err, "nnact_ctx_finish: clFinish");
}

nnact_status nnact_workspace(nnact_ctx *ctx, size_t bytes, cl_mem *out)
{
    return nnact_scratch(ctx, NNACT_SCRATCH_OPS, bytes, out);
}

nnact_status nnact_scratch(nnact_ctx *ctx, nnact_scratch_slot slot, size_t bytes, cl_mem *out)
{
    nnact_scratch_buf *w = &ctx->scratch[slot];
    if (bytes > w->bytes) {
        cl_int err;
        /* Commands already enqueued keep the old buffer alive until done. */
        cl_mem m = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
        if (err != CL_SUCCESS)
            return nnact_fail(nnact_cl_status(err), "allocating a %zu-byte workspace "
                              "on '%s' failed: clCreateBuffer: %s (%d)", bytes, ctx->info.device_name,
                              nnact_cl_error_name(err), (int)err);
        if (w->buf) {
            clReleaseMemObject(w->buf);
            ctx->mem_generation++;
        }
        w->buf = m;
        w->bytes = bytes;
    }
    *out = w->buf;
    return NNACT_OK;
}

void nnact_debug_once(nnact_ctx *ctx, unsigned bit, const char *msg)
{
    if (!ctx->debug || (ctx->debug_said & (1u << bit)))
        return;
    ctx->debug_said |= 1u << bit;
    fprintf(stderr, "nnact: %s\n", msg);
}
