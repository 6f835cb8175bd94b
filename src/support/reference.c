/* Independent long-double reference: see reference.h.
 *
 * Every value here is computed from the mathematical definition in long
 * double (64-bit mantissa on x86), never from the kernels' float forms:
 *   sigmoid(t) = 1 / (1 + e^-t)        sigmoid'(t) = e^-|t| / (1 + e^-|t|)^2
 *   tanh(x)    = tanhl(x)              tanh'(x)    = 1 / cosh^2(x)
 *   swish(x)   = x sigmoid(beta x)     swish'(x)   = s + beta x s (1 - s)
 * In long double e^t does not overflow anywhere a float argument can take
 * it that matters (e^11356 is the limit), and every infinite argument is
 * given its limit explicitly.
 *
 * Backward results: sigmoid and tanh from the float y the kernel received
 * (dy y (1 - y) and dy (1 - y^2) in long double); relu, leaky relu, prelu and
 * swish from x; identity is dy. relu'(0) = 0; leaky relu and prelu use the
 * slope for x <= 0.
 *
 * NaN rules: a NaN in the input the derivative reads gives NaN. A NaN (or
 * infinite) dy gives NaN, except where the derivative is exactly 0 (or, for
 * an infinite dy, so small that it is 0 in float): there 0 * dy has no
 * meaning and both 0 and NaN are accepted. ref_act_backward then returns 0
 * and ref_act_backward_tol returns the marker REF_NAN_OR_ZERO (negative),
 * which ref_matches understands. */
#include "reference.h"

#include <float.h>
#include <math.h>

/* Infinity tests on long doubles by comparison: isinf/isfinite compare with
 * LDBL_MAX, which valgrind (emulating x87 in double precision) turns into
 * inf, so they would call inf finite there. */
static bool ld_isinf(long double v)
{
    return v == (long double)INFINITY || v == -(long double)INFINITY;
}
static bool ld_isfinite(long double v) { return !isnan(v) && !ld_isinf(v); }

/* ---- Scalar definitions ------------------------------------------------ */

/* The modern set, from the definitions (PyTorch's):
 *   elu(x)       = x > 0 ? x : a expm1(x)            elu'   = x > 0 ? 1 : a e^x
 *   selu(x)      = L elu_A(x), L, A the fixed constants below
 *   celu(x)      = x > 0 ? x : a expm1(x/a)           celu'  = x > 0 ? 1 : e^(x/a)
 *   gelu(x)      = x Phi(x) = x erfc(-x/sqrt 2)/2      gelu'  = Phi(x) + x phi(x)
 *   gelu_tanh(x) = x (1 + tanh u)/2, u = sqrt(2/pi)(x + 0.044715 x^3); in long
 *                  double 1 + tanh u itself cancels to 0 below u = -22, so the
 *                  exact identity (1 + tanh u)/2 = 1/(1 + e^-2u) is used
 *                  gelu_tanh' = (1 + tanh u)/2 + x sech^2(u) u'/2
 *   softplus(x)  = log1p(e^(b x))/b (long double overflows e^t only above
 *                  t = 11356, where log1p(e^t) = t to far below an ulp)
 *   mish(x)      = x tanh(softplus_1(x))  mish' = tanh(sp) + x sech^2(sp) sigma(x)
 *   softsign, hardsigmoid, hardswish, relu6, hardtanh: piecewise, as written.
 * Derived arguments the kernels must round to float (x/a for celu, x/sqrt 2
 * for gelu, b x for softplus) widen the bar by what rounding them to either
 * neighbouring float changes (arg_rounding below). */
static const long double SELU_LAMBDA = 1.0507009873554804934L;
static const long double SELU_ALPHA = 1.6732632423543772848L;
static const long double SQRT1_2L = 0.707106781186547524400844362104849039L;
static const long double INV_SQRT_2PI = 0.398942280401432677939946059934381868L;
static const long double SQRT_2_PI = 0.797884560802865355879892119868763737L;

static long double softplus1(long double t) { return t > 11000.0L ? t : log1pl(expl(t)); }
static long double sech2(long double u)
{
    long double c = coshl(u);
    return 1.0L / (c * c);
}

static long double sig(long double t) { return 1.0L / (1.0L + expl(-t)); }

