/* F16 storage (issue 13): the host conversion exhaustively and against the
 * device's vstore_half_rte; every elementwise activation, softmax and
 * log-softmax on all-F16 tensors against the long-double reference at the
 * half inputs (within 1 half ulp plus the float32 bars) and bit for bit
 * against the float32 kernel's result rounded to half; half edge values;
 * mixed F16/F32 calls; a half view at offset 5 and in place; losses, gemm,
 * dense and the optimizer with F16 operands; MLP F16 storage training and
 * the loss scaler's skip/halve/grow; bad dtypes and short wrapped buffers. */
#include "refcheck.h"

#include <float.h>
#include <stdio.h>

#define H2F nnact_half_to_float
#define F2H nnact_float_to_half

static float round_half(float f) { return H2F(F2H(f)); }

static nnact_tensor *htensor(size_t rows, size_t cols, const float *host)
{
    nnact_tensor *t = NULL;
    TU_OK(nnact_tensor_create_typed(tu_ctx, rows, cols, NNACT_F16, &t));
    if (host)
        TU_OK(nnact_tensor_write(t, host));
    else
        TU_OK(nnact_tensor_fill(t, NAN));
    return t;
}

/* Random floats already rounded to half (what an F16 tensor holds). */
static float *half_random(size_t n, float scale, uint64_t seed)
{
    float *v = tu_xmalloc(n * sizeof *v);
    tu_random(v, n, scale, seed);
    for (size_t i = 0; i < n; i++)
        v[i] = round_half(v[i]);
    return v;
}

/* One half ulp at the magnitude of v (2^-24 below the normal range). */
static long double half_ulp(long double v)
{
    v = fabsl(v);
    if (v < 0x1p-14L)
        return 0x1p-24L;
    int e;
    frexpl(v, &e); /* v = m 2^e, m in [0.5, 1) */
    return ldexpl(1.0L, e - 11);
}

/* got (a half) against the exact ref at the half inputs: within one half
 * ulp plus the float32 bar ftol; beyond half's range, the same infinity. */
static bool half_matches(float got, long double ref, long double ftol)
{
    if (ftol == REF_NAN_OR_ZERO)
        return got == 0.0f || isnan(got);
    if (isnan(ref))
        return isnan(got);
    if (isinf(ref))
        return got == ref;
    if (isinf(got))
        return fabsl(ref) + ftol >= 65504.0L && !signbit(got) == !signbit(ref);
    return fabsl((long double)got - ref) <= half_ulp(ref) + ftol;
}

static void check_half(const char *op, size_t n, const float *in, const float *got,
                       const long double *ref, const long double *tol)
{
    for (size_t i = 0; i < n; i++)
        TU_EXPECT(half_matches(got[i], ref[i], tol[i]),
                  "%s: [%zu] input %.9g got %.9g ref %.12Lg (half ulp %.3Lg, float bar %.3Lg)",
                  op, i, (double)in[i], (double)got[i], ref[i], half_ulp(ref[i]), tol[i]);
}

/* got must be the float32 result rounded once to half (NaN for NaN). */
static void check_rounded(const char *op, size_t n, const float *got, const float *f32)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(f32[i]) && isnan(got[i]))
            continue;
        const float want = round_half(f32[i]);
        TU_EXPECT(memcmp(&want, &got[i], sizeof want) == 0,
                  "%s: [%zu] F16 result %.9g is not the float32 result %.9g rounded to "
                  "half (%.9g)", op, i, (double)got[i], (double)f32[i], (double)want);
    }
}

/* ---- host conversion ------------------------------------------------- */

START_TEST(host_round_trip_all_halves)
{
    for (uint32_t h = 0; h < 65536; h++) {
        const float f = H2F((uint16_t)h);
        const uint16_t back = F2H(f);
        TU_EXPECT(back == h, "half 0x%04x -> %.9g -> 0x%04x", h, (double)f, back);
        const bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        TU_EXPECT(nan == (bool)isnan(f), "half 0x%04x NaN-ness lost (%.9g)", h, (double)f);
    }
}
END_TEST

START_TEST(host_rounding_boundaries)
{
    /* Midpoints between neighbouring halves tie to even; one float ulp
     * either side goes to the nearer. Positive and negative, subnormals
     * included; the midpoint above 65504 (65520) overflows to inf. */
    for (uint32_t h = 0; h < 0x7c00; h++)
        for (int sgn = 0; sgn < 2; sgn++) {
            const uint16_t s = sgn ? 0x8000 : 0, lo = (uint16_t)(h | s),
                           hi = (uint16_t)((h + 1) | s);
            const float a = H2F(lo), b = h + 1 == 0x7c00 ? (sgn ? -65536.0f : 65536.0f)
                                                        : H2F(hi);
            const float mid = (a + b) / 2; /* 12 bits: exact in float */
            const uint16_t even = (h & 1) ? hi : lo;
            TU_EXPECT(F2H(mid) == even, "midpoint %.9g of 0x%04x/0x%04x -> 0x%04x", (double)mid,
                      lo, hi, F2H(mid));
            const float above = nextafterf(mid, sgn ? -INFINITY : INFINITY);
            const float below = nextafterf(mid, 0.0f);
            TU_EXPECT(F2H(above) == hi, "%.9g -> 0x%04x, want 0x%04x", (double)above,
                      F2H(above), hi);
            TU_EXPECT(F2H(below) == lo, "%.9g -> 0x%04x, want 0x%04x", (double)below,
                      F2H(below), lo);
        }
    ck_assert_uint_eq(F2H(65504.0f), 0x7bff);
    ck_assert_uint_eq(F2H(65519.996f), 0x7bff);
    ck_assert_uint_eq(F2H(65520.0f), 0x7c00);
    ck_assert_uint_eq(F2H(-1e30f), 0xfc00);
    ck_assert_uint_eq(F2H(INFINITY), 0x7c00);
    ck_assert_uint_eq(F2H(0x1p-25f), 0x0000);               /* ties to even: 0 */
    ck_assert_uint_eq(F2H(nextafterf(0x1p-25f, 1.0f)), 0x0001);
    ck_assert_uint_eq(F2H(5.9604645e-8f), 0x0001);           /* smallest subnormal */
    ck_assert_uint_eq(F2H(6.0975552e-5f), 0x03ff);           /* largest subnormal */
    ck_assert_uint_eq(F2H(6.1035156e-5f), 0x0400);           /* smallest normal */
    ck_assert(isnan(H2F(F2H(NAN))));
}
END_TEST

