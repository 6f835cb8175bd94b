/* Elementwise activations: each formula and derivative is written once here,
 * on vectors, as <name>_fwd(x, alpha, beta) and <name>_bwd(x, y, dy, alpha,
 * beta). act.cl and dense.cl instantiate kernels from them via act_list.h.
 * Forms are the stable ones of notes/numerics.md: no exp of a positive
 * argument, no inf*0 at the limits. */

/* sigma(|t|) and sigma(-|t|) from one exp that never overflows. */
INLINE void sigmoid_pair(vfloat t, vfloat *pos, vfloat *neg)
{
    vfloat e = exp_nonpos(-fabs(t));
    *pos = 1.0f / (1.0f + e);
    *neg = e * *pos;
}

INLINE vfloat sigmoid_of(vfloat t)
{
    vfloat p, q;
    sigmoid_pair(t, &p, &q);
    return select(q, p, t >= 0.0f);
}


INLINE vfloat identity_fwd(vfloat x, float a, float b) { return x; }
INLINE vfloat identity_bwd(vfloat x, vfloat y, vfloat dy, float a, float b) { return dy; }

INLINE vfloat sigmoid_fwd(vfloat x, float a, float b) { return sigmoid_of(x); }
INLINE vfloat sigmoid_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return dy * (y * (1.0f - y));
}

/* tanh(|x|) = (1 - e)/(1 + e) with e = exp(-2|x|) <= 1 (never overflows);
 * below |x| = 0.4, where 1 - e cancels, x + x s q(s), s = x^2, q of
 * degree 2 fitted here for minimal relative error on [0, 0.4] (2.2e-7 in
 * float32 Horner, 0.06 of the 4e-6 bar; Cephes' degree 4 on [0, 0.625]
 * spent two more FMAs of a zmm-port-bound loop, tools/kernel-cost.py).
 * From |x| = 0x1.205968p+3 (9.0109) on, tanh rounds to +-1; return that
 * exactly (pocl's built-in gave 0.99999994 even at +-inf), so saturated
 * units get no spurious ~1.2e-7 dy gradient; e is only needed above
 * 2^-26, so the exp without the subnormal range does. */
INLINE vfloat tanh_fwd(vfloat x, float a, float b)
{
    vfloat ax = fabs(x), s = ax * ax;
    vfloat p = (vfloat)(-0.04779811f);
    p = FMA(p, s, (vfloat)(0.13277704f));
    p = FMA(p, s, (vfloat)(-0.33331886f));
    vfloat near0 = FMA(p * s, ax, ax);
    vfloat e = exp_nonpos_normal(-2.0f * ax);
    vfloat t = select((1.0f - e) / (1.0f + e), near0, ax < 0.4f);
    return copysign(select(t, (vfloat)(1.0f), ax >= 0x1.205968p+3f), x);
}
/* (1-y)(1+y) keeps 1-y exact near |y| = 1, unlike 1 - y*y. */
INLINE vfloat tanh_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return dy * ((1.0f - y) * (1.0f + y));
}

/* x < 0 ? 0 : x lets NaN through, unlike fmax(x, 0). */
INLINE vfloat relu_fwd(vfloat x, float a, float b) { return select(x, VZERO, x < 0.0f); }
INLINE vfloat relu_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return keep_nan(x, select(VZERO, dy, x > 0.0f));
}

INLINE vfloat leaky_relu_fwd(vfloat x, float a, float b) { return slope_fwd(x, (vfloat)(a)); }
INLINE vfloat leaky_relu_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return slope_bwd(x, dy, (vfloat)(a));
}

INLINE vfloat prelu_fwd(vfloat x, float a, float b) { return leaky_relu_fwd(x, a, b); }
INLINE vfloat prelu_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return leaky_relu_bwd(x, y, dy, a, b);
}

/* swish = x*s with s = sigma(b*x). Where s underflows to 0 the product is a
 * signed zero (x may be -inf there). */