/* sigmoid'(t), written symmetric so that e^-|t| never overflows. */
static long double sig_d(long double t)
{
    long double e = expl(-fabsl(t));
    return e / ((1.0L + e) * (1.0L + e));
}

/* swish at x with the sigmoid taken at t (t = beta x exactly, or rounded). */
static long double swish_at(long double x, long double t) { return x * sig(t); }

static long double swish_d_at(long double x, long double beta, long double t)
{
    return sig(t) + beta * x * sig_d(t);
}

/* Limits of swish and swish' at x = +-inf for any beta. */
static long double swish_inf(long double x, long double beta)
{
    if (beta == 0.0L)
        return x / 2;
    return (x > 0) == (beta > 0) ? x : 0.0L; /* x sigma(+inf) or x sigma(-inf) -> 0 */
}

static long double swish_d_inf(long double x, long double beta)
{
    if (beta == 0.0L)
        return 0.5L;
    return (x > 0) == (beta > 0) ? 1.0L : 0.0L;
}

/* gelu and gelu' with Phi taken at -z = -x/sqrt 2 exactly or rounded. */
static long double gelu_at(long double x, long double z) { return 0.5L * x * erfcl(-z); }
static long double gelu_d_at(long double x, long double z)
{
    return 0.5L * erfcl(-z) + x * INV_SQRT_2PI * expl(-0.5L * x * x);
}

/* softplus with the log1p term at t = b x exactly or rounded; max(x, 0) is
 * exact in the kernel (it never forms b x for it). */
static long double softplus_at(long double x, long double b, long double t)
{
    return (x > 0 ? x : 0.0L) + log1pl(expl(-fabsl(t))) / b;
}

static long double celu_at(long double x, long double a, long double t)
{
    return x > 0 ? x : a * expm1l(t);
}

long double ref_act_forward(const nnact_act *act, float xf)
{
    const long double x = xf, a = act->alpha, b = act->beta;
    if (isnan(xf))
        return NAN;
    switch (act->kind) {
    case NNACT_ACT_IDENTITY:
        return x;
    case NNACT_ACT_SIGMOID:
        return sig(x);
    case NNACT_ACT_TANH:
        return tanhl(x);
    case NNACT_ACT_RELU:
        return x > 0 ? x : 0.0L;
    case NNACT_ACT_LEAKY_RELU:
    case NNACT_ACT_PRELU:
        return x > 0 ? x : a * x;
    case NNACT_ACT_SWISH:
        return isinf(xf) ? swish_inf(x, b) : swish_at(x, b * x);
    case NNACT_ACT_ELU:
        return x > 0 ? x : a * expm1l(x);
    case NNACT_ACT_SELU:
        return SELU_LAMBDA * (x > 0 ? x : SELU_ALPHA * expm1l(x));
    case NNACT_ACT_CELU:
        return x > 0 ? x : a * expm1l(x / a);
    case NNACT_ACT_GELU:
        if (isinf(xf))
            return x > 0 ? x : 0.0L;
        return gelu_at(x, x * SQRT1_2L);
    case NNACT_ACT_GELU_TANH: {
        if (isinf(xf))
            return x > 0 ? x : 0.0L;
        long double u = SQRT_2_PI * (x + 0.044715L * x * x * x);
        return x / (1.0L + expl(-2.0L * u));
    }
    case NNACT_ACT_SOFTPLUS:
        return isinf(xf) ? (x > 0 ? x : 0.0L) : softplus_at(x, b, b * x);
    case NNACT_ACT_MISH:
        if (isinf(xf))
            return x > 0 ? x : 0.0L;
        return x * tanhl(softplus1(x));
    case NNACT_ACT_SOFTSIGN:
        return isinf(xf) ? copysignl(1.0L, x) : x / (1.0L + fabsl(x));
    case NNACT_ACT_HARDSIGMOID:
        return x <= -3 ? 0.0L : x >= 3 ? 1.0L : x / 6 + 0.5L;
    case NNACT_ACT_HARDSWISH:
        return x < -3 ? 0.0L : x > 3 ? x : x * (x + 3) / 6;
    case NNACT_ACT_RELU6:
        return x < 0 ? 0.0L : x > 6 ? 6.0L : x;
    case NNACT_ACT_HARDTANH:
        return x < a ? a : x > b ? b : x;
    default:
        return NAN;
    }
}

