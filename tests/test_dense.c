/* SGEMM through CLBlast and dense layers against a double-precision host
 * reference: odd shapes (1, 7, 129, 1000), every transpose combination,
 * every activation, with and without bias, z and dx. CLBlast on pocl runs
 * untuned parameters, so every shape the library uses is checked here. */
#include "reference.h"
#include "testutil.h"

#include <float.h>
#include <stdio.h>

/* A float within 1e-5 of the magnitude sum (plus the float rounding of the
 * result): far tighter than garbage, looser than any sane accumulation. */
static void expect_gemm(const char *what, const float *got, const double *ref,
                        const double *mag, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double tol = 1e-5 * mag[i] + 6e-8 * fabs(ref[i]) + 1e-30;
        ck_assert_msg(fabs((double)got[i] - ref[i]) <= tol,
                      "%s: element %zu got %.9g want %.9g (tol %.3g)", what, i,
                      (double)got[i], ref[i], tol);
    }
}

static const size_t dims[] = {1, 7, 129, 1000};

/* loop index -> (m, n, k) over the odd sizes; k cycles through 1, 7, 129 */
static void gemm_case(int i, size_t *m, size_t *n, size_t *k)
{
    *m = dims[i % 4];
    *n = dims[i / 4];
    *k = dims[(i + i / 4) % 3];
    if (*m == 1000 && *n == 1000)
        *n = 7; /* keep the host reference quick */
}

START_TEST(gemm_shapes)
{
    for (int t = 0; t < 4; t++) {
        size_t m, n, k;
        gemm_case(_i, &m, &n, &k);
        int ta = t / 2, tb = t % 2;
        size_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
        float *a = malloc(ar * ac * sizeof *a), *b = malloc(br * bc * sizeof *b);
        double *ref = malloc(m * n * sizeof *ref), *mag = malloc(m * n * sizeof *mag);
        tu_random(a, ar * ac, 1.0f, 11 + (uint64_t)_i);
        tu_random(b, br * bc, 2.0f, 17 + (uint64_t)_i);
        ref_gemm(ta, tb, a, ar, ac, b, br, bc, ref, mag);
        nnact_tensor *A = tu_tensor(ar, ac, a), *B = tu_tensor(br, bc, b),
                     *C = tu_tensor(m, n, NULL);
        TU_OK(nnact_gemm(tu_ctx, ta ? NNACT_TRANS : NNACT_NO_TRANS,
                         tb ? NNACT_TRANS : NNACT_NO_TRANS, 1.0f, A, B, 0.0f, C));
        float *c = tu_read(C);
        char what[96];
        snprintf(what, sizeof what, "gemm %c%c m=%zu n=%zu k=%zu", ta ? 'T' : 'N',
                 tb ? 'T' : 'N', m, n, k);
        expect_gemm(what, c, ref, mag, m * n);
        free(a), free(b), free(c), free(ref), free(mag);
        nnact_tensor_destroy(A), nnact_tensor_destroy(B), nnact_tensor_destroy(C);
    }
}
END_TEST

