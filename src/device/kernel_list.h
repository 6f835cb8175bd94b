/* The kernel table: every program family and every kernel of the library,
 * once. Expanded (X-macro, as cl/act_list.h) wherever ids, names, families
 * or profile categories are needed, so the lists cannot drift apart; the
 * tables that are not expanded from here are checked against the counts
 * with _Static_assert where they are written.
 *
 * NNACT_PROF(ID, label): a profile category (profile.c).
 *
 * NNACT_FAMILY(ID, name, PROFILE_CATEGORY, typed, tail, shared...): a
 * program built on first use from its cl/ files (their embedded arrays,
 * cl_sources.h; NULL for none): typed is instantiated once per storage
 * type, tail follows every storage type (it uses all their helpers), the
 * shared files (at most 3) come once (program.c).
 *
 * NNACT_KERNEL(name, FAMILY, f32, f16): a kernel; the last columns, one per
 * storage type in nnact_dtype order, say whether the typed instantiation
 * exists (1) or not (0). Its OpenCL name is name plus the storage type's
 * suffix (dtype.c: "" for f32, "_h" for f16). A kernel of a family without
 * typed sources (prelu, losses, ...) exists once, as the f32 column. A new
 * storage type is one device-side prelude (cl/storage_*.cl) and one column
 * here.
 *
 * An expansion site defines NNACT_PROF / NNACT_FAMILY / NNACT_KERNEL,
 * expands NNACT_PROF_CATEGORIES / NNACT_FAMILIES / NNACT_KERNELS and undefines them again. */
#ifndef NNACT_KERNEL_LIST_H
#define NNACT_KERNEL_LIST_H

#include "act_list.h"

/* NNACT_PROF(ID, "what nnact_ctx_profile calls it"), in report order. */
#define NNACT_PROF_CATEGORIES                          \
    NNACT_PROF(ACT, "activations")                     \
    NNACT_PROF(SOFTMAX, "softmax, log-softmax")        \
    NNACT_PROF(PRELU, "prelu")                         \
    NNACT_PROF(DENSE, "bias+activation, bias grad")    \
    NNACT_PROF(LOSS, "losses")                         \
    NNACT_PROF(OPTIM, "optimizer steps")               \
    NNACT_PROF(SGEMM, "sgemm (CLBlast)")               \
    NNACT_PROF(DATA, "batch gather")                   \
    NNACT_PROF(CONVERT, "f16 conversions")

#define NNACT_FAMILIES                                                           \
    NNACT_FAMILY(ACT, act, ACT, nnact_cl_act_cl, NULL, nnact_cl_act_formulas_cl)   \
    NNACT_FAMILY(SOFTMAX, softmax, SOFTMAX, nnact_cl_softmax_cl, NULL, NULL)       \
    NNACT_FAMILY(LOG_SOFTMAX, log_softmax, SOFTMAX, nnact_cl_log_softmax_cl, NULL, \
                 NULL)                                                             \
    NNACT_FAMILY(PRELU, prelu, PRELU, NULL, NULL, nnact_cl_prelu_cl)               \
    NNACT_FAMILY(DENSE, dense, DENSE, NULL, NULL, nnact_cl_act_formulas_cl,        \
                 nnact_cl_dense_cl)                                                \
    NNACT_FAMILY(LOSS, loss, LOSS, NULL, NULL, nnact_cl_loss_cl)                   \
    NNACT_FAMILY(OPTIM, optim, OPTIM, NULL, NULL, nnact_cl_optim_cl)               \
    NNACT_FAMILY(GATHER, data, DATA, NULL, NULL, nnact_cl_gather_cl)               \
    NNACT_FAMILY(CONVERT, convert, CONVERT, NULL, nnact_cl_convert_cl, NULL)

/* Three kernels per elementwise activation (cl/act.cl, cl/dense.cl). */
#define NNACT_ACT_KERNELS(n, KIND, da, db, needs) \
    NNACT_KERNEL(act_##n##_fwd, ACT, 1, 1)         \
    NNACT_KERNEL(act_##n##_bwd, ACT, 1, 1)         \
    NNACT_KERNEL(dense_##n##_fwd, DENSE, 1, 0)

/* The two forms of each loss (ops/loss.c): a work-item per row, a
 * work-group per row. */
#define NNACT_LOSS_KERNELS(n)                      \
    NNACT_KERNEL(loss_##n##_rows, LOSS, 1, 0)      \
    NNACT_KERNEL(loss_##n##_group, LOSS, 1, 0)

#define NNACT_KERNELS                                         \
    NNACT_ELEMENTWISE_ACTS(NNACT_ACT_KERNELS)                 \
    NNACT_KERNEL(softmax_fwd, SOFTMAX, 1, 1)                  \
    NNACT_KERNEL(softmax_bwd, SOFTMAX, 1, 1)                  \
    NNACT_KERNEL(softmax_fwd_rows, SOFTMAX, 1, 1)             \
    NNACT_KERNEL(softmax_bwd_rows, SOFTMAX, 1, 1)             \
    NNACT_KERNEL(log_softmax_fwd, LOG_SOFTMAX, 1, 1)          \
    NNACT_KERNEL(log_softmax_bwd, LOG_SOFTMAX, 1, 1)          \
    NNACT_KERNEL(log_softmax_fwd_rows, LOG_SOFTMAX, 1, 1)     \
    NNACT_KERNEL(log_softmax_bwd_rows, LOG_SOFTMAX, 1, 1)     \
    NNACT_KERNEL(prelu_fwd, PRELU, 1, 0)                      \
    NNACT_KERNEL(prelu_bwd, PRELU, 1, 0)                      \
    NNACT_KERNEL(prelu_bwd_dalpha, PRELU, 1, 0)               \
    NNACT_KERNEL(prelu_dalpha_blocks, PRELU, 1, 0)            \
    NNACT_KERNEL(prelu_dalpha_total, PRELU, 1, 0)             \
    NNACT_KERNEL(colsum, DENSE, 1, 0)                         \
    NNACT_LOSS_KERNELS(mse)                                   \
    NNACT_LOSS_KERNELS(bce)                                   \
    NNACT_LOSS_KERNELS(bce_logits)                            \
    NNACT_LOSS_KERNELS(cce)                                   \
    NNACT_LOSS_KERNELS(softmax_cce)                           \
    NNACT_LOSS_KERNELS(nll)                                   \
    NNACT_KERNEL(loss_reduce, LOSS, 1, 0)                     \
    NNACT_KERNEL(optim_sgd, OPTIM, 1, 0)                      \
    NNACT_KERNEL(optim_adam, OPTIM, 1, 0)                     \
    NNACT_KERNEL(gather_rows, GATHER, 1, 0)                   \
    NNACT_KERNEL(widen_f16, CONVERT, 1, 0)                    \
    NNACT_KERNEL(narrow_f16, CONVERT, 1, 0)                   \
    NNACT_KERNEL(scale_check, CONVERT, 1, 0)

#endif