/* The device's rounding (narrow_f16 and the native kernels' stores) against
 * the host's on random bit patterns, and its widening on every half. */
START_TEST(device_matches_host_conversion)
{
    const size_t n = 1 << 20;
    float *f = tu_xmalloc(n * sizeof *f);
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        uint32_t bits = (uint32_t)s;
        if (i % 2) /* half the set near half's range, where rounding matters */
            bits = (bits & 0x807fffffu) | ((uint32_t)(100 + (s >> 40) % 48) << 23);
        memcpy(&f[i], &bits, sizeof bits);
    }
    nnact_act id;
    TU_OK(nnact_act_from_name("identity", &id));
    nnact_tensor *x = tu_tensor(1024, 1024, f), *h = htensor(1024, 1024, NULL);
    TU_OK(nnact_act_forward(tu_ctx, &id, x, h)); /* float32 -> half on the device */
    uint16_t *got = tu_xmalloc(n * sizeof *got);
    TU_OK(nnact_tensor_read_raw(h, got));
    for (size_t i = 0; i < n; i++) {
        const uint16_t want = F2H(f[i]);
        if (isnan(f[i]))
            TU_EXPECT((got[i] & 0x7c00) == 0x7c00 && (got[i] & 0x3ff), "[%zu] NaN -> 0x%04x",
                      i, got[i]);
        else
            TU_EXPECT(got[i] == want, "[%zu] %.9g (0x%08x): device 0x%04x, host 0x%04x", i,
                      (double)f[i], 0, got[i], want);
    }
    /* Every half widened on the device, and through a native half kernel. */
    uint16_t *all = tu_xmalloc(65536 * sizeof *all);
    for (uint32_t i = 0; i < 65536; i++)
        all[i] = (uint16_t)i;
    nnact_tensor *ha = htensor(256, 256, NULL), *hb = htensor(256, 256, NULL),
                 *fa = tu_tensor(256, 256, NULL);
    TU_OK(nnact_tensor_write_raw(ha, all));
    TU_OK(nnact_act_forward(tu_ctx, &id, ha, fa));
    TU_OK(nnact_act_forward(tu_ctx, &id, ha, hb));
    float *wide = tu_read(fa);
    uint16_t *copy = tu_xmalloc(65536 * sizeof *copy);
    TU_OK(nnact_tensor_read_raw(hb, copy));
    for (uint32_t i = 0; i < 65536; i++) {
        const float want = H2F((uint16_t)i);
        TU_EXPECT(isnan(want) ? isnan(wide[i]) : memcmp(&want, &wide[i], 4) == 0,
                  "half 0x%04x widened to %.9g, want %.9g", i, (double)wide[i], (double)want);
        TU_EXPECT(isnan(want) ? (copy[i] & 0x7c00) == 0x7c00 && (copy[i] & 0x3ff)
                              : copy[i] == i,
                  "half 0x%04x through identity_h: 0x%04x", i, copy[i]);
    }
    nnact_tensor_destroy(x), nnact_tensor_destroy(h), nnact_tensor_destroy(ha);
    nnact_tensor_destroy(hb), nnact_tensor_destroy(fa);
    free(f), free(got), free(all), free(wide), free(copy);
}
END_TEST

/* ---- elementwise activations ---------------------------------------- */

typedef struct act_case {
    const char *name;
    int set;
    float alpha, beta;
} act_case;

