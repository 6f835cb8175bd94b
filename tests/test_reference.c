/* The host reference checked on its own, without a device: derivatives
 * against central finite differences in long double (Richardson-extrapolated,
 * error O(h^4)), hand-computed values, limits, the NaN rules, the softmax and
 * PReLU references, and ref_matches. */
#include "reference.h"
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

static const nnact_act acts[] = {
    {NNACT_ACT_IDENTITY, 0.0f, 0.0f},    {NNACT_ACT_SIGMOID, 0.0f, 0.0f},
    {NNACT_ACT_TANH, 0.0f, 0.0f},        {NNACT_ACT_RELU, 0.0f, 0.0f},
    {NNACT_ACT_LEAKY_RELU, 0.01f, 0.0f}, {NNACT_ACT_LEAKY_RELU, 0.2f, 0.0f},
    {NNACT_ACT_PRELU, 0.01f, 0.0f},      {NNACT_ACT_PRELU, -0.25f, 0.0f},
    {NNACT_ACT_SWISH, 0.0f, 0.5f},       {NNACT_ACT_SWISH, 0.0f, 1.0f},
    {NNACT_ACT_SWISH, 0.0f, 1.5f},
    {NNACT_ACT_ELU, 1.0f, 0.0f},         {NNACT_ACT_ELU, 0.5f, 0.0f},
    {NNACT_ACT_SELU, 0.0f, 0.0f},        {NNACT_ACT_CELU, 1.0f, 0.0f},
    {NNACT_ACT_CELU, 2.0f, 0.0f},        {NNACT_ACT_CELU, -1.5f, 0.0f},
    {NNACT_ACT_GELU, 0.0f, 0.0f},        {NNACT_ACT_GELU_TANH, 0.0f, 0.0f},
    {NNACT_ACT_SOFTPLUS, 0.0f, 1.0f},    {NNACT_ACT_SOFTPLUS, 0.0f, 2.0f},
    {NNACT_ACT_SOFTPLUS, 0.0f, 0.3f},    {NNACT_ACT_MISH, 0.0f, 0.0f},
    {NNACT_ACT_SOFTSIGN, 0.0f, 0.0f},    {NNACT_ACT_HARDSIGMOID, 0.0f, 0.0f},
    {NNACT_ACT_HARDSWISH, 0.0f, 0.0f},   {NNACT_ACT_RELU6, 0.0f, 0.0f},
    {NNACT_ACT_HARDTANH, -1.0f, 1.0f},   {NNACT_ACT_HARDTANH, -0.5f, 2.0f},
};
#define N_ACTS (int)(sizeof acts / sizeof acts[0])

/* Whether x is within 2^-9 of a point where f' jumps, or f'' (celu, softsign
 * at 0: Richardson's extrapolation assumes smoothness). */
static bool near_kink(const nnact_act *a, float x)
{
    float k[2] = {0.0f, 0.0f};
    switch (a->kind) {
    case NNACT_ACT_RELU: case NNACT_ACT_LEAKY_RELU: case NNACT_ACT_PRELU:
    case NNACT_ACT_ELU: case NNACT_ACT_SELU: case NNACT_ACT_CELU: case NNACT_ACT_SOFTSIGN:
        break;
    case NNACT_ACT_HARDSIGMOID: case NNACT_ACT_HARDSWISH:
        k[0] = -3.0f, k[1] = 3.0f;
        break;
    case NNACT_ACT_RELU6:
        k[1] = 6.0f;
        break;
    case NNACT_ACT_HARDTANH:
        k[0] = a->alpha, k[1] = a->beta;
        break;
    default:
        return false;
    }
    return fabsf(x - k[0]) < 0x1p-9f || fabsf(x - k[1]) < 0x1p-9f;
}

/* Central difference of f at x with step h (x +- h are exact floats). */
static long double central(const nnact_act *a, float x, float h)
{
    return (ref_act_forward(a, x + h) - ref_act_forward(a, x - h)) / (2.0L * h);
}

/* f'(x) by Richardson extrapolation of central differences at h and h/2. */
static long double fd(const nnact_act *a, float x)
{
    const float h = 0x1p-10f;
    return (4.0L * central(a, x, h / 2) - central(a, x, h)) / 3.0L;
}

/* Many points: a grid of multiples of 2^-6 over [-24, 24] (x +- 2^-10 stay
 * exact floats) plus random points rounded to that grid. */
START_TEST(derivative_vs_finite_differences)
{
    const nnact_act *a = &acts[_i];
    float rnd[400];
    tu_random(rnd, 400, 24.0f, 1000 + (uint64_t)_i);
    size_t checked = 0;
    for (int k = -(24 << 6); k <= (24 << 6) + 400; k++) {
        float x = k <= (24 << 6) ? (float)k * 0x1p-6f
                                 : roundf(rnd[k - (24 << 6) - 1] * 64.0f) / 64.0f;
        if (near_kink(a, x))
            continue;
        long double want = fd(a, x), got = ref_act_derivative(a, x);
        long double tol = 1e-9L * (1.0L + fabsl(got));
        ck_assert_msg(fabsl(got - want) <= tol,
                      "%s(alpha %g, beta %g)'(%.9g): derivative %.15Lg, finite "
                      "difference %.15Lg, tol %.3Lg",
                      nnact_act_name(a->kind), (double)a->alpha, (double)a->beta,
                      (double)x, got, want, tol);
        checked++;
    }
    ck_assert_uint_gt(checked, 3000);
}
END_TEST

