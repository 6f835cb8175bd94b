/* Elementwise activation kernels: one forward and one backward kernel per
 * line of act_list.h, over VW elements per work-item (formulas in
 * act_formulas.cl). Compiled per storage type (storage_f32.cl: act_relu_fwd
 * on floats; storage_f16.cl: act_relu_fwd_h on halves, the same formulas
 * in float32 between a widening load and one rounding store).
 *
 * The items are laid out on the output's 64-byte boundaries so that every
 * full vector can be stored aligned and, when stream is set (the host's
 * choice for tensors larger than the cache, NNACT_STREAM), bypass the
 * caches: a write then costs no read-for-ownership of its line. Item 0
 * stores the head before the first boundary (possibly nothing); item g >= 1
 * the VW elements from head + (g - 1) VW, the last one partial. The host
 * launches nnact_elementwise_items(n) + 1 items. */

#ifndef NEEDS_NONE
#define NEEDS_NONE 0
#define NEEDS_X 1
#define NEEDS_Y 2
#endif

/* This item's first element and count; false when it has none. */
INLINE bool SFX(aligned_span)(__global const ST *out, ulong n, ulong *base, uint *count)
{
    const uint head = SFX(head_to_align)(out, n);
    const ulong g = get_global_id(0);
    if (g == 0) {
        *base = 0;
        *count = head;
        return head > 0;
    }
    *base = head + (g - 1) * VW;
    if (*base >= n)
        return false;
    *count = (uint)min((ulong)VW, n - *base);
    return true;
}

/* A full vector here is never item 0's (head < VW), so it is aligned. */
INLINE void SFX(store_span)(vfloat v, __global ST *out, ulong base, uint count, uint stream)
{
    if (count == VW)
        SFX(store_aligned)(v, out + base, stream);
    else
        SFX(store_part)(v, out, base, count);
}

#define ACT_KERNELS(name, KIND, da, db, needs)                                     \
    __kernel void SFX(act_##name##_fwd)(__global const ST *x, ulong xo,             \
                                        __global ST *y, ulong yo, ulong n,          \
                                        float alpha, float beta, uint stream)       \
    {                                                                               \
        ulong base;                                                                 \
        uint count;                                                                 \
        if (!SFX(aligned_span)(y + yo, n, &base, &count))                           \
            return;                                                                 \
        SFX(store_span)(name##_fwd(SFX(load_part)(x + xo, base, count), alpha, beta), \
                        y + yo, base, count, stream);                               \
    }                                                                               \
    __kernel void SFX(act_##name##_bwd)(__global const ST *x, ulong xo,             \
                                        __global const ST *y, ulong yo,             \
                                        __global const ST *dy, ulong dyo,           \
                                        __global ST *dx, ulong dxo, ulong n,        \
                                        float alpha, float beta, uint stream)       \
    {                                                                               \
        ulong base;                                                                 \
        uint count;                                                                 \
        if (!SFX(aligned_span)(dx + dxo, n, &base, &count))                         \
            return;                                                                 \
        vfloat xv = (NEEDS_##needs == NEEDS_X) ? SFX(load_part)(x + xo, base, count) : VZERO; \
        vfloat yv = (NEEDS_##needs == NEEDS_Y) ? SFX(load_part)(y + yo, base, count) : VZERO; \
        vfloat g = SFX(load_part)(dy + dyo, base, count);                           \
        SFX(store_span)(name##_bwd(xv, yv, g, alpha, beta), dx + dxo, base, count, stream); \
    }

NNACT_ELEMENTWISE_ACTS(ACT_KERNELS)
#undef ACT_KERNELS