static const act_case cases[] = {
    {"identity", 0, 0, 0}, {"sigmoid", 0, 0, 0},    {"tanh", 0, 0, 0},
    {"relu", 0, 0, 0},     {"leaky_relu", 0, 0, 0}, {"prelu", 1, -0.3f, 0},
    {"swish", 0, 0, 0},    {"swish", 1, 0, 1.5f},   {"elu", 0, 0, 0},
    {"selu", 0, 0, 0},     {"celu", 1, 2.0f, 0},    {"gelu", 0, 0, 0},
    {"gelu_tanh", 0, 0, 0}, {"softplus", 0, 0, 0},  {"softplus", 1, 0, 2.0f},
    {"mish", 0, 0, 0},     {"softsign", 0, 0, 0},   {"hardsigmoid", 0, 0, 0},
    {"hardswish", 0, 0, 0}, {"relu6", 0, 0, 0},     {"hardtanh", 1, -0.5f, 2.0f},
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

static nnact_act make_act(int c)
{
    nnact_act a;
    TU_OK(nnact_act_from_name(cases[c].name, &a));
    if (cases[c].set)
        a.alpha = cases[c].alpha, a.beta = cases[c].beta;
    return a;
}

static int needs_y(nnact_act_kind k) { return k == NNACT_ACT_SIGMOID || k == NNACT_ACT_TANH; }

/* Forward and backward on F16 tensors (x: half values) against the
 * reference and against the float32 kernels on the same values. */
static void check_act_f16(const nnact_act *a, size_t rows, size_t cols, const float *x,
                          const float *dy)
{
    const size_t n = rows * cols;
    char op[160];
    long double *ref = tu_xmalloc(n * sizeof *ref), *tol = tu_xmalloc(n * sizeof *tol);
    nnact_tensor *hx = htensor(rows, cols, x), *hy = htensor(rows, cols, NULL),
                 *fx = tu_tensor(rows, cols, x), *fy = tu_tensor(rows, cols, NULL);
    TU_OK(nnact_act_forward(tu_ctx, a, hx, hy));
    TU_OK(nnact_act_forward(tu_ctx, a, fx, fy));
    float *y = tu_read(hy), *y32 = tu_read(fy);
    for (size_t i = 0; i < n; i++) {
        ref[i] = ref_act_forward(a, x[i]);
        tol[i] = ref_act_forward_tol(a, x[i]);
    }
    snprintf(op, sizeof op, "%s(%g, %g) forward F16 %zux%zu", nnact_act_name(a->kind),
             (double)a->alpha, (double)a->beta, rows, cols);
    check_half(op, n, x, y, ref, tol);
    check_rounded(op, n, y, y32);

    /* Backward: the derivative reads the F16 y (sigmoid, tanh) or x. */
    nnact_tensor *hdy = htensor(rows, cols, dy), *hdx = htensor(rows, cols, NULL),
                 *fyh = tu_tensor(rows, cols, y), *fdy = tu_tensor(rows, cols, dy),
                 *fdx = tu_tensor(rows, cols, NULL);
    TU_OK(nnact_act_backward(tu_ctx, a, hx, hy, hdy, hdx));
    TU_OK(nnact_act_backward(tu_ctx, a, fx, fyh, fdy, fdx));
    float *dx = tu_read(hdx), *dx32 = tu_read(fdx);
    for (size_t i = 0; i < n; i++) {
        ref[i] = ref_act_backward(a, x[i], y[i], dy[i]);
        tol[i] = ref_act_backward_tol(a, x[i], y[i], dy[i]);
    }
    snprintf(op, sizeof op, "%s(%g, %g) backward F16 %zux%zu", nnact_act_name(a->kind),
             (double)a->alpha, (double)a->beta, rows, cols);
    check_half(op, n, needs_y(a->kind) ? y : x, dx, ref, tol);
    check_rounded(op, n, dx, dx32);

    /* In place (y aliasing x, dx aliasing dy) gives the same bits. */
    TU_OK(nnact_act_backward(tu_ctx, a, hx, hy, hdy, hdy));
    TU_OK(nnact_act_forward(tu_ctx, a, hx, hx));
    float *yi = tu_read(hx), *dxi = tu_read(hdy);
    for (size_t i = 0; i < n; i++) {
        TU_EXPECT(memcmp(&yi[i], &y[i], 4) == 0 || (isnan(yi[i]) && isnan(y[i])),
                  "%s in place: [%zu] %.9g vs %.9g", op, i, (double)yi[i], (double)y[i]);
        TU_EXPECT(memcmp(&dxi[i], &dx[i], 4) == 0 || (isnan(dxi[i]) && isnan(dx[i])),
                  "%s in place: [%zu] %.9g vs %.9g", op, i, (double)dxi[i], (double)dx[i]);
    }
    nnact_tensor *all[] = {hx, hy, fx, fy, hdy, hdx, fyh, fdy, fdx};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        nnact_tensor_destroy(all[k]);
    free(ref), free(tol), free(y), free(y32), free(dx), free(dx32), free(yi), free(dxi);
}

START_TEST(act_random)
{
    const nnact_act a = make_act(_i);
    const size_t rows = 37, cols = 53, n = rows * cols; /* odd: ragged heads and tails */
    for (int s = 0; s < 2; s++) {
        float *x = half_random(n, s ? 12.0f : 3.0f, 11 + (uint64_t)_i);
        float *dy = half_random(n, 2.0f, 97 + (uint64_t)_i);
        check_act_f16(&a, rows, cols, x, dy);
        free(x), free(dy);
    }
}
END_TEST

/* Half's edges: the extremes, the subnormal limits, overflow and NaN. */
static const float edges[] = {65504.0f, -65504.0f, 6.1035156e-5f, -6.1035156e-5f,
                              6.0975552e-5f, 5.9604645e-8f, -5.9604645e-8f, 0.0f, -0.0f,
                              INFINITY, -INFINITY, NAN, 1.0f, -1.0f, 11.0f, -11.0f,
                              0.5f, -0.5f, 3.0f, -3.0f, 20.0f, -20.0f, 1000.0f, -1000.0f};
#define N_EDGES (sizeof edges / sizeof edges[0])

START_TEST(act_edges)
{
    const nnact_act a = make_act(_i);
    const size_t n = N_EDGES * N_EDGES;
    float *x = tu_xmalloc(n * sizeof *x), *dy = tu_xmalloc(n * sizeof *dy);
    for (size_t i = 0; i < N_EDGES; i++)
        for (size_t j = 0; j < N_EDGES; j++) {
            x[i * N_EDGES + j] = edges[i];
            dy[i * N_EDGES + j] = isinf(edges[j]) ? 2.0f : edges[j];
        }
    check_act_f16(&a, N_EDGES, N_EDGES, x, dy);
    free(x), free(dy);
}
END_TEST

START_TEST(overflow_to_inf)
{
    /* Writes round on the host; a float32 result beyond 65504 stores inf. */
    const float x[4] = {70000.0f, -65520.0f, 65519.0f, 1e-9f};
    nnact_tensor *h = htensor(1, 4, x);
    float got[4];
    TU_OK(nnact_tensor_read(h, got));
    ck_assert(got[0] == INFINITY && got[1] == -INFINITY && got[2] == 65504.0f &&
              got[3] == 0.0f);
    nnact_act sp;
    TU_OK(nnact_act_from_name("softplus", &sp));
    sp.beta = 0.5f; /* softplus(60000) = 60000: finite; x * 2 for hardtanh to 65600: inf */
    const float big[2] = {60000.0f, 65504.0f};
    nnact_tensor *b = htensor(1, 2, big), *y = htensor(1, 2, NULL);
    TU_OK(nnact_act_forward(tu_ctx, &sp, b, y));
    float yy[2];
    TU_OK(nnact_tensor_read(y, yy));
    ck_assert(yy[0] == 60000.0f && yy[1] == 65504.0f);
    nnact_tensor *dy = htensor(1, 2, (const float[]){40000.0f, 40000.0f}),
                 *dx = htensor(1, 2, NULL);
    nnact_act lr;
    TU_OK(nnact_act_from_name("leaky_relu", &lr));
    lr.alpha = 2.0f; /* dx = 2 * dy for x <= 0: 80000 overflows half */
    nnact_tensor *neg = htensor(1, 2, (const float[]){-1.0f, 1.0f});
    TU_OK(nnact_act_backward(tu_ctx, &lr, neg, NULL, dy, dx));
    TU_OK(nnact_tensor_read(dx, yy));
    ck_assert(yy[0] == INFINITY && yy[1] == 40000.0f);
    nnact_tensor_destroy(h), nnact_tensor_destroy(b), nnact_tensor_destroy(y);
    nnact_tensor_destroy(dy), nnact_tensor_destroy(dx), nnact_tensor_destroy(neg);
}
END_TEST

/* ---- softmax and log-softmax ----------------------------------------- */

static void check_rows_f16(int log, size_t rows, size_t cols, float T)
{
    const size_t n = rows * cols;
    float *x = half_random(n, 6.0f, 5 + cols), *dy = half_random(n, 1.0f, 7 + cols);
    if (rows >= 4) { /* masked entries, a fully masked row, a NaN row, a +inf row */
        x[1] = -INFINITY;
        for (size_t j = 0; j < cols; j++)
            x[cols + j] = -INFINITY;
        x[2 * cols + cols / 2] = NAN;
        x[3 * cols] = INFINITY;
    }
    long double *ref = tu_xmalloc(n * sizeof *ref), *tol = tu_xmalloc(n * sizeof *tol);
    char op[128];
    snprintf(op, sizeof op, "%s F16 %zux%zu T %g", log ? "log_softmax" : "softmax", rows, cols,
             (double)T);
    nnact_tensor *hx = htensor(rows, cols, x), *hy = htensor(rows, cols, NULL),
                 *fx = tu_tensor(rows, cols, x), *fy = tu_tensor(rows, cols, NULL);
    TU_OK((log ? nnact_log_softmax_forward : nnact_softmax_forward)(tu_ctx, T, hx, hy));
    TU_OK((log ? nnact_log_softmax_forward : nnact_softmax_forward)(tu_ctx, T, fx, fy));
    float *y = tu_read(hy), *y32 = tu_read(fy);
    (log ? ref_log_softmax_forward : ref_softmax_forward)(x, rows, cols, T, ref, tol);
    check_half(op, n, x, y, ref, tol);
    check_rounded(op, n, y, y32);

    nnact_tensor *hdy = htensor(rows, cols, dy), *hdx = htensor(rows, cols, NULL),
                 *fyh = tu_tensor(rows, cols, y), *fdy = tu_tensor(rows, cols, dy),
                 *fdx = tu_tensor(rows, cols, NULL);
    TU_OK((log ? nnact_log_softmax_backward : nnact_softmax_backward)(tu_ctx, T, hy, hdy, hdx));
    TU_OK((log ? nnact_log_softmax_backward : nnact_softmax_backward)(tu_ctx, T, fyh, fdy, fdx));
    float *dx = tu_read(hdx), *dx32 = tu_read(fdx);
    (log ? ref_log_softmax_backward : ref_softmax_backward)(y, dy, rows, cols, T, ref, tol);
    strcat(op, " backward");
    check_half(op, n, y, dx, ref, tol);
    check_rounded(op, n, dx, dx32);
    /* In place forward: y aliasing x gives the same bits. */
    TU_OK((log ? nnact_log_softmax_forward : nnact_softmax_forward)(tu_ctx, T, hx, hx));
    float *yi = tu_read(hx);
    for (size_t i = 0; i < n; i++)
        TU_EXPECT(memcmp(&yi[i], &y[i], 4) == 0 || (isnan(yi[i]) && isnan(y[i])),
                  "%s in place [%zu]: %.9g vs %.9g", op, i, (double)yi[i], (double)y[i]);
    nnact_tensor *all[] = {hx, hy, fx, fy, hdy, hdx, fyh, fdy, fdx};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        nnact_tensor_destroy(all[k]);
    free(x), free(dy), free(ref), free(tol), free(y), free(y32), free(dx), free(dx32), free(yi);
}

START_TEST(softmax_rows)
{
    const size_t shapes[][2] = {{1, 1}, {5, 7}, {9, 100}, {33, 1000}};
    for (size_t s = 0; s < 4; s++)
        for (int log = 0; log < 2; log++) {
            check_rows_f16(log, shapes[s][0], shapes[s][1], 1.0f);
            check_rows_f16(log, shapes[s][0], shapes[s][1], 0.7f);
        }
}
END_TEST

/* ---- mixed types, views, in place, errors ----------------------------- */

START_TEST(mixed_calls)
{
    const size_t rows = 19, cols = 41, n = rows * cols;
    float *x = half_random(n, 4.0f, 3);
    nnact_act sg;
    TU_OK(nnact_act_from_name("swish", &sg));
    nnact_tensor *hx = htensor(rows, cols, x), *fx = tu_tensor(rows, cols, x),
                 *fy = tu_tensor(rows, cols, NULL), *fy2 = tu_tensor(rows, cols, NULL),
                 *hy = htensor(rows, cols, NULL);
    TU_OK(nnact_act_forward(tu_ctx, &sg, fx, fy));  /* reference: all float32 */
    TU_OK(nnact_act_forward(tu_ctx, &sg, hx, fy2)); /* x F16, y F32: the float32 result */
    TU_OK(nnact_act_forward(tu_ctx, &sg, fx, hy));  /* x F32, y F16: rounded once */
    float *a = tu_read(fy), *b = tu_read(fy2), *c = tu_read(hy);
    rc_same_bits("swish x F16 -> y F32", n, a, b);
    check_rounded("swish x F32 -> y F16", n, c, a);
    /* Softmax the same way, and backward with dy F16, y F32, dx F16. */
    TU_OK(nnact_softmax_forward(tu_ctx, 1.0f, fx, fy));
    TU_OK(nnact_softmax_forward(tu_ctx, 1.0f, hx, fy2));
    TU_OK(nnact_softmax_forward(tu_ctx, 1.0f, fx, hy));
    free(a), free(b), free(c);
    a = tu_read(fy), b = tu_read(fy2), c = tu_read(hy);
    rc_same_bits("softmax x F16 -> y F32", n, a, b);
    check_rounded("softmax x F32 -> y F16", n, c, a);
    float *dy = half_random(n, 1.0f, 8);
    nnact_tensor *hdy = htensor(rows, cols, dy), *fdy = tu_tensor(rows, cols, dy),
                 *hdx = htensor(rows, cols, NULL), *fdx = tu_tensor(rows, cols, NULL);
    TU_OK(nnact_softmax_backward(tu_ctx, 1.0f, fy, fdy, fdx));
    TU_OK(nnact_softmax_backward(tu_ctx, 1.0f, fy, hdy, hdx));
    float *d32 = tu_read(fdx), *d16 = tu_read(hdx);
    check_rounded("softmax backward y F32, dy F16, dx F16", n, d16, d32);
    nnact_tensor *all[] = {hx, fx, fy, fy2, hy, hdy, fdy, hdx, fdx};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        nnact_tensor_destroy(all[k]);
    free(x), free(a), free(b), free(c), free(dy), free(d32), free(d16);
}
END_TEST

static cl_mem raw_buffer(size_t bytes)
{
    cl_context c;
    ck_assert_int_eq(clGetCommandQueueInfo(nnact_ctx_queue(tu_ctx), CL_QUEUE_CONTEXT, sizeof c,
                                           &c, NULL), CL_SUCCESS);
    cl_int err;
    cl_mem m = clCreateBuffer(c, CL_MEM_READ_WRITE, bytes, NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    return m;
}

START_TEST(view_at_odd_offset)
{
    /* A 7x9 half view at element offset 5 (10 bytes in) of a buffer with
     * guard halves around it, in place; the guards stay untouched. */
    const size_t rows = 7, cols = 9, n = rows * cols, off = 5, total = off + n + 3;
    cl_mem buf = raw_buffer(total * 2);
    nnact_tensor *whole, *view;
    TU_OK(nnact_tensor_wrap_typed(tu_ctx, buf, 0, 1, total, NNACT_F16, &whole));
    TU_OK(nnact_tensor_wrap_typed(tu_ctx, buf, off, rows, cols, NNACT_F16, &view));
    ck_assert_int_eq(nnact_tensor_dtype(view), NNACT_F16);
    TU_OK(nnact_tensor_fill(whole, 7.0f));
    float *x = half_random(n, 5.0f, 55);
    TU_OK(nnact_tensor_write(view, x));
    nnact_act gl;
    TU_OK(nnact_act_from_name("gelu", &gl));
    nnact_tensor *fx = tu_tensor(rows, cols, x), *fy = tu_tensor(rows, cols, NULL);
    TU_OK(nnact_act_forward(tu_ctx, &gl, fx, fy));
    TU_OK(nnact_act_forward(tu_ctx, &gl, view, view));
    float *y = tu_read(view), *y32 = tu_read(fy), *all = tu_read(whole);
    check_rounded("gelu on a half view at offset 5, in place", n, y, y32);
    for (size_t i = 0; i < total; i++)
        if (i < off || i >= off + n)
            ck_assert_msg(all[i] == 7.0f, "guard half %zu overwritten: %g", i, (double)all[i]);
    /* Softmax on the same view (row kernels read rows at odd addresses). */
    TU_OK(nnact_tensor_write(view, x));
    TU_OK(nnact_softmax_forward(tu_ctx, 1.0f, fx, fy));
    TU_OK(nnact_softmax_forward(tu_ctx, 1.0f, view, view));
    free(y), free(y32);
    y = tu_read(view), y32 = tu_read(fy);
    check_rounded("softmax on a half view at offset 5, in place", n, y, y32);
    /* A view one half too long for the buffer is refused. */
    nnact_tensor *bad = NULL;
    TU_FAILS(nnact_tensor_wrap_typed(tu_ctx, buf, off + 4, rows, cols, NNACT_F16, &bad),
             NNACT_ERR_INVALID_ARG, "runs past the end");
    ck_assert_ptr_null(bad);
    TU_FAILS(nnact_tensor_wrap_typed(tu_ctx, buf, 0, 1, total, (nnact_dtype)-1, &bad),
             NNACT_ERR_INVALID_ARG, "not a storage type");
    /* The same bytes as float32 hold half as many elements. */
    TU_FAILS(nnact_tensor_wrap_typed(tu_ctx, buf, 0, 1, total, NNACT_F32, &bad),
             NNACT_ERR_INVALID_ARG, "runs past the end");
    nnact_tensor_destroy(whole), nnact_tensor_destroy(view);
    nnact_tensor_destroy(fx), nnact_tensor_destroy(fy);
    clReleaseMemObject(buf);
    free(x), free(y), free(y32), free(all);
}
END_TEST

START_TEST(bad_dtype_and_short_buffer)
{
    nnact_tensor *t = NULL;
    TU_FAILS(nnact_tensor_create_typed(tu_ctx, 2, 2, (nnact_dtype)7, &t),
             NNACT_ERR_INVALID_ARG, "dtype 7");
    ck_assert_ptr_null(t);
    ck_assert_ptr_null(nnact_dtype_name((nnact_dtype)7));
    ck_assert_uint_eq(nnact_dtype_size(NNACT_F16), 2);
}
END_TEST

/* ---- losses, products, optimizer ------------------------------------- */

START_TEST(losses_f16)
{
    const size_t rows = 31, k = 10, n = rows * k;
    float *p = half_random(n, 3.0f, 21), *t = half_random(n, 1.0f, 22);
    float labels[31];
    for (size_t r = 0; r < rows; r++)
        labels[r] = (float)(r % k);
    const char *names[] = {"mse", "softmax_cce", "bce_logits"};
    for (int l = 0; l < 3; l++) {
        nnact_loss loss;
        TU_OK(nnact_loss_from_name(names[l], &loss));
        const int lab = l == 1;
        nnact_tensor *hp = htensor(rows, k, p), *fp = tu_tensor(rows, k, p),
                     *tt = lab ? tu_tensor(rows, 1, labels) : htensor(rows, k, t),
                     *hg = htensor(rows, k, NULL), *fg = tu_tensor(rows, k, NULL);
        float v16, v32, a16, a32;
        TU_OK(nnact_loss_eval(tu_ctx, &loss, hp, tt, &v16, &a16, hg));
        TU_OK(nnact_loss_eval(tu_ctx, &loss, fp, tt, &v32, &a32, fg));
        ck_assert_msg(v16 == v32 && a16 == a32, "%s: F16 pred loss %.9g acc %g vs %.9g %g",
                      names[l], (double)v16, (double)a16, (double)v32, (double)a32);
        float *g16 = tu_read(hg), *g32 = tu_read(fg);
        check_rounded(names[l], n, g16, g32);
        nnact_tensor_destroy(hp), nnact_tensor_destroy(fp), nnact_tensor_destroy(tt);
        nnact_tensor_destroy(hg), nnact_tensor_destroy(fg);
        free(g16), free(g32);
    }
    free(p), free(t);
}
END_TEST

START_TEST(gemm_and_dense_f16)
{
    const size_t m = 33, kk = 784, nn = 17;
    float *a = half_random(m * kk, 1.0f, 31), *b = half_random(kk * nn, 0.1f, 32);
    nnact_tensor *ha = htensor(m, kk, a), *fb = tu_tensor(kk, nn, b),
                 *hc = htensor(m, nn, NULL), *fa = tu_tensor(m, kk, a),
                 *fc = tu_tensor(m, nn, NULL);
    TU_OK(nnact_gemm(tu_ctx, NNACT_NO_TRANS, NNACT_NO_TRANS, 1.0f, ha, fb, 0.0f, hc));
    TU_OK(nnact_gemm(tu_ctx, NNACT_NO_TRANS, NNACT_NO_TRANS, 1.0f, fa, fb, 0.0f, fc));
    float *c16 = tu_read(hc), *c32 = tu_read(fc);
    check_rounded("gemm a F16, c F16", m * nn, c16, c32);
    double *ref = tu_xmalloc(m * nn * sizeof *ref), *mag = tu_xmalloc(m * nn * sizeof *mag);
    ref_gemm(0, 0, a, m, kk, b, kk, nn, ref, mag);
    for (size_t i = 0; i < m * nn; i++)
        TU_EXPECT(fabsl(c16[i] - (long double)ref[i]) <=
                      half_ulp(ref[i]) + 1e-6L * mag[i] + 1e-30L,
                  "gemm F16 [%zu]: %.9g vs %.12g (mag %.3g)", i, (double)c16[i], ref[i],
                  mag[i]);
    /* Dense: x F16, W and b float32, y F16 = the float32 layer rounded. */
    nnact_act relu;
    TU_OK(nnact_act_from_name("relu", &relu));
    float bias[17];
    tu_random(bias, nn, 0.5f, 33);
    nnact_tensor *bb = tu_tensor(1, nn, bias), *hy = htensor(m, nn, NULL),
                 *fy = tu_tensor(m, nn, NULL), *hz = htensor(m, nn, NULL),
                 *fz = tu_tensor(m, nn, NULL);
    TU_OK(nnact_dense_forward(tu_ctx, ha, fb, bb, &relu, hz, hy));
    TU_OK(nnact_dense_forward(tu_ctx, fa, fb, bb, &relu, fz, fy));
    float *y16 = tu_read(hy), *y32 = tu_read(fy);
    check_rounded("dense forward F16", m * nn, y16, y32);
    /* Backward with F16 dy and z, float32 dW: the gradient of the same
     * half values. */
    float *dyv = half_random(m * nn, 1.0f, 34), *z16 = tu_read(hz);
    nnact_tensor *hdy = htensor(m, nn, dyv), *fdy = tu_tensor(m, nn, dyv),
                 *fz16 = tu_tensor(m, nn, z16), *dW1 = tu_tensor(kk, nn, NULL),
                 *dW2 = tu_tensor(kk, nn, NULL), *hdx = htensor(m, kk, NULL),
                 *fdx = tu_tensor(m, kk, NULL);
    TU_OK(nnact_dense_backward(tu_ctx, ha, fb, &relu, hz, NULL, hdy, dW1, NULL, hdx));
    TU_OK(nnact_dense_backward(tu_ctx, fa, fb, &relu, fz16, NULL, fdy, dW2, NULL, fdx));
    float *w1 = tu_read(dW1), *w2 = tu_read(dW2), *x16 = tu_read(hdx), *x32 = tu_read(fdx);
    rc_same_bits("dense backward dW from F16 operands", kk * nn, w1, w2);
    check_rounded("dense backward dx F16", m * kk, x16, x32);
    nnact_tensor *all[] = {ha, fb, hc, fa, fc, bb, hy, fy, hz, fz, hdy, fdy, fz16, dW1, dW2,
                           hdx, fdx};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        nnact_tensor_destroy(all[k]);
    free(a), free(b), free(c16), free(c32), free(ref), free(mag), free(y16), free(y32);
    free(dyv), free(z16), free(w1), free(w2), free(x16), free(x32);
}
END_TEST

START_TEST(optimizer_f16_grad)
{
    const size_t n = 300;
    float *p = half_random(n, 1.0f, 41), *g = half_random(n, 0.01f, 42);
    nnact_optim adam;
    TU_OK(nnact_optim_from_name("adam", &adam));
    nnact_tensor *p1 = tu_tensor(1, n, p), *p2 = tu_tensor(1, n, p), *hg = htensor(1, n, g),
                 *fg = tu_tensor(1, n, g), *m1 = tu_tensor(1, n, NULL),
                 *v1 = tu_tensor(1, n, NULL), *m2 = tu_tensor(1, n, NULL),
                 *v2 = tu_tensor(1, n, NULL);
    nnact_tensor *st[] = {m1, v1, m2, v2};
    for (int i = 0; i < 4; i++)
        TU_OK(nnact_tensor_fill(st[i], 0.0f));
    for (uint64_t s = 1; s <= 3; s++) {
        TU_OK(nnact_optim_step(tu_ctx, &adam, s, p1, hg, m1, v1));
        TU_OK(nnact_optim_step(tu_ctx, &adam, s, p2, fg, m2, v2));
    }
    float *a = tu_read(p1), *b = tu_read(p2);
    rc_same_bits("adam with an F16 gradient", n, a, b);
    nnact_tensor *hp = htensor(1, n, p);
    TU_FAILS(nnact_optim_step(tu_ctx, &adam, 1, hp, fg, m1, v1), NNACT_ERR_INVALID_ARG,
             "master weights");
    nnact_tensor *all[] = {p1, p2, hg, fg, m1, v1, m2, v2, hp};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        nnact_tensor_destroy(all[k]);
    free(p), free(g), free(a), free(b);
}
END_TEST

/* ---- MLP storage and loss scaling ------------------------------------- */

/* Three interleaved spirals, 2 features, labels 0..2. */
static void spiral(size_t n, float *x, float *y)
{
    uint64_t s = 7;
    for (size_t i = 0; i < n; i++) {
        const size_t c = i % 3;
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        const double r = (double)(i / 3) / (double)(n / 3), noise = ((s >> 11) * 0x1p-53 - 0.5) * 0.2;
        const double th = c * 2.0944 + r * 4.0 + noise;
        x[2 * i] = (float)(r * sin(th));
        x[2 * i + 1] = (float)(r * cos(th));
        y[i] = (float)c;
    }
}

static float train_spiral(nnact_dtype storage, float *skipped_scale)
{
    const size_t n = 384, sizes[] = {2, 64, 64, 3};
    const char *acts[] = {"relu", "relu", "softmax"};
    float *x = tu_xmalloc(n * 2 * sizeof *x), *y = tu_xmalloc(n * sizeof *y);
    spiral(n, x, y);
    nnact_tensor *tx = tu_tensor(n, 2, x), *ty = tu_tensor(n, 1, y);
    nnact_mlp *mlp;
    TU_OK(nnact_mlp_create(tu_ctx, sizes, 4, acts, 42, &mlp));
    TU_OK(nnact_mlp_set_storage(mlp, storage));
    ck_assert_int_eq(nnact_mlp_storage(mlp), storage);
    nnact_loss loss;
    nnact_optim opt;
    TU_OK(nnact_loss_from_name("sparse_cce", &loss));
    TU_OK(nnact_optim_from_name("adam", &opt));
    opt.lr = 0.01f;
    for (int s = 0; s < 600; s++)
        TU_OK(nnact_mlp_train_step(mlp, tx, ty, &loss, &opt, NULL, NULL));
    float acc = 0, v = 0;
    TU_OK(nnact_mlp_evaluate(mlp, tx, ty, &loss, &v, &acc));
    if (skipped_scale)
        *skipped_scale = nnact_mlp_loss_scale(mlp);
    nnact_mlp_destroy(mlp);
    nnact_tensor_destroy(tx), nnact_tensor_destroy(ty);
    free(x), free(y);
    return acc;
}

START_TEST(mlp_f16_storage_trains)
{
    float scale = 0;
    const float a32 = train_spiral(NNACT_F32, NULL), a16 = train_spiral(NNACT_F16, &scale);
    ck_assert_msg(a32 >= 0.9f && a16 >= a32 - 0.03f, "spiral accuracy f32 %.4f f16 %.4f",
                  (double)a32, (double)a16);
    ck_assert_float_eq(scale, 65536.0f); /* no overflow at 600 steps < 2000 */
}
END_TEST

START_TEST(loss_scaler_skip_halve_grow)
{
    const size_t n = 30, sizes[] = {2, 8, 3};
    const char *acts[] = {"tanh", "softmax"};
    float x[60], y[30];
    spiral(n, x, y);
    nnact_tensor *tx = tu_tensor(n, 2, x), *ty = tu_tensor(n, 1, y);
    nnact_mlp *mlp;
    TU_OK(nnact_mlp_create(tu_ctx, sizes, 3, acts, 1, &mlp));
    TU_OK(nnact_mlp_set_storage(mlp, NNACT_F16));
    ck_assert_float_eq(nnact_mlp_loss_scale(mlp), 65536.0f);
    nnact_loss loss;
    nnact_optim opt;
    TU_OK(nnact_loss_from_name("sparse_cce", &loss));
    TU_OK(nnact_optim_from_name("sgd", &opt));
    /* A scale of 2^40 overflows half in the loss gradient: the step is
     * skipped (weights untouched) and the scale halves. */
    TU_OK(nnact_mlp_set_loss_scaling(mlp, 0x1p40f, 2));
    float w0[16], w1[16];
    TU_OK(nnact_tensor_read(nnact_mlp_weights(mlp, 0), w0));
    TU_OK(nnact_mlp_train_step(mlp, tx, ty, &loss, &opt, NULL, NULL));
    TU_OK(nnact_tensor_read(nnact_mlp_weights(mlp, 0), w1));
    ck_assert_uint_eq(nnact_mlp_skipped_steps(mlp), 1);
    ck_assert_float_eq(nnact_mlp_loss_scale(mlp), 0x1p39f);
    rc_same_bits("weights after a skipped step", 16, w0, w1);
    /* A sane scale: two good steps double it (growth interval 2), and the
     * gradients it leaves are unscaled: those of float32 storage. */
    TU_OK(nnact_mlp_set_loss_scaling(mlp, 1024.0f, 2));
    TU_OK(nnact_mlp_train_step(mlp, tx, ty, &loss, &opt, NULL, NULL));
    ck_assert_float_eq(nnact_mlp_loss_scale(mlp), 1024.0f);
    TU_OK(nnact_mlp_train_step(mlp, tx, ty, &loss, &opt, NULL, NULL));
    ck_assert_float_eq(nnact_mlp_loss_scale(mlp), 2048.0f);
    ck_assert_uint_eq(nnact_mlp_skipped_steps(mlp), 0);
    TU_OK(nnact_mlp_backprop(mlp, tx, ty, &loss, NULL, NULL));
    float g16[16], g32[16];
    TU_OK(nnact_tensor_read(nnact_mlp_weights_grad(mlp, 0), g16));
    TU_OK(nnact_mlp_set_storage(mlp, NNACT_F32));
    TU_OK(nnact_mlp_backprop(mlp, tx, ty, &loss, NULL, NULL));
    TU_OK(nnact_tensor_read(nnact_mlp_weights_grad(mlp, 0), g32));
    for (int i = 0; i < 16; i++)
        ck_assert_msg(fabsf(g16[i] - g32[i]) <= 2e-3f * fabsf(g32[i]) + 1e-5f,
                      "dW[%d]: F16 storage %.9g vs F32 %.9g", i, (double)g16[i],
                      (double)g32[i]);
    TU_FAILS(nnact_mlp_set_loss_scaling(mlp, 0.5f, 2), NNACT_ERR_INVALID_ARG, "scale");
    nnact_mlp_destroy(mlp);
    nnact_tensor_destroy(tx), nnact_tensor_destroy(ty);
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"host", 0, 0, {{host_round_trip_all_halves, 1}, {host_rounding_boundaries, 1}}},
        {"device", TU_CONTEXT, 600, {{device_matches_host_conversion, 1}, {act_random, N_CASES},
            {act_edges, N_CASES}, {overflow_to_inf, 1}, {softmax_rows, 1}, {mixed_calls, 1},
            {view_at_odd_offset, 1}, {bad_dtype_and_short_buffer, 1}, {losses_f16, 1},
            {gemm_and_dense_f16, 1}, {optimizer_f16_grad, 1}, {mlp_f16_storage_trains, 1},
            {loss_scaler_skip_halve_grow, 1}}},
    };
    return tu_run_cases("f16", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