long double ref_act_derivative(const nnact_act *act, long double x)
{
    const long double a = act->alpha, b = act->beta;
    if (isnan(x))
        return NAN;
    switch (act->kind) {
    case NNACT_ACT_IDENTITY:
        return 1.0L;
    case NNACT_ACT_SIGMOID:
        return sig_d(x);
    case NNACT_ACT_TANH: {
        long double c = coshl(x); /* inf for huge |x|: derivative 0 */
        return 1.0L / (c * c);
    }
    case NNACT_ACT_RELU:
        return x > 0 ? 1.0L : 0.0L;
    case NNACT_ACT_LEAKY_RELU:
    case NNACT_ACT_PRELU:
        return x > 0 ? 1.0L : a;
    case NNACT_ACT_SWISH:
        return ld_isinf(x) ? swish_d_inf(x, b) : swish_d_at(x, b, b * x);
    case NNACT_ACT_ELU:
        return x > 0 ? 1.0L : a * expl(x);
    case NNACT_ACT_SELU:
        return SELU_LAMBDA * (x > 0 ? 1.0L : SELU_ALPHA * expl(x));
    case NNACT_ACT_CELU:
        return x > 0 ? 1.0L : expl(x / a);
    case NNACT_ACT_GELU:
        if (ld_isinf(x))
            return x > 0 ? 1.0L : 0.0L;
        return gelu_d_at(x, x * SQRT1_2L);
    case NNACT_ACT_GELU_TANH: {
        if (ld_isinf(x))
            return x > 0 ? 1.0L : 0.0L;
        long double u = SQRT_2_PI * (x + 0.044715L * x * x * x);
        long double du = SQRT_2_PI * (1.0L + 3 * 0.044715L * x * x);
        long double s2 = sech2(u);
        return 1.0L / (1.0L + expl(-2.0L * u)) + (s2 == 0 ? 0.0L : 0.5L * x * s2 * du);
    }
    case NNACT_ACT_SOFTPLUS:
        return sig(b * x);
    case NNACT_ACT_MISH: {
        if (ld_isinf(x))
            return x > 0 ? 1.0L : 0.0L;
        long double sp = softplus1(x), s = sig(x);
        return tanhl(sp) + (s == 0 ? 0.0L : x * sech2(sp) * s);
    }
    case NNACT_ACT_SOFTSIGN: {
        long double d = 1.0L + fabsl(x);
        return 1.0L / (d * d);
    }
    case NNACT_ACT_HARDSIGMOID:
        return x > -3 && x < 3 ? 1.0L / 6 : 0.0L;
    case NNACT_ACT_HARDSWISH:
        return x < -3 ? 0.0L : x > 3 ? 1.0L : (2 * x + 3) / 6;
    case NNACT_ACT_RELU6:
        return x > 0 && x < 6 ? 1.0L : 0.0L;
    case NNACT_ACT_HARDTANH:
        return x > a && x < b ? 1.0L : 0.0L;
    default:
        return NAN;
    }
}

/* The derivative the backward pass multiplies dy by, from the input the
 * kernel reads; NaN when that input is NaN. */
static long double backward_factor(const nnact_act *act, float x, float y)
{
    const long double yl = y;
    switch (act->kind) {
    case NNACT_ACT_IDENTITY:
        return 1.0L;
    case NNACT_ACT_SIGMOID:
        return yl * (1.0L - yl); /* NaN y -> NaN */
    case NNACT_ACT_TANH:
        return 1.0L - yl * yl;
    default:
        return ref_act_derivative(act, x);
    }
}

/* Where 0 * dy is meaningless: dy NaN at an exact-zero derivative, or dy
 * infinite at a derivative that is 0 in float (|d| below half the smallest
 * subnormal, where the kernel's product is inf * 0). */
static bool nan_or_zero(long double d, float dy)
{
    if (isnan(d))
        return false;
    if (isnan(dy))
        return d == 0.0L;
    if (isinf(dy))
        return fabsl(d) <= (long double)FLT_TRUE_MIN / 2;
    /* dy = 0 at an infinite limit of f' (celu with alpha < 0 at x = -inf) */
    return dy == 0.0f && ld_isinf(d);
}

