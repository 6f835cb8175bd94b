/* Kernel programs: each family is built from its embedded sources once per
 * context, on first use, so an application compiles only what it calls. */
#include "internal.h"
#include "cl_sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A family's program is: act_list.h (always: it only defines macros),
 * common.cl, then per storage type in nnact_dtype order its prelude
 * (storage_f32.cl, storage_f16.cl), storage.cl and the family's typed files
 * (their kernels get the type's suffix); the shared files come once, after
 * the first prelude, and the tail files after the last (they use every
 * storage's helpers). A family without typed files builds only the first
 * storage type. */
typedef struct family_def {
    const char *name;
    const char *shared[3]; /* NULL-terminated */
    const char *typed;     /* instantiated per storage type; may be NULL */
    const char *tail;      /* after every storage type; may be NULL */
    nnact_prof_category prof;
} family_def;

#define NNACT_FAMILY(ID, name, prof, typed, tail, ...) \
    [NNACT_FAMILY_##ID] = {#name, {__VA_ARGS__}, typed, tail, NNACT_PROF_##prof},
static const family_def families[] = {NNACT_FAMILIES};
#undef NNACT_FAMILY
_Static_assert(sizeof families / sizeof families[0] == NNACT_FAMILY_COUNT,
               "one source entry per family of kernel_list.h");

/* The storage preludes, in nnact_dtype order, and the kernel-name suffix
 * each gives (cl/storage_*.cl SFX). */
static const struct {
    const char *prelude;
    const char *suffix;
} storages[] = {
    [NNACT_F32] = {nnact_cl_storage_f32_cl, ""},
    [NNACT_F16] = {nnact_cl_storage_f16_cl, "_h"},
};
_Static_assert(sizeof storages / sizeof storages[0] == NNACT_DTYPE_COUNT,
               "one storage prelude per storage type");

#define MAX_SOURCES (4 + 3 + 3 * NNACT_DTYPE_COUNT)

/* The NULL-terminated source list of family f; returns the count. */
static cl_uint family_sources(nnact_family f, const char **out)
{
    const family_def *def = &families[f];
    const int types = def->typed || def->tail ? NNACT_DTYPE_COUNT : 1;
    cl_uint n = 0;
    out[n++] = nnact_cl_act_list_h;
    out[n++] = nnact_cl_common_cl;
    for (int d = 0; d < types; d++) {
        out[n++] = storages[d].prelude;
        out[n++] = nnact_cl_storage_cl;
        for (size_t i = 0; d == 0 && i < 3 && def->shared[i]; i++)
            out[n++] = def->shared[i];
        if (def->typed)
            out[n++] = def->typed;
    }
    if (def->tail)
        out[n++] = def->tail;
    out[n] = NULL;
    return n;
}

typedef struct kernel_def {
    nnact_family family;
    const char *name; /* without the storage suffix */
    bool exists[NNACT_DTYPE_COUNT];
} kernel_def;

#define NNACT_KERNEL(name, family, ...) {NNACT_FAMILY_##family, #name, {__VA_ARGS__}},
static const kernel_def kernels[] = {NNACT_KERNELS};
#undef NNACT_KERNEL
_Static_assert(sizeof kernels / sizeof kernels[0] == NNACT_K_COUNT,
               "one kernel_def per kernel id");

const char *nnact_kernel_name(nnact_kernel_id id)
{
    return (unsigned)id < NNACT_K_COUNT ? kernels[id].name : "?";
}

bool nnact_kernel_exists(nnact_kernel_id id, nnact_dtype dtype)
{
    return (unsigned)id < NNACT_K_COUNT && (unsigned)dtype < NNACT_DTYPE_COUNT &&
           kernels[id].exists[dtype];
}

nnact_prof_category nnact_prof_of_family(nnact_family f)
{
    return families[f].prof;
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

nnact_status nnact_kernel(nnact_ctx *ctx, nnact_kernel_id id, nnact_dtype dtype,
                          cl_kernel *out)
{
    if (!nnact_kernel_exists(id, dtype))
        return nnact_fail(NNACT_ERR_UNSUPPORTED, "internal: kernel %s has no form for "
                          "storage type %d", nnact_kernel_name(id), (int)dtype);
    if (ctx->kernels[id][dtype]) {
        *out = ctx->kernels[id][dtype];
        return NNACT_OK;
    }
    nnact_family f = kernels[id].family;
    if (!ctx->programs[f]) {
        nnact_status st = build_family(ctx, f);
        if (st != NNACT_OK)
            return st;
    }
    char name[64];
    snprintf(name, sizeof name, "%s%s", kernels[id].name, storages[dtype].suffix);
    cl_int err;
    cl_kernel k = clCreateKernel(ctx->programs[f], name, &err);
    if (err != CL_SUCCESS) {
        char what[128];
        snprintf(what, sizeof what, "clCreateKernel(%s)", name);
        return nnact_fail_cl(err, what);
    }
    ctx->kernels[id][dtype] = k;
    *out = k;
    return NNACT_OK;
}

nnact_status nnact_launch(nnact_ctx *ctx, nnact_kernel_id id, nnact_dtype dtype,
                          size_t items, size_t local, size_t nargs, const nnact_arg *args)
{
    cl_kernel k;
    nnact_status st = nnact_kernel(ctx, id, dtype, &k);
    if (st != NNACT_OK)
        return st;
    /* Buffers released since the last launch may have handed their handle
     * to a new buffer: then every argument is set again. */
    nnact_arg_cache *cache = &ctx->args[id][dtype];
    bool fresh = cache->generation != ctx->mem_generation;
    cache->generation = ctx->mem_generation;
    for (size_t i = 0; i < nargs; i++) {
        const bool cacheable = args[i].value && args[i].size <= 8 && i < NNACT_MAX_ARGS;
        if (cacheable && !fresh && cache->size[i] == args[i].size &&
            !memcmp(cache->value[i], args[i].value, args[i].size))
            continue;
        cl_int err = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].value);
        if (err != CL_SUCCESS) {
            char what[160];
            snprintf(what, sizeof what, "clSetKernelArg(%s, arg %zu)", nnact_kernel_name(id), i);
            cache->generation = ctx->mem_generation - 1; /* distrust the cache */
            return nnact_fail_cl(err, what);
        }
        if (i < NNACT_MAX_ARGS) {
            cache->size[i] = cacheable ? (uint8_t)args[i].size : 0;
            if (cacheable)
                memcpy(cache->value[i], args[i].value, args[i].size);
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
                 nnact_kernel_name(id), groups, local);
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