/* The Fashion-MNIST MLP's shapes at batch 128, and alpha/beta accumulation. */
START_TEST(gemm_mlp_shapes_and_beta)
{
    static const size_t s[][5] = {{128, 256, 784, 0, 0}, {128, 128, 256, 0, 0},
                                  {128, 10, 128, 0, 0},  {784, 256, 128, 1, 0},
                                  {128, 784, 256, 0, 1}, {256, 128, 128, 1, 0}};
    for (size_t t = 0; t < sizeof s / sizeof s[0]; t++) {
        size_t m = s[t][0], n = s[t][1], k = s[t][2];
        int ta = (int)s[t][3], tb = (int)s[t][4];
        size_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
        float *a = malloc(ar * ac * 4), *b = malloc(br * bc * 4), *c0 = malloc(m * n * 4);
        double *ref = malloc(m * n * 8), *mag = malloc(m * n * 8);
        tu_random(a, ar * ac, 1.0f, 100 + t);
        tu_random(b, br * bc, 1.0f, 200 + t);
        tu_random(c0, m * n, 1.0f, 300 + t);
        ref_gemm(ta, tb, a, ar, ac, b, br, bc, ref, mag);
        for (size_t i = 0; i < m * n; i++) { /* 0.5 * ab + 2 * c0 */
            ref[i] = 0.5 * ref[i] + 2.0 * c0[i];
            mag[i] = 0.5 * mag[i] + 2.0 * fabs(c0[i]);
        }
        nnact_tensor *A = tu_tensor(ar, ac, a), *B = tu_tensor(br, bc, b),
                     *C = tu_tensor(m, n, c0);
        TU_OK(nnact_gemm(tu_ctx, (nnact_transpose)ta, (nnact_transpose)tb, 0.5f, A, B,
                         2.0f, C));
        float *c = tu_read(C);
        char what[96];
        snprintf(what, sizeof what, "gemm %zux%zux%zu ta=%d tb=%d", m, n, k, ta, tb);
        expect_gemm(what, c, ref, mag, m * n);
        free(a), free(b), free(c0), free(c), free(ref), free(mag);
        nnact_tensor_destroy(A), nnact_tensor_destroy(B), nnact_tensor_destroy(C);
    }
}
END_TEST

START_TEST(gemm_errors_and_empty)
{
    nnact_tensor *A = tu_tensor(3, 4, NULL), *B = tu_tensor(5, 2, NULL),
                 *C = tu_tensor(3, 2, NULL), *E = tu_tensor(3, 0, NULL),
                 *F = tu_tensor(0, 2, NULL);
    TU_FAILS(nnact_gemm(tu_ctx, NNACT_NO_TRANS, NNACT_NO_TRANS, 1, A, B, 0, C),
             NNACT_ERR_SHAPE, "3x4");
    TU_FAILS(nnact_gemm(tu_ctx, (nnact_transpose)7, NNACT_NO_TRANS, 1, A, B, 0, C),
             NNACT_ERR_INVALID_ARG, "trans_a");
    TU_FAILS(nnact_gemm(tu_ctx, NNACT_NO_TRANS, NNACT_NO_TRANS, 1, NULL, B, 0, C),
             NNACT_ERR_INVALID_ARG, "a is NULL");
    /* k = 0: c = beta * c (here 0) */
    TU_OK(nnact_gemm(tu_ctx, NNACT_NO_TRANS, NNACT_NO_TRANS, 1, E, F, 0, C));
    float *c = tu_read(C);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(c[i] == 0.0f, "empty product element %d = %g", i, (double)c[i]);
    free(c);
    nnact_tensor_destroy(A), nnact_tensor_destroy(B), nnact_tensor_destroy(C);
    nnact_tensor_destroy(E), nnact_tensor_destroy(F);
}
END_TEST