INLINE vfloat swish_fwd(vfloat x, float a, float b)
{
    vfloat s = sigmoid_of(b * x);
    return select(x * s, copysign(VZERO, x), s == 0.0f);
}
/* swish' = s + b*x*s*(1-s). b is folded into the small factor first so that
 * b*x never overflows; where s*(1-s) underflows the term's true value is
 * negligible and swish' is s itself (this also gives the limits 1 and 0). */
INLINE vfloat swish_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    vfloat t = b * x, p, q;
    sigmoid_pair(t, &p, &q);
    vfloat s = select(q, p, t >= 0.0f);
    vfloat g = p * q; /* s*(1-s) */
    vfloat d = select(s + x * (b * g), s, g == 0.0f);
    return dy * d;
}

/* ---- The modern set: ELU family, GELU, softplus, mish, hard-* ---- */

/* Where the negative branch is taken: x itself for x <= 0 (NaN stays NaN,
 * unlike fmin(x, 0)), 0 elsewhere so that no exp sees a positive value. */
INLINE vfloat nonpos_part(vfloat x) { return select(x, VZERO, x > 0.0f); }

/* expm1(a) for a <= 0: exp_nonpos(a) - 1 where the result is at least 0.29
 * in magnitude (no cancellation, Sterbenz-exact subtraction), the Taylor
 * series to degree 8 above -ln2/2 (truncation < 1e-9 relative): tiny a give
 * a exactly (celu(-1e-30) = -1e-30), and no call to the built-in expm1. */
INLINE vfloat expm1_nonpos(vfloat a)
{
    vfloat p = (vfloat)(2.48015873e-5f);
    p = FMA(p, a, (vfloat)(1.98412698e-4f));
    p = FMA(p, a, (vfloat)(1.38888889e-3f));
    p = FMA(p, a, (vfloat)(8.33333333e-3f));
    p = FMA(p, a, (vfloat)(4.16666667e-2f));
    p = FMA(p, a, (vfloat)(1.66666667e-1f));
    p = FMA(p, a, (vfloat)(0.5f));
    vfloat near0 = FMA(p * a, a, a);
    return select(exp_nonpos(a) - 1.0f, near0, a > -0.346573590f);
}

INLINE vfloat elu_fwd(vfloat x, float a, float b)
{
    return select(a * expm1_nonpos(nonpos_part(x)), x, x > 0.0f);
}
INLINE vfloat elu_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return dy * select(a * exp_nonpos(nonpos_part(x)), (vfloat)(1.0f), x > 0.0f);
}

/* lambda and lambda*alpha of SELU, rounded to float. */
#define SELU_L 1.05070099f
#define SELU_LA 1.75809934f
INLINE vfloat selu_fwd(vfloat x, float a, float b)
{
    return select(SELU_LA * expm1_nonpos(nonpos_part(x)), SELU_L * x, x > 0.0f);
}
INLINE vfloat selu_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return dy * select(SELU_LA * exp_nonpos(nonpos_part(x)), (vfloat)(SELU_L), x > 0.0f);
}

/* celu: the argument x/alpha of the negative branch is <= 0 for alpha > 0
 * (the fast forms) and >= 0 for alpha < 0 (the built-ins, which overflow
 * exactly where the true result does). alpha is uniform: no divergence. */
INLINE vfloat celu_arg(vfloat x, float a)
{
    vfloat xn = nonpos_part(x);
    return a == 1.0f ? xn : xn / a;
}
INLINE vfloat celu_fwd(vfloat x, float a, float b)
{
    vfloat t = celu_arg(x, a);
    return select(a * (a > 0.0f ? expm1_nonpos(t) : expm1(t)), x, x > 0.0f);
}
/* For alpha < 0, e^(x/alpha) may overflow where the true dx = 0 * e^(x/alpha)
 * is 0: a zero dy gives zero. */
INLINE vfloat celu_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    vfloat t = celu_arg(x, a);
    if (a > 0.0f)
        return dy * select(exp_nonpos(t), (vfloat)(1.0f), x > 0.0f);
    vfloat r = dy * select(exp(t), (vfloat)(1.0f), x > 0.0f);
    return select(r, dy * 0.0f, dy == 0.0f && !isnan(x));
}

