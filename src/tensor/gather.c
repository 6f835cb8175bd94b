/* Row gather on the device: a training loop keeps its data set in device
 * memory and draws each minibatch there, so a step costs no host copy and
 * no wait (the indices go up without blocking, from a small ring of host
 * copies that are reused only once their upload has finished). */
#include "internal.h"

#include <stdlib.h>

/* A host copy of the indices whose earlier upload has finished. */
static nnact_status staging_slot(nnact_ctx *ctx, size_t n, unsigned *slot, const char *fn)
{
    unsigned s = ctx->staging_next++ % NNACT_STAGING;
    if (ctx->staging[s].uploaded) {
        cl_int err = clWaitForEvents(1, &ctx->staging[s].uploaded);
        clReleaseEvent(ctx->staging[s].uploaded);
        ctx->staging[s].uploaded = NULL;
        if (err != CL_SUCCESS)
            return nnact_fail_cl(err, "nnact_tensor_gather_rows: waiting for an earlier "
                                      "index upload");
    }
    if (n > ctx->staging[s].cap) {
        cl_ulong *p = realloc(ctx->staging[s].host, n * sizeof *p);
        if (!p)
            return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
        ctx->staging[s].host = p;
        ctx->staging[s].cap = n;
    }
    *slot = s;
    return NNACT_OK;
}

/* The indices uploaded without a wait, then the gather (float32). */
static nnact_status gather_run(nnact_ctx *ctx, nnact_tensor *dst, const nnact_tensor *src,
                               const size_t *rows, const char *fn)
{
    const size_t n = dst->rows;
    nnact_status st;
    unsigned s = 0;
    cl_mem idx;
    if ((st = staging_slot(ctx, n, &s, fn)) != NNACT_OK ||
        (st = nnact_scratch(ctx, NNACT_SCRATCH_INDEX, n * sizeof(cl_ulong), &idx)) != NNACT_OK)
        return st;
    for (size_t r = 0; r < n; r++)
        ctx->staging[s].host[r] = rows[r];
    cl_int err = clEnqueueWriteBuffer(ctx->queue, idx, CL_FALSE, 0, n * sizeof(cl_ulong),
                                      ctx->staging[s].host, 0, NULL, &ctx->staging[s].uploaded);
    if (err != CL_SUCCESS) {
        ctx->staging[s].uploaded = NULL;
        return nnact_fail_cl(err, "nnact_tensor_gather_rows: uploading the indices");
    }
    cl_ulong so = src->offset, dso = dst->offset, nr = n, nc = dst->cols;
    nnact_arg args[] = {NNACT_ARG(src->buf), NNACT_ARG(so), NNACT_ARG(idx),
                        NNACT_ARG(dst->buf), NNACT_ARG(dso), NNACT_ARG(nr), NNACT_ARG(nc)};
    return nnact_launch(ctx, NNACT_K_gather_rows, NNACT_F32,
                        n * nnact_elementwise_items(dst->cols), ctx->elem_local,
                        sizeof args / sizeof args[0], args);
}

nnact_status nnact_tensor_gather_rows(nnact_tensor *dst, const nnact_tensor *src,
                                      const size_t *rows)
{
    const char *fn = "nnact_tensor_gather_rows";
    if (!dst || !src || !rows)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL", fn,
                          !dst ? "dst" : !src ? "src" : "rows");
    nnact_ctx *ctx = dst->ctx;
    nnact_status st = nnact_check_tensor(ctx, src, fn, "src");
    if (st != NNACT_OK)
        return st;
    if (src->cols != dst->cols)
        return nnact_fail(NNACT_ERR_SHAPE, "%s: src is %zux%zu but dst is %zux%zu (the "
                          "columns must match)", fn, src->rows, src->cols, dst->rows,
                          dst->cols);
    const size_t n = dst->rows;
    for (size_t r = 0; r < n; r++)
        if (rows[r] >= src->rows)
            return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: rows[%zu] = %zu but src has %zu "
                              "rows", fn, r, rows[r], src->rows);
    if (!n || !dst->cols)
        return NNACT_OK;
    /* F16: float32 stand-ins (the whole of src is widened: keep data sets to
     * gather from in the type of the batches). */
    nnact_plan p;
    st = nnact_plan_storage(&p, ctx, NNACT_K_gather_rows, NULL, 2,
                            (nnact_operand[]){NNACT_READ(&src), NNACT_WRITE(&dst)});
    return st ? st : nnact_plan_done(&p, gather_run(ctx, dst, src, rows, fn));
}

