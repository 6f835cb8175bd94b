/* Contexts, the device floor's part: one device, one in-order queue, the
 * lazily built kernel programs of that device and the scratch buffers.
 * The public create/destroy (gemm/context_open.c) add the CLBlast state on
 * top, so this floor calls none above it. */
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

/* What the device reports beyond nnact_device_info, for its traits. */
static void device_limits(cl_device_id dev, nnact_device_limits *lim)
{
    memset(lim, 0, sizeof *lim);
    size_t max_wg = 1, res = 1;
    cl_ulong cache = 0;
    cl_device_fp_config cfg = 0;
    clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof max_wg, &max_wg, NULL);
    clGetDeviceInfo(dev, CL_DEVICE_GLOBAL_MEM_CACHE_SIZE, sizeof cache, &cache, NULL);
    clGetDeviceInfo(dev, CL_DEVICE_SINGLE_FP_CONFIG, sizeof cfg, &cfg, NULL);
    if (clGetDeviceInfo(dev, CL_DEVICE_PROFILING_TIMER_RESOLUTION, sizeof res, &res, NULL) !=
        CL_SUCCESS)
        res = 1; /* unknown: believed until a timestamp says otherwise */
    lim->max_work_group = max_wg;
    lim->global_cache_bytes = cache;
    lim->correctly_rounded_divide = (cfg & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
    lim->hw_fma = (cfg & CL_FP_FMA) != 0;
    lim->timer_resolution_ns = res;
}

/* The device's traits, then the environment's overrides: NNACT_ROW_KERNELS
 * and NNACT_STREAM=0/1 force a row-kernel form and streaming stores off or
 * on (to test both paths on one device). */
static void apply_traits(nnact_ctx *ctx)
{
    nnact_device_limits lim;
    device_limits(ctx->device, &lim);
    nnact_device_traits_of(&ctx->info, &lim, &ctx->traits);
    const nnact_device_traits *t = &ctx->traits;
    ctx->elem_local = t->elem_local;
    ctx->column_local = t->column_local;
    ctx->reduce_local = t->reduce_local;
    ctx->row_kernels = env_flag("NNACT_ROW_KERNELS", t->row_kernels);
    ctx->stream_bytes = t->stream_bytes;
    ctx->stream_mode = env_flag("NNACT_STREAM", -1);
    snprintf(ctx->build_options, sizeof ctx->build_options, "%s", t->build_options);
}

cl_uint nnact_stream_stores(const nnact_ctx *ctx, size_t bytes_touched)
{
    if (ctx->stream_mode >= 0)
        return (cl_uint)ctx->stream_mode;
    return bytes_touched >= ctx->stream_bytes;
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

nnact_status nnact_ctx_open_device(nnact_ctx **out, const char *selector)
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
    apply_traits(ctx);
    if (profile && !(ctx->prof = malloc(NNACT_PROF_RECORDS * sizeof *ctx->prof))) {
        nnact_ctx_close_device(ctx);
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "nnact_ctx_create: out of host memory");
    }
    if (ctx->prof)
        nnact_prof_init(ctx);
    *out = ctx;
    return NNACT_OK;
}

nnact_status nnact_ctx_open_queue(nnact_ctx **out, cl_command_queue queue)
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
    nnact_describe_listed(ctx->device, &ctx->info);
    apply_traits(ctx);
    if (env_flag("NNACT_PROFILE", 0) && (qp & CL_QUEUE_PROFILING_ENABLE) &&
        !(ctx->prof = malloc(NNACT_PROF_RECORDS * sizeof *ctx->prof))) {
        nnact_ctx_close_device(ctx);
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    if (ctx->prof)
        nnact_prof_init(ctx);
    if (ctx->debug)
        fprintf(stderr, "nnact: adopted the application's queue on '%s' (%s)\n",
                ctx->info.device_name, ctx->info.platform_name);
    *out = ctx;
    return NNACT_OK;
}

void nnact_ctx_close_device(nnact_ctx *ctx)
{
    clFinish(ctx->queue);
    nnact_prof_release(ctx);
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
    free(ctx);
}

const nnact_device_info *nnact_ctx_device(const nnact_ctx *ctx)
{
    return ctx ? &ctx->info : NULL;
}

cl_command_queue nnact_ctx_queue(const nnact_ctx *ctx) { return ctx ? ctx->queue : NULL; }

nnact_status nnact_ctx_finish(nnact_ctx *ctx)
{
    if (!ctx) /* as nnact_check_ctx (tensor/check.c) says it, on this floor */
        return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_ctx_finish: ctx is NULL");
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