/* Everything about x below is taken from a = |x| capped at 20, where the
 * Gaussian factor is already 0 (e^-200): x^2 stays finite and no inf * 0
 * appears at x = +-inf. NaN stays NaN (gelu' needs it; gelu gets NaN from
 * x itself and takes the cheaper fmin). */
INLINE vfloat gauss_abs(vfloat x)
{
    vfloat ax = fabs(x);
    return select(ax, (vfloat)(20.0f), ax > 20.0f);
}

/* phi(x) sqrt(2 pi) = exp(-a^2/2) with a^2 = s + e exactly (fma), so that
 * the tail exp(-40) at x = -9 keeps its digits: exp(-s/2) (1 - e/2). */
INLINE vfloat gauss_kernel(vfloat a)
{
    vfloat s = a * a, e = PROD_ERR(a, a, s);
    return exp_nonpos(-0.5f * s) * FMA(-0.5f, e, (vfloat)(1.0f));
}

/* Phi(-a) = erfc(z)/2, z = a/sqrt 2, as t Q(t) e^(-z^2) with
 * t = 1/(1 + z/2) in [0.12, 1] and Q(t) = erfcx(z)/(2t), a degree-8
 * polynomial fitted here for minimal relative error over that range (the
 * coefficients of erfcx(z)/t halved, which is exact): 1.7e-7 in float32
 * Horner against mpmath (degree 7 gave 1.3e-6; Numerical Recipes' erfcc
 * needs a second exp for the same). e^(-z^2) is g = gauss_kernel(a), exact
 * in a^2, so the tail keeps its digits (gelu(-9) = -1.016e-18); only z's
 * rounding enters, through t, where it is damped.
 * gelu forward on pocl, 16M floats: 0.10 of the copy kernel with pocl's
 * erfc, 0.26 with erfcc's two exps. */
INLINE vfloat gauss_tail(vfloat a, vfloat g)
{
    vfloat t = 1.0f / FMA(a, (vfloat)(0.353553391f), (vfloat)(1.0f));
    vfloat q = (vfloat)(-2.969293110e-02f);
    q = FMA(q, t, (vfloat)(1.430606991e-01f));
    q = FMA(q, t, (vfloat)(-2.452008873e-01f));
    q = FMA(q, t, (vfloat)(1.408644319e-01f));
    q = FMA(q, t, (vfloat)(-1.457302924e-02f));
    q = FMA(q, t, (vfloat)(1.018758565e-01f));
    q = FMA(q, t, (vfloat)(1.214176342e-01f));
    q = FMA(q, t, (vfloat)(1.412060410e-01f));
    q = FMA(q, t, (vfloat)(1.410421729e-01f));
    return t * (q * g);
}

/* gelu = x Phi(x) = max(x, 0) - a Phi(-a): for x < 0 that is x Phi(x), for
 * x >= 0 x (1 - Phi(-x)), without cancellation (Phi(-a) <= 1/2). x = -inf
 * (and any x < -20) gives -0; NaN stays NaN through x. */
INLINE vfloat gelu_fwd(vfloat x, float a_, float b)
{
    vfloat a = fmin(fabs(x), (vfloat)(20.0f));
    vfloat v = a * gauss_tail(a, gauss_kernel(a));
    return select(x, (vfloat)(-0.0f), x < 0.0f) - v;
}
/* gelu' = Phi(x) + x phi(x): with w = Phi(-a) - a phi(a) it is w for
 * x < 0 and 1 - w for x >= 0. */
INLINE vfloat gelu_bwd(vfloat x, vfloat y, vfloat dy, float a_, float b)
{
    vfloat a = gauss_abs(x), g = gauss_kernel(a);
    vfloat w = FMA(-a, 0.398942292f * g, gauss_tail(a, g));
    return dy * select(1.0f - w, w, x < 0.0f);
}

/* GELU-tanh = x (1 + tanh u)/2 = x sigma(t), t = 2u = x (k0 + k1 x^2). In
 * the negative tail sigma(t) ~ e^t, whose relative error is that of t
 * times |t| (up to 100): t is formed in double-float (hi + lo, error-free
 * products and sums) and the low part applied as sigma(t) (1 + (1 - sigma) lo).
 * The callers cap |x| at 20 (xc), where sigma(t) is exactly 0 or 1. */
