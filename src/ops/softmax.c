/* Row-wise softmax and log-softmax and their O(cols) vector-Jacobian
 * products: a work-item per row on CPU runtimes with native vectors, a
 * work-group of ctx->reduce_local items per row elsewhere (ctx->row_kernels,
 * context.c). Each operation is a nnact_row_op descriptor; the launchers
 * below serve any of them and know none. */
#include "internal.h"

const nnact_row_op nnact_softmax_op = {
    .fwd = {NNACT_K_softmax_fwd_rows, NNACT_K_softmax_fwd, 1, false},
    .bwd = {NNACT_K_softmax_bwd_rows, NNACT_K_softmax_bwd, 1, false},
};

/* Log-softmax backward takes several rows per item where the device stays
 * busy (cl/log_softmax.cl); its forward keeps max and sum: 2 scratch floats. */
const nnact_row_op nnact_log_softmax_op = {
    .fwd = {NNACT_K_log_softmax_fwd_rows, NNACT_K_log_softmax_fwd, 2, false},
    .bwd = {NNACT_K_log_softmax_bwd_rows, NNACT_K_log_softmax_bwd, 1, true},
};

/* Rows per work-item of a row-form backward kernel: 4 where every compute
 * unit still gets 4 work-groups and the kernel is written for it, else 1. */
static cl_uint rows_per_item(const nnact_ctx *ctx, const nnact_row_kernels *k, size_t rows)
{
    const size_t busy = (size_t)16 * NNACT_ROW_LOCAL * (ctx->info.compute_units + 1);
    return k->multi_row && rows >= busy ? 4 : 1;
}

static nnact_status forward_run(nnact_ctx *ctx, const nnact_row_kernels *k, nnact_dtype dt,
                                float temperature, const nnact_tensor *x, nnact_tensor *y)
{
    cl_ulong xo = x->offset, yo = y->offset, cols = x->cols, rows = x->rows;
    if (ctx->row_kernels) {
        cl_uint stream = nnact_stream_stores(ctx, 2 * nnact_numel(x) * nnact_elem_size(y));
        nnact_arg args[] = {NNACT_ARG(x->buf), NNACT_ARG(xo), NNACT_ARG(y->buf),
                            NNACT_ARG(yo), NNACT_ARG(rows), NNACT_ARG(cols),
                            NNACT_ARG(temperature), NNACT_ARG(stream)};
        return nnact_launch(ctx, k->rows, dt, x->rows, NNACT_ROW_LOCAL,
                            sizeof args / sizeof args[0], args);
    }
    nnact_arg args[] = {NNACT_ARG(x->buf), NNACT_ARG(xo), NNACT_ARG(y->buf), NNACT_ARG(yo),
                        NNACT_ARG(cols), NNACT_ARG(temperature),
                        NNACT_LOCAL(k->scratch * ctx->reduce_local * sizeof(float))};
    return nnact_launch(ctx, k->group, dt, x->rows * ctx->reduce_local, ctx->reduce_local,
                        sizeof args / sizeof args[0], args);
}

nnact_status nnact_row_forward(nnact_ctx *ctx, const nnact_row_op *op, float temperature,
                               const nnact_tensor *x, nnact_tensor *y)
{
    if (!nnact_numel(x))
        return NNACT_OK;
    nnact_plan p;
    nnact_status st = nnact_plan_storage(&p, ctx, op->fwd.rows, NULL, 2,
                                         (nnact_operand[]){NNACT_READ(&x), NNACT_WRITE(&y)});
    return st ? st : nnact_plan_done(&p, forward_run(ctx, &op->fwd, p.dtype, temperature, x, y));
}

