/* Row-wise log-softmax on the device against the long-double reference, in
 * the style of test_softmax.c (meson runs it on both kernel forms and with
 * streaming stores): random rows at scales 1, 10, 100 and temperatures 0.5,
 * 1, 2.5 on shapes from 1x1 to a 1x100000 row; e^y sums to 1; shift
 * invariance; the rules (-inf entry -> -inf, all -inf -> -inf, NaN or
 * +inf anywhere -> NaN throughout, including all-NaN, all +inf and NaN
 * among -inf rows, which a max that skips NaN would miss); single columns
 * (y = 0); in place and through nnact_act_* with NNACT_ACT_LOG_SOFTMAX,
 * bit for bit; zero-sized tensors; bad temperatures. */
#include "refcheck.h"

#include <float.h>
#include <stdio.h>

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Forward and backward against the reference (backward at the device's y),
 * then through nnact_act_* and in place, bit for bit. Returns y (malloc'd). */
static float *check_lsm(size_t rows, size_t cols, float T, const float *x, const float *dy,
                        const char *what)
{
    const size_t n = rows * cols;
    char op[160];
    long double *ref = xmalloc(n * sizeof *ref), *tol = xmalloc(n * sizeof *tol);

    nnact_tensor *tx = tu_tensor(rows, cols, x), *ty = tu_tensor(rows, cols, NULL);
    TU_OK(nnact_log_softmax_forward(tu_ctx, T, tx, ty));
    float *y = tu_read(ty);
    ref_log_softmax_forward(x, rows, cols, T, ref, tol);
    snprintf(op, sizeof op, "log_softmax forward T %g (%s)", (double)T, what);
    rc_check(op, rows, cols, x, NULL, y, ref, tol);

    nnact_tensor *tdy = tu_tensor(rows, cols, dy), *tdx = tu_tensor(rows, cols, NULL);
    TU_OK(nnact_log_softmax_backward(tu_ctx, T, ty, tdy, tdx));
    float *dx = tu_read(tdx);
    ref_log_softmax_backward(y, dy, rows, cols, T, ref, tol);
    snprintf(op, sizeof op, "log_softmax backward T %g (%s)", (double)T, what);
    rc_check(op, rows, cols, y, dy, dx, ref, tol);

    nnact_act act;
    TU_OK(nnact_act_from_name("log_softmax", &act));
    ck_assert_int_eq(act.kind, NNACT_ACT_LOG_SOFTMAX);
    act.alpha = T;
    nnact_tensor *ty2 = tu_tensor(rows, cols, NULL), *tdx2 = tu_tensor(rows, cols, NULL);
    TU_OK(nnact_act_forward(tu_ctx, &act, tx, ty2));
    TU_OK(nnact_act_backward(tu_ctx, &act, NULL, ty, tdy, tdx2));
    float *y2 = tu_read(ty2), *dx2 = tu_read(tdx2);
    snprintf(op, sizeof op, "log_softmax %zux%zu T %g (%s) via nnact_act_forward", rows,
             cols, (double)T, what);
    rc_same_bits(op, n, y, y2);
    snprintf(op, sizeof op, "log_softmax %zux%zu T %g (%s) via nnact_act_backward", rows,
             cols, (double)T, what);
    rc_same_bits(op, n, dx, dx2);
    free(y2);
    free(dx2);

    /* In place: y aliasing x, then dx aliasing dy, and dx aliasing y. */
    nnact_tensor *txy = tu_tensor(rows, cols, x), *tg = tu_tensor(rows, cols, dy);
    TU_OK(nnact_log_softmax_forward(tu_ctx, T, txy, txy));
    TU_OK(nnact_log_softmax_backward(tu_ctx, T, txy, tg, tg));
    y2 = tu_read(txy);
    dx2 = tu_read(tg);
    snprintf(op, sizeof op, "log_softmax %zux%zu T %g (%s) forward in place", rows, cols,
             (double)T, what);
    rc_same_bits(op, n, y, y2);
    snprintf(op, sizeof op, "log_softmax %zux%zu T %g (%s) backward dx = dy", rows, cols,
             (double)T, what);
    rc_same_bits(op, n, dx, dx2);
    free(dx2);
    TU_OK(nnact_log_softmax_backward(tu_ctx, T, txy, tdy, txy));
    dx2 = tu_read(txy);
    snprintf(op, sizeof op, "log_softmax %zux%zu T %g (%s) backward dx = y", rows, cols,
             (double)T, what);
    rc_same_bits(op, n, dx, dx2);
    free(y2);
    free(dx2);

    nnact_tensor *all[] = {tx, ty, tdy, tdx, ty2, tdx2, txy, tg};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
    free(dx);
    free(ref);
    free(tol);
    return y;
}

/* sum e^y = 1 for rows with a finite max. */
static void check_prob_sums(const float *y, const float *x, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++) {
        float m = -INFINITY;
        int bad = 0;
        for (size_t j = 0; j < cols; j++) {
            bad |= isnan(x[r * cols + j]) || x[r * cols + j] == INFINITY;
            m = fmaxf(m, x[r * cols + j]);
        }
        if (bad || m == -INFINITY)
            continue;
        long double s = 0;
        for (size_t j = 0; j < cols; j++)
            s += expl((long double)y[r * cols + j]);
        if (!(fabsl(s - 1.0L) <= 1e-6L))
            ck_abort_msg("log_softmax %zux%zu: row %zu: sum e^y = %.12Lg", rows, cols, r, s);
    }
}

static const size_t shapes[][2] = {{1, 1},     {3, 7},     {257, 129}, {1000, 1},
                                   {64, 1000}, {5, 4099}, {1, 100000}};
#define N_SHAPES (int)(sizeof shapes / sizeof shapes[0])

START_TEST(random_rows)
{
    const size_t rows = shapes[_i][0], cols = shapes[_i][1], n = rows * cols;
    static const float scales[] = {1.0f, 10.0f, 100.0f}, temps[] = {0.5f, 1.0f, 2.5f};
    float *x = xmalloc(n * sizeof *x), *dy = xmalloc(n * sizeof *dy);
    for (int s = 0; s < 3; s++)
        for (int t = 0; t < 3; t++) {
            const uint64_t seed = 7000u * (uint64_t)_i + 10u * (uint64_t)s + (uint64_t)t;
            tu_random(x, n, scales[s], seed);
            tu_random(dy, n, 1.0f, seed + 500u);
            char what[32];
            snprintf(what, sizeof what, "scale %g", (double)scales[s]);
            float *y = check_lsm(rows, cols, temps[t], x, dy, what);
            check_prob_sums(y, x, rows, cols);
            if (cols == 1)
                for (size_t r = 0; r < rows; r++)
                    ck_assert_msg(y[r] == 0.0f, "log_softmax %zux1: row %zu gives %.9g, "
                                  "want 0", rows, r, (double)y[r]);
            free(y);
        }
    free(x);
    free(dy);
}
END_TEST

/* x + 64 keeps every x - max exact: the same bits. */
START_TEST(shift_invariance)
{
    enum { R = 9, C = 333 };
    float x[R * C], xs[R * C], dy[R * C];
    tu_random(x, R * C, 8.0f, 77);
    tu_random(dy, R * C, 1.0f, 78);
    for (size_t i = 0; i < R * C; i++) {
        x[i] = roundf(x[i] * 256.0f) / 256.0f;
        xs[i] = x[i] + 64.0f;
    }
    float *y = check_lsm(R, C, 1.0f, x, dy, "shift base");
    float *ys = check_lsm(R, C, 1.0f, xs, dy, "shifted by 64");
    rc_same_bits("log_softmax(x + 64) vs log_softmax(x)", R * C, y, ys);
    free(ys);
    free(y);
}
END_TEST

/* One rule per row; rows longer than a work-group so that the special
 * entry sits in one item's share only. */
START_TEST(special_rows)
{
    enum { R = 12, C = 1000 };
    const size_t cols = C;
    static float x[R * C], dy[R * C];
    tu_random(x, R * C, 5.0f, 91);
    tu_random(dy, R * C, 1.0f, 92);
    float *row;
    row = x + 1 * cols; /* 1: some -inf entries -> -inf there */
    for (size_t j = 3; j < cols; j += 7)
        row[j] = -INFINITY;
    row = x + 2 * cols; /* 2: all -inf -> -inf */
    for (size_t j = 0; j < cols; j++)
        row[j] = -INFINITY;
    x[3 * cols + cols - 1] = NAN; /* 3: one NaN at the end -> NaN */
    x[4 * cols + 517] = INFINITY; /* 4: one +inf -> NaN */
    row = x + 5 * cols;           /* 5: all 1e30 -> -log(cols) */
    for (size_t j = 0; j < cols; j++)
        row[j] = 1e30f;
    row = x + 6 * cols; /* 6: all NaN -> NaN (fmax skips NaN: max -inf) */
    for (size_t j = 0; j < cols; j++)
        row[j] = NAN;
    row = x + 7 * cols; /* 7: NaN among -inf -> NaN */
    for (size_t j = 0; j < cols; j++)
        row[j] = j == 611 ? NAN : -INFINITY;
    row = x + 8 * cols; /* 8: all +inf -> NaN */
    for (size_t j = 0; j < cols; j++)
        row[j] = INFINITY;
    row = x + 9 * cols; /* 9: one finite value among -inf -> 0 and -inf */
    for (size_t j = 0; j < cols; j++)
        row[j] = j == 400 ? -3.0f : -INFINITY;
    row = x + 10 * cols; /* 10: +inf and -inf -> NaN */
    for (size_t j = 0; j < cols; j++)
        row[j] = j % 2 ? INFINITY : -INFINITY;
    dy[11 * cols + 9] = NAN; /* 11: a NaN dy: backward NaN in that row only */

    for (int t = 0; t < 3; t++) {
        const float T = t == 0 ? 0.5f : t == 1 ? 1.0f : 2.5f;
        float *y = check_lsm(R, C, T, x, dy, "special rows");
        check_prob_sums(y, x, R, C);
        for (size_t j = 0; j < cols; j++) {
#define WANT(r, cond, what)                                                            \
    if (!(cond))                                                                       \
    ck_abort_msg("log_softmax %dx%d T %g row %d col %zu: x %.9g got %.9g, want %s", R, \
                 C, (double)T, r, j, (double)x[(r) * cols + j],                        \
                 (double)y[(r) * cols + j], what)
            if (j % 7 == 3)
                WANT(1, y[1 * cols + j] == -INFINITY, "-inf for -inf");
            WANT(2, y[2 * cols + j] == -INFINITY, "-inf (all -inf row)");
            WANT(3, isnan(y[3 * cols + j]), "NaN (NaN in row)");
            WANT(4, isnan(y[4 * cols + j]), "NaN (+inf in row)");
            WANT(5, fabsf(y[5 * cols + j] - (float)-logl(C)) <= 4e-7f, "-log(cols)");
            WANT(6, isnan(y[6 * cols + j]), "NaN (all NaN)");
            WANT(7, isnan(y[7 * cols + j]), "NaN (NaN among -inf)");
            WANT(8, isnan(y[8 * cols + j]), "NaN (all +inf)");
            WANT(9, y[9 * cols + j] == (j == 400 ? 0.0f : -INFINITY), "0 or -inf");
            WANT(10, isnan(y[10 * cols + j]), "NaN (+inf and -inf)");
#undef WANT
        }
        free(y);
    }
}
END_TEST

/* Single columns: y = 0 for finite x; the special values by the rules. */
START_TEST(single_column)
{
    const float x[] = {5.0f, -1e30f, FLT_MAX, -INFINITY, NAN, INFINITY, 0.0f, -FLT_MAX};
    const size_t n = sizeof x / sizeof x[0];
    float dy[sizeof x / sizeof x[0]];
    tu_random(dy, n, 1.0f, 5);
    float *y = check_lsm(n, 1, 1.0f, x, dy, "single column");
    for (size_t i = 0; i < n; i++) {
        const float want = isnan(x[i]) || x[i] == INFINITY ? NAN
                           : x[i] == -INFINITY            ? -INFINITY
                                                          : 0.0f;
        ck_assert_msg(isnan(want) ? isnan(y[i]) : y[i] == want,
                      "log_softmax %zux1 row %zu: x %g gives %g, want %g", n, i,
                      (double)x[i], (double)y[i], (double)want);
    }
    free(y);
}
END_TEST

/* Far below where softmax underflows: log-probabilities of -1000 stay exact
 * (log(softmax) would give -inf). */
START_TEST(tiny_probabilities)
{
    const float x[] = {0.0f, -1000.0f, -87.5f, -200.25f};
    const float dy[] = {1.0f, -2.0f, 0.5f, 0.25f};
    float *y = check_lsm(1, 4, 1.0f, x, dy, "tiny probabilities");
    ck_assert_msg(y[1] > -1000.001f && y[1] < -999.999f, "y[1] = %.9g", (double)y[1]);
    free(y);
}
END_TEST

START_TEST(zero_sized_and_bad_temperature)
{
    static const size_t z[][2] = {{0, 5}, {5, 0}, {0, 0}};
    nnact_act act;
    TU_OK(nnact_act_from_name("log_softmax", &act));
    ck_assert(act.alpha == 1.0f && act.beta == 0.0f);
    for (size_t k = 0; k < 3; k++) {
        nnact_tensor *a = tu_tensor(z[k][0], z[k][1], NULL);
        nnact_tensor *b = tu_tensor(z[k][0], z[k][1], NULL);
        nnact_tensor *c = tu_tensor(z[k][0], z[k][1], NULL);
        TU_OK(nnact_log_softmax_forward(tu_ctx, 1.0f, a, b));
        TU_OK(nnact_log_softmax_forward(tu_ctx, 1.0f, a, a));
        TU_OK(nnact_log_softmax_backward(tu_ctx, 2.0f, b, a, c));
        TU_OK(nnact_act_forward(tu_ctx, &act, a, b));
        TU_OK(nnact_act_backward(tu_ctx, &act, NULL, b, a, c));
        TU_OK(nnact_ctx_finish(tu_ctx));
        nnact_tensor_destroy(a);
        nnact_tensor_destroy(b);
        nnact_tensor_destroy(c);
    }
    nnact_tensor *a = tu_tensor(2, 3, NULL), *b = tu_tensor(2, 3, NULL);
    static const float bad[] = {0.0f, -1.0f, NAN, INFINITY};
    for (size_t i = 0; i < 4; i++) {
        TU_FAILS(nnact_log_softmax_forward(tu_ctx, bad[i], a, b), NNACT_ERR_INVALID_ARG,
                 "temperature");
        TU_FAILS(nnact_log_softmax_backward(tu_ctx, bad[i], a, b, b), NNACT_ERR_INVALID_ARG,
                 "temperature");
        act.alpha = bad[i];
        TU_FAILS(nnact_act_forward(tu_ctx, &act, a, b), NNACT_ERR_INVALID_ARG, "");
    }
    nnact_tensor *c = tu_tensor(3, 2, NULL);
    TU_FAILS(nnact_log_softmax_forward(tu_ctx, 1.0f, a, c), NNACT_ERR_SHAPE, "");
    TU_FAILS(nnact_log_softmax_forward(tu_ctx, 1.0f, NULL, a), NNACT_ERR_INVALID_ARG, "x");
    nnact_tensor_destroy(a);
    nnact_tensor_destroy(b);
    nnact_tensor_destroy(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log_softmax");
    TCase *tc = tcase_create("device");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, random_rows, 0, N_SHAPES);
    tcase_add_test(tc, shift_invariance);
    tcase_add_test(tc, special_rows);
    tcase_add_test(tc, single_column);
    tcase_add_test(tc, tiny_probabilities);
    tcase_add_test(tc, zero_sized_and_bad_temperature);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