INLINE void gelu_tanh_parts(vfloat xc, vfloat *s, vfloat *c, vfloat *x2)
{
    const float k0h = 1.59576917f, k0l = -4.53406805e-8f;
    const float k1h = 0.0713548139f, k1l = 2.39883247e-9f;
    vfloat sq = xc * xc, sql = PROD_ERR(xc, xc, sq);
    vfloat ah = k1h * sq, al = PROD_ERR((vfloat)(k1h), sq, ah) + FMA((vfloat)(k1h), sql, k1l * sq);
    vfloat qh = k0h + ah, bb = qh - k0h;
    vfloat ql = ((k0h - (qh - bb)) + (ah - bb)) + (al + k0l);
    vfloat th = xc * qh, tl = PROD_ERR(xc, qh, th) + xc * ql;
    vfloat p, q;
    sigmoid_pair(th, &p, &q);
    const int16 pos = th >= 0.0f;
    vfloat g = p * q; /* sigma (1 - sigma) whatever the sign */
    *s = FMA(g, tl, select(q, p, pos));
    *c = FMA(-g, tl, select(p, q, pos)); /* unused by the forward: dropped there */
    *x2 = sq;
}
/* x clamped to [-20, 20] (two operations; a NaN x reaches the result
 * through x itself); below -20 s = 0 and xc s is -0, where x s would be
 * -inf * 0. */
INLINE vfloat gelu_tanh_fwd(vfloat x, float a, float b)
{
    vfloat s, c, x2, xc = fmin(fmax(x, (vfloat)(-20.0f)), (vfloat)(20.0f));
    gelu_tanh_parts(xc, &s, &c, &x2);
    return select(x * s, xc * s, x < 0.0f);
}
/* sigma(t) + x sigma(t) (1 - sigma(t)) t'(x), t' = k0 + 3 k1 x^2; where
 * sigma (1 - sigma) underflows the second term is negligible. */
INLINE vfloat gelu_tanh_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    vfloat s, c, x2, xc = select(x, copysign((vfloat)(20.0f), x), fabs(x) > 20.0f);
    gelu_tanh_parts(xc, &s, &c, &x2); /* NaN kept in xc: s is NaN */
    vfloat g = s * c;
    vfloat dt = FMA((vfloat)(0.214064449f), x2, (vfloat)(1.59576917f));
    return dy * select(FMA(x * g, dt, s), s, g == 0.0f);
}

/* log1p(e) for e in [0, 1] as 2 atanh(s), s = e/(2 + e) <= 1/3: the odd
 * series to s^15 (truncation < 2e-9 relative), no cancellation at small e.
 * softplus forward: 0.21 of the copy kernel with pocl's log1p, 0.50 with
 * this (nnact-bench, same loaded machine). */
INLINE vfloat log1p_unit(vfloat e)
{
    vfloat s = e / (2.0f + e), s2 = s * s;
    vfloat p = (vfloat)(1.0f / 15.0f);
    p = FMA(p, s2, (vfloat)(1.0f / 13.0f));
    p = FMA(p, s2, (vfloat)(1.0f / 11.0f));
    p = FMA(p, s2, (vfloat)(1.0f / 9.0f));
    p = FMA(p, s2, (vfloat)(1.0f / 7.0f));
    p = FMA(p, s2, (vfloat)(1.0f / 5.0f));
    p = FMA(p, s2, (vfloat)(1.0f / 3.0f));
    return (2.0f * s) * FMA(p, s2, (vfloat)(1.0f));
}

/* softplus = max(x, 0) + log1p(e^-|b x|)/b: the exact function, no threshold
 * switch; max(x, 0) is taken from x itself, so b x overflowing (FLT_MAX at
 * b = 2) costs nothing. A NaN x reaches the log1p term. */