static nnact_status backward_run(nnact_ctx *ctx, const nnact_row_kernels *k, nnact_dtype dt,
                                 float temperature, const nnact_tensor *y,
                                 const nnact_tensor *dy, nnact_tensor *dx)
{
    cl_ulong yo = y->offset, dyo = dy->offset, dxo = dx->offset, cols = y->cols,
             rows = y->rows;
    if (ctx->row_kernels) {
        cl_uint stream = nnact_stream_stores(ctx, 3 * nnact_numel(y) * nnact_elem_size(dx));
        cl_uint per_item = rows_per_item(ctx, k, y->rows);
        nnact_arg args[] = {NNACT_ARG(y->buf), NNACT_ARG(yo), NNACT_ARG(dy->buf),
                            NNACT_ARG(dyo), NNACT_ARG(dx->buf), NNACT_ARG(dxo),
                            NNACT_ARG(rows), NNACT_ARG(cols), NNACT_ARG(temperature),
                            NNACT_ARG(stream), NNACT_ARG(per_item)};
        return nnact_launch(ctx, k->rows, dt, (y->rows + per_item - 1) / per_item,
                            NNACT_ROW_LOCAL, sizeof args / sizeof args[0], args);
    }
    nnact_arg args[] = {NNACT_ARG(y->buf), NNACT_ARG(yo), NNACT_ARG(dy->buf),
                        NNACT_ARG(dyo), NNACT_ARG(dx->buf), NNACT_ARG(dxo),
                        NNACT_ARG(cols), NNACT_ARG(temperature),
                        NNACT_LOCAL(k->scratch * ctx->reduce_local * sizeof(float))};
    return nnact_launch(ctx, k->group, dt, y->rows * ctx->reduce_local, ctx->reduce_local,
                        sizeof args / sizeof args[0], args);
}

nnact_status nnact_row_backward(nnact_ctx *ctx, const nnact_row_op *op, float temperature,
                                const nnact_tensor *y, const nnact_tensor *dy,
                                nnact_tensor *dx)
{
    if (!nnact_numel(y))
        return NNACT_OK;
    nnact_plan p;
    nnact_status st = nnact_plan_storage(
        &p, ctx, op->bwd.rows, NULL, 3,
        (nnact_operand[]){NNACT_READ(&y), NNACT_READ(&dy), NNACT_WRITE(&dx)});
    return st ? st : nnact_plan_done(&p, backward_run(ctx, &op->bwd, p.dtype, temperature,
                                                      y, dy, dx));
}

/* The public entries: the checks, then the operation. */
static nnact_status forward_entry(nnact_ctx *ctx, const nnact_row_op *op, float temperature,
                                  const nnact_tensor *x, nnact_tensor *y, const char *fn)
{
    nnact_status st;
    if ((st = nnact_check_ctx(ctx, fn)) != NNACT_OK ||
        (st = nnact_check_temperature(temperature, fn)) != NNACT_OK ||
        (st = nnact_check_pair(ctx, x, "x", y, "y", fn)) != NNACT_OK)
        return st;
    return nnact_row_forward(ctx, op, temperature, x, y);
}

static nnact_status backward_entry(nnact_ctx *ctx, const nnact_row_op *op, float temperature,
                                   const nnact_tensor *y, const nnact_tensor *dy,
                                   nnact_tensor *dx, const char *fn)
{
    nnact_status st;
    if ((st = nnact_check_ctx(ctx, fn)) != NNACT_OK ||
        (st = nnact_check_temperature(temperature, fn)) != NNACT_OK ||
        (st = nnact_check_pair(ctx, y, "y", dy, "dy", fn)) != NNACT_OK ||
        (st = nnact_check_pair(ctx, dy, "dy", dx, "dx", fn)) != NNACT_OK)
        return st;
    return nnact_row_backward(ctx, op, temperature, y, dy, dx);
}

nnact_status nnact_softmax_forward(nnact_ctx *ctx, float temperature,
                                   const nnact_tensor *x, nnact_tensor *y)
{
    return forward_entry(ctx, &nnact_softmax_op, temperature, x, y, "nnact_softmax_forward");
}

nnact_status nnact_softmax_backward(nnact_ctx *ctx, float temperature,
                                    const nnact_tensor *y, const nnact_tensor *dy,
                                    nnact_tensor *dx)
{
    return backward_entry(ctx, &nnact_softmax_op, temperature, y, dy, dx,
                          "nnact_softmax_backward");
}

nnact_status nnact_log_softmax_forward(nnact_ctx *ctx, float temperature,
                                       const nnact_tensor *x, nnact_tensor *y)
{
    return forward_entry(ctx, &nnact_log_softmax_op, temperature, x, y,
                         "nnact_log_softmax_forward");
}

nnact_status nnact_log_softmax_backward(nnact_ctx *ctx, float temperature,
                                        const nnact_tensor *y, const nnact_tensor *dy,
                                        nnact_tensor *dx)
{
    return backward_entry(ctx, &nnact_log_softmax_op, temperature, y, dy, dx,
                          "nnact_log_softmax_backward");
}