/* f' at a finite x is finite; where even long double overflows (celu with
 * alpha < 0: e^(x/alpha) at x = -1e30), dy = 0 still makes dx exactly 0. */
static long double backward_factor_dy(const nnact_act *act, float x, float y, float dy)
{
    long double d = backward_factor(act, x, y);
    return dy == 0.0f && isfinite(x) && ld_isinf(d) ? 0.0L : d;
}

long double ref_act_backward(const nnact_act *act, float x, float y, float dy)
{
    long double d = backward_factor_dy(act, x, y, dy);
    if (nan_or_zero(d, dy))
        return 0.0L;
    return (long double)dy * d;
}

/* ---- Tolerances -------------------------------------------------------- */

/* The exact derived argument t of x for celu, gelu and softplus (false for
 * the others), and f or f' evaluated with that argument replaced by v. */
static bool derived_arg(const nnact_act *act, float x, long double *t)
{
    const long double xl = x, a = act->alpha, b = act->beta;
    if (!isfinite(x))
        return false;
    switch (act->kind) {
    case NNACT_ACT_CELU:
        *t = xl > 0 ? 0.0L : xl / a;
        return xl <= 0;
    case NNACT_ACT_GELU:
        *t = xl * SQRT1_2L;
        return true;
    case NNACT_ACT_SOFTPLUS:
        *t = b * xl;
        return true;
    default:
        return false;
    }
}

static long double with_arg(const nnact_act *act, float x, long double v, bool deriv)
{
    const long double xl = x, a = act->alpha, b = act->beta;
    switch (act->kind) {
    case NNACT_ACT_CELU:
        return deriv ? expl(v) : celu_at(xl, a, v);
    case NNACT_ACT_GELU:
        return deriv ? gelu_d_at(xl, v) : gelu_at(xl, v);
    default: /* softplus */
        return deriv ? sig(v) : softplus_at(xl, b, v);
    }
}

/* What rounding the derived argument to either neighbouring float changes. */
static long double arg_rounding(const nnact_act *act, float x, bool deriv)
{
    long double t;
    if (!derived_arg(act, x, &t))
        return 0.0L;
    const float tf = (float)t;
    if ((long double)tf == t || !isfinite(tf))
        return 0.0L;
    const float lo = (long double)tf < t ? tf : nextafterf(tf, -INFINITY);
    const float hi = (long double)tf > t ? tf : nextafterf(tf, INFINITY);
    const long double f = with_arg(act, x, t, deriv);
    return fmaxl(fabsl(with_arg(act, x, lo, deriv) - f), fabsl(with_arg(act, x, hi, deriv) - f));
}

static long double forward_rounding(const nnact_act *act, float x)
{
    if (act->kind != NNACT_ACT_SWISH || !isfinite(x))
        return arg_rounding(act, x, false);
    const long double b = act->beta, xl = x;
    const float tf = (float)(b * xl); /* the float product the kernel forms */
    return fabsl(swish_at(xl, b * xl) - swish_at(xl, tf));
}

static long double backward_rounding(const nnact_act *act, float x)
{
    if (act->kind != NNACT_ACT_SWISH || !isfinite(x))
        return arg_rounding(act, x, true);
    const long double b = act->beta, xl = x;
    const float tf = (float)(b * xl);
    return fabsl(swish_d_at(xl, b, b * xl) - swish_d_at(xl, b, tf));
}

long double ref_act_forward_tol(const nnact_act *act, float x)
{
    long double r = ref_act_forward(act, x);
    if (!ld_isfinite(r))
        return 0.0L; /* ref_matches wants the same NaN or infinity */
    return 4e-6L * fabsl(r) + FLT_MIN + forward_rounding(act, x);
}

long double ref_act_backward_tol(const nnact_act *act, float x, float y, float dy)
{
    long double d = backward_factor_dy(act, x, y, dy);
    if (nan_or_zero(d, dy))
        return REF_NAN_OR_ZERO;
    long double r = (long double)dy * d;
    if (!ld_isfinite(r))
        return 0.0L;
    long double ady = fabsl((long double)dy);
    return 4e-6L * fabsl(r) + FLT_MIN + 1e-7L * ady + ady * backward_rounding(act, x);
}

/* ---- Softmax ----------------------------------------------------------- */

