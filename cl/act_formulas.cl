/* Elementwise activations: each formula and derivative is written once here,
 * on vectors, as <name>_fwd(x, alpha, beta) and <name>_bwd(x, y, dy, alpha,
 * beta). act.cl and dense.cl instantiate kernels from them via act_list.h.
 * Forms are the stable ones of notes/numerics.md: no exp of a positive
 * argument, no inf*0 at the limits. */

/* sigma(|t|) and sigma(-|t|) from one exp that never overflows. */
inline void sigmoid_pair(vfloat t, vfloat *pos, vfloat *neg)
{
    vfloat e = exp_nonpos(-fabs(t));
    *pos = 1.0f / (1.0f + e);
    *neg = e * *pos;
}

inline vfloat sigmoid_of(vfloat t)
{
    vfloat p, q;
    sigmoid_pair(t, &p, &q);
    return select(q, p, t >= 0.0f);
}


inline vfloat identity_fwd(vfloat x, float a, float b) { return x; }
inline vfloat identity_bwd(vfloat x, vfloat y, vfloat dy, float a, float b) { return dy; }

inline vfloat sigmoid_fwd(vfloat x, float a, float b) { return sigmoid_of(x); }
inline vfloat sigmoid_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return dy * (y * (1.0f - y));
}

/* tanh(|x|) = (1 - e)/(1 + e) with e = exp(-2|x|) <= 1 (never overflows);
 * below |x| = 0.625, where 1 - e cancels, an odd minimax polynomial
 * (Cephes' tanhf coefficients). <= 2.6 ulp against tanhl; 1.2x faster on
 * pocl than its built-in tanh, which made this op compute-bound.
 * From |x| = 0x1.205968p+3 (9.0109) on, tanh rounds to +-1; return that
 * exactly (pocl's built-in gave 0.99999994 even at +-inf), so saturated
 * units get no spurious ~1.2e-7 dy gradient. */
inline vfloat tanh_fwd(vfloat x, float a, float b)
{
    vfloat ax = fabs(x), s = ax * ax;
    vfloat p = (vfloat)(-5.70498872745e-3f);
    p = FMA(p, s, (vfloat)(2.06390887954e-2f));
    p = FMA(p, s, (vfloat)(-5.37397155531e-2f));
    p = FMA(p, s, (vfloat)(1.33314422036e-1f));
    p = FMA(p, s, (vfloat)(-3.33332819422e-1f));
    vfloat near0 = FMA(p * s, ax, ax);
    vfloat e = exp_nonpos(-2.0f * ax);
    vfloat t = select((1.0f - e) / (1.0f + e), near0, ax < 0.625f);
    return copysign(select(t, (vfloat)(1.0f), ax >= 0x1.205968p+3f), x);
}
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

inline vfloat leaky_relu_fwd(vfloat x, float a, float b) { return slope_fwd(x, (vfloat)(a)); }
inline vfloat leaky_relu_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return slope_bwd(x, dy, (vfloat)(a));
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
