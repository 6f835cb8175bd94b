/* Opening and closing a context, on the highest floor whose state a
 * context carries: the device floor opens the device, queue and traits
 * (device/context.c), then this one counts the context for CLBlast's
 * program cache and chooses its GEMM parameters; closing runs the other
 * way. So no floor below calls up into this one. */
#include "internal.h"

#include <stdlib.h>

/* The CLBlast state of a context the device floor has opened; closes it
 * on failure. */
static nnact_status open_gemm(nnact_ctx *ctx, const char *fn)
{
    if (!(ctx->counted = nnact_clblast_ctx_opened(ctx->device))) {
        nnact_ctx_destroy(ctx);
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    nnact_status st = nnact_load_tuning(ctx);
    if (st != NNACT_OK)
        nnact_ctx_destroy(ctx);
    return st;
}

nnact_status nnact_ctx_create(nnact_ctx **out, const char *selector)
{
    nnact_status st = nnact_ctx_open_device(out, selector);
    if (st == NNACT_OK && (st = open_gemm(*out, "nnact_ctx_create")) != NNACT_OK)
        *out = NULL;
    return st;
}

nnact_status nnact_ctx_create_from_queue(nnact_ctx **out, cl_command_queue queue)
{
    nnact_status st = nnact_ctx_open_queue(out, queue);
    if (st == NNACT_OK && (st = open_gemm(*out, "nnact_ctx_create_from_queue")) != NNACT_OK)
        *out = NULL;
    return st;
}

void nnact_ctx_destroy(nnact_ctx *ctx)
{
    if (!ctx)
        return;
    free(ctx->clblast_pending);
    const cl_device_id device = ctx->device;
    const bool counted = ctx->counted;
    nnact_ctx_close_device(ctx); /* frees ctx */
    if (counted)
        nnact_clblast_ctx_closed(device);
}
