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

/* Which kernels honour the host's stream flag: those at memory speed
 * (cycles per element well below the copy's, tools/kernel-cost.py). A
 * compute-bound kernel that bypasses the cache loses the overlap of its
 * arithmetic with the memory traffic: on the AVX-512 Xeon (2026-12-08,
 * 16M floats, NNACT_STREAM=1 vs 0 alternated, 5 rounds) tanh, gelu,
 * softplus forward and mish backward took 1.6x as long streaming, sigmoid
 * 1.2x, while relu and identity were 1.3x and 1.04x faster streaming. */
#define STREAM_FWD 1
#define STREAM_BWD 2
#define STREAM_BOTH 3
#define STREAMS_identity STREAM_BOTH
#define STREAMS_sigmoid STREAM_BWD
#define STREAMS_tanh STREAM_BWD
#define STREAMS_relu STREAM_BOTH
#define STREAMS_leaky_relu STREAM_BOTH
#define STREAMS_prelu STREAM_BOTH
#define STREAMS_swish 0
#define STREAMS_elu 0
#define STREAMS_selu 0
#define STREAMS_celu 0
#define STREAMS_gelu 0
#define STREAMS_gelu_tanh 0
#define STREAMS_softplus 0
#define STREAMS_mish 0
#define STREAMS_softsign 0
#define STREAMS_hardsigmoid STREAM_BOTH
#define STREAMS_hardswish STREAM_BOTH
#define STREAMS_relu6 STREAM_BOTH
#define STREAMS_hardtanh STREAM_BOTH
#endif
#undef ITEM
#define ITEM (64 / S_SIZE) /* elements per item: VW floats, 2 VW halves */

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
        stream = stream && (STREAMS_##name & STREAM_FWD);                           \
        if (!SFX(aligned_span)(y + yo, n, &base, &count))                           \
            return;                                                                 \
        if (count == ITEM && get_global_id(0)) { /* a whole item, aligned */    \
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
        stream = stream && (STREAMS_##name & STREAM_BWD);                           \
        if (!SFX(aligned_span)(dx + dxo, n, &base, &count))                         \
            return;                                                                 \
        if (count == ITEM && get_global_id(0)) { /* a whole item, aligned */    \
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
