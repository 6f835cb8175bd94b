/* The storage plan of one operation (nnact_plan_storage): every operation
 * body starts by listing its operands, read or written, and the kernel
 * whose kernel_list.h columns say which storage types it serves natively.
 * When all operands share one such type the body runs natively in it;
 * otherwise each operand not in float32 gets a float32 stand-in in a
 * scratch slot (widened when read), the body runs on float32, and
 * nnact_plan_done narrows the written stand-ins back, rounding once. The
 * same tensor passed twice shares one stand-in, so in-place calls stay in
 * place. */
#include "internal.h"

#include <string.h>

/* Gives up the slots of a plan that failed half-way. */
static nnact_status plan_fail(nnact_plan *p, nnact_status st)
{
    p->ctx->f32_slots_used = p->base;
    p->n = 0;
    return st;
}

/* The stand-in of t (shared when t was seen before), widened when read;
 * dst is where it is narrowed to (NULL when only read). */
static nnact_status stand_in(nnact_plan *p, const nnact_tensor *t, nnact_tensor *dst,
                             int use, nnact_tensor **out)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->orig[i] == t) {
            p->use[i] |= use;
            if (dst)
                p->dst[i] = dst;
            *out = &p->tmp[i];
            return NNACT_OK;
        }
    if (p->base + p->n == NNACT_F32_SLOTS)
        return plan_fail(p, nnact_fail(NNACT_ERR_UNSUPPORTED, "internal: more than %d F16 "
                                       "tensors in one call", NNACT_F32_SLOTS));
    const size_t i = p->n;
    nnact_tensor *w = &p->tmp[i];
    *w = (nnact_tensor){p->ctx, NULL, 0, t->rows, t->cols, NNACT_F32};
    nnact_status st;
    if (nnact_numel(t) &&
        (st = nnact_scratch(p->ctx, (nnact_scratch_slot)(NNACT_SCRATCH_F32_0 + p->base + i),
                            nnact_numel(t) * sizeof(float), &w->buf)) != NNACT_OK)
        return plan_fail(p, st);
    if ((use & NNACT_USE_IN) && (st = nnact_convert(p->ctx, t, w)) != NNACT_OK)
        return plan_fail(p, st);
    p->orig[i] = t;
    p->dst[i] = dst;
    p->use[i] = use;
    p->n++;
    p->ctx->f32_slots_used = p->base + p->n;
    *out = w;
    return NNACT_OK;
}

/* The storage type shared by every operand, or -1 when they differ. */
static int common_dtype(size_t n, const nnact_operand *ops)
{
    int dt = -1;
    for (size_t i = 0; i < n; i++) {
        const nnact_tensor *t = ops[i].in ? *ops[i].in : *ops[i].out;
        if (t && dt < 0)
            dt = (int)t->dtype;
        else if (t && (int)t->dtype != dt)
            return -1;
    }
    return dt < 0 ? (int)NNACT_F32 : dt;
}

nnact_status nnact_plan_storage(nnact_plan *p, nnact_ctx *ctx, nnact_kernel_id native,
                                const char *widen_note, size_t n, const nnact_operand *ops)
{
    p->ctx = ctx;
    p->n = 0;
    p->base = ctx->f32_slots_used; /* a nested plan takes the slots after ours */
    const int dt = common_dtype(n, ops);
    /* float32 is native everywhere: every operation has its kernels. */
    if (dt == NNACT_F32 || (dt > 0 && nnact_kernel_exists(native, (nnact_dtype)dt))) {
        p->dtype = (nnact_dtype)dt;
        return NNACT_OK;
    }
    p->dtype = NNACT_F32;
    if (widen_note)
        nnact_debug_once(ctx, 0, widen_note);
    for (size_t i = 0; i < n; i++) {
        const nnact_tensor *t = ops[i].in ? *ops[i].in : *ops[i].out;
        if (!t || t->dtype == NNACT_F32)
            continue;
        nnact_tensor *w = NULL;
        nnact_status st = stand_in(p, t, ops[i].out ? *ops[i].out : NULL, ops[i].use, &w);
        if (st != NNACT_OK)
            return st;
        if (ops[i].in)
            *ops[i].in = w;
        else
            *ops[i].out = w;
    }
    return NNACT_OK;
}

nnact_status nnact_plan_done(nnact_plan *p, nnact_status st)
{
    for (size_t i = 0; i < p->n && st == NNACT_OK; i++)
        if (p->use[i] & NNACT_USE_OUT)
            st = nnact_convert(p->ctx, &p->tmp[i], p->dst[i]);
    p->ctx->f32_slots_used = p->base;
    return st;
}