/* Dense forward/backward with every activation (loop index = kind). */
START_TEST(dense_each_activation)
{
    const bool rows = _i == NNACT_ACT_SOFTMAX || _i == NNACT_ACT_LOG_SOFTMAX;
    const size_t batch = 37, in = 29, out = rows ? 10 : 21;
    nnact_act act;
    TU_OK(nnact_act_from_name(nnact_act_name((nnact_act_kind)_i), &act));
    if (act.kind == NNACT_ACT_SWISH)
        act.beta = 1.5f;
    float *x = malloc(batch * in * 4), *w = malloc(in * out * 4), *b = malloc(out * 4),
          *dy = malloc(batch * out * 4);
    tu_random(x, batch * in, 1.0f, 1);
    tu_random(w, in * out, 0.5f, 2);
    tu_random(b, out, 0.5f, 3);
    tu_random(dy, batch * out, 1.0f, 4);
    nnact_tensor *X = tu_tensor(batch, in, x), *W = tu_tensor(in, out, w),
                 *B = tu_tensor(1, out, b), *Z = tu_tensor(batch, out, NULL),
                 *Y = tu_tensor(batch, out, NULL), *DY = tu_tensor(batch, out, dy),
                 *DW = tu_tensor(in, out, NULL), *DB = tu_tensor(1, out, NULL),
                 *DX = tu_tensor(batch, in, NULL);
    TU_OK(nnact_dense_forward(tu_ctx, X, W, B, &act, Z, Y));
    TU_OK(nnact_dense_backward(tu_ctx, X, W, &act, Z, Y, DY, DW, DB, DX));
    float *z = tu_read(Z), *y = tu_read(Y), *dw = tu_read(DW), *db = tu_read(DB),
          *dx = tu_read(DX), *dy_after = tu_read(DY);

    double *zr = malloc(batch * out * 8), *mag = malloc(batch * out * 8);
    ref_gemm(0, 0, x, batch, in, w, in, out, zr, mag);
    for (size_t i = 0; i < batch * out; i++) {
        zr[i] += b[i % out];
        mag[i] += fabs(b[i % out]);
    }
    expect_gemm("dense z", z, zr, mag, batch * out);

    /* y from the device's own z: the activation is tested on its own elsewhere */
    long double *yr = malloc(batch * out * sizeof *yr), *tol = malloc(batch * out * sizeof *tol);
    if (act.kind == NNACT_ACT_SOFTMAX) {
        ref_softmax_forward(z, batch, out, act.alpha, yr, tol);
    } else if (act.kind == NNACT_ACT_LOG_SOFTMAX) {
        ref_log_softmax_forward(z, batch, out, act.alpha, yr, tol);
    } else {
        for (size_t i = 0; i < batch * out; i++) {
            yr[i] = ref_act_forward(&act, z[i]);
            tol[i] = ref_act_forward_tol(&act, z[i]);
        }
    }
    for (size_t i = 0; i < batch * out; i++)
        ck_assert_msg(ref_matches(y[i], yr[i], tol[i]), "%s y[%zu] got %.9g want %.9Lg",
                      nnact_act_name(act.kind), i, (double)y[i], yr[i]);

    /* g from the device's z/y, then dW, db, dx in double */
    float *g = malloc(batch * out * 4);
    long double *gr = malloc(batch * out * sizeof *gr);
    if (act.kind == NNACT_ACT_SOFTMAX)
        ref_softmax_backward(y, dy, batch, out, act.alpha, gr, tol);
    else if (act.kind == NNACT_ACT_LOG_SOFTMAX)
        ref_log_softmax_backward(y, dy, batch, out, act.alpha, gr, tol);
    else
        for (size_t i = 0; i < batch * out; i++)
            gr[i] = ref_act_backward(&act, z[i], y[i], dy[i]);
    for (size_t i = 0; i < batch * out; i++)
        g[i] = (float)gr[i];
    double *dwr = malloc(in * out * 8), *dwm = malloc(in * out * 8);
    double *dxr = malloc(batch * in * 8), *dxm = malloc(batch * in * 8);
    ref_gemm(1, 0, x, batch, in, g, batch, out, dwr, dwm);
    ref_gemm(0, 1, g, batch, out, w, in, out, dxr, dxm);
    /* g itself carries ~4e-6 relative error from the derivative */
    for (size_t i = 0; i < in * out; i++)
        dwm[i] *= 2;
    for (size_t i = 0; i < batch * in; i++)
        dxm[i] *= 2;
    expect_gemm("dense dW", dw, dwr, dwm, in * out);
    expect_gemm("dense dx", dx, dxr, dxm, batch * in);
    for (size_t j = 0; j < out; j++) {
        double s = 0, m = 0;
        for (size_t r = 0; r < batch; r++)
            s += g[r * out + j], m += fabs(g[r * out + j]);
        ck_assert_msg(fabs(db[j] - s) <= 1e-5 * m + 1e-30, "db[%zu] got %.9g want %.9g",
                      j, (double)db[j], s);
    }
    ck_assert_msg(!memcmp(dy, dy_after, batch * out * 4), "dense backward modified dy");

    free(x), free(w), free(b), free(dy), free(z), free(y), free(dw), free(db), free(dx);
    free(dy_after), free(zr), free(mag), free(yr), free(tol), free(g), free(gr);
    free(dwr), free(dwm), free(dxr), free(dxm);
    nnact_tensor *all[] = {X, W, B, Z, Y, DY, DW, DB, DX};
    for (size_t i = 0; i < 9; i++)
        nnact_tensor_destroy(all[i]);
}
END_TEST

