/* Losses: per-row kernels (loss, correctness, gradient) and one fixed-order
 * reduction whose three sums are read back when the caller asks. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct loss_def {
    const char *name;
    nnact_kernel_id k_rows, k_group; /* a work-item per row, a work-group per row */
    bool per_element; /* mean over batch*k (else over batch) */
    float epsilon, temperature;
} loss_def;

#define FORMS(n) NNACT_K_loss_##n##_rows, NNACT_K_loss_##n##_group
static const loss_def losses[NNACT_LOSS_COUNT] = {
    [NNACT_LOSS_MSE] = {"mse", FORMS(mse), true, 0.0f, 0.0f},
    [NNACT_LOSS_BCE] = {"bce", FORMS(bce), true, 1e-7f, 0.0f},
    [NNACT_LOSS_BCE_LOGITS] = {"bce_logits", FORMS(bce_logits), true, 0.0f, 0.0f},
    [NNACT_LOSS_CCE] = {"cce", FORMS(cce), false, 1e-7f, 0.0f},
    [NNACT_LOSS_SOFTMAX_CCE] = {"softmax_cce", FORMS(softmax_cce), false, 0.0f, 1.0f},
    [NNACT_LOSS_NLL] = {"nll", FORMS(nll), false, 0.0f, 0.0f},
};
#undef FORMS

static const nnact_alias loss_aliases[] = {
    {"mean_squared_error", "mse"},
    {"binary_crossentropy", "bce"},
    {"categorical_crossentropy", "cce"},
    {"cross_entropy", "cce"},
    {"sparse_cce", "cce"},
    {"sparse_categorical_crossentropy", "cce"},
    {"nll_loss", "nll"},
};

nnact_status nnact_loss_from_name(const char *name, nnact_loss *out)
{
    char key[40];
    nnact_status st = nnact_name_lookup(name, out, key, sizeof key, loss_aliases,
                                        sizeof loss_aliases / sizeof loss_aliases[0],
                                        "nnact_loss_from_name", "loss");
    for (int k = 0; st == NNACT_OK && k < NNACT_LOSS_COUNT; k++)
        if (!strcmp(key, losses[k].name)) {
            out->kind = (nnact_loss_kind)k;
            out->epsilon = losses[k].epsilon;
            out->temperature = losses[k].temperature;
            return NNACT_OK;
        }
    return st ? st : nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_loss_from_name: unknown loss "
                                "'%s' (known: mse, bce, bce_logits, cce, sparse_cce, "
                                "softmax_cce, nll)", name);
}

const char *nnact_loss_name(nnact_loss_kind kind)
{
    return (unsigned)kind < NNACT_LOSS_COUNT ? losses[kind].name : NULL;
}

static nnact_status check_loss(const nnact_loss *l, const char *fn)
{
    if (!l)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: loss is NULL", fn);
    if ((unsigned)l->kind >= NNACT_LOSS_COUNT)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: loss->kind %d is out of range", fn,
                          (int)l->kind);
    bool clip = l->kind == NNACT_LOSS_BCE || l->kind == NNACT_LOSS_CCE;
    if (clip && !(l->epsilon >= 0.0f && l->epsilon < 0.5f))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s epsilon must be in [0, 0.5) "
                          "(got %g)", fn, losses[l->kind].name, (double)l->epsilon);
    if (l->kind == NNACT_LOSS_SOFTMAX_CCE && !(isfinite(l->temperature) && l->temperature > 0))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: softmax_cce temperature must be "
                          "finite and > 0 (got %g)", fn, (double)l->temperature);
    return NNACT_OK;
}

/* What one loss call asks for beyond its tensors. */
typedef struct loss_call {
    const nnact_loss *loss;
    float *value, *accuracy; /* may be NULL */
    float grad_scale;
    bool labels; /* target holds a class index per row */
    const char *fn;
} loss_call;

/* The three sums (loss, correct, bad labels) read back from ws (after the
 * 3 * rows per-row parts): the mean loss and accuracy, or the first bad
 * label's row. */
