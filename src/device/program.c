/* Kernel programs: each family is built from its embedded sources once per
 * context, on first use, so an application compiles only what it calls. */
#include "internal.h"
#include "cl_sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A family's program is: act_list.h (always: it only defines macros),
 * common.cl, the float32 storage prelude and storage.cl, the shared files,
 * the typed files; then, for families with F16 kernels, the F16 prelude,
 * storage.cl and the typed files again (their kernels get the suffix _h). */
typedef struct family_def {
    const char *name;
    const char *shared[3]; /* NULL-terminated */
    const char *typed;     /* instantiated per storage type; may be NULL */
    bool f16;              /* typed again for F16 storage */
} family_def;

static const family_def families[NNACT_FAMILY_COUNT] = {
    [NNACT_FAMILY_ACT] = {"act", {nnact_cl_act_formulas_cl}, nnact_cl_act_cl, true},
    [NNACT_FAMILY_SOFTMAX] = {"softmax", {NULL}, nnact_cl_softmax_cl, true},
    [NNACT_FAMILY_LOG_SOFTMAX] = {"log_softmax", {NULL}, nnact_cl_log_softmax_cl, true},
    [NNACT_FAMILY_PRELU] = {"prelu", {nnact_cl_prelu_cl}, NULL, false},
    [NNACT_FAMILY_DENSE] = {"dense", {nnact_cl_act_formulas_cl, nnact_cl_dense_cl}, NULL,
                            false},
    [NNACT_FAMILY_LOSS] = {"loss", {nnact_cl_loss_cl}, NULL, false},
    [NNACT_FAMILY_OPTIM] = {"optim", {nnact_cl_optim_cl}, NULL, false},
    [NNACT_FAMILY_DATA] = {"data", {nnact_cl_gather_cl}, NULL, false},
    /* convert.cl uses both storages' helpers: it follows the F16 prelude. */
    [NNACT_FAMILY_CONVERT] = {"convert", {NULL}, nnact_cl_convert_cl, true},
};

#define MAX_SOURCES 12

/* The NULL-terminated source list of family f; returns the count. */
static cl_uint family_sources(nnact_family f, const char **out)
{
    const family_def *def = &families[f];
    cl_uint n = 0;
    out[n++] = nnact_cl_act_list_h;
    out[n++] = nnact_cl_common_cl;
    out[n++] = nnact_cl_storage_f32_cl;
    out[n++] = nnact_cl_storage_cl;
    for (size_t i = 0; i < 3 && def->shared[i]; i++)
        out[n++] = def->shared[i];
    if (def->typed && f != NNACT_FAMILY_CONVERT)
        out[n++] = def->typed;
    if (def->f16) {
        out[n++] = nnact_cl_storage_f16_cl;
        out[n++] = nnact_cl_storage_cl;
        out[n++] = def->typed;
    }
    out[n] = NULL;
    return n;
}

typedef struct kernel_def {
    nnact_family family;
    const char *name;
} kernel_def;

