/* Optimizer steps: argument checks, defaults by name, and the launch of the
 * in-place update kernels. */
#include "internal.h"

#include <math.h>
#include <string.h>

static const struct {
    const char *name;
    nnact_optim opt;
} presets[] = {
    {"sgd", {NNACT_OPTIM_SGD, 0.01f, 0.0f, 0, 0.0f, 0.0f, 0.0f, 0.0f}},
    {"momentum", {NNACT_OPTIM_SGD, 0.01f, 0.9f, 0, 0.0f, 0.0f, 0.0f, 0.0f}},
    {"nesterov", {NNACT_OPTIM_SGD, 0.01f, 0.9f, 1, 0.0f, 0.0f, 0.0f, 0.0f}},
    {"adam", {NNACT_OPTIM_ADAM, 1e-3f, 0.0f, 0, 0.9f, 0.999f, 1e-8f, 0.0f}},
    {"adamw", {NNACT_OPTIM_ADAMW, 1e-3f, 0.0f, 0, 0.9f, 0.999f, 1e-8f, 0.01f}},
};

nnact_status nnact_optim_from_name(const char *name, nnact_optim *out)
{
    if (!name || !out)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_optim_from_name: %s is NULL",
                          name ? "out" : "name");
    char key[16];
    for (size_t i = 0; nnact_name_key(name, key, sizeof key) &&
                       i < sizeof presets / sizeof presets[0]; i++)
        if (!strcmp(key, presets[i].name)) {
            *out = presets[i].opt;
            return NNACT_OK;
        }
    return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_optim_from_name: unknown optimizer "
                      "'%s' (known: sgd, momentum, nesterov, adam, adamw)", name);
}

const char *nnact_optim_name(nnact_optim_kind kind)
{
    static const char *const names[NNACT_OPTIM_COUNT] = {"sgd", "adam", "adamw"};
    return (unsigned)kind < NNACT_OPTIM_COUNT ? names[kind] : NULL;
}

static bool unit(float v) { return v >= 0.0f && v < 1.0f; }

static nnact_status check_optim(const nnact_optim *o, uint64_t step, const char *fn)
{
    if (!o)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: opt is NULL", fn);
    if ((unsigned)o->kind >= NNACT_OPTIM_COUNT)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: opt->kind %d is out of range", fn,
                          (int)o->kind);
    if (!(isfinite(o->lr) && o->lr >= 0.0f) || !isfinite(o->weight_decay))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: lr must be finite and >= 0 and "
                          "weight_decay finite (lr %g, weight_decay %g)", fn,
                          (double)o->lr, (double)o->weight_decay);
    if (o->kind == NNACT_OPTIM_SGD && !unit(o->momentum))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: momentum must be in [0, 1) (got %g)",
                          fn, (double)o->momentum);
    if (o->kind != NNACT_OPTIM_SGD) {
        if (!unit(o->beta1) || !unit(o->beta2))
            return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: beta1 and beta2 must be in "
                              "[0, 1) (got %g, %g)", fn, (double)o->beta1, (double)o->beta2);
        if (!(isfinite(o->eps) && o->eps > 0.0f))
            return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: eps must be finite and > 0 "
                              "(got %g)", fn, (double)o->eps);
        if (step == 0)
            return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: step counts from 1", fn);
    }
    return NNACT_OK;
}

static nnact_status check_state(nnact_ctx *ctx, const nnact_tensor *s, const char *name,
                                const nnact_tensor *param, const char *why, const char *fn)
{
    nnact_status st;
    if (!s)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL, but %s needs it", fn,
                          name, why);
    if ((st = nnact_check_tensor(ctx, s, fn, name)) != NNACT_OK)
        return st;
    return nnact_check_same_shape(param, "param", s, name, fn);
}

