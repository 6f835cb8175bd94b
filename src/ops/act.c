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
    nnact_kernel_id fwd, bwd; /* elementwise kernels, per storage type */
    const nnact_row_op *row;  /* row-wise activations: their operation */
} act_def;

/* The row_wise column: NULL for the elementwise list, the row operation
 * (softmax.c) for the row-wise one. */
#define ELEMENTWISE(n, KIND, da, db, nd)                                         \
    [NNACT_ACT_##KIND] = {#n, da, db, NNACT_NEEDS_##nd, NNACT_K_act_##n##_fwd, \
                          NNACT_K_act_##n##_bwd, NULL},
#define ROW_WISE(n, KIND, da, db, nd)                                                      \
    [NNACT_ACT_##KIND] = {#n, da, db, NNACT_NEEDS_##nd, NNACT_K_COUNT, NNACT_K_COUNT, \
                          &nnact_##n##_op},
static const act_def acts[NNACT_ACT_COUNT] = {
    NNACT_ELEMENTWISE_ACTS(ELEMENTWISE) NNACT_ROW_WISE_ACTS(ROW_WISE)};
#undef ELEMENTWISE
#undef ROW_WISE

static const nnact_alias aliases[] = {
    {"linear", "identity"},
    {"silu", "swish"},
    {"gelu_erf", "gelu"},
    {"hard_sigmoid", "hardsigmoid"},
    {"hard_swish", "hardswish"},
};

nnact_status nnact_act_from_name(const char *name, nnact_act *out)
{
    char key[32];
    const size_t n_aliases = sizeof aliases / sizeof aliases[0];
    nnact_status st = nnact_name_lookup(name, out, key, sizeof key, aliases, n_aliases,
                                        "nnact_act_from_name", "activation");
    if (st != NNACT_OK)
        return st;
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
    for (size_t i = 0; i < n_aliases && used < sizeof known; i++)
        used += (size_t)snprintf(known + used, sizeof known - used, ", %s", aliases[i].alias);
    return nnact_fail(NNACT_ERR_INVALID_ARG,
                      "nnact_act_from_name: unknown activation '%s' (known: %s)", name, known);
}

const char *nnact_act_name(nnact_act_kind kind)
{
    return (unsigned)kind < NNACT_ACT_COUNT ? acts[kind].name : NULL;
}

int nnact_act_needs(nnact_act_kind kind) { return acts[kind].needs; }

bool nnact_act_row_wise(nnact_act_kind kind) { return acts[kind].row != NULL; }

/* act.cl's items: one for the head before the output's 64-byte boundary,
 * then one per 64 bytes from it (its ITEM: 16 floats or 32 halves). */
static size_t act_items(size_t n, const nnact_tensor *out)
{
    const size_t per_item = 64 / nnact_elem_size(out);
    return (n + per_item - 1) / per_item + 1;
}

static nnact_status forward_run(nnact_ctx *ctx, const nnact_act *act, nnact_dtype dt,
                                const nnact_tensor *x, nnact_tensor *y)
{
    cl_ulong n = nnact_numel(x), xo = x->offset, yo = y->offset;
    cl_uint stream = nnact_stream_stores(ctx, 2 * n * nnact_elem_size(y));
    nnact_arg args[] = {NNACT_ARG(x->buf), NNACT_ARG(xo), NNACT_ARG(y->buf), NNACT_ARG(yo),
                        NNACT_ARG(n), NNACT_ARG(act->alpha), NNACT_ARG(act->beta),
                        NNACT_ARG(stream)};
    return nnact_launch(ctx, acts[act->kind].fwd, dt, act_items(n, y), ctx->elem_local,
                        sizeof args / sizeof args[0], args);
}

nnact_status nnact_act_forward_body(nnact_ctx *ctx, const nnact_act *act,
                                    const nnact_tensor *x, nnact_tensor *y)
{
    const act_def *def = &acts[act->kind];
    if (def->row)
        return nnact_row_forward(ctx, def->row, act->alpha, x, y);
    if (!nnact_numel(x))
        return NNACT_OK;
    nnact_plan p;
    nnact_status st = nnact_plan_storage(&p, ctx, def->fwd, NULL, 2,
                                         (nnact_operand[]){NNACT_READ(&x), NNACT_WRITE(&y)});
    return st ? st : nnact_plan_done(&p, forward_run(ctx, act, p.dtype, x, y));
}

nnact_status nnact_act_forward(nnact_ctx *ctx, const nnact_act *act,
                               const nnact_tensor *x, nnact_tensor *y)
{
    const char *fn = "nnact_act_forward";
    nnact_status st;
    if ((st = nnact_check_ctx(ctx, fn)) != NNACT_OK ||
        (st = nnact_check_act_call(act, fn)) != NNACT_OK ||
        (st = nnact_check_pair(ctx, x, "x", y, "y", fn)) != NNACT_OK)
        return st;
    return nnact_act_forward_body(ctx, act, x, y);
}

/* in: the tensor the derivative reads (x or y, NULL when none). */
static nnact_status backward_run(nnact_ctx *ctx, const nnact_act *act, nnact_dtype dt,
                                 const nnact_tensor *in, const nnact_tensor *dy,
                                 nnact_tensor *dx)
{
    const act_def *def = &acts[act->kind];
    cl_ulong n = nnact_numel(dy), dyo = dy->offset, dxo = dx->offset;
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
    return nnact_launch(ctx, def->bwd, dt, act_items(n, dx), ctx->elem_local,
                        sizeof args / sizeof args[0], args);
}

nnact_status nnact_act_backward_body(nnact_ctx *ctx, const nnact_act *act,
                                     const nnact_tensor *in, const nnact_tensor *dy,
                                     nnact_tensor *dx)
{
    const act_def *def = &acts[act->kind];
    if (def->row)
        return nnact_row_backward(ctx, def->row, act->alpha, in, dy, dx);
    if (!nnact_numel(dy))
        return NNACT_OK;
    nnact_plan p;
    nnact_status st = nnact_plan_storage(
        &p, ctx, def->bwd, NULL, 3,
        (nnact_operand[]){NNACT_READ(&in), NNACT_READ(&dy), NNACT_WRITE(&dx)});
    return st ? st : nnact_plan_done(&p, backward_run(ctx, act, p.dtype, in, dy, dx));
}

/* Checks the tensor the derivative reads (x or y, named xn and yn) and
 * returns it in *in (NULL when it reads neither). */
static nnact_status check_act_input(nnact_ctx *ctx, const nnact_act *act,
                                    const nnact_tensor *x, const char *xn,
                                    const nnact_tensor *y, const char *yn,
                                    const nnact_tensor *dy, const char *fn,
                                    const nnact_tensor **in)
{
    /* Only the tensor the derivative reads is required; the other is ignored. */
    const act_def *def = &acts[act->kind];
    *in = def->needs == NNACT_NEEDS_X ? x : def->needs == NNACT_NEEDS_Y ? y : NULL;
    const char *in_name = def->needs == NNACT_NEEDS_X ? xn : yn;
    if (def->needs == NNACT_NEEDS_NONE)
        return NNACT_OK;
    if (!*in)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL, but the %s "
                          "derivative needs it", fn, in_name, def->name);
    nnact_status st;
    if ((st = nnact_check_tensor(ctx, *in, fn, in_name)) != NNACT_OK ||
        (st = nnact_check_same_shape(*in, in_name, dy, "dy", fn)) != NNACT_OK)
        return st;
    return NNACT_OK;
}

nnact_status nnact_act_backward(nnact_ctx *ctx, const nnact_act *act,
                                const nnact_tensor *x, const nnact_tensor *y,
                                const nnact_tensor *dy, nnact_tensor *dx)
{
    const char *fn = "nnact_act_backward";
    nnact_status st;
    const nnact_tensor *in;
    if ((st = nnact_check_ctx(ctx, fn)) != NNACT_OK ||
        (st = nnact_check_act_call(act, fn)) != NNACT_OK ||
        (st = nnact_check_pair(ctx, dy, "dy", dx, "dx", fn)) != NNACT_OK ||
        (st = check_act_input(ctx, act, x, "x", y, "y", dy, fn, &in)) != NNACT_OK)
        return st;
    return nnact_act_backward_body(ctx, act, in, dy, dx);
}
