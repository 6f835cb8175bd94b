/* Elementwise activations: each formula and derivative is written once here,
 * on vectors, and act_list.h instantiates a forward and a backward kernel
 * per activation. Forms are the stable ones of notes/numerics.md: no exp of
 * a positive argument, no inf*0 at the limits. */

/* sigma(|t|) and sigma(-|t|) from one exp that never overflows. */
inline void sigmoid_pair(vfloat t, vfloat *pos, vfloat *neg)
{
    vfloat e = exp(-fabs(t));
    *pos = 1.0f / (1.0f + e);
    *neg = e * *pos;
}

inline vfloat sigmoid_of(vfloat t)
{
    vfloat p, q;
    sigmoid_pair(t, &p, &q);
    return select(q, p, t >= 0.0f);
}

/* A NaN x must reach dx even where the derivative would select a constant. */
inline vfloat keep_nan(vfloat x, vfloat r) { return select(r, x, isnan(x)); }

inline vfloat identity_fwd(vfloat x, float a, float b) { return x; }
inline vfloat identity_bwd(vfloat x, vfloat y, vfloat dy, float a, float b) { return dy; }

inline vfloat sigmoid_fwd(vfloat x, float a, float b) { return sigmoid_of(x); }
inline vfloat sigmoid_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return dy * (y * (1.0f - y));
}

inline vfloat tanh_fwd(vfloat x, float a, float b) { return tanh(x); }
/* (1-y)(1+y) keeps 1-y exact near |y| = 1, unlike 1 - y*y. */
inline vfloat tanh_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return dy * ((1.0f - y) * (1.0f + y));
}

/* x < 0 ? 0 : x lets NaN through, unlike fmax(x, 0). */
inline vfloat relu_fwd(vfloat x, float a, float b) { return select(x, VZERO, x < 0.0f); }
inline vfloat relu_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return keep_nan(x, select(VZERO, dy, x > 0.0f));
}

inline vfloat leaky_relu_fwd(vfloat x, float a, float b) { return select(a * x, x, x > 0.0f); }
inline vfloat leaky_relu_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return keep_nan(x, select(a * dy, dy, x > 0.0f));
}

inline vfloat prelu_fwd(vfloat x, float a, float b) { return leaky_relu_fwd(x, a, b); }
inline vfloat prelu_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return leaky_relu_bwd(x, y, dy, a, b);
}

/* swish = x*s with s = sigma(b*x). Where s underflows to 0 the product is a
 * signed zero (x may be -inf there). */
inline vfloat swish_fwd(vfloat x, float a, float b)
{
    vfloat s = sigmoid_of(b * x);
    return select(x * s, copysign(VZERO, x), s == 0.0f);
}
/* swish' = s + b*x*s*(1-s). b is folded into the small factor first so that
 * b*x never overflows; where s*(1-s) underflows the term's true value is
 * negligible and swish' is s itself (this also gives the limits 1 and 0). */
inline vfloat swish_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    vfloat t = b * x, p, q;
    sigmoid_pair(t, &p, &q);
    vfloat s = select(q, p, t >= 0.0f);
    vfloat g = p * q; /* s*(1-s) */
    vfloat d = select(s + x * (b * g), s, g == 0.0f);
    return dy * d;
}

/* Loads a full vector or, for the ragged tail, the valid part padded with 0. */
inline vfloat load_part(__global const float *p, ulong base, uint count)
{
    if (count == VW)
        return VLOAD(0, p + base);
    float tmp[VW];
    for (uint k = 0; k < VW; k++)
        tmp[k] = k < count ? p[base + k] : 0.0f;
    return VLOAD(0, tmp);
}

inline void store_part(vfloat v, __global float *p, ulong base, uint count)
{
    if (count == VW) {
        VSTORE(v, 0, p + base);
        return;
    }
    float tmp[VW];
    VSTORE(v, 0, tmp);
    for (uint k = 0; k < count; k++)
        p[base + k] = tmp[k];
}

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