static nnact_status step_run(nnact_ctx *ctx, const nnact_optim *opt, uint64_t step,
                             nnact_tensor *param, const nnact_tensor *grad,
                             nnact_tensor *state1, nnact_tensor *state2, cl_mem skip)
{
    const bool sgd = opt->kind == NNACT_OPTIM_SGD;
    cl_ulong n = nnact_numel(param), po = param->offset, go = grad->offset;
    size_t items = nnact_elementwise_items(n);
    if (sgd) {
        cl_mem vb = opt->momentum != 0.0f ? state1->buf : NULL;
        cl_ulong vo = opt->momentum != 0.0f ? state1->offset : 0;
        cl_uint nest = opt->nesterov != 0;
        nnact_arg args[] = {NNACT_ARG(param->buf), NNACT_ARG(po), NNACT_ARG(grad->buf),
                            NNACT_ARG(go), NNACT_ARG(vb), NNACT_ARG(vo), NNACT_ARG(n),
                            NNACT_ARG(opt->lr), NNACT_ARG(opt->momentum),
                            NNACT_ARG(opt->weight_decay), NNACT_ARG(nest), NNACT_ARG(skip)};
        return nnact_launch(ctx, NNACT_K_optim_sgd, NNACT_F32, items, ctx->elem_local,
                            sizeof args / sizeof args[0], args);
    }
    /* 1 - beta^t in double: in float it is 0 for small t when beta ~ 1. */
    float bc1 = (float)(1.0 - pow((double)opt->beta1, (double)step));
    float bc2 = (float)(1.0 - pow((double)opt->beta2, (double)step));
    cl_ulong mo = state1->offset, so = state2->offset;
    cl_uint decoupled = opt->kind == NNACT_OPTIM_ADAMW;
    nnact_arg args[] = {NNACT_ARG(param->buf), NNACT_ARG(po), NNACT_ARG(grad->buf),
                        NNACT_ARG(go), NNACT_ARG(state1->buf), NNACT_ARG(mo),
                        NNACT_ARG(state2->buf), NNACT_ARG(so), NNACT_ARG(n),
                        NNACT_ARG(opt->lr), NNACT_ARG(opt->beta1), NNACT_ARG(opt->beta2),
                        NNACT_ARG(opt->eps), NNACT_ARG(opt->weight_decay),
                        NNACT_ARG(decoupled), NNACT_ARG(bc1), NNACT_ARG(bc2),
                        NNACT_ARG(skip)};
    return nnact_launch(ctx, NNACT_K_optim_adam, NNACT_F32, items, ctx->elem_local,
                        sizeof args / sizeof args[0], args);
}

nnact_status nnact_optim_step(nnact_ctx *ctx, const nnact_optim *opt, uint64_t step,
                              nnact_tensor *param, const nnact_tensor *grad,
                              nnact_tensor *state1, nnact_tensor *state2)
{
    return nnact_optim_step_skip(ctx, opt, step, param, grad, state1, state2, NULL);
}

nnact_status nnact_optim_step_skip(nnact_ctx *ctx, const nnact_optim *opt, uint64_t step,
                                   nnact_tensor *param, const nnact_tensor *grad,
                                   nnact_tensor *state1, nnact_tensor *state2, cl_mem skip)
{
    const char *fn = "nnact_optim_step";
    nnact_status st;
    if ((st = nnact_check_ctx(ctx, fn)) != NNACT_OK ||
        (st = check_optim(opt, step, fn)) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, param, fn, "param")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, grad, fn, "grad")) != NNACT_OK ||
        (st = nnact_check_same_shape(param, "param", grad, "grad", fn)) != NNACT_OK)
        return st;
    const bool sgd = opt->kind == NNACT_OPTIM_SGD;
    const nnact_tensor *masters[] = {param, state1, state2};
    const char *master_names[] = {"param", "state1", "state2"};
    for (size_t i = 0; i < 3; i++)
        if (masters[i] && masters[i]->dtype != NNACT_F32)
            return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is %s, but parameters and "
                              "optimizer moments are the float32 master weights (only "
                              "grad may be F16)", fn, master_names[i],
                              nnact_dtype_name(masters[i]->dtype));
    if (sgd && opt->momentum != 0.0f &&
        (st = check_state(ctx, state1, "state1", param, "momentum", fn)) != NNACT_OK)
        return st;
    if (!sgd && ((st = check_state(ctx, state1, "state1", param, "Adam", fn)) != NNACT_OK ||
                 (st = check_state(ctx, state2, "state2", param, "Adam", fn)) != NNACT_OK))
        return st;

    if (!nnact_numel(param))
        return NNACT_OK;
    /* param and the moments are float32 (checked above): only grad may need
     * a stand-in, widened once. */
    nnact_plan p;
    st = nnact_plan_storage(&p, ctx, NNACT_K_optim_sgd, NULL, 1,
                            (nnact_operand[]){NNACT_READ(&grad)});
    return st ? st : nnact_plan_done(&p, step_run(ctx, opt, step, param, grad, state1,
                                                  state2, skip));
}