/* ref_act_backward is dy * f' from x, or from the float y for sigmoid and
 * tanh (where rounding y costs at most about an ulp of y times |dy|). */
START_TEST(backward_consistent_with_derivative)
{
    const nnact_act *a = &acts[_i];
    float x[2000], dy[2000];
    tu_random(x, 2000, 12.0f, 2000 + (uint64_t)_i);
    tu_random(dy, 2000, 3.0f, 3000 + (uint64_t)_i);
    for (int i = 0; i < 2000; i++) {
        float y = (float)ref_act_forward(a, x[i]);
        long double want = (long double)dy[i] * ref_act_derivative(a, x[i]);
        long double got = ref_act_backward(a, x[i], y, dy[i]);
        long double tol = ref_act_backward_tol(a, x[i], y, dy[i]);
        ck_assert_msg(tol > 0 && fabsl(got - want) <= tol,
                      "%s backward at x %.9g y %.9g dy %.9g: %.15Lg vs dy*f' %.15Lg (tol "
                      "%.3Lg)", nnact_act_name(a->kind), (double)x[i], (double)y,
                      (double)dy[i], got, want, tol);
    }
}
END_TEST

#define NEAR(got, want, eps)                                                        \
    ck_assert_msg(fabsl((long double)(got) - (long double)(want)) <= (eps), "%s = %.18Lg, " \
                  "want %.18Lg", #got, (long double)(got), (long double)(want))

static nnact_act mk(nnact_act_kind k, float a, float b)
{
    nnact_act r = {k, a, b};
    return r;
}

START_TEST(hand_values)
{
    nnact_act sig = mk(NNACT_ACT_SIGMOID, 0, 0), th = mk(NNACT_ACT_TANH, 0, 0),
              relu = mk(NNACT_ACT_RELU, 0, 0), lk = mk(NNACT_ACT_LEAKY_RELU, 0.2f, 0),
              sw = mk(NNACT_ACT_SWISH, 0, 1.0f), sw15 = mk(NNACT_ACT_SWISH, 0, 1.5f),
              id = mk(NNACT_ACT_IDENTITY, 0, 0);
    const long double e = 2.718281828459045235360287471352662498L;
    NEAR(ref_act_forward(&sig, 0.0f), 0.5L, 0);
    NEAR(ref_act_derivative(&sig, 0.0L), 0.25L, 1e-18L);
    NEAR(ref_act_forward(&sig, 1.0f), e / (1 + e), 1e-18L);
    NEAR(ref_act_forward(&sig, -1.0f), 1 / (1 + e), 1e-18L);
    NEAR(ref_act_forward(&th, 0.0f), 0.0L, 0);
    NEAR(ref_act_derivative(&th, 0.0L), 1.0L, 0);
    NEAR(ref_act_forward(&th, 1.0f), (e * e - 1) / (e * e + 1), 1e-18L);
    NEAR(ref_act_derivative(&th, 1.0L), 4 * e * e / ((e * e + 1) * (e * e + 1)), 1e-18L);
    NEAR(ref_act_forward(&sw, 0.0f), 0.0L, 0);
    NEAR(ref_act_derivative(&sw, 0.0L), 0.5L, 1e-18L);
    NEAR(ref_act_derivative(&sw15, 0.0L), 0.5L, 1e-18L);
    NEAR(ref_act_forward(&sw, 1.0f), e / (1 + e), 1e-18L);
    /* swish'(1) = s + s(1-s) with s = e/(1+e) */
    NEAR(ref_act_derivative(&sw, 1.0L), e / (1 + e) + e / ((1 + e) * (1 + e)), 1e-18L);
    NEAR(ref_act_forward(&sw15, 2.0f), 2 * e * e * e / (1 + e * e * e), 1e-18L);
    NEAR(ref_act_derivative(&relu, 0.0L), 0.0L, 0);
    NEAR(ref_act_derivative(&relu, -0.0L), 0.0L, 0);
    NEAR(ref_act_derivative(&relu, 1e-40L), 1.0L, 0);
    NEAR(ref_act_forward(&relu, -3.0f), 0.0L, 0);
    NEAR(ref_act_derivative(&lk, 0.0L), 0.2f, 0);
    NEAR(ref_act_forward(&lk, -2.0f), -0.4L, 1e-8L); /* 0.2f is not 0.2 */
    NEAR(ref_act_forward(&lk, -2.0f), 2.0L * -0.2f, 0);
    NEAR(ref_act_derivative(&id, 123.0L), 1.0L, 0);
    NEAR(ref_act_backward(&sig, 0.0f, 0.25f, 2.0f), 2 * 0.25L * 0.75L, 0);
    NEAR(ref_act_backward(&th, 0.0f, 0.5f, 2.0f), 2 * 0.75L, 0);
    NEAR(ref_act_backward(&id, NAN, NAN, 3.0f), 3.0L, 0);
}
END_TEST

/* Hand values of the modern set: closed forms and values from mpmath at
 * 50 digits. */
START_TEST(hand_values_modern)
{
    const long double e = 2.718281828459045235360287471352662498L;
    const long double ln2 = 0.693147180559945309417232121458176568L;
    nnact_act elu = mk(NNACT_ACT_ELU, 1.0f, 0), elu5 = mk(NNACT_ACT_ELU, 0.5f, 0),
              selu = mk(NNACT_ACT_SELU, 0, 0), celu2 = mk(NNACT_ACT_CELU, 2.0f, 0),
              gelu = mk(NNACT_ACT_GELU, 0, 0), gt = mk(NNACT_ACT_GELU_TANH, 0, 0),
              sp = mk(NNACT_ACT_SOFTPLUS, 0, 1.0f), sp2 = mk(NNACT_ACT_SOFTPLUS, 0, 2.0f),
              mish = mk(NNACT_ACT_MISH, 0, 0), ss = mk(NNACT_ACT_SOFTSIGN, 0, 0),
              hsig = mk(NNACT_ACT_HARDSIGMOID, 0, 0), hsw = mk(NNACT_ACT_HARDSWISH, 0, 0),
              r6 = mk(NNACT_ACT_RELU6, 0, 0), ht = mk(NNACT_ACT_HARDTANH, -0.5f, 2.0f);
    NEAR(ref_act_forward(&elu, -1.0f), 1 / e - 1, 1e-18L);
    NEAR(ref_act_derivative(&elu5, -1.0L), 0.5L / e, 1e-18L);
    NEAR(ref_act_derivative(&elu5, 0.0L), 0.5L, 0); /* x <= 0 branch at the kink */
    NEAR(ref_act_forward(&selu, 1.0f), 1.0507009873554804934L, 1e-18L);
    NEAR(ref_act_forward(&selu, -1.0f), 1.0507009873554804934L * 1.6732632423543772848L *
                                            (1 / e - 1), 1e-18L);
    NEAR(ref_act_forward(&celu2, -2.0f), 2 * (1 / e - 1), 1e-18L);
    NEAR(ref_act_derivative(&celu2, -2.0L), 1 / e, 1e-18L);
    NEAR(ref_act_forward(&gelu, 1.0f), 0.841344746068542948585232545632L, 1e-18L);
    NEAR(ref_act_forward(&gelu, -9.0f), -1.0157295653584565829619518683719e-18L, 1e-33L);
    NEAR(ref_act_derivative(&gelu, 0.0L), 0.5L, 1e-18L);
    /* gelu'(1) = Phi(1) + phi(1) */
    NEAR(ref_act_derivative(&gelu, 1.0L), 0.841344746068542948585232545632L +
                                              0.241970724519143349797830192936L, 1e-18L);
    NEAR(ref_act_forward(&gt, -6.45f), -1.05687610595775478435456128061e-12L, 1e-27L);
    NEAR(ref_act_derivative(&gt, 0.0L), 0.5L, 1e-18L);
    NEAR(ref_act_forward(&sp, 0.0f), ln2, 1e-18L);
    NEAR(ref_act_forward(&sp2, 0.0f), ln2 / 2, 1e-18L);
    NEAR(ref_act_derivative(&sp2, 0.0L), 0.5L, 1e-18L);
    NEAR(ref_act_forward(&sp2, FLT_MAX), FLT_MAX, 0);
    NEAR(ref_act_forward(&sp, -20.0f), 2.06115362031438070324e-9L, 1e-24L);
    NEAR(ref_act_forward(&mish, 0.0f), 0.0L, 0);
    NEAR(ref_act_derivative(&mish, 0.0L), 0.6L, 1e-18L); /* tanh(ln 2) = 3/5 */
    NEAR(ref_act_forward(&mish, 1.0f), tanhl(log1pl(e)), 1e-18L);
    NEAR(ref_act_forward(&ss, 3.0f), 0.75L, 0);
    NEAR(ref_act_derivative(&ss, -3.0L), 1.0L / 16, 0);
    NEAR(ref_act_forward(&hsig, 1.5f), 0.75L, 1e-18L);
    NEAR(ref_act_derivative(&hsig, 3.0L), 0.0L, 0);
    NEAR(ref_act_forward(&hsw, 1.0f), 4.0L / 6, 1e-18L);
    NEAR(ref_act_forward(&hsw, FLT_MAX), FLT_MAX, 0);
    NEAR(ref_act_derivative(&hsw, -3.0L), -0.5L, 1e-18L);
    NEAR(ref_act_derivative(&hsw, 3.0L), 1.5L, 1e-18L);
    NEAR(ref_act_forward(&r6, 7.0f), 6.0L, 0);
    NEAR(ref_act_derivative(&r6, 6.0L), 0.0L, 0);
    NEAR(ref_act_forward(&ht, -3.0f), -0.5L, 0);
    NEAR(ref_act_forward(&ht, 3.0f), 2.0L, 0);
    NEAR(ref_act_derivative(&ht, 1.0L), 1.0L, 0);
    NEAR(ref_act_derivative(&ht, 2.0L), 0.0L, 0);
    /* limits */
    ck_assert(ref_act_forward(&gelu, -INFINITY) == 0 && ref_act_forward(&gelu, INFINITY) == INFINITY);
    ck_assert(ref_act_forward(&mish, -INFINITY) == 0 && ref_act_derivative(&mish, INFINITY) == 1);
    ck_assert(ref_act_forward(&ss, -INFINITY) == -1.0L);
    /* derived-argument rounding: present for softplus at beta 2 only where
     * 2x is inexact (never: a power of two), for gelu at x/sqrt 2 */
    NEAR(ref_act_forward_tol(&sp2, -5.3f), 4e-6L * ref_act_forward(&sp2, -5.3f) + FLT_MIN, 1e-30L);
    ck_assert(ref_act_forward_tol(&gelu, -7.3f) > 4e-6L * fabsl(ref_act_forward(&gelu, -7.3f)));
}
END_TEST

/* ---- Log-softmax ---- */

static long double log_softmax_loss(const float *x, const float *dy, size_t cols, float T)
{
    long double y[16], s = 0;
    ref_log_softmax_forward(x, 1, cols, T, y, NULL);
    for (size_t j = 0; j < cols; j++)
        s += y[j] * dy[j];
    return s;
}

START_TEST(log_softmax_reference)
{
    static const float temps[] = {0.5f, 1.0f, 2.5f};
    for (int trial = 0; trial < 60; trial++) {
        const size_t cols = 1 + (size_t)trial % 9;
        const float T = temps[trial % 3];
        float x[16], dy[16], y[16];
        long double yl[16], dx[16], tol[16];
        tu_random(x, cols, 4.0f, 700 + (uint64_t)trial);
        tu_random(dy, cols, 2.0f, 800 + (uint64_t)trial);
        for (size_t j = 0; j < cols; j++)
            x[j] = roundf(x[j] * 256.0f) / 256.0f;
        ref_log_softmax_forward(x, 1, cols, T, yl, NULL);
        long double ps = 0;
        for (size_t j = 0; j < cols; j++) {
            y[j] = (float)yl[j];
            ps += expl(yl[j]);
        }
        NEAR(ps, 1.0L, 1e-17L);
        ref_log_softmax_backward(y, dy, 1, cols, T, dx, tol);
        for (size_t i = 0; i < cols; i++) {
            long double d[2];
            for (int k = 0; k < 2; k++) {
                const float h = k ? 0x1p-11f : 0x1p-10f, x0 = x[i];
                x[i] = x0 + h;
                long double p = log_softmax_loss(x, dy, cols, T);
                x[i] = x0 - h;
                long double m = log_softmax_loss(x, dy, cols, T);
                x[i] = x0;
                d[k] = (p - m) / (2.0L * h);
            }
            long double want = (4.0L * d[1] - d[0]) / 3.0L;
            ck_assert_msg(fabsl(dx[i] - want) <= tol[i],
                          "log_softmax T %g cols %zu: dx[%zu] %.15Lg, finite difference "
                          "%.15Lg, tol %.3Lg", (double)T, cols, i, dx[i], want, tol[i]);
        }
    }
    /* Rules and hand values: [0, 1] at T 1 gives -log(1 + e), 1 - log(1 + e) - ... */
    const long double e = 2.718281828459045235360287471352662498L;
    const float r1[] = {0.0f, 1.0f};
    long double y[4], t[4];
    ref_log_softmax_forward(r1, 1, 2, 1.0f, y, t);
    NEAR(y[0], -log1pl(e), 1e-18L);
    NEAR(y[1], 1 - log1pl(e), 1e-18L);
    const float r2[] = {-INFINITY, -INFINITY, 2.0f, NAN};
    ref_log_softmax_forward(r2, 2, 2, 1.0f, y, t);
    ck_assert(y[0] == -INFINITY && y[1] == -INFINITY && isnan(y[2]) && isnan(y[3]));
    const float r3[] = {NAN, NAN, 5.0f, -INFINITY};
    ref_log_softmax_forward(r3, 2, 2, 1.0f, y, t);
    ck_assert(isnan(y[0]) && isnan(y[1]) && y[2] == 0 && y[3] == -INFINITY);
    /* backward by hand: y = log(0.25, 0.75), dy = (1, 0): S = 1,
     * dx = (1 - 0.25, -0.75) / T */
    const float yy[] = {logf(0.25f), logf(0.75f)}, gg[] = {1.0f, 0.0f};
    ref_log_softmax_backward(yy, gg, 1, 2, 2.0f, y, t);
    NEAR(y[0], 0.375L, 1e-8L);
    NEAR(y[1], -0.375L, 1e-8L);
}
END_TEST

START_TEST(limits)
{
    nnact_act sig = mk(NNACT_ACT_SIGMOID, 0, 0), th = mk(NNACT_ACT_TANH, 0, 0),
              sw = mk(NNACT_ACT_SWISH, 0, 1.0f), sw15 = mk(NNACT_ACT_SWISH, 0, 1.5f),
              relu = mk(NNACT_ACT_RELU, 0, 0), lk = mk(NNACT_ACT_LEAKY_RELU, 0.2f, 0);
    ck_assert(ref_act_forward(&sig, INFINITY) == 1.0L);
    ck_assert(ref_act_forward(&sig, -INFINITY) == 0.0L);
    NEAR(ref_act_forward(&sig, 1000.0f), 1.0L, 1e-300L);
    NEAR(ref_act_forward(&sig, -1000.0f), 0.0L, 1e-300L);
    ck_assert(ref_act_derivative(&sig, INFINITY) == 0.0L);
    ck_assert(ref_act_forward(&th, INFINITY) == 1.0L);
    ck_assert(ref_act_forward(&th, -INFINITY) == -1.0L);
    ck_assert(ref_act_forward(&th, 100.0f) == 1.0L);
    ck_assert(ref_act_derivative(&th, -INFINITY) == 0.0L);
    for (int b = 0; b < 2; b++) {
        const nnact_act *s = b ? &sw15 : &sw;
        ck_assert(ref_act_forward(s, INFINITY) == INFINITY);
        ck_assert(ref_act_forward(s, -INFINITY) == 0.0L);
        ck_assert(ref_act_derivative(s, INFINITY) == 1.0L);
        ck_assert(ref_act_derivative(s, -INFINITY) == 0.0L);
        NEAR(ref_act_derivative(s, FLT_MAX), 1.0L, 0);
        NEAR(ref_act_derivative(s, -FLT_MAX), 0.0L, 0);
        NEAR(ref_act_forward(s, FLT_MAX), FLT_MAX, 0);
        NEAR(ref_act_forward(s, -1000.0f), 0.0L, 1e-300L);
        NEAR(ref_act_derivative(s, -1000.0L), 0.0L, 1e-300L);
    }
    ck_assert(ref_act_forward(&relu, INFINITY) == INFINITY);
    ck_assert(ref_act_forward(&relu, -INFINITY) == 0.0L);
    ck_assert(ref_act_forward(&lk, -INFINITY) == -INFINITY);
    ck_assert(ref_act_derivative(&lk, -INFINITY) == 0.2f);
}
END_TEST

START_TEST(nan_rules)
{
    for (int k = 0; k < N_ACTS; k++) {
        const nnact_act *a = &acts[k];
        const char *nm = nnact_act_name(a->kind);
        ck_assert_msg(isnan(ref_act_forward(a, NAN)), "%s(NaN)", nm);
        ck_assert_msg(ref_matches(NAN, ref_act_forward(a, NAN), ref_act_forward_tol(a, NAN)),
                      "%s(NaN) matches NaN", nm);
        ck_assert_msg(!ref_matches(0.0f, ref_act_forward(a, NAN), ref_act_forward_tol(a, NAN)),
                      "%s(NaN) rejects 0", nm);
        /* NaN in the input the derivative reads. */
        if (a->kind != NNACT_ACT_IDENTITY) {
            float x = NAN, y = NAN;
            ck_assert_msg(isnan(ref_act_backward(a, x, y, 1.0f)), "%s' at NaN", nm);
            ck_assert_msg(!ref_matches(0.0f, ref_act_backward(a, x, y, 0.0f),
                                       ref_act_backward_tol(a, x, y, 0.0f)),
                          "%s' at NaN with dy 0 rejects 0", nm);
        }
        /* NaN dy where the derivative is non-zero: NaN. */
        float x = 0.5f, y = (float)ref_act_forward(a, x);
        ck_assert_msg(isnan(ref_act_backward(a, x, y, NAN)), "%s' with NaN dy", nm);
        ck_assert_msg(!ref_matches(0.0f, ref_act_backward(a, x, y, NAN),
                                   ref_act_backward_tol(a, x, y, NAN)), "%s NaN dy", nm);
    }
    /* NaN dy where the derivative is exactly 0: 0 or NaN accepted. */
    nnact_act relu = mk(NNACT_ACT_RELU, 0, 0), sig = mk(NNACT_ACT_SIGMOID, 0, 0),
              th = mk(NNACT_ACT_TANH, 0, 0), sw = mk(NNACT_ACT_SWISH, 0, 1.5f),
              lk0 = mk(NNACT_ACT_LEAKY_RELU, 0.0f, 0);
    struct { const nnact_act *a; float x, y; } zero[] = {
        {&relu, -1.0f, 0}, {&relu, 0.0f, 0}, {&relu, -INFINITY, 0}, {&lk0, -2.0f, 0},
        {&sig, 0, 1.0f}, {&sig, 0, 0.0f}, {&th, 0, 1.0f}, {&th, 0, -1.0f},
        {&sw, -INFINITY, 0}, {&sw, -FLT_MAX, 0},
    };
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
        for (int inf = 0; inf < 2; inf++) {
            float dy = inf ? -INFINITY : NAN;
            long double r = ref_act_backward(zero[i].a, zero[i].x, zero[i].y, dy);
            long double t = ref_act_backward_tol(zero[i].a, zero[i].x, zero[i].y, dy);
            ck_assert_msg(r == 0.0L && t == REF_NAN_OR_ZERO, "case %zu dy %g: ref %Lg tol %Lg",
                          i, (double)dy, r, t);
            ck_assert(ref_matches(0.0f, r, t) && ref_matches(-0.0f, r, t) &&
                      ref_matches(NAN, r, t) && !ref_matches(1.0f, r, t) &&
                      !ref_matches(-INFINITY, r, t));
        }
    /* A tiny but non-zero derivative keeps NaN from a NaN dy. */
    ck_assert(isnan(ref_act_backward(&sw, -60.0f, 0, NAN)));
    /* dy = inf at a non-zero derivative: the signed infinity. */
    ck_assert(ref_act_backward(&relu, 2.0f, 0, INFINITY) == INFINITY);
    ck_assert(ref_act_backward(&sig, 0, 0.5f, -INFINITY) == -INFINITY);
}
END_TEST

START_TEST(tolerances)
{
    nnact_act sw = mk(NNACT_ACT_SWISH, 0, 1.0f), sw15 = mk(NNACT_ACT_SWISH, 0, 1.5f),
              sig = mk(NNACT_ACT_SIGMOID, 0, 0);
    /* beta 1: beta*x is exact, so the bar is the plain one. */
    float x = 3.3f;
    long double r = ref_act_forward(&sw, x);
    NEAR(ref_act_forward_tol(&sw, x), 4e-6L * fabsl(r) + FLT_MIN, 1e-30L);
    /* beta 1.5 at an x whose product is inexact: an extra rounding term of
     * at most |x| sigma'(t) ulp(t)/2, and more than 0. */
    x = 0x1.fffffep+3f; /* 1.5 x needs 25 bits */
    r = ref_act_forward(&sw15, x);
    long double extra = ref_act_forward_tol(&sw15, x) - (4e-6L * fabsl(r) + FLT_MIN);
    ck_assert_msg(extra > 0 && extra <= fabsl((long double)x) * 0.25L * 0x1p-20L,
                  "swish rounding term %Lg", extra);
    /* backward: plus 1e-7 |dy|. */
    long double rb = ref_act_backward(&sig, 0, 0.25f, -2.0f);
    NEAR(ref_act_backward_tol(&sig, 0, 0.25f, -2.0f), 4e-6L * fabsl(rb) + FLT_MIN + 2e-7L,
         1e-30L);
    /* ref_matches: the bar itself, beyond it, infinities, overflow. */
    ck_assert(ref_matches(1.0f, 1.0L + 1e-6L, 1.01e-6L));
    ck_assert(!ref_matches(1.0f, 1.0L + 1e-6L, 0.99e-6L));
    ck_assert(!ref_matches(NAN, 1.0L, 1.0L));
    ck_assert(!ref_matches(INFINITY, 1.0L, 1.0L));
    ck_assert(ref_matches(INFINITY, INFINITY, 0));
    ck_assert(!ref_matches(-INFINITY, INFINITY, 0));
    ck_assert(!ref_matches(FLT_MAX, INFINITY, 0));
    ck_assert(ref_matches(NAN, NAN, 0));
    ck_assert(!ref_matches(0.0f, NAN, 0));
    ck_assert(ref_matches(INFINITY, 1.1L * FLT_MAX, 4e-6L * 1.1L * FLT_MAX));
    ck_assert(!ref_matches(-INFINITY, 1.1L * FLT_MAX, 4e-6L * 1.1L * FLT_MAX));
    ck_assert(ref_matches(FLT_MAX, (long double)FLT_MAX * (1 + 1e-6L), 4e-6L * FLT_MAX));
    ck_assert(!ref_matches(INFINITY, 0.5L * FLT_MAX, 4e-6L * FLT_MAX));
}
END_TEST

/* ---- Softmax ---- */

static long double softmax_loss(const float *x, const float *dy, size_t cols, float T)
{
    long double y[16], s = 0;
    ref_softmax_forward(x, 1, cols, T, y, NULL);
    for (size_t j = 0; j < cols; j++)
        s += y[j] * dy[j];
    return s;
}

/* d/dx_i of sum_j dy_j y_j(x): central differences, Richardson. */
static long double softmax_fd(float *x, const float *dy, size_t cols, float T, size_t i)
{
    long double d[2];
    for (int k = 0; k < 2; k++) {
        const float h = k ? 0x1p-11f : 0x1p-10f, x0 = x[i];
        x[i] = x0 + h;
        long double p = softmax_loss(x, dy, cols, T);
        x[i] = x0 - h;
        long double m = softmax_loss(x, dy, cols, T);
        x[i] = x0;
        d[k] = (p - m) / (2.0L * h);
    }
    return (4.0L * d[1] - d[0]) / 3.0L;
}

START_TEST(softmax_backward_vs_finite_differences)
{
    static const float temps[] = {0.5f, 1.0f, 2.5f};
    for (int trial = 0; trial < 60; trial++) {
        const size_t cols = 1 + (size_t)trial % 9;
        const float T = temps[trial % 3];
        float x[16], dy[16], y[16];
        long double yl[16], dx[16], tol[16];
        tu_random(x, cols, 4.0f, 500 + (uint64_t)trial);
        tu_random(dy, cols, 2.0f, 600 + (uint64_t)trial);
        for (size_t j = 0; j < cols; j++)
            x[j] = roundf(x[j] * 256.0f) / 256.0f;
        ref_softmax_forward(x, 1, cols, T, yl, NULL);
        for (size_t j = 0; j < cols; j++)
            y[j] = (float)yl[j];
        ref_softmax_backward(y, dy, 1, cols, T, dx, tol);
        for (size_t i = 0; i < cols; i++) {
            long double want = softmax_fd(x, dy, cols, T, i);
            ck_assert_msg(fabsl(dx[i] - want) <= tol[i],
                          "softmax T %g cols %zu: dx[%zu] %.15Lg, finite difference "
                          "%.15Lg, tol %.3Lg", (double)T, cols, i, dx[i], want, tol[i]);
        }
    }
}
END_TEST

START_TEST(softmax_rules)
{
    const float ninf = -INFINITY;
    long double y[4], t[4];
    const float r1[] = {0.0f, 0.0f, ninf};
    ref_softmax_forward(r1, 1, 3, 1.0f, y, t);
    ck_assert(y[0] == 0.5L && y[1] == 0.5L && y[2] == 0.0L);
    const float r2[] = {ninf, ninf, ninf};
    ref_softmax_forward(r2, 1, 3, 2.0f, y, t);
    ck_assert(y[0] == 0 && y[1] == 0 && y[2] == 0);
    ck_assert(ref_matches(0.0f, y[0], t[0]) && !ref_matches(NAN, y[0], t[0]));
    const float r3[] = {1.0f, NAN, 2.0f};
    ref_softmax_forward(r3, 1, 3, 1.0f, y, t);
    ck_assert(isnan(y[0]) && isnan(y[1]) && isnan(y[2]));
    const float r4[] = {1.0f, INFINITY, ninf};
    ref_softmax_forward(r4, 1, 3, 1.0f, y, t);
    ck_assert(isnan(y[0]) && isnan(y[1]) && isnan(y[2]));
    const float r5[] = {1e30f, 1e30f, 1e30f};
    ref_softmax_forward(r5, 1, 3, 0.5f, y, t);
    ck_assert(y[0] == 1.0L / 3 && y[2] == 1.0L / 3);
    /* [0, 1] at T 1: 1/(1+e), e/(1+e); at T 0.5 the gap is 2. */
    const long double e = 2.718281828459045235360287471352662498L;
    const float r6[] = {0.0f, 1.0f};
    ref_softmax_forward(r6, 1, 2, 1.0f, y, t);
    NEAR(y[0], 1 / (1 + e), 1e-18L);
    NEAR(y[1], e / (1 + e), 1e-18L);
    ref_softmax_forward(r6, 1, 2, 0.5f, y, t);
    NEAR(y[1], e * e / (1 + e * e), 1e-18L);
    /* Exact arguments here: no rounding term beyond the plain bar. */
    NEAR(t[1], 4e-6L * y[1] + FLT_MIN, 1e-30L);
    /* Two rows are independent; a -inf entry is 0. */
    const float r7[] = {5.0f, ninf, NAN, 0.0f};
    ref_softmax_forward(r7, 2, 2, 1.0f, y, t);
    ck_assert(y[0] == 1.0L && y[1] == 0.0L && isnan(y[2]) && isnan(y[3]));
    /* Backward by hand: y = (0.25, 0.75), dy = (1, 0): dot 0.25,
     * dx = (0.25*0.75, 0.75*(-0.25)) / T. */
    const float yy[] = {0.25f, 0.75f}, gg[] = {1.0f, 0.0f};
    ref_softmax_backward(yy, gg, 1, 2, 2.0f, y, t);
    NEAR(y[0], 0.1875L / 2, 0);
    NEAR(y[1], -0.1875L / 2, 0);
    /* Bar: (1e-7 (|dy_i| + S) + 4e-6 y_i S)/T + 4e-6 |ref| + FLT_MIN, S = 0.25. */
    NEAR(t[0], (1e-7L * 1.25L + 4e-6L * 0.25L * 0.25L) / 2 + 4e-6L * 0.09375L + FLT_MIN,
         1e-25L);
    /* A row of zeros (all -inf forward) gives zero gradients. */
    const float z[] = {0.0f, 0.0f};
    ref_softmax_backward(z, gg, 1, 2, 1.0f, y, t);
    ck_assert(y[0] == 0 && y[1] == 0);
}
END_TEST

/* The rounding term: an argument (x - max)/T that float cannot hold
 * exactly widens the bar by what that rounding changes, and only then. */
START_TEST(softmax_rounding_term)
{
    const float x[] = {0.0f, -300.1f, -1.0f};
    long double y[3], t[3];
    ref_softmax_forward(x, 1, 3, 0.3f, y, t);
    ck_assert(t[1] > 4e-6L * y[1] + FLT_MIN || y[1] < FLT_MIN);
    const float x2[] = {0.0f, -3.0f, -1.0f};
    ref_softmax_forward(x2, 1, 3, 0.5f, y, t);
    for (int j = 0; j < 3; j++)
        NEAR(t[j], 4e-6L * y[j] + FLT_MIN, 1e-30L);
}
END_TEST

/* ---- PReLU ---- */

START_TEST(prelu_reference)
{
    enum { R = 9, C = 5 };
    float x[R * C], dy[R * C], alpha[C];
    tu_random(x, R * C, 3.0f, 71);
    tu_random(dy, R * C, 2.0f, 72);
    tu_random(alpha, C, 0.5f, 73);
    x[3] = 0.0f;
    x[8] = -0.0f;
    for (int shared = 0; shared < 2; shared++) {
        const size_t na = shared ? 1 : C;
        long double y[R * C], dx[R * C], da[C], dt[C];
        ref_prelu_forward(x, R, C, alpha, na, y);
        ref_prelu_backward(x, dy, R, C, alpha, na, dx, da, dt);
        for (size_t i = 0; i < R * C; i++) {
            long double a = alpha[shared ? 0 : i % C];
            ck_assert(y[i] == (x[i] > 0 ? (long double)x[i] : a * x[i]));
            ck_assert(dx[i] == (x[i] > 0 ? (long double)dy[i] : a * dy[i]));
        }
        /* dalpha against finite differences in alpha (the loss is linear in
         * alpha, so the difference is exact up to rounding). */
        for (size_t k = 0; k < na; k++) {
            float ap[C], am[C];
            long double yp[R * C], ym[R * C], lp = 0, lm = 0;
            memcpy(ap, alpha, sizeof ap);
            memcpy(am, alpha, sizeof am);
            ap[k] += 0x1p-8f;
            am[k] -= 0x1p-8f;
            ref_prelu_forward(x, R, C, ap, na, yp);
            ref_prelu_forward(x, R, C, am, na, ym);
            for (size_t i = 0; i < R * C; i++) {
                lp += dy[i] * yp[i];
                lm += dy[i] * ym[i];
            }
            long double want = (lp - lm) / (2 * 0x1p-8L);
            ck_assert_msg(fabsl(da[k] - want) <= 1e-12L, "dalpha[%zu] %.15Lg vs fd %.15Lg",
                          k, da[k], want);
            ck_assert(dt[k] > 0 && dt[k] <= 4e-6L * 100);
        }
    }
    /* NaN in x: NaN out, NaN dx, NaN dalpha of its column. */
    x[7] = NAN;
    long double y[R * C], dx[R * C], da[C], dt[C];
    ref_prelu_forward(x, R, C, alpha, C, y);
    ref_prelu_backward(x, dy, R, C, alpha, C, dx, da, dt);
    ck_assert(isnan(y[7]) && isnan(dx[7]) && isnan(da[7 % C]) && !isnan(da[0]));
    /* Output pointers may be NULL. */
    ref_prelu_backward(x, dy, R, C, alpha, C, NULL, da, NULL);
    ref_prelu_backward(x, dy, R, C, alpha, C, dx, NULL, NULL);
}
END_TEST

int main(void)
{
    /* The checks here are at long-double precision; under valgrind, which
     * emulates x87 in double precision, they cannot hold: skip (77). */
    volatile long double one = 1.0L, eps = LDBL_EPSILON;
    if (one + eps == one) {
        printf("long double has no extended precision here (valgrind?): skipped\n");
        return 77;
    }
    const tu_case suite_cases[] = {
        {"activations", 0, 0, {{derivative_vs_finite_differences, N_ACTS},
            {backward_consistent_with_derivative, N_ACTS}, {hand_values, 1},
            {hand_values_modern, 1}, {limits, 1}, {nan_rules, 1}, {tolerances, 1}}},
        {"softmax", 0, 0, {{softmax_backward_vs_finite_differences, 1}, {softmax_rules, 1},
            {softmax_rounding_term, 1}, {log_softmax_reference, 1}}},
        {"prelu", 0, 0, {{prelu_reference, 1}}},
    };
    return tu_run_cases("reference", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