static nnact_status read_sums(nnact_ctx *ctx, const loss_call *call, cl_mem ws, size_t rows,
                              size_t cols, double count)
{
    const cl_ulong oo = 3 * rows;
    float got[3];
    cl_int err = clEnqueueReadBuffer(ctx->queue, ws, CL_TRUE, oo * sizeof(float),
                                     sizeof got, got, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return nnact_fail_cl(err, "nnact_loss_eval: clEnqueueReadBuffer (the loss)");
    if (got[2] > 0.0f) {
        /* Find the first bad row for the message (rare path: read them all). */
        size_t first = rows;
        float *marks = malloc(rows * sizeof *marks);
        if (marks && clEnqueueReadBuffer(ctx->queue, ws, CL_TRUE, 2 * rows * sizeof(float),
                                         rows * sizeof(float), marks, 0, NULL, NULL) ==
                         CL_SUCCESS)
            for (size_t i = 0; i < rows && first == rows; i++)
                if (marks[i] != 0.0f)
                    first = i;
        free(marks);
        return nnact_fail(NNACT_ERR_INVALID_ARG,
                          "%s: target holds %.0f label(s) that are not integers in "
                          "[0, %zu); first at row %zu", call->fn, (double)got[2], cols, first);
    }
    if (call->value)
        *call->value = (float)((double)got[0] / count);
    if (call->accuracy)
        *call->accuracy = (float)((double)got[1] / (double)rows);
    return NNACT_OK;
}

/* The loss kernels, then either the sums read back (value, accuracy; and
 * always for labels, to check them) or, with sums, added to it on the
 * device without a wait. */
static nnact_status loss_body(nnact_ctx *ctx, const loss_call *call, const nnact_tensor *pred,
                              const nnact_tensor *target, nnact_tensor *grad,
                              nnact_tensor *sums)
{
    const nnact_loss *loss = call->loss;
    const loss_def *def = &losses[loss->kind];
    nnact_status st;
    const size_t rows = pred->rows, cols = pred->cols;
    const double count = def->per_element ? (double)rows * (double)cols : (double)rows;
    float gscale = (float)((double)call->grad_scale / count);
    float param = loss->kind == NNACT_LOSS_SOFTMAX_CCE ? loss->temperature : loss->epsilon;

    cl_mem ws;
    if ((st = nnact_workspace(ctx, (3 * rows + 3) * sizeof(float), &ws)) != NNACT_OK)
        return st;
    cl_ulong po = pred->offset, to = target->offset, go = grad ? grad->offset : 0,
             c = cols, r = rows;
    cl_uint lab = call->labels, has_grad = grad != NULL, per_item = ctx->row_kernels;
    cl_mem gbuf = grad ? grad->buf : NULL;
    size_t L = ctx->reduce_local;
    /* CPU form: a work-item per row, NNACT_ROW_LOCAL rows per group; GPU
     * form: a work-group of L items per row. */
    size_t local = per_item ? NNACT_ROW_LOCAL : L;
    size_t items = per_item ? rows : rows * L;
    nnact_arg args[] = {NNACT_ARG(pred->buf), NNACT_ARG(po), NNACT_ARG(target->buf),
                        NNACT_ARG(to), NNACT_ARG(lab), NNACT_ARG(gbuf), NNACT_ARG(go),
                        NNACT_ARG(has_grad), NNACT_ARG(c), NNACT_ARG(param),
                        NNACT_ARG(gscale), NNACT_ARG(ws), NNACT_ARG(r),
                        NNACT_LOCAL(local * sizeof(float)),
                        NNACT_LOCAL(local * sizeof(cl_ulong))};
    nnact_kernel_id k = per_item ? def->k_rows : def->k_group;
    if ((st = nnact_launch(ctx, k, NNACT_F32, items, local, sizeof args / sizeof args[0],
                           args)) != NNACT_OK)
        return st;
    if (!call->value && !call->accuracy && !call->labels && !sums)
        return NNACT_OK;
    /* The three sums land after the per-row parts of the workspace, or are
     * added to sums. */
    cl_ulong oo = sums ? sums->offset : 3 * rows;
    cl_uint accumulate = sums != NULL;
    float fcount = (float)count;
    cl_mem out = sums ? sums->buf : ws;
    nnact_arg rargs[] = {NNACT_ARG(ws), NNACT_ARG(r), NNACT_ARG(out), NNACT_ARG(oo),
                         NNACT_LOCAL(L * sizeof(float)), NNACT_ARG(accumulate),
                         NNACT_ARG(fcount)};
    if ((st = nnact_launch(ctx, NNACT_K_loss_reduce, NNACT_F32, L, L,
                           sizeof rargs / sizeof rargs[0], rargs)) != NNACT_OK || sums)
        return st;
    return read_sums(ctx, call, ws, rows, cols, count);
}

/* The checks of nnact_loss_eval and nnact_loss_accumulate, then the body. */
nnact_status nnact_loss_run(nnact_ctx *ctx, const nnact_loss *loss, const nnact_tensor *pred,
                            const nnact_tensor *target, float *value, float *accuracy,
                            nnact_tensor *grad, nnact_tensor *sums, float grad_scale,
                            const char *fn)
{
    nnact_status st;
    if ((st = nnact_check_ctx(ctx, fn)) != NNACT_OK ||
        (st = check_loss(loss, fn)) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, pred, fn, "pred")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, target, fn, "target")) != NNACT_OK)
        return st;
    const bool labels = target->cols == 1 && pred->cols != 1;
    if (target->rows != pred->rows || (!labels && target->cols != pred->cols))
        return nnact_fail(NNACT_ERR_SHAPE, "%s: pred is %zux%zu but target is %zux%zu "
                          "(want %zux%zu, or %zux1 labels)", fn, pred->rows, pred->cols,
                          target->rows, target->cols, pred->rows, pred->cols, pred->rows);
    if (grad && ((st = nnact_check_tensor(ctx, grad, fn, "grad")) != NNACT_OK ||
                 (st = nnact_check_same_shape(pred, "pred", grad, "grad", fn)) != NNACT_OK))
        return st;
    if (!pred->rows || !pred->cols) {
        /* The mean of nothing: report 0 rather than 0/0 (sums unchanged). */
        if (value)
            *value = 0.0f;
        if (accuracy)
            *accuracy = 0.0f;
        return NNACT_OK;
    }
    loss_call call = {loss, value, accuracy, grad_scale, labels, fn};
    nnact_plan p;
    st = nnact_plan_storage(&p, ctx, losses[loss->kind].k_rows, NULL, 4,
                            (nnact_operand[]){NNACT_READ(&pred), NNACT_READ(&target),
                                              NNACT_WRITE(&grad), NNACT_UPDATE(&sums)});
    return st ? st : nnact_plan_done(&p, loss_body(ctx, &call, pred, target, grad, sums));
}

