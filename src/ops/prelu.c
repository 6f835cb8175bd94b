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

/* The checks both directions share: x, alpha fitting x, and t (named tn:
 * y or dy) of x's shape. */
static nnact_status check_x_alpha(nnact_ctx *ctx, const nnact_tensor *x,
                                  const nnact_tensor *alpha, const nnact_tensor *t,
                                  const char *tn, const char *fn)
{
    nnact_status st;
    if ((st = nnact_check_ctx(ctx, fn)) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, x, fn, "x")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, alpha, fn, "alpha")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, t, fn, tn)) != NNACT_OK ||
        (st = nnact_check_same_shape(x, "x", t, tn, fn)) != NNACT_OK)
        return st;
    return check_alpha(x, alpha, "alpha", fn);
}

/* Items of the row-chunk kernels: rows x ceil(cols / VW). */
static size_t chunk_items(const nnact_tensor *x)
{
    return x->rows * nnact_elementwise_items(x->cols);
}

/* 1 when alpha has one slope per column (a 1x1 alpha on a 1-column x is
 * the same either way). */
static cl_uint per_column(const nnact_tensor *alpha) { return alpha->cols > 1; }

static nnact_status forward_run(nnact_ctx *ctx, const nnact_tensor *x,
                                const nnact_tensor *alpha, nnact_tensor *y)
{
    cl_ulong xo = x->offset, ao = alpha->offset, yo = y->offset, rows = x->rows,
             cols = x->cols;
    cl_uint stride = per_column(alpha);
    cl_uint stream = nnact_stream_stores(ctx, 2 * nnact_numel(x) * sizeof(float));
    nnact_arg args[] = {NNACT_ARG(x->buf), NNACT_ARG(xo), NNACT_ARG(alpha->buf),
                        NNACT_ARG(ao), NNACT_ARG(stride), NNACT_ARG(y->buf),
                        NNACT_ARG(yo), NNACT_ARG(rows), NNACT_ARG(cols), NNACT_ARG(stream)};
    return nnact_launch(ctx, NNACT_K_prelu_fwd, NNACT_F32, chunk_items(x), ctx->elem_local,
                        sizeof args / sizeof args[0], args);
}

nnact_status nnact_prelu_forward(nnact_ctx *ctx, const nnact_tensor *x,
                                 const nnact_tensor *alpha, nnact_tensor *y)
{
    const char *fn = "nnact_prelu_forward";
    nnact_status st;
    if ((st = check_x_alpha(ctx, x, alpha, y, "y", fn)) != NNACT_OK)
        return st;
    if (!nnact_numel(x))
        return NNACT_OK;
    nnact_plan p;
    st = nnact_plan_storage(&p, ctx, NNACT_K_prelu_fwd, NULL, 3,
                            (nnact_operand[]){NNACT_READ(&x), NNACT_READ(&alpha),
                                              NNACT_WRITE(&y)});
    return st ? st : nnact_plan_done(&p, forward_run(ctx, x, alpha, y));
}

/* One pass writes dx (when given) and per-block column sums to the
 * workspace; the blocks are added per column (straight into dalpha when
 * alpha is per column), then, for a shared alpha, the columns in order:
 * a fixed order, so dalpha is deterministic. */