INLINE vfloat softplus_fwd(vfloat x, float a, float b)
{
    vfloat l = log1p_unit(exp_nonpos(-fabs(b * x)));
    return select(VZERO, x, x > 0.0f) + (b == 1.0f ? l : l / b);
}
INLINE vfloat softplus_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return dy * sigmoid_of(b * x);
}

/* mish = x tanh(softplus(x)). With e = e^-|x|, tanh(log(1 + e^x)) is
 * n/(n + d): n = e (e + 2), d = 2 for x <= 0; n = 1 + 2e, d = 2 e^2 for
 * x > 0 -- one exp, no cancellation anywhere. */
INLINE void mish_parts(vfloat x, vfloat *n, vfloat *d, vfloat *e)
{
    const int16 pos = x > 0.0f;
    *e = exp_nonpos(-fabs(x));
    *n = select(*e * (*e + 2.0f), FMA(2.0f, *e, (vfloat)(1.0f)), pos);
    *d = select((vfloat)(2.0f), 2.0f * *e * *e, pos);
}
INLINE vfloat mish_fwd(vfloat x, float a, float b)
{
    vfloat n, d, e;
    mish_parts(x, &n, &d, &e);
    return select(x * (n / (n + d)), copysign(VZERO, x), n == 0.0f);
}
/* mish' = g + x sigma(x) (1 - g^2), g = n/(n + d), 1 - g^2 = d (2n + d)/(n + d)^2. */
INLINE vfloat mish_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    vfloat n, d, e;
    mish_parts(x, &n, &d, &e);
    vfloat den = n + d, g = n / den;
    vfloat sig = select(e, (vfloat)(1.0f), x > 0.0f) / (1.0f + e);
    vfloat w = sig * ((d * (2.0f * n + d)) / (den * den));
    return dy * select(FMA(x, w, g), g, w == 0.0f);
}

INLINE vfloat softsign_fwd(vfloat x, float a, float b)
{
    return select(x / (1.0f + fabs(x)), copysign((vfloat)(1.0f), x), isinf(x));
}
INLINE vfloat softsign_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    vfloat r = 1.0f / (1.0f + fabs(x));
    return dy * (r * r);
}

/* (x + 3)/6 rather than x/6 + 1/2: x + 3 is exact near -3, where the
 * result goes to 0 (the other order leaves an absolute error of 3e-8). */
INLINE vfloat hardsigmoid_fwd(vfloat x, float a, float b)
{
    vfloat v = (x + 3.0f) * (1.0f / 6.0f);
    return select(select(v, VZERO, x <= -3.0f), (vfloat)(1.0f), x >= 3.0f);
}
INLINE vfloat hardsigmoid_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return keep_nan(x, select(VZERO, dy * (1.0f / 6.0f), x > -3.0f && x < 3.0f));
}

/* x (x + 3)/6 only on [-3, 3]; x itself above, so x * 6/6 never overflows. */
INLINE vfloat hardswish_fwd(vfloat x, float a, float b)
{
    vfloat v = (x * (x + 3.0f)) * (1.0f / 6.0f);
    return select(select(v, x, x > 3.0f), VZERO, x < -3.0f);
}
INLINE vfloat hardswish_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    vfloat d = (2.0f * x + 3.0f) * (1.0f / 6.0f);
    return dy * select(select(d, (vfloat)(1.0f), x > 3.0f), VZERO, x < -3.0f);
}

/* The clamps select rather than fmin/fmax, which would turn NaN into a bound. */
INLINE vfloat clamp_keep_nan(vfloat x, float lo, float hi)
{
    return select(select(x, (vfloat)(lo), x < lo), (vfloat)(hi), x > hi);
}
INLINE vfloat relu6_fwd(vfloat x, float a, float b) { return clamp_keep_nan(x, 0.0f, 6.0f); }
INLINE vfloat relu6_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return keep_nan(x, select(VZERO, dy, x > 0.0f && x < 6.0f));
}

INLINE vfloat hardtanh_fwd(vfloat x, float a, float b) { return clamp_keep_nan(x, a, b); }
INLINE vfloat hardtanh_bwd(vfloat x, vfloat y, vfloat dy, float a, float b)
{
    return keep_nan(x, select(VZERO, dy, x > a && x < b));
}