#define ACT_KERNEL_DEFS(name, KIND, da, db, needs)                                   \
    [NNACT_K_act_##name##_fwd] = {NNACT_FAMILY_ACT, "act_" #name "_fwd"},            \
    [NNACT_K_act_##name##_bwd] = {NNACT_FAMILY_ACT, "act_" #name "_bwd"},            \
    [NNACT_K_act_##name##_fwd_h] = {NNACT_FAMILY_ACT, "act_" #name "_fwd_h"},        \
    [NNACT_K_act_##name##_bwd_h] = {NNACT_FAMILY_ACT, "act_" #name "_bwd_h"},        \
    [NNACT_K_dense_##name##_fwd] = {NNACT_FAMILY_DENSE, "dense_" #name "_fwd"},
static const kernel_def kernels[NNACT_K_COUNT] = {
    NNACT_ELEMENTWISE_ACTS(ACT_KERNEL_DEFS)
    [NNACT_K_softmax_fwd] = {NNACT_FAMILY_SOFTMAX, "softmax_fwd"},
    [NNACT_K_softmax_bwd] = {NNACT_FAMILY_SOFTMAX, "softmax_bwd"},
    [NNACT_K_softmax_fwd_rows] = {NNACT_FAMILY_SOFTMAX, "softmax_fwd_rows"},
    [NNACT_K_softmax_bwd_rows] = {NNACT_FAMILY_SOFTMAX, "softmax_bwd_rows"},
    [NNACT_K_log_softmax_fwd] = {NNACT_FAMILY_LOG_SOFTMAX, "log_softmax_fwd"},
    [NNACT_K_log_softmax_bwd] = {NNACT_FAMILY_LOG_SOFTMAX, "log_softmax_bwd"},
    [NNACT_K_log_softmax_fwd_rows] = {NNACT_FAMILY_LOG_SOFTMAX, "log_softmax_fwd_rows"},
    [NNACT_K_log_softmax_bwd_rows] = {NNACT_FAMILY_LOG_SOFTMAX, "log_softmax_bwd_rows"},
    [NNACT_K_softmax_fwd_h] = {NNACT_FAMILY_SOFTMAX, "softmax_fwd_h"},
    [NNACT_K_softmax_bwd_h] = {NNACT_FAMILY_SOFTMAX, "softmax_bwd_h"},
    [NNACT_K_softmax_fwd_rows_h] = {NNACT_FAMILY_SOFTMAX, "softmax_fwd_rows_h"},
    [NNACT_K_softmax_bwd_rows_h] = {NNACT_FAMILY_SOFTMAX, "softmax_bwd_rows_h"},
    [NNACT_K_log_softmax_fwd_h] = {NNACT_FAMILY_LOG_SOFTMAX, "log_softmax_fwd_h"},
    [NNACT_K_log_softmax_bwd_h] = {NNACT_FAMILY_LOG_SOFTMAX, "log_softmax_bwd_h"},
    [NNACT_K_log_softmax_fwd_rows_h] = {NNACT_FAMILY_LOG_SOFTMAX, "log_softmax_fwd_rows_h"},
    [NNACT_K_log_softmax_bwd_rows_h] = {NNACT_FAMILY_LOG_SOFTMAX, "log_softmax_bwd_rows_h"},
    [NNACT_K_prelu_fwd] = {NNACT_FAMILY_PRELU, "prelu_fwd"},
    [NNACT_K_prelu_bwd] = {NNACT_FAMILY_PRELU, "prelu_bwd"},
    [NNACT_K_prelu_bwd_dalpha] = {NNACT_FAMILY_PRELU, "prelu_bwd_dalpha"},
    [NNACT_K_prelu_dalpha_blocks] = {NNACT_FAMILY_PRELU, "prelu_dalpha_blocks"},
    [NNACT_K_prelu_dalpha_total] = {NNACT_FAMILY_PRELU, "prelu_dalpha_total"},
    [NNACT_K_colsum] = {NNACT_FAMILY_DENSE, "colsum"},
#define LOSS_KERNEL_DEFS(n)                                                           \
    [NNACT_K_loss_##n##_rows] = {NNACT_FAMILY_LOSS, "loss_" #n "_rows"},               \
    [NNACT_K_loss_##n##_group] = {NNACT_FAMILY_LOSS, "loss_" #n "_group"},
    LOSS_KERNEL_DEFS(mse) LOSS_KERNEL_DEFS(bce) LOSS_KERNEL_DEFS(bce_logits)
    LOSS_KERNEL_DEFS(cce) LOSS_KERNEL_DEFS(softmax_cce)
    LOSS_KERNEL_DEFS(nll)
#undef LOSS_KERNEL_DEFS
    [NNACT_K_loss_reduce] = {NNACT_FAMILY_LOSS, "loss_reduce"},
    [NNACT_K_optim_sgd] = {NNACT_FAMILY_OPTIM, "optim_sgd"},
    [NNACT_K_optim_adam] = {NNACT_FAMILY_OPTIM, "optim_adam"},
    [NNACT_K_gather_rows] = {NNACT_FAMILY_DATA, "gather_rows"},
    [NNACT_K_widen_f16] = {NNACT_FAMILY_CONVERT, "widen_f16"},
    [NNACT_K_narrow_f16] = {NNACT_FAMILY_CONVERT, "narrow_f16"},
    [NNACT_K_scale_check] = {NNACT_FAMILY_CONVERT, "scale_check"},
};
#undef ACT_KERNEL_DEFS

const char *nnact_kernel_name(nnact_kernel_id id)
{
    return (unsigned)id < NNACT_K_COUNT ? kernels[id].name : "?";
}

static nnact_status build_failure(nnact_ctx *ctx, cl_program prog, const char *family,
                                  cl_int err)
{
    /* Errors that are not about the source (out of memory, ...) have their
     * own status; there is no build log to show. */
    if (err != CL_BUILD_PROGRAM_FAILURE && err != CL_INVALID_BUILD_OPTIONS &&
        err != CL_COMPILER_NOT_AVAILABLE) {
        char what[256];
        snprintf(what, sizeof what, "building kernel family '%s' for '%s': clBuildProgram",
                 family, ctx->info.device_name);
        return nnact_fail_cl(err, what);
    }
    size_t len = 0;
    clGetProgramBuildInfo(prog, ctx->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &len);
    char *log = malloc(len + 1);
    if (log) {
        log[0] = '\0';
        clGetProgramBuildInfo(prog, ctx->device, CL_PROGRAM_BUILD_LOG, len, log, NULL);
        log[len] = '\0';
    }
    nnact_status st = nnact_fail(NNACT_ERR_BUILD,
                                 "building kernel family '%s' for '%s' with options "
                                 "'%s' failed: clBuildProgram: %s (%d); build log:\n%s",
                                 family, ctx->info.device_name, ctx->build_options,
                                 nnact_cl_error_name(err), (int)err,
                                 log && *log ? log : "(empty)");
    free(log);
    return st;
}

static nnact_status build_family(nnact_ctx *ctx, nnact_family f)
{
    const family_def *def = &families[f];
    const char *srcs[MAX_SOURCES + 1]; /* OpenCL 1.2 headers take a non-const char ** */
    const cl_uint n = family_sources(f, srcs);
    const bool cached = nnact_bincache_enabled(ctx);
    if (cached && (ctx->programs[f] = nnact_bincache_load(ctx, def->name, srcs)))
        return NNACT_OK;
    cl_int err;
    cl_program prog = clCreateProgramWithSource(ctx->context, n, srcs, NULL, &err);
    if (err != CL_SUCCESS)
        return nnact_fail_cl(err, "clCreateProgramWithSource");
    err = clBuildProgram(prog, 1, &ctx->device, ctx->build_options, NULL, NULL);
    if (err != CL_SUCCESS) {
        nnact_status st = build_failure(ctx, prog, def->name, err);
        clReleaseProgram(prog);
        return st;
    }
    if (ctx->debug)
        fprintf(stderr, "nnact: built kernel family '%s' (%s)\n", def->name,
                ctx->build_options);
    if (cached)
        nnact_bincache_store(ctx, def->name, srcs, prog);
    ctx->programs[f] = prog;
    return NNACT_OK;
}

nnact_status nnact_kernel(nnact_ctx *ctx, nnact_kernel_id id, cl_kernel *out)
{
    if (ctx->kernels[id]) {
        *out = ctx->kernels[id];
        return NNACT_OK;
    }
    nnact_family f = kernels[id].family;
    if (!ctx->programs[f]) {
        nnact_status st = build_family(ctx, f);
        if (st != NNACT_OK)
            return st;
    }
    cl_int err;
    cl_kernel k = clCreateKernel(ctx->programs[f], kernels[id].name, &err);
    if (err != CL_SUCCESS) {
        char what[128];
        snprintf(what, sizeof what, "clCreateKernel(%s)", kernels[id].name);
        return nnact_fail_cl(err, what);
    }
    ctx->kernels[id] = k;
    *out = k;
    return NNACT_OK;
}

nnact_status nnact_launch(nnact_ctx *ctx, nnact_kernel_id id, size_t items,
                          size_t local, size_t nargs, const nnact_arg *args)
{
    cl_kernel k;
    nnact_status st = nnact_kernel(ctx, id, &k);
    if (st != NNACT_OK)
        return st;
    /* Buffers released since the last launch may have handed their handle
     * to a new buffer: then every argument is set again. */
    bool fresh = ctx->args[id].generation != ctx->mem_generation;
    ctx->args[id].generation = ctx->mem_generation;
    for (size_t i = 0; i < nargs; i++) {
        const bool cacheable = args[i].value && args[i].size <= 8 && i < NNACT_MAX_ARGS;
        if (cacheable && !fresh && ctx->args[id].size[i] == args[i].size &&
            !memcmp(ctx->args[id].value[i], args[i].value, args[i].size))
            continue;
        cl_int err = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].value);
        if (err != CL_SUCCESS) {
            char what[160];
            snprintf(what, sizeof what, "clSetKernelArg(%s, arg %zu)", kernels[id].name, i);
            ctx->args[id].generation = ctx->mem_generation - 1; /* distrust the cache */
            return nnact_fail_cl(err, what);
        }
        if (i < NNACT_MAX_ARGS) {
            ctx->args[id].size[i] = cacheable ? (uint8_t)args[i].size : 0;
            if (cacheable)
                memcpy(ctx->args[id].value[i], args[i].value, args[i].size);
        }
    }
    const size_t groups = (items + local - 1) / local;
    size_t global = groups * local;
    cl_event ev = NULL;
    if (ctx->prof)
        nnact_prof_begin(ctx);
    cl_int err = clEnqueueNDRangeKernel(ctx->queue, k, 1, NULL, &global, &local, 0, NULL,
                                        ctx->prof ? &ev : NULL);
    if (ev)
        nnact_prof_add(ctx, nnact_prof_of_family(kernels[id].family), ev, ev);
    if (err != CL_SUCCESS) {
        char what[160];
        snprintf(what, sizeof what, "clEnqueueNDRangeKernel(%s, %zu x %zu)",
                 kernels[id].name, groups, local);
        return nnact_fail_cl(err, what);
    }
    return NNACT_OK;
}

/* Work-items of the kernels that take VW elements each. */
size_t nnact_elementwise_items(size_t n)
{
    const size_t per_item = 16; /* VW in common.cl */
    return (n + per_item - 1) / per_item;
}