static nnact_status dalpha_run(nnact_ctx *ctx, const nnact_tensor *x,
                               const nnact_tensor *alpha, const nnact_tensor *dy,
                               nnact_tensor *dx, nnact_tensor *dalpha)
{
    cl_ulong n = nnact_numel(x), xo = x->offset, ao = alpha->offset, dyo = dy->offset,
             rows = x->rows, cols = x->cols;
    cl_uint stride = per_column(alpha);
    cl_uint stream = nnact_stream_stores(ctx, 3 * (size_t)n * sizeof(float));
    nnact_status st;
    const cl_ulong block_rows = NNACT_PRELU_BLOCK_ROWS;
    const cl_ulong blocks = (rows + block_rows - 1) / block_rows;
    cl_mem ws;
    if ((st = nnact_workspace(ctx, (size_t)((blocks + 1) * cols) * sizeof(float), &ws)) !=
        NNACT_OK)
        return st;
    cl_uint write_dx = dx != NULL;
    cl_mem dxb = dx ? dx->buf : x->buf; /* unused when !write_dx */
    cl_ulong dxo = dx ? dx->offset : 0;
    nnact_arg args[] = {NNACT_ARG(x->buf), NNACT_ARG(xo), NNACT_ARG(alpha->buf),
                        NNACT_ARG(ao), NNACT_ARG(stride), NNACT_ARG(dy->buf),
                        NNACT_ARG(dyo), NNACT_ARG(dxb), NNACT_ARG(dxo),
                        NNACT_ARG(write_dx), NNACT_ARG(ws), NNACT_ARG(rows),
                        NNACT_ARG(cols), NNACT_ARG(block_rows), NNACT_ARG(stream)};
    st = nnact_launch(ctx, NNACT_K_prelu_bwd_dalpha, NNACT_F32,
                      (size_t)blocks * nnact_elementwise_items(cols), ctx->elem_local,
                      sizeof args / sizeof args[0], args);
    const bool shared = !stride && cols > 1;
    cl_mem out = shared ? ws : dalpha->buf;
    cl_ulong oo = shared ? blocks * cols : dalpha->offset;
    if (st == NNACT_OK) {
        nnact_arg bargs[] = {NNACT_ARG(ws), NNACT_ARG(blocks), NNACT_ARG(cols),
                             NNACT_ARG(out), NNACT_ARG(oo)};
        st = nnact_launch(ctx, NNACT_K_prelu_dalpha_blocks, NNACT_F32,
                          nnact_elementwise_items(cols), ctx->column_local,
                          sizeof bargs / sizeof bargs[0], bargs);
    }
    if (st == NNACT_OK && shared) {
        cl_ulong dao = dalpha->offset;
        nnact_arg targs[] = {NNACT_ARG(out), NNACT_ARG(oo), NNACT_ARG(cols),
                             NNACT_ARG(dalpha->buf), NNACT_ARG(dao)};
        st = nnact_launch(ctx, NNACT_K_prelu_dalpha_total, NNACT_F32, 1, 1,
                          sizeof targs / sizeof targs[0], targs);
    }
    return st;
}

static nnact_status backward_run(nnact_ctx *ctx, const nnact_tensor *x,
                                 const nnact_tensor *alpha, const nnact_tensor *dy,
                                 nnact_tensor *dx, nnact_tensor *dalpha)
{
    if (dalpha && !nnact_numel(x)) /* a sum over nothing */
        return nnact_tensor_fill(dalpha, 0.0f);
    if (dalpha)
        return dalpha_run(ctx, x, alpha, dy, dx, dalpha);
    cl_ulong n = nnact_numel(x), xo = x->offset, ao = alpha->offset, dyo = dy->offset,
             rows = x->rows, cols = x->cols;
    cl_uint stride = per_column(alpha);
    cl_uint stream = nnact_stream_stores(ctx, 3 * (size_t)n * sizeof(float));
    nnact_status st = NNACT_OK;
    if (dx && n) {
        cl_ulong dxo = dx->offset;
        nnact_arg args[] = {NNACT_ARG(x->buf), NNACT_ARG(xo), NNACT_ARG(alpha->buf),
                            NNACT_ARG(ao), NNACT_ARG(stride), NNACT_ARG(dy->buf),
                            NNACT_ARG(dyo), NNACT_ARG(dx->buf), NNACT_ARG(dxo),
                            NNACT_ARG(rows), NNACT_ARG(cols), NNACT_ARG(stream)};
        st = nnact_launch(ctx, NNACT_K_prelu_bwd, NNACT_F32, chunk_items(x), ctx->elem_local,
                          sizeof args / sizeof args[0], args);
    }
    return st;
}

nnact_status nnact_prelu_backward(nnact_ctx *ctx, const nnact_tensor *x,
                                  const nnact_tensor *alpha, const nnact_tensor *dy,
                                  nnact_tensor *dx, nnact_tensor *dalpha)
{
    const char *fn = "nnact_prelu_backward";
    nnact_status st;
    if ((st = check_x_alpha(ctx, x, alpha, dy, "dy", fn)) != NNACT_OK)
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

    nnact_plan p;
    st = nnact_plan_storage(&p, ctx, NNACT_K_prelu_bwd, NULL, 5,
                            (nnact_operand[]){NNACT_READ(&x), NNACT_READ(&alpha),
                                              NNACT_READ(&dy), NNACT_WRITE(&dx),
                                              NNACT_WRITE(&dalpha)});
    return st ? st : nnact_plan_done(&p, backward_run(ctx, x, alpha, dy, dx, dalpha));
}