/* Row status: 0 normal, 1 all -inf (zeros), 2 NaN or +inf (NaN). */
static int row_kind(const float *x, size_t cols, float *max)
{
    float m = -INFINITY;
    for (size_t j = 0; j < cols; j++) {
        if (isnan(x[j]) || x[j] == INFINITY)
            return 2;
        if (x[j] > m)
            m = x[j];
    }
    *max = m;
    return m == -INFINITY ? 1 : 0;
}

/* exp((x - m)/T) / sum into y at exact arguments (round = 0) or at the
 * arguments rounded to float as a float kernel forms them (round = 1). */
static void softmax_row(const float *x, size_t cols, float m, float T, int round,
                        long double *y)
{
    long double sum = 0.0L;
    for (size_t j = 0; j < cols; j++) {
        long double arg;
        if (round) {
            float d = x[j] - m; /* float subtraction, then float division */
            arg = (long double)(d / T);
        } else {
            arg = ((long double)x[j] - (long double)m) / (long double)T;
        }
        y[j] = expl(arg); /* -inf entries: e^-inf = 0 */
        sum += y[j];
    }
    for (size_t j = 0; j < cols; j++)
        y[j] /= sum;
}

void ref_softmax_forward(const float *x, size_t rows, size_t cols, float T,
                         long double *y, long double *tol)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        long double *yr = y + r * cols, *tr = tol ? tol + r * cols : NULL;
        float m = 0.0f;
        int kind = row_kind(xr, cols, &m);
        if (kind != 0) {
            for (size_t j = 0; j < cols; j++) {
                yr[j] = kind == 1 ? 0.0L : (long double)NAN;
                if (tr)
                    tr[j] = 0.0L;
            }
            continue;
        }
        softmax_row(xr, cols, m, T, 0, yr);
        if (!tr)
            continue;
        /* tr holds the rounded-argument result for a moment. */
        softmax_row(xr, cols, m, T, 1, tr);
        for (size_t j = 0; j < cols; j++)
            tr[j] = 4e-6L * fabsl(yr[j]) + FLT_MIN + fabsl(tr[j] - yr[j]);
    }
}

void ref_softmax_backward(const float *y, const float *dy, size_t rows, size_t cols,
                          float T, long double *dx, long double *tol)
{
    for (size_t r = 0; r < rows; r++) {
        const float *yr = y + r * cols, *gr = dy + r * cols;
        long double dot = 0.0L, S = 0.0L;
        for (size_t j = 0; j < cols; j++) {
            dot += (long double)yr[j] * gr[j];
            S += (long double)yr[j] * fabsl((long double)gr[j]);
        }
        for (size_t j = 0; j < cols; j++) {
            long double v = (long double)yr[j] * ((long double)gr[j] - dot) / T;
            dx[r * cols + j] = v;
            if (tol)
                tol[r * cols + j] =
                    ld_isfinite(v) ? (1e-7L * (fabsl((long double)gr[j]) + S) +
                                   4e-6L * fabsl((long double)yr[j]) * S) / T +
                                      4e-6L * fabsl(v) + FLT_MIN
                                : 0.0L;
        }
    }
}

/* ---- Log-softmax ------------------------------------------------------- */

/* log sum exp of the row's z = (x - m)/T, exact (round = 0) or with z
 * rounded as a float kernel forms it (round = 1). */
static long double row_lse(const float *x, size_t cols, float m, float T, int round)
{
    long double sum = 0.0L;
    for (size_t j = 0; j < cols; j++) {
        long double z = round ? (long double)((x[j] - m) / T)
                              : ((long double)x[j] - (long double)m) / (long double)T;
        sum += expl(z);
    }
    return logl(sum);
}

void ref_log_softmax_forward(const float *x, size_t rows, size_t cols, float T,
                             long double *y, long double *tol)
{
    const long double ulp1 = 0x1p-23L;
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        long double *yr = y + r * cols, *tr = tol ? tol + r * cols : NULL;
        float m = 0.0f;
        int kind = row_kind(xr, cols, &m);
        if (kind != 0) {
            for (size_t j = 0; j < cols; j++) {
                yr[j] = kind == 1 ? -(long double)INFINITY : (long double)NAN;
                if (tr)
                    tr[j] = 0.0L;
            }
            continue;
        }
        const long double lse = row_lse(xr, cols, m, T, 0);
        const long double lse_f = row_lse(xr, cols, m, T, 1);
        for (size_t j = 0; j < cols; j++) {
            long double z = ((long double)xr[j] - (long double)m) / (long double)T;
            yr[j] = z - lse; /* -inf entries: -inf */
            if (!tr)
                continue;
            long double zf = (long double)((xr[j] - m) / T);
            tr[j] = ld_isfinite(yr[j]) ? 4e-6L * fabsl(yr[j]) + FLT_MIN + ulp1 +
                                             fabsl(zf - z) + fabsl(lse_f - lse) + ulp1 * lse
                                       : 0.0L;
        }
    }
}

