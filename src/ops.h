/* The operations floor (src/ops/): the bodies the public entries call
 * after their checks, for the layers above (dense, the MLP). */
#ifndef NNACT_OPS_H
#define NNACT_OPS_H

#include "gemm.h"

/* Rows per block of learnable PReLU's dalpha partial sums: blocks spread
 * the reduction over the cores; 64 was fastest at 4096x4096 on pocl. */
#define NNACT_PRELU_BLOCK_ROWS 64

/* What the derivative of an activation reads (NNACT_NEEDS_*) and whether it
 * is row-wise (act.c). */
int nnact_act_needs(nnact_act_kind kind);
bool nnact_act_row_wise(nnact_act_kind kind);
nnact_status nnact_act_forward_body(nnact_ctx *ctx, const nnact_act *act,
                                    const nnact_tensor *x, nnact_tensor *y);
/* in: the tensor the derivative reads (x or y; NULL when none). */
nnact_status nnact_act_backward_body(nnact_ctx *ctx, const nnact_act *act,
                                     const nnact_tensor *in, const nnact_tensor *dy,
                                     nnact_tensor *dx);
/* A row operation (softmax.c): for each direction its two kernel forms, a
 * work-item per row (rows) and a work-group per row (group, with scratch
 * floats of local memory per work-item), and whether the row form may take
 * several rows per item. */
typedef struct nnact_row_kernels {
    nnact_kernel_id rows, group;
    size_t scratch;
    bool multi_row;
} nnact_row_kernels;
typedef struct nnact_row_op {
    nnact_row_kernels fwd, bwd;
} nnact_row_op;
extern const nnact_row_op nnact_softmax_op, nnact_log_softmax_op;
nnact_status nnact_row_forward(nnact_ctx *ctx, const nnact_row_op *op, float temperature,
                               const nnact_tensor *x, nnact_tensor *y);
nnact_status nnact_row_backward(nnact_ctx *ctx, const nnact_row_op *op, float temperature,
                                const nnact_tensor *y, const nnact_tensor *dy,
                                nnact_tensor *dx);

/* nnact_loss_eval / nnact_loss_accumulate (sums NULL or not) with the
 * gradient multiplied by grad_scale (the MLP's loss scaling). */
nnact_status nnact_loss_run(nnact_ctx *ctx, const nnact_loss *loss, const nnact_tensor *pred,
                            const nnact_tensor *target, float *value, float *accuracy,
                            nnact_tensor *grad, nnact_tensor *sums, float grad_scale,
                            const char *fn);
nnact_status nnact_loss_accumulate_scaled(nnact_ctx *ctx, const nnact_loss *loss,
                                          const nnact_tensor *pred, const nnact_tensor *target,
                                          nnact_tensor *sums, nnact_tensor *grad, float gscale);
/* nnact_optim_step that does nothing on the device when skip (a uint
 * buffer, may be NULL) holds a nonzero first element. */
nnact_status nnact_optim_step_skip(nnact_ctx *ctx, const nnact_optim *opt, uint64_t step,
                                   nnact_tensor *param, const nnact_tensor *grad,
                                   nnact_tensor *state1, nnact_tensor *state2, cl_mem skip);

#endif
