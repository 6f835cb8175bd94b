/* The argument checks of every public entry, in one place: each entry
 * checks its arguments once, with these, and then calls a body that trusts
 * them. fn is the public function's name and name the parameter's, so the
 * message says which argument of which call was wrong. */
#include "internal.h"

#include <math.h>

nnact_status nnact_check_ctx(const nnact_ctx *ctx, const char *fn)
{
    return ctx ? NNACT_OK : nnact_fail(NNACT_ERR_INVALID_ARG, "%s: ctx is NULL", fn);
}

nnact_status nnact_check_tensor(const nnact_ctx *ctx, const nnact_tensor *t,
                                const char *fn, const char *name)
{
    if (!t)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL", fn, name);
    if (t->ctx != ctx)
        return nnact_fail(NNACT_ERR_INVALID_ARG,
                          "%s: %s belongs to another context than ctx", fn, name);
    return NNACT_OK;
}

nnact_status nnact_check_same_shape(const nnact_tensor *a, const char *an,
                                    const nnact_tensor *b, const char *bn, const char *fn)
{
    if (a->rows == b->rows && a->cols == b->cols)
        return NNACT_OK;
    return nnact_fail(NNACT_ERR_SHAPE, "%s: %s is %zux%zu but %s is %zux%zu", fn, an,
                      a->rows, a->cols, bn, b->rows, b->cols);
}

nnact_status nnact_check_pair(const nnact_ctx *ctx, const nnact_tensor *a, const char *an,
                              const nnact_tensor *b, const char *bn, const char *fn)
{
    nnact_status st;
    if ((st = nnact_check_tensor(ctx, a, fn, an)) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, b, fn, bn)) != NNACT_OK)
        return st;
    return nnact_check_same_shape(a, an, b, bn, fn);
}

nnact_status nnact_check_dtype(nnact_dtype dtype, const char *fn)
{
    if (nnact_dtype_size(dtype))
        return NNACT_OK;
    return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: dtype %d is not a storage type "
                      "(NNACT_F32 or NNACT_F16)", fn, (int)dtype);
}

nnact_status nnact_check_temperature(float t, const char *fn)
{
    if (!isfinite(t) || !(t > 0.0f))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: temperature must be finite and "
                          "> 0 (got %g)", fn, (double)t);
    return NNACT_OK;
}

#define ACT_NAME(n, KIND, da, db, needs) [NNACT_ACT_##KIND] = #n,
static const char *const act_names[NNACT_ACT_COUNT] = {NNACT_ACTS(ACT_NAME)};
#undef ACT_NAME

nnact_status nnact_check_act(const nnact_act *act, const char *fn)
{
    if (!act)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: act is NULL", fn);
    if ((unsigned)act->kind >= NNACT_ACT_COUNT)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: act->kind %d is out of range",
                          fn, (int)act->kind);
    if (!isfinite(act->alpha) || !isfinite(act->beta))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s parameter is not finite "
                          "(alpha %g, beta %g)", fn, act_names[act->kind],
                          (double)act->alpha, (double)act->beta);
    const float a = act->alpha, b = act->beta;
    switch (act->kind) {
    case NNACT_ACT_CELU:
        if (a == 0.0f)
            return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: celu alpha must not be 0", fn);
        break;
    case NNACT_ACT_SOFTPLUS:
        if (!(b > 0.0f))
            return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: softplus beta must be > 0 "
                              "(got %g)", fn, (double)b);
        break;
    case NNACT_ACT_HARDTANH:
        if (!(a < b))
            return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: hardtanh needs alpha (lower "
                              "bound) < beta (upper bound) (got %g, %g)", fn, (double)a,
                              (double)b);
        break;
    default:
        break;
    }
    return NNACT_OK;
}

/* Which activations are row-wise: the second list of act_list.h. */
#define ELEMENTWISE(n, KIND, da, db, needs) [NNACT_ACT_##KIND] = false,
#define ROW_WISE(n, KIND, da, db, needs) [NNACT_ACT_##KIND] = true,
static const bool row_wise[NNACT_ACT_COUNT] = {
    NNACT_ELEMENTWISE_ACTS(ELEMENTWISE) NNACT_ROW_WISE_ACTS(ROW_WISE)};
#undef ELEMENTWISE
#undef ROW_WISE

nnact_status nnact_check_act_call(const nnact_act *act, const char *fn)
{
    nnact_status st = nnact_check_act(act, fn);
    if (st == NNACT_OK && row_wise[act->kind])
        st = nnact_check_temperature(act->alpha, fn);
    return st;
}