void ref_log_softmax_backward(const float *y, const float *dy, size_t rows, size_t cols,
                              float T, long double *dx, long double *tol)
{
    for (size_t r = 0; r < rows; r++) {
        const float *yr = y + r * cols, *gr = dy + r * cols;
        long double S = 0.0L, A = 0.0L;
        for (size_t j = 0; j < cols; j++) {
            S += gr[j];
            A += fabsl((long double)gr[j]);
        }
        for (size_t j = 0; j < cols; j++) {
            long double p = expl((long double)yr[j]);
            long double v = ((long double)gr[j] - p * S) / T;
            dx[r * cols + j] = v;
            if (tol)
                tol[r * cols + j] =
                    ld_isfinite(v) ? (1e-7L * (fabsl((long double)gr[j]) + p * A) +
                                      4e-6L * p * fabsl(S)) / T + 4e-6L * fabsl(v) + FLT_MIN
                                   : 0.0L;
        }
    }
}

/* ---- Learnable PReLU --------------------------------------------------- */

void ref_prelu_forward(const float *x, size_t rows, size_t cols, const float *alpha,
                       size_t n_alpha, long double *y)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            long double v = x[r * cols + c], a = alpha[n_alpha == 1 ? 0 : c];
            y[r * cols + c] = isnan(v) ? v : v > 0 ? v : a * v;
        }
}

void ref_prelu_backward(const float *x, const float *dy, size_t rows, size_t cols,
                        const float *alpha, size_t n_alpha, long double *dx,
                        long double *dalpha, long double *dalpha_tol)
{
    for (size_t k = 0; k < n_alpha; k++) {
        if (dalpha)
            dalpha[k] = 0.0L;
        if (dalpha_tol)
            dalpha_tol[k] = 0.0L;
    }
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            const size_t i = r * cols + c, k = n_alpha == 1 ? 0 : c;
            long double v = x[i], g = dy[i], a = alpha[k];
            if (dx)
                dx[i] = isnan(v) ? v : v > 0 ? g : a * g;
            if (!(v > 0)) { /* x <= 0 or NaN: the slope's share */
                if (dalpha)
                    dalpha[k] += g * v;
                if (dalpha_tol)
                    dalpha_tol[k] += fabsl(g * v);
            }
        }
    if (dalpha_tol)
        for (size_t k = 0; k < n_alpha; k++)
            dalpha_tol[k] *= 4e-6L;
}

/* ---- Comparison -------------------------------------------------------- */

bool ref_matches(float got, long double ref, long double tol)
{
    if (tol < 0) /* REF_NAN_OR_ZERO */
        return got == 0.0f || isnan(got);
    if (isnan(ref))
        return isnan(got);
    if (ld_isinf(ref))
        return got == ref;
    if (isnan(got))
        return false;
    if (isinf(got)) {
        /* A finite reference that rounds to +-inf in float (or could, given
         * tol) may come back as that infinity. */
        const long double overflow = (long double)FLT_MAX + ldexpl(1.0L, 103);
        return (got > 0) == (ref > 0) && fabsl(ref) + tol >= overflow;
    }
    return fabsl((long double)got - ref) <= tol;
}

void ref_gemm(int ta, int tb, const float *a, size_t ar, size_t ac, const float *b,
              size_t br, size_t bc, double *c, double *mag)
{
    const size_t m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0, g = 0;
            for (size_t p = 0; p < k; p++) {
                double av = ta ? a[p * ac + i] : a[i * ac + p];
                double bv = tb ? b[j * bc + p] : b[p * bc + j];
                s += av * bv;
                g += fabs(av * bv);
            }
            c[i * n + j] = s;
            mag[i * n + j] = g;
        }
}
