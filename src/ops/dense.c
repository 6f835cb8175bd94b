/* Dense layers: SGEMM through CLBlast, a fused bias + activation pass, and
 * the backward pass built from the activation kernels, CLBlast and a
 * deterministic column sum. */
#include "internal.h"

static nnact_status fail_shape(const char *fn, const char *an, const nnact_tensor *a,
                               const char *bn, const nnact_tensor *b, const char *rule)
{
    return nnact_fail(NNACT_ERR_SHAPE, "%s: %s is %zux%zu but %s is %zux%zu (%s)", fn,
                      an, a->rows, a->cols, bn, b->rows, b->cols, rule);
}

/* ctx, the activation (may be NULL) and x (batch x in) against W (in x
 * out): out = W's cols. */
static nnact_status check_layer(nnact_ctx *ctx, const nnact_act *act, const nnact_tensor *x,
                                const nnact_tensor *W, const char *fn)
{
    nnact_status st;
    if ((st = nnact_check_ctx(ctx, fn)) != NNACT_OK ||
        (act && (st = nnact_check_act_call(act, fn)) != NNACT_OK) ||
        (st = nnact_check_tensor(ctx, x, fn, "x")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, W, fn, "W")) != NNACT_OK)
        return st;
    if (x->cols != W->rows)
        return fail_shape(fn, "x", x, "W", W, "x's cols must equal W's rows");
    return NNACT_OK;
}

/* t must be rows x cols. */
static nnact_status check_shape(const nnact_tensor *t, const char *tn, size_t rows,
                                size_t cols, const char *fn, const char *why)
{
    if (t->rows == rows && t->cols == cols)
        return NNACT_OK;
    return nnact_fail(NNACT_ERR_SHAPE, "%s: %s is %zux%zu but must be %zux%zu (%s)", fn,
                      tn, t->rows, t->cols, rows, cols, why);
}

/* t (named tn) must be a tensor of ctx, rows x cols. */
static nnact_status check_operand(nnact_ctx *ctx, const nnact_tensor *t, const char *tn,
                                  size_t rows, size_t cols, const char *fn, const char *why)
{
    nnact_status st = nnact_check_tensor(ctx, t, fn, tn);
    return st ? st : check_shape(t, tn, rows, cols, fn, why);
}

/* One pass over pre (= x W): y = act(pre + b), and pre = pre + b written
 * back when pre is not y (the caller's z). act NULL: identity. */
static nnact_status fused_pass(nnact_ctx *ctx, const nnact_act *act, nnact_tensor *pre,
                               const nnact_tensor *b, nnact_tensor *y)
{
    static const nnact_kernel_id fused[NNACT_ACT_COUNT] = {
#define FUSED_ID(name, KIND, da, db, needs) [NNACT_ACT_##KIND] = NNACT_K_dense_##name##_fwd,
        NNACT_ELEMENTWISE_ACTS(FUSED_ID)
#undef FUSED_ID
    };
    nnact_act_kind kind = act ? act->kind : NNACT_ACT_IDENTITY;
    float alpha = act ? act->alpha : 0.0f, beta = act ? act->beta : 0.0f;
    cl_ulong zo = pre->offset, yo = y->offset, bo = b ? b->offset : 0, rows = y->rows,
             cols = y->cols;
    cl_uint keep_z = pre != y, has_b = b != NULL;
    cl_mem bbuf = b ? b->buf : NULL;
    nnact_arg args[] = {NNACT_ARG(pre->buf), NNACT_ARG(zo), NNACT_ARG(keep_z),
                        NNACT_ARG(bbuf), NNACT_ARG(bo), NNACT_ARG(has_b),
                        NNACT_ARG(y->buf), NNACT_ARG(yo), NNACT_ARG(rows),
                        NNACT_ARG(cols), NNACT_ARG(alpha), NNACT_ARG(beta)};
    size_t items = y->rows * nnact_elementwise_items(y->cols);
    return nnact_launch(ctx, fused[kind], NNACT_F32, items,
                        ctx->elem_local, sizeof args / sizeof args[0], args);
}

/* SGEMM through CLBlast has no F16 form (HGEMM accumulates in half). */
static const char *const widen_note =
    "F16 operands widened to float32 for SGEMM (no HGEMM: it accumulates in half)";

static nnact_status forward_run(nnact_ctx *ctx, const nnact_tensor *x, const nnact_tensor *W,
                                const nnact_tensor *b, const nnact_act *act, nnact_tensor *z,
                                nnact_tensor *y)
{
    nnact_tensor *pre = z ? z : y;
    nnact_status st = nnact_gemm_body(ctx, NNACT_NO_TRANS, NNACT_NO_TRANS, 1.0f, x, W, 0.0f,
                                      pre);
    if (st != NNACT_OK || !y->rows || !y->cols)
        return st;
    if (act && nnact_act_row_wise(act->kind)) {
        /* A row-wise activation: the fused pass only adds the bias into pre. */
        if (b && (st = fused_pass(ctx, NULL, pre, b, pre)) != NNACT_OK)
            return st;
        return nnact_act_forward_body(ctx, act, pre, y);
    }
    if (!act && !b && pre == y)
        return NNACT_OK;
    return fused_pass(ctx, act, pre, b, y);
}

static nnact_status dense_forward_body(nnact_ctx *ctx, const nnact_tensor *x,
                                       const nnact_tensor *W, const nnact_tensor *b,
                                       const nnact_act *act, nnact_tensor *z, nnact_tensor *y)
{
    nnact_plan p;
    nnact_status st = nnact_plan_storage(
        &p, ctx, NNACT_K_COUNT, widen_note, 5,
        (nnact_operand[]){NNACT_READ(&x), NNACT_READ(&W), NNACT_READ(&b), NNACT_WRITE(&z),
                          NNACT_WRITE(&y)});
    return st ? st : nnact_plan_done(&p, forward_run(ctx, x, W, b, act, z, y));
}

