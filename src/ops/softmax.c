/* Row-wise softmax and log-softmax and their O(cols) vector-Jacobian
 * products: a work-item per row on CPU runtimes with native vectors, a
 * work-group of ctx->reduce_local items per row elsewhere (ctx->row_kernels,
 * context.c). Both operations share the argument checks and launch plumbing
 * below. */
#include "internal.h"

#include <math.h>

static nnact_status check_temperature(float t, const char *fn)
{
    if (!isfinite(t) || !(t > 0.0f))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: temperature must be finite and "
                          "> 0 (got %g)", fn, (double)t);
    return NNACT_OK;
}

/* k_rows: the CPU form; k_group: the GPU form, with scratch floats of local
 * memory per work-item. */
static nnact_status row_forward(nnact_ctx *ctx, const char *fn, float temperature,
                                const nnact_tensor *x, nnact_tensor *y,
                                nnact_kernel_id k_rows, nnact_kernel_id k_group,
                                size_t scratch)
{
    nnact_status st;
    if ((st = nnact_check_ctx(ctx, fn)) != NNACT_OK ||
        (st = check_temperature(temperature, fn)) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, x, fn, "x")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, y, fn, "y")) != NNACT_OK ||
        (st = nnact_check_same_shape(x, "x", y, "y", fn)) != NNACT_OK)
        return st;
    if (!nnact_numel(x))
        return NNACT_OK;
    const bool half = x->dtype == NNACT_F16 && y->dtype == NNACT_F16;
    if (!half && (x->dtype == NNACT_F16 || y->dtype == NNACT_F16)) {
        nnact_f32_frame f;
        nnact_f32_frame_init(&f, ctx);
        const nnact_tensor *xv, *yv;
        if ((st = nnact_as_f32(&f, x, NNACT_USE_IN, &xv)) != NNACT_OK ||
            (st = nnact_as_f32(&f, y, NNACT_USE_OUT, &yv)) != NNACT_OK)
            return st;
        return nnact_f32_done(&f, row_forward(ctx, fn, temperature, xv, (nnact_tensor *)yv,
                                              k_rows, k_group, scratch));
    }
    const nnact_dtype dt = half ? NNACT_F16 : NNACT_F32;
    cl_ulong xo = x->offset, yo = y->offset, cols = x->cols, rows = x->rows;
    if (ctx->row_kernels) {
        cl_uint stream = nnact_stream_stores(ctx, 2 * nnact_numel(x) * nnact_elem_size(y));
        nnact_arg args[] = {NNACT_ARG(x->buf), NNACT_ARG(xo), NNACT_ARG(y->buf),
                            NNACT_ARG(yo), NNACT_ARG(rows), NNACT_ARG(cols),
                            NNACT_ARG(temperature), NNACT_ARG(stream)};
        return nnact_launch(ctx, k_rows, dt, x->rows, NNACT_ROW_LOCAL,
                            sizeof args / sizeof args[0], args);
    }
    nnact_arg args[] = {NNACT_ARG(x->buf), NNACT_ARG(xo), NNACT_ARG(y->buf), NNACT_ARG(yo),
                        NNACT_ARG(cols), NNACT_ARG(temperature),
                        NNACT_LOCAL(scratch * ctx->reduce_local * sizeof(float))};
    return nnact_launch(ctx, k_group, dt, x->rows * ctx->reduce_local, ctx->reduce_local,
                        sizeof args / sizeof args[0], args);
}