/* No activation, no bias, no z, no dx; and the shape/NULL errors. */
START_TEST(dense_minimal_and_errors)
{
    float x[6] = {1, 2, 3, 4, 5, 6}, w[6] = {1, 0, 0, 1, 1, 1}; /* 2x3 . 3x2 */
    nnact_tensor *X = tu_tensor(2, 3, x), *W = tu_tensor(3, 2, w), *Y = tu_tensor(2, 2, NULL),
                 *DW = tu_tensor(3, 2, NULL), *Bad = tu_tensor(2, 3, NULL);
    TU_OK(nnact_dense_forward(tu_ctx, X, W, NULL, NULL, NULL, Y));
    float *y = tu_read(Y);
    const float want[4] = {4, 5, 10, 11};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(y[i] == want[i], "y[%d] = %g, want %g", i, (double)y[i], (double)want[i]);
    TU_OK(nnact_dense_backward(tu_ctx, X, W, NULL, NULL, NULL, Y, DW, NULL, NULL));
    TU_FAILS(nnact_dense_forward(tu_ctx, X, Bad, NULL, NULL, NULL, Y), NNACT_ERR_SHAPE, "2x3");
    TU_FAILS(nnact_dense_forward(tu_ctx, X, W, NULL, NULL, NULL, Bad), NNACT_ERR_SHAPE,
             "y is 2x3");
    nnact_act relu = {NNACT_ACT_RELU, 0, 0};
    TU_FAILS(nnact_dense_backward(tu_ctx, X, W, &relu, NULL, Y, Y, DW, NULL, NULL),
             NNACT_ERR_INVALID_ARG, "z is NULL");
    nnact_act sig = {NNACT_ACT_SIGMOID, 0, 0};
    TU_FAILS(nnact_dense_backward(tu_ctx, X, W, &sig, Y, NULL, Y, DW, NULL, NULL),
             NNACT_ERR_INVALID_ARG, "y is NULL");
    TU_FAILS(nnact_dense_backward(tu_ctx, X, W, NULL, NULL, NULL, Y, Bad, NULL, NULL),
             NNACT_ERR_SHAPE, "dW");
    free(y);
    nnact_tensor_destroy(X), nnact_tensor_destroy(W), nnact_tensor_destroy(Y);
    nnact_tensor_destroy(DW), nnact_tensor_destroy(Bad);
}
END_TEST

/* A batch of 0 rows: forward writes nothing, dW and db are zeros. */
START_TEST(dense_empty_batch)
{
    nnact_tensor *X = tu_tensor(0, 3, NULL), *W = tu_tensor(3, 2, NULL),
                 *Y = tu_tensor(0, 2, NULL), *DW = tu_tensor(3, 2, NULL),
                 *DB = tu_tensor(1, 2, NULL);
    float w[6] = {1, 2, 3, 4, 5, 6};
    TU_OK(nnact_tensor_write(W, w));
    nnact_act relu = {NNACT_ACT_RELU, 0, 0};
    TU_OK(nnact_dense_forward(tu_ctx, X, W, NULL, &relu, Y, Y));
    TU_OK(nnact_dense_backward(tu_ctx, X, W, &relu, Y, NULL, Y, DW, DB, NULL));
    float *dw = tu_read(DW), *db = tu_read(DB);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(dw[i] == 0.0f, "dW[%d] = %g", i, (double)dw[i]);
    ck_assert(db[0] == 0.0f && db[1] == 0.0f);
    free(dw), free(db);
    nnact_tensor_destroy(X), nnact_tensor_destroy(W), nnact_tensor_destroy(Y);
    nnact_tensor_destroy(DW), nnact_tensor_destroy(DB);
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"gemm", TU_CONTEXT, 0, {{gemm_shapes, 16}, {gemm_mlp_shapes_and_beta, 1},
            {gemm_errors_and_empty, 1}}},
        {"dense", TU_CONTEXT, 0, {{dense_each_activation, NNACT_ACT_COUNT},
            {dense_minimal_and_errors, 1}, {dense_empty_batch, 1}}},
    };
    return tu_run_cases("dense", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
