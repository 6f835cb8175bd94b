/* Elementwise activation kernels: one forward and one backward kernel per
 * line of act_list.h, over VW floats per work-item (formulas in
 * act_formulas.cl). */

#define NEEDS_NONE 0
#define NEEDS_X 1
#define NEEDS_Y 2

#define ACT_KERNELS(name, KIND, da, db, needs)                                     \
    __kernel void act_##name##_fwd(__global const float *x, ulong xo,                \
                                   __global float *y, ulong yo, ulong n,            \
                                   float alpha, float beta)                         \
    {                                                                               \
        const ulong base = get_global_id(0) * VW;                                   \
        if (base >= n)                                                              \
            return;                                                                 \
        const uint count = (uint)min((ulong)VW, n - base);                         \
        store_part(name##_fwd(load_part(x + xo, base, count), alpha, beta),         \
                   y + yo, base, count);                                            \
    }                                                                               \
    __kernel void act_##name##_bwd(__global const float *x, ulong xo,                \
                                   __global const float *y, ulong yo,               \
                                   __global const float *dy, ulong dyo,             \
                                   __global float *dx, ulong dxo, ulong n,          \
                                   float alpha, float beta)                         \
    {                                                                               \
        const ulong base = get_global_id(0) * VW;                                   \
        if (base >= n)                                                              \
            return;                                                                 \
        const uint count = (uint)min((ulong)VW, n - base);                         \
        vfloat xv = (NEEDS_##needs == NEEDS_X) ? load_part(x + xo, base, count) : VZERO; \
        vfloat yv = (NEEDS_##needs == NEEDS_Y) ? load_part(y + yo, base, count) : VZERO; \
        vfloat g = load_part(dy + dyo, base, count);                                \
        store_part(name##_bwd(xv, yv, g, alpha, beta), dx + dxo, base, count);     \
    }

NNACT_ELEMENTWISE_ACTS(ACT_KERNELS)
