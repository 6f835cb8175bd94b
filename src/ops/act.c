/* Activations: the by-name table, parameter checks and dispatch to the
 * kernels that act_list.h instantiates. Softmax and log-softmax are routed
 * to softmax.c. */
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct act_def {
    const char *name;
    float alpha, beta; /* defaults */
    int needs;         /* NNACT_NEEDS_* of the derivative */
    nnact_kernel_id fwd, bwd; /* instantiated per storage type */
} act_def;

#define ACT_DEF(n, KIND, da, db, nd)                                            \
    [NNACT_ACT_##KIND] = {#n, da, db, NNACT_NEEDS_##nd, NNACT_K_act_##n##_fwd, \
                          NNACT_K_act_##n##_bwd},
static const act_def acts[NNACT_ACT_COUNT] = {
    NNACT_ELEMENTWISE_ACTS(ACT_DEF)
    [NNACT_ACT_SOFTMAX] = {"softmax", 1.0f, 0.0f, NNACT_NEEDS_Y, NNACT_K_COUNT,
                           NNACT_K_COUNT},
    [NNACT_ACT_LOG_SOFTMAX] = {"log_softmax", 1.0f, 0.0f, NNACT_NEEDS_Y, NNACT_K_COUNT,
                               NNACT_K_COUNT},
};
#undef ACT_DEF

static const struct { const char *alias, *name; } aliases[] = {
    {"linear", "identity"},
    {"silu", "swish"},
    {"gelu_erf", "gelu"},
    {"hard_sigmoid", "hardsigmoid"},
    {"hard_swish", "hardswish"},
};

bool nnact_name_key(const char *name, char *key, size_t cap)
{
    size_t len = strlen(name);
    if (len >= cap)
        return false;
    for (size_t i = 0; i <= len; i++)
        key[i] = name[i] == '-' ? '_' : (char)tolower((unsigned char)name[i]);
    return true;
}

nnact_status nnact_act_from_name(const char *name, nnact_act *out)
{
    if (!name || !out)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_act_from_name: %s is NULL",
                          name ? "out" : "name");
    char key[32];
    if (!nnact_name_key(name, key, sizeof key))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_act_from_name: unknown "
                          "activation '%.64s'", name);
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcmp(key, aliases[i].alias))
            strcpy(key, aliases[i].name);
    for (int k = 0; k < NNACT_ACT_COUNT; k++)
        if (!strcmp(key, acts[k].name)) {
            out->kind = (nnact_act_kind)k;
            out->alpha = acts[k].alpha;
            out->beta = acts[k].beta;
            return NNACT_OK;
        }
    /* The known names, from the tables, for the message. */
    char known[512] = "";
    size_t used = 0;
    for (int k = 0; k < NNACT_ACT_COUNT && used < sizeof known; k++)
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", k ? ", " : "",
                                 acts[k].name);
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0] && used < sizeof known; i++)
        used += (size_t)snprintf(known + used, sizeof known - used, ", %s", aliases[i].alias);
    return nnact_fail(NNACT_ERR_INVALID_ARG,
                      "nnact_act_from_name: unknown activation '%s' (known: %s)", name, known);
}

const char *nnact_act_name(nnact_act_kind kind)
{
    return (unsigned)kind < NNACT_ACT_COUNT ? acts[kind].name : NULL;
}

nnact_status nnact_check_act(const nnact_act *act, const char *fn)
{
    if (!act)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: act is NULL", fn);
    if ((unsigned)act->kind >= NNACT_ACT_COUNT)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: act->kind %d is out of range",
                          fn, (int)act->kind);
    if (!isfinite(act->alpha) || !isfinite(act->beta))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s parameter is not finite "
                          "(alpha %g, beta %g)", fn, acts[act->kind].name,
                          (double)act->alpha, (double)act->beta);
    const float a = act->alpha, b = act->beta;
    if (act->kind == NNACT_ACT_CELU && a == 0.0f)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: celu alpha must not be 0", fn);
    if (act->kind == NNACT_ACT_SOFTPLUS && !(b > 0.0f))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: softplus beta must be > 0 (got %g)",
                          fn, (double)b);
    if (act->kind == NNACT_ACT_HARDTANH && !(a < b))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: hardtanh needs alpha (lower bound) "
                          "< beta (upper bound) (got %g, %g)", fn, (double)a, (double)b);
    return NNACT_OK;
}

int nnact_act_needs(nnact_act_kind kind) { return acts[kind].needs; }

/* act.cl's items: one for the head before the output's 64-byte boundary,
 * then one per 64 bytes from it (its ITEM: 16 floats or 32 halves). */
static size_t act_items(size_t n, const nnact_tensor *out)
{
    const size_t per_item = 64 / nnact_elem_size(out);
    return (n + per_item - 1) / per_item + 1;
}