static nnact_status row_backward(nnact_ctx *ctx, const char *fn, float temperature,
                                 const nnact_tensor *y, const nnact_tensor *dy,
                                 nnact_tensor *dx, nnact_kernel_id k_rows,
                                 nnact_kernel_id k_group)
{
    nnact_status st;
    if ((st = nnact_check_ctx(ctx, fn)) != NNACT_OK ||
        (st = check_temperature(temperature, fn)) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, y, fn, "y")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, dy, fn, "dy")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, dx, fn, "dx")) != NNACT_OK ||
        (st = nnact_check_same_shape(y, "y", dy, "dy", fn)) != NNACT_OK ||
        (st = nnact_check_same_shape(dy, "dy", dx, "dx", fn)) != NNACT_OK)
        return st;
    if (!nnact_numel(y))
        return NNACT_OK;
    const nnact_tensor *used[] = {y, dy, dx};
    const bool half = nnact_all_f16(3, used);
    if (!half && nnact_any_f16(3, used)) {
        nnact_f32_frame f;
        nnact_f32_frame_init(&f, ctx);
        const nnact_tensor *yv, *dyv, *dxv;
        if ((st = nnact_as_f32(&f, y, NNACT_USE_IN, &yv)) != NNACT_OK ||
            (st = nnact_as_f32(&f, dy, NNACT_USE_IN, &dyv)) != NNACT_OK ||
            (st = nnact_as_f32(&f, dx, NNACT_USE_OUT, &dxv)) != NNACT_OK)
            return st;
        return nnact_f32_done(&f, row_backward(ctx, fn, temperature, yv, dyv,
                                               (nnact_tensor *)dxv, k_rows, k_group));
    }
    const nnact_dtype dt = half ? NNACT_F16 : NNACT_F32;
    cl_ulong yo = y->offset, dyo = dy->offset, dxo = dx->offset, cols = y->cols,
             rows = y->rows;
    if (ctx->row_kernels) {
        cl_uint stream = nnact_stream_stores(ctx, 3 * nnact_numel(y) * nnact_elem_size(dx));
        /* log-softmax: 4 rows per item where every compute unit still gets
         * 4 work-groups (cl/log_softmax.cl); softmax takes no such arg. */
        const bool log_softmax = k_rows == NNACT_K_log_softmax_bwd_rows;
        const size_t busy = (size_t)16 * NNACT_ROW_LOCAL * (ctx->info.compute_units + 1);
        cl_uint per_item = log_softmax && y->rows >= busy ? 4 : 1;
        nnact_arg args[] = {NNACT_ARG(y->buf), NNACT_ARG(yo), NNACT_ARG(dy->buf),
                            NNACT_ARG(dyo), NNACT_ARG(dx->buf), NNACT_ARG(dxo),
                            NNACT_ARG(rows), NNACT_ARG(cols), NNACT_ARG(temperature),
                            NNACT_ARG(stream), NNACT_ARG(per_item)};
        return nnact_launch(ctx, k_rows, dt, (y->rows + per_item - 1) / per_item, NNACT_ROW_LOCAL,
                            sizeof args / sizeof args[0] - (log_softmax ? 0 : 1), args);
    }
    nnact_arg args[] = {NNACT_ARG(y->buf), NNACT_ARG(yo), NNACT_ARG(dy->buf),
                        NNACT_ARG(dyo), NNACT_ARG(dx->buf), NNACT_ARG(dxo),
                        NNACT_ARG(cols), NNACT_ARG(temperature),
                        NNACT_LOCAL(ctx->reduce_local * sizeof(float))};
    return nnact_launch(ctx, k_group, dt, y->rows * ctx->reduce_local, ctx->reduce_local,
                        sizeof args / sizeof args[0], args);
}

nnact_status nnact_softmax_forward(nnact_ctx *ctx, float temperature,
                                   const nnact_tensor *x, nnact_tensor *y)
{
    return row_forward(ctx, "nnact_softmax_forward", temperature, x, y,
                       NNACT_K_softmax_fwd_rows, NNACT_K_softmax_fwd, 1);
}

nnact_status nnact_softmax_backward(nnact_ctx *ctx, float temperature,
                                    const nnact_tensor *y, const nnact_tensor *dy,
                                    nnact_tensor *dx)
{
    return row_backward(ctx, "nnact_softmax_backward", temperature, y, dy, dx,
                        NNACT_K_softmax_bwd_rows, NNACT_K_softmax_bwd);
}

nnact_status nnact_log_softmax_forward(nnact_ctx *ctx, float temperature,
                                       const nnact_tensor *x, nnact_tensor *y)
{
    return row_forward(ctx, "nnact_log_softmax_forward", temperature, x, y,
                       NNACT_K_log_softmax_fwd_rows, NNACT_K_log_softmax_fwd, 2);
}

nnact_status nnact_log_softmax_backward(nnact_ctx *ctx, float temperature,
                                        const nnact_tensor *y, const nnact_tensor *dy,
                                        nnact_tensor *dx)
{
    return row_backward(ctx, "nnact_log_softmax_backward", temperature, y, dy, dx,
                        NNACT_K_log_softmax_bwd_rows, NNACT_K_log_softmax_bwd);
}