nnact_status nnact_loss_eval(nnact_ctx *ctx, const nnact_loss *loss, const nnact_tensor *pred,
                             const nnact_tensor *target, float *value, float *accuracy,
                             nnact_tensor *grad)
{
    return nnact_loss_run(ctx, loss, pred, target, value, accuracy, grad, NULL, 1.0f,
                          "nnact_loss_eval");
}

nnact_status nnact_loss_accumulate(nnact_ctx *ctx, const nnact_loss *loss,
                                   const nnact_tensor *pred, const nnact_tensor *target,
                                   nnact_tensor *sums, nnact_tensor *grad)
{
    return nnact_loss_accumulate_scaled(ctx, loss, pred, target, sums, grad, 1.0f);
}

nnact_status nnact_loss_accumulate_scaled(nnact_ctx *ctx, const nnact_loss *loss,
                                          const nnact_tensor *pred, const nnact_tensor *target,
                                          nnact_tensor *sums, nnact_tensor *grad, float gscale)
{
    const char *fn = "nnact_loss_accumulate";
    nnact_status st = nnact_check_ctx(ctx, fn);
    if (st == NNACT_OK)
        st = nnact_check_tensor(ctx, sums, fn, "sums");
    if (st == NNACT_OK && (sums->rows != 1 || sums->cols != NNACT_LOSS_SUMS))
        st = nnact_fail(NNACT_ERR_SHAPE, "%s: sums is %zux%zu (want 1x%d)", fn, sums->rows,
                        sums->cols, NNACT_LOSS_SUMS);
    return st == NNACT_OK ? nnact_loss_run(ctx, loss, pred, target, NULL, NULL, grad, sums,
                                           gscale, fn)
                          : st;
}

nnact_status nnact_loss_sums_read(const nnact_tensor *sums, float *value, float *accuracy)
{
    const char *fn = "nnact_loss_sums_read";
    if (!sums)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: sums is NULL", fn);
    if (sums->rows != 1 || sums->cols != NNACT_LOSS_SUMS)
        return nnact_fail(NNACT_ERR_SHAPE, "%s: sums is %zux%zu (want 1x%d)", fn, sums->rows,
                          sums->cols, NNACT_LOSS_SUMS);
    float s[NNACT_LOSS_SUMS];
    nnact_status st = nnact_tensor_read(sums, s);
    if (st != NNACT_OK)
        return st;
    if (s[2] > 0.0f)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %.0f label(s) since the sums were "
                          "zeroed were not integers in [0, classes)", fn, (double)s[2]);
    if (value)
        *value = s[3] > 0.0f ? s[0] / s[3] : 0.0f;
    if (accuracy)
        *accuracy = s[4] > 0.0f ? s[1] / s[4] : 0.0f;
    return NNACT_OK;
}
