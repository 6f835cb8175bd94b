/* Learnable PReLU with a shared (1x1) or per-column (1xcols) slope. */
#include "internal.h"

static nnact_status check_alpha(const nnact_tensor *x, const nnact_tensor *a,
                                const char *an, const char *fn)
{
    if (a->rows == 1 && (a->cols == 1 || a->cols == x->cols))
        return NNACT_OK;
    return nnact_fail(NNACT_ERR_SHAPE, "%s: %s is %zux%zu but must be 1x1 or 1x%zu "
                      "(x is %zux%zu)", fn, an, a->rows, a->cols, x->cols, x->rows,
                      x->cols);
}

static size_t groups_for(const nnact_ctx *ctx, size_t n)
{
    return (n + ctx->elem_local - 1) / ctx->elem_local;
}

/* 1 when alpha has one slope per column (a 1x1 alpha on a 1-column x is
 * the same either way). */
static cl_uint per_column(const nnact_tensor *alpha) { return alpha->cols > 1; }

nnact_status nnact_prelu_forward(nnact_ctx *ctx, const nnact_tensor *x,
                                 const nnact_tensor *alpha, nnact_tensor *y)
{
    const char *fn = "nnact_prelu_forward";
    nnact_status st;
    if ((st = nnact_check_ctx(ctx, fn)) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, x, fn, "x")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, alpha, fn, "alpha")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, y, fn, "y")) != NNACT_OK ||
        (st = nnact_check_same_shape(x, "x", y, "y", fn)) != NNACT_OK ||
        (st = check_alpha(x, alpha, "alpha", fn)) != NNACT_OK)
        return st;
    cl_ulong n = nnact_numel(x), xo = x->offset, ao = alpha->offset, yo = y->offset,
             cols = x->cols;
    cl_uint stride = per_column(alpha);
    if (!n)
        return NNACT_OK;
    nnact_arg args[] = {NNACT_ARG(x->buf), NNACT_ARG(xo), NNACT_ARG(alpha->buf),
                        NNACT_ARG(ao), NNACT_ARG(stride), NNACT_ARG(y->buf),
                        NNACT_ARG(yo), NNACT_ARG(n), NNACT_ARG(cols)};
    return nnact_launch(ctx, NNACT_K_prelu_fwd, groups_for(ctx, n), ctx->elem_local,
                        sizeof args / sizeof args[0], args);
}

nnact_status nnact_prelu_backward(nnact_ctx *ctx, const nnact_tensor *x,
                                  const nnact_tensor *alpha, const nnact_tensor *dy,
                                  nnact_tensor *dx, nnact_tensor *dalpha)
{
    const char *fn = "nnact_prelu_backward";
    nnact_status st;
    if ((st = nnact_check_ctx(ctx, fn)) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, x, fn, "x")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, alpha, fn, "alpha")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, dy, fn, "dy")) != NNACT_OK ||
        (st = nnact_check_same_shape(x, "x", dy, "dy", fn)) != NNACT_OK ||
        (st = check_alpha(x, alpha, "alpha", fn)) != NNACT_OK)
        return st;
    if (!dx && !dalpha)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: dx and dalpha are both NULL", fn);
    if (dx && ((st = nnact_check_tensor(ctx, dx, fn, "dx")) != NNACT_OK ||
               (st = nnact_check_same_shape(dy, "dy", dx, "dx", fn)) != NNACT_OK))
        return st;
    if (dalpha && (st = nnact_check_tensor(ctx, dalpha, fn, "dalpha")) != NNACT_OK)
        return st;
    if (dalpha && (dalpha->rows != alpha->rows || dalpha->cols != alpha->cols))
        return nnact_fail(NNACT_ERR_SHAPE, "%s: dalpha is %zux%zu but alpha is %zux%zu",
                          fn, dalpha->rows, dalpha->cols, alpha->rows, alpha->cols);

    cl_ulong n = nnact_numel(x), xo = x->offset, ao = alpha->offset, dyo = dy->offset,
             rows = x->rows, cols = x->cols;
    cl_uint stride = per_column(alpha);
    /* dalpha first: dx may alias dy, which dalpha reads. */
    if (dalpha && nnact_numel(dalpha)) {
        cl_ulong dao = dalpha->offset;
        size_t groups = stride ? (size_t)cols : 1;
        nnact_arg args[] = {NNACT_ARG(x->buf), NNACT_ARG(xo), NNACT_ARG(dy->buf),
                            NNACT_ARG(dyo), NNACT_ARG(dalpha->buf), NNACT_ARG(dao),
                            NNACT_ARG(stride), NNACT_ARG(rows), NNACT_ARG(cols),
                            NNACT_LOCAL(ctx->reduce_local * sizeof(float))};
        st = nnact_launch(ctx, NNACT_K_prelu_dalpha, groups, ctx->reduce_local,
                          sizeof args / sizeof args[0], args);
        if (st != NNACT_OK)
            return st;
    }
    if (dx && n) {
        cl_ulong dxo = dx->offset;
        nnact_arg args[] = {NNACT_ARG(x->buf), NNACT_ARG(xo), NNACT_ARG(alpha->buf),
                            NNACT_ARG(ao), NNACT_ARG(stride), NNACT_ARG(dy->buf),
                            NNACT_ARG(dyo), NNACT_ARG(dx->buf), NNACT_ARG(dxo),
                            NNACT_ARG(n), NNACT_ARG(cols)};
        st = nnact_launch(ctx, NNACT_K_prelu_bwd, groups_for(ctx, n), ctx->elem_local,
                          sizeof args / sizeof args[0], args);
    }
    return st;
}