nnact_status nnact_dense_forward(nnact_ctx *ctx, const nnact_tensor *x,
                                 const nnact_tensor *W, const nnact_tensor *b,
                                 const nnact_act *act, nnact_tensor *z, nnact_tensor *y)
{
    const char *fn = "nnact_dense_forward";
    nnact_status st;
    if ((st = check_layer(ctx, act, x, W, fn)) != NNACT_OK ||
        (st = check_operand(ctx, y, "y", x->rows, W->cols, fn, "batch x out")) != NNACT_OK ||
        (b && (st = check_operand(ctx, b, "b", 1, W->cols, fn, "1 x out")) != NNACT_OK) ||
        (z && (st = check_operand(ctx, z, "z", x->rows, W->cols, fn, "batch x out")) != NNACT_OK))
        return st;
    return dense_forward_body(ctx, x, W, b, act, z, y);
}

/* in: the tensor the activation's derivative reads (z or y; NULL when
 * none). */
static nnact_status backward_run(nnact_ctx *ctx, const nnact_tensor *x,
                                 const nnact_tensor *W, const nnact_act *act,
                                 const nnact_tensor *in, const nnact_tensor *dy,
                                 nnact_tensor *dW, nnact_tensor *db, nnact_tensor *dx)
{
    nnact_status st;
    /* g = dy (.) act'(.), in the workspace; without an activation g is dy. */
    const nnact_tensor *g = dy;
    nnact_tensor gt = {ctx, NULL, 0, dy->rows, dy->cols, NNACT_F32};
    if (act && nnact_act_needs(act->kind) != NNACT_NEEDS_NONE) {
        if (nnact_numel(dy)) {
            if ((st = nnact_workspace(ctx, nnact_numel(dy) * sizeof(float), &gt.buf)) != NNACT_OK ||
                (st = nnact_act_backward_body(ctx, act, in, dy, &gt)) != NNACT_OK)
                return st;
        }
        g = &gt;
    }
    if ((st = nnact_gemm_body(ctx, NNACT_TRANS, NNACT_NO_TRANS, 1.0f, x, g, 0.0f,
                                   dW)) != NNACT_OK)
        return st;
    if (dx && (st = nnact_gemm_body(ctx, NNACT_NO_TRANS, NNACT_TRANS, 1.0f, g, W,
                                         0.0f, dx)) != NNACT_OK)
        return st;
    if (db && db->cols) {
        cl_ulong go = g->offset, rows = g->rows, cols = g->cols, dbo = db->offset;
        cl_mem gbuf = g->buf;
        nnact_arg args[] = {NNACT_ARG(gbuf), NNACT_ARG(go), NNACT_ARG(rows),
                            NNACT_ARG(cols), NNACT_ARG(db->buf), NNACT_ARG(dbo)};
        st = nnact_launch(ctx, NNACT_K_colsum, NNACT_F32, g->cols, ctx->column_local,
                          sizeof args / sizeof args[0], args);
    }
    return st;
}

nnact_status nnact_dense_backward(nnact_ctx *ctx, const nnact_tensor *x,
                                  const nnact_tensor *W, const nnact_act *act,
                                  const nnact_tensor *z, const nnact_tensor *y,
                                  const nnact_tensor *dy, nnact_tensor *dW,
                                  nnact_tensor *db, nnact_tensor *dx)
{
    const char *fn = "nnact_dense_backward";
    nnact_status st;
    if ((st = check_layer(ctx, act, x, W, fn)) != NNACT_OK ||
        (st = check_operand(ctx, dy, "dy", x->rows, W->cols, fn, "batch x out")) != NNACT_OK ||
        (st = check_operand(ctx, dW, "dW", W->rows, W->cols, fn, "W's shape")) != NNACT_OK ||
        (db && (st = check_operand(ctx, db, "db", 1, W->cols, fn, "1 x out")) != NNACT_OK) ||
        (dx && (st = check_operand(ctx, dx, "dx", x->rows, x->cols, fn, "x's shape")) != NNACT_OK))
        return st;

    /* Only the tensor the derivative reads is required; the other is ignored. */
    const int needs = act ? nnact_act_needs(act->kind) : NNACT_NEEDS_NONE;
    const nnact_tensor *in = needs == NNACT_NEEDS_X ? z : needs == NNACT_NEEDS_Y ? y : NULL;
    if (needs != NNACT_NEEDS_NONE) {
        const char *in_name = needs == NNACT_NEEDS_X ? "z" : "y";
        if (!in)
            return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL, but the %s "
                              "derivative needs it", fn, in_name, nnact_act_name(act->kind));
        if ((st = check_operand(ctx, in, in_name, dy->rows, dy->cols, fn, "dy's shape")) !=
            NNACT_OK)
            return st;
    }
    nnact_plan p;
    st = nnact_plan_storage(&p, ctx, NNACT_K_COUNT, widen_note, 7,
                            (nnact_operand[]){NNACT_READ(&x), NNACT_READ(&W), NNACT_READ(&in),
                                              NNACT_READ(&dy), NNACT_WRITE(&dW),
                                              NNACT_WRITE(&db), NNACT_WRITE(&dx)});
    return st ? st : nnact_plan_done(&p, backward_run(ctx, x, W, act, in, dy, dW, db, dx));
}
