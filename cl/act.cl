/* Elementwise activation kernels: one forward and one backward kernel per
 * line of act_list.h, over VW floats per work-item (formulas in
 * act_formulas.cl).
 *
 * The items are laid out on the output's 64-byte boundaries so that every
 * full vector can be stored aligned and, when stream is set (the host's
 * choice for tensors larger than the cache, NNACT_STREAM), bypass the
 * caches: a write then costs no read-for-ownership of its line. Item 0
 * stores the head before the first boundary (possibly nothing); item g >= 1
 * the VW floats from head + (g - 1) VW, the last one partial. The host
 * launches nnact_elementwise_items(n) + 1 items. */

#define NEEDS_NONE 0
#define NEEDS_X 1
#define NEEDS_Y 2

/* This item's first element and count; false when it has none. */
INLINE bool aligned_span(__global const float *out, ulong n, ulong *base, uint *count)
{
    const uint head = head_to_align(out, n);
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
INLINE void store_span(vfloat v, __global float *out, ulong base, uint count, uint stream)
{
    if (count == VW)
        store_aligned(v, out + base, stream);
    else
        store_part(v, out, base, count);
}

#define ACT_KERNELS(name, KIND, da, db, needs)                                     \
    __kernel void act_##name##_fwd(__global const float *x, ulong xo,                \
                                   __global float *y, ulong yo, ulong n,            \
                                   float alpha, float beta, uint stream)            \
    {                                                                               \
        ulong base;                                                                 \
        uint count;                                                                 \
        if (!aligned_span(y + yo, n, &base, &count))                                \
            return;                                                                 \
        store_span(name##_fwd(load_part(x + xo, base, count), alpha, beta),         \
                   y + yo, base, count, stream);                                    \
    }                                                                               \
    __kernel void act_##name##_bwd(__global const float *x, ulong xo,                \
                                   __global const float *y, ulong yo,               \
                                   __global const float *dy, ulong dyo,             \
                                   __global float *dx, ulong dxo, ulong n,          \
                                   float alpha, float beta, uint stream)            \
    {                                                                               \
        ulong base;                                                                 \
        uint count;                                                                 \
        if (!aligned_span(dx + dxo, n, &base, &count))                              \
            return;                                                                 \
        vfloat xv = (NEEDS_##needs == NEEDS_X) ? load_part(x + xo, base, count) : VZERO; \
        vfloat yv = (NEEDS_##needs == NEEDS_Y) ? load_part(y + yo, base, count) : VZERO; \
        vfloat g = load_part(dy + dyo, base, count);                                \
        store_span(name##_bwd(xv, yv, g, alpha, beta), dx + dxo, base, count, stream); \
    }

NNACT_ELEMENTWISE_ACTS(ACT_KERNELS)
