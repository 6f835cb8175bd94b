/* Elementwise activation kernels: one forward and one backward kernel per
 * line of act_list.h, over VW elements per work-item (formulas in
 * act_formulas.cl). Compiled per storage type (storage_f32.cl: act_relu_fwd
 * on floats; storage_f16.cl: act_relu_fwd_h on halves, the same formulas
 * in float32 between a widening load and one rounding store).
 *
 * The items are laid out on the output's 64-byte boundaries so that every
 * full vector can be stored aligned and, when stream is set (the host's
 * choice for tensors larger than the cache, NNACT_STREAM), bypass the
 * caches: a write then costs no read-for-ownership of its line. An item
 * covers 64 bytes: ITEM = VW floats or 2 VW halves (with VW halves per item
 * pocl's per-item cost kept F16 at the float32 time). Item 0 stores the
 * head before the first boundary (possibly nothing); item g >= 1 the ITEM
 * elements from head + (g - 1) ITEM, the last one partial. The host
 * launches ceil(n / ITEM) + 1 items (act.c act_items). */

#ifndef NEEDS_NONE
#define NEEDS_NONE 0
#define NEEDS_X 1
#define NEEDS_Y 2

/* Whole-item work-items ask for their inputs' lines 1 KiB ahead (common.cl
 * PREFETCH; one line per item; 4 KiB measured the same, and past the end
 * of a buffer a prefetch is only a wasted hint). Without it the kernels
 * that compute between their loads waited for memory rather than
 * overlapping it, most with streaming stores: on the AVX-512 Xeon at 16M
 * floats tanh, gelu and gelu_tanh forward took 0.78, 0.75, 0.64 of the
 * time without, and streaming, which had cost them up to 1.6x, then cost
 * nothing or gained (doc/performance.md, 2026-12-08). */
#define ACT_AHEAD_BYTES 1024
#endif
#undef ITEM
#define ITEM (64 / S_SIZE) /* elements per item: VW floats, 2 VW halves */
#undef ACT_AHEAD
#define ACT_AHEAD (ACT_AHEAD_BYTES / S_SIZE)

/* This item's first element and count; false when it has none. */
INLINE bool SFX(aligned_span)(__global const ST *out, ulong n, ulong *base, uint *count)
{
    const uint head = (uint)min(n, (ulong)(((64 - ((size_t)out & 63)) & 63) / S_SIZE));
    const ulong g = get_global_id(0);
    if (g == 0) {
        *base = 0;
        *count = head;
        return head > 0;
    }
    *base = head + (g - 1) * ITEM;
    if (*base >= n)
        return false;
    *count = (uint)min((ulong)ITEM, n - *base);
    return true;
}

/* The vectors of an item's span: u-th from base + u VW, count elements in
 * all; false past the last. */
INLINE bool SFX(span_part)(ulong base, uint count, uint u, ulong *b, uint *c)
{
    if (count <= u * VW)
        return false;
    *b = base + u * VW;
    *c = min((uint)VW, count - u * VW);
    return true;
}

#define ACT_KERNELS(name, KIND, da, db, needs)                                     \
    __kernel void SFX(act_##name##_fwd)(__global const ST *x, ulong xo,             \
                                        __global ST *y, ulong yo, ulong n,          \
                                        float alpha, float beta, uint stream)       \
    {                                                                               \
        ulong base, b;                                                              \
        uint count, c;                                                              \
        if (!SFX(aligned_span)(y + yo, n, &base, &count))                           \
            return;                                                                 \
        if (count == ITEM && get_global_id(0)) { /* a whole item, aligned */    \
            PREFETCH(x + xo + base + ACT_AHEAD);                                    \
            for (uint u = 0; u < ITEM / VW; u++)                                      \
                SFX(store_aligned)(name##_fwd(S_VLOAD(x + xo + base + u * VW), alpha, beta), \
                                   y + yo + base + u * VW, stream);                   \
            return;                                                                 \
        }                                                                           \
        for (uint u = 0; u < ITEM / VW && SFX(span_part)(base, count, u, &b, &c); u++) \
            SFX(store_part_stream)(name##_fwd(SFX(load_part)(x + xo, b, c), alpha, beta),  \
                            y + yo, b, c, stream);                                  \
    }                                                                               \
    __kernel void SFX(act_##name##_bwd)(__global const ST *x, ulong xo,             \
                                        __global const ST *y, ulong yo,             \
                                        __global const ST *dy, ulong dyo,           \
                                        __global ST *dx, ulong dxo, ulong n,        \
                                        float alpha, float beta, uint stream)       \
    {                                                                               \
        ulong base, b;                                                              \
        uint count, c;                                                              \
        if (!SFX(aligned_span)(dx + dxo, n, &base, &count))                         \
            return;                                                                 \
        if (count == ITEM && get_global_id(0)) { /* a whole item, aligned */    \
            if (NEEDS_##needs == NEEDS_X)                                           \
                PREFETCH(x + xo + base + ACT_AHEAD);                                \
            if (NEEDS_##needs == NEEDS_Y)                                           \
                PREFETCH(y + yo + base + ACT_AHEAD);                                \
            PREFETCH(dy + dyo + base + ACT_AHEAD);                                  \
            for (uint u = 0; u < ITEM / VW; u++) {                                    \
                const ulong o = base + u * VW;                                      \
                vfloat xv = (NEEDS_##needs == NEEDS_X) ? S_VLOAD(x + xo + o) : VZERO;  \
                vfloat yv = (NEEDS_##needs == NEEDS_Y) ? S_VLOAD(y + yo + o) : VZERO;  \
                SFX(store_aligned)(name##_bwd(xv, yv, S_VLOAD(dy + dyo + o), alpha, beta), \
                                   dx + dxo + o, stream);                           \
            }                                                                       \
            return;                                                                 \
        }                                                                           \
        for (uint u = 0; u < ITEM / VW && SFX(span_part)(base, count, u, &b, &c); u++) { \
            vfloat xv = (NEEDS_##needs == NEEDS_X) ? SFX(load_part)(x + xo, b, c) : VZERO; \
            vfloat yv = (NEEDS_##needs == NEEDS_Y) ? SFX(load_part)(y + yo, b, c) : VZERO; \
            vfloat g = SFX(load_part)(dy + dyo, b, c);                              \
            SFX(store_part_stream)(name##_bwd(xv, yv, g, alpha, beta), dx + dxo, b, c, stream); \
        }                                                                           \
    }

NNACT_ELEMENTWISE_ACTS(ACT_KERNELS)
#undef ACT_KERNELS