nnact_status nnact_act_forward(nnact_ctx *ctx, const nnact_act *act,
                               const nnact_tensor *x, nnact_tensor *y)
{
    const char *fn = "nnact_act_forward";
    nnact_status st = nnact_check_ctx(ctx, fn);
    if (st == NNACT_OK)
        st = nnact_check_act(act, fn);
    if (st != NNACT_OK)
        return st;
    if (act->kind == NNACT_ACT_SOFTMAX)
        return nnact_softmax_forward(ctx, act->alpha, x, y);
    if (act->kind == NNACT_ACT_LOG_SOFTMAX)
        return nnact_log_softmax_forward(ctx, act->alpha, x, y);
    if ((st = nnact_check_tensor(ctx, x, fn, "x")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, y, fn, "y")) != NNACT_OK ||
        (st = nnact_check_same_shape(x, "x", y, "y", fn)) != NNACT_OK)
        return st;
    cl_ulong n = nnact_numel(x), xo = x->offset, yo = y->offset;
    if (!n)
        return NNACT_OK;
    const bool half = x->dtype == NNACT_F16 && y->dtype == NNACT_F16;
    if (!half && (x->dtype == NNACT_F16 || y->dtype == NNACT_F16)) {
        /* Mixed storage: float32 stand-ins for the F16 side. */
        nnact_f32_frame f;
        nnact_f32_frame_init(&f, ctx);
        const nnact_tensor *xv, *yv;
        if ((st = nnact_as_f32(&f, x, NNACT_USE_IN, &xv)) != NNACT_OK ||
            (st = nnact_as_f32(&f, y, NNACT_USE_OUT, &yv)) != NNACT_OK)
            return st;
        return nnact_f32_done(&f, nnact_act_forward(ctx, act, xv, (nnact_tensor *)yv));
    }
    cl_uint stream = nnact_stream_stores(ctx, 2 * n * nnact_elem_size(y));
    nnact_arg args[] = {NNACT_ARG(x->buf), NNACT_ARG(xo), NNACT_ARG(y->buf), NNACT_ARG(yo),
                        NNACT_ARG(n), NNACT_ARG(act->alpha), NNACT_ARG(act->beta),
                        NNACT_ARG(stream)};
    const act_def *def = &acts[act->kind];
    return nnact_launch(ctx, def->fwd, half ? NNACT_F16 : NNACT_F32, act_items(n, y),
                        ctx->elem_local, sizeof args / sizeof args[0], args);
}

nnact_status nnact_act_backward(nnact_ctx *ctx, const nnact_act *act,
                                const nnact_tensor *x, const nnact_tensor *y,
                                const nnact_tensor *dy, nnact_tensor *dx)
{
    const char *fn = "nnact_act_backward";
    nnact_status st = nnact_check_ctx(ctx, fn);
    if (st == NNACT_OK)
        st = nnact_check_act(act, fn);
    if (st != NNACT_OK)
        return st;
    if (act->kind == NNACT_ACT_SOFTMAX)
        return nnact_softmax_backward(ctx, act->alpha, y, dy, dx);
    if (act->kind == NNACT_ACT_LOG_SOFTMAX)
        return nnact_log_softmax_backward(ctx, act->alpha, y, dy, dx);
    const act_def *def = &acts[act->kind];
    if ((st = nnact_check_tensor(ctx, dy, fn, "dy")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, dx, fn, "dx")) != NNACT_OK ||
        (st = nnact_check_same_shape(dy, "dy", dx, "dx", fn)) != NNACT_OK)
        return st;
    /* Only the tensor the derivative reads is required; the other is ignored. */
    const nnact_tensor *in = def->needs == NNACT_NEEDS_X ? x
                           : def->needs == NNACT_NEEDS_Y ? y : NULL;
    const char *in_name = def->needs == NNACT_NEEDS_X ? "x" : "y";
    if (def->needs != NNACT_NEEDS_NONE) {
        if (!in)
            return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL, but the %s "
                              "derivative needs it", fn, in_name, def->name);
        if ((st = nnact_check_tensor(ctx, in, fn, in_name)) != NNACT_OK ||
            (st = nnact_check_same_shape(in, in_name, dy, "dy", fn)) != NNACT_OK)
            return st;
    }
    cl_ulong n = nnact_numel(dy), dyo = dy->offset, dxo = dx->offset;
    if (!n)
        return NNACT_OK;
    const nnact_tensor *used[] = {in, dy, dx};
    const bool half = nnact_all_f16(3, used);
    if (!half && nnact_any_f16(3, used)) {
        /* Mixed storage: float32 stand-ins for the F16 tensors. */
        nnact_f32_frame f;
        nnact_f32_frame_init(&f, ctx);
        const nnact_tensor *inv, *dyv, *dxv;
        if ((st = nnact_as_f32(&f, in, NNACT_USE_IN, &inv)) != NNACT_OK ||
            (st = nnact_as_f32(&f, dy, NNACT_USE_IN, &dyv)) != NNACT_OK ||
            (st = nnact_as_f32(&f, dx, NNACT_USE_OUT, &dxv)) != NNACT_OK)
            return st;
        return nnact_f32_done(&f, nnact_act_backward(
            ctx, act, def->needs == NNACT_NEEDS_X ? inv : NULL,
            def->needs == NNACT_NEEDS_Y ? inv : NULL, dyv, (nnact_tensor *)dxv));
    }
    cl_mem none = NULL;
    const size_t tensors = def->needs == NNACT_NEEDS_NONE ? 2 : 3;
    cl_uint stream = nnact_stream_stores(ctx, tensors * n * nnact_elem_size(dx));
    cl_ulong xo = def->needs == NNACT_NEEDS_X ? in->offset : 0;
    cl_ulong yo = def->needs == NNACT_NEEDS_Y ? in->offset : 0;
    cl_mem xb = def->needs == NNACT_NEEDS_X ? in->buf : none;
    cl_mem yb = def->needs == NNACT_NEEDS_Y ? in->buf : none;
    nnact_arg args[] = {NNACT_ARG(xb), NNACT_ARG(xo), NNACT_ARG(yb), NNACT_ARG(yo),
                        NNACT_ARG(dy->buf), NNACT_ARG(dyo), NNACT_ARG(dx->buf),
                        NNACT_ARG(dxo), NNACT_ARG(n), NNACT_ARG(act->alpha),
                        NNACT_ARG(act->beta), NNACT_ARG(stream)};
    return nnact_launch(ctx, def->bwd, half ? NNACT_F16 : NNACT_F32, act_items(n, dx),
                        ctx->elem_local, sizeof args / sizeof args[0], args);
}
