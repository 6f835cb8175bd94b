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

/* Items of the row-chunk kernels: rows x ceil(cols / VW). */
static size_t chunk_items(const nnact_tensor *x)
{
    return x->rows * nnact_elementwise_items(x->cols);
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
    if (!nnact_numel(x))
        return NNACT_OK;
    const nnact_tensor *all[] = {x, alpha, y};
    if (nnact_any_f16(3, all)) { /* no F16 kernel: float32 stand-ins */
        nnact_f32_frame f;
        nnact_f32_frame_init(&f, ctx);
        const nnact_tensor *xv, *av, *yv;
        if ((st = nnact_as_f32(&f, x, NNACT_USE_IN, &xv)) != NNACT_OK ||
            (st = nnact_as_f32(&f, alpha, NNACT_USE_IN, &av)) != NNACT_OK ||
            (st = nnact_as_f32(&f, y, NNACT_USE_OUT, &yv)) != NNACT_OK)
            return st;
        return nnact_f32_done(&f, nnact_prelu_forward(ctx, xv, av, (nnact_tensor *)yv));
    }
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

    const nnact_tensor *all[] = {x, alpha, dy, dx, dalpha};
    if (nnact_any_f16(5, all)) { /* no F16 kernel: float32 stand-ins */
        nnact_f32_frame f;
        nnact_f32_frame_init(&f, ctx);
        const nnact_tensor *xv, *av, *dyv, *dxv, *dav;
        if ((st = nnact_as_f32(&f, x, NNACT_USE_IN, &xv)) != NNACT_OK ||
            (st = nnact_as_f32(&f, alpha, NNACT_USE_IN, &av)) != NNACT_OK ||
            (st = nnact_as_f32(&f, dy, NNACT_USE_IN, &dyv)) != NNACT_OK ||
            (st = nnact_as_f32(&f, dx, NNACT_USE_OUT, &dxv)) != NNACT_OK ||
            (st = nnact_as_f32(&f, dalpha, NNACT_USE_OUT, &dav)) != NNACT_OK)
            return st;
        return nnact_f32_done(&f, nnact_prelu_backward(ctx, xv, av, dyv, (nnact_tensor *)dxv,
                                                       (nnact_tensor *)dav));
    }
    cl_ulong n = nnact_numel(x), xo = x->offset, ao = alpha->offset, dyo = dy->offset,
             rows = x->rows, cols = x->cols;
    cl_uint stride = per_column(alpha);
    cl_uint stream = nnact_stream_stores(ctx, 3 * (size_t)n * sizeof(float));
    if (dalpha && !n) /* a sum over nothing */
        st = nnact_tensor_fill(dalpha, 0.0f);
    else if (dalpha) {
        /* One pass writes dx and per-block column sums to the workspace;
         * the blocks are added per column (straight into dalpha when alpha
         * is per column), then, for a shared alpha, the columns in order. */
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
    if (st != NNACT_OK)
        return st;
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
