/* Row-wise log-softmax on the device against the long-double reference, in
 * the style of test_softmax.c (meson runs it on both kernel forms and with
 * streaming stores): random rows at scales 1, 10, 100 and temperatures 0.5,
 * 1, 2.5 on shapes from 1x1 to a 1x100000 row; e^y sums to 1; shift
 * invariance; the rules (-inf entry -> -inf, all -inf -> -inf, NaN or
 * +inf anywhere -> NaN throughout, including all-NaN, all +inf and NaN
 * among -inf rows, which a max that skips NaN would miss); single columns
 * (y = 0); in place and through nnact_act_* with NNACT_ACT_LOG_SOFTMAX,
 * bit for bit; zero-sized tensors; bad temperatures. */
#include "rowcheck.h"

#include <float.h>
#include <stdio.h>

static long double probability(float y)
{
    return expl((long double)y);
}

static const row_op log_softmax = {
    .name = "log_softmax",
    .kind = NNACT_ACT_LOG_SOFTMAX,
    .forward = nnact_log_softmax_forward,
    .backward = nnact_log_softmax_backward,
    .ref_forward = ref_log_softmax_forward,
    .ref_backward = ref_log_softmax_backward,
    .probability = probability,
    .single_column_y = 0.0f,
    .seed_stride = 7000,
    .backward_into_y = true,
};

START_TEST(random_rows)
{
    check_row_op_random(&log_softmax, _i);
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
    float *y = check_row_op(&log_softmax, R, C, 1.0f, x, dy, "shift base");
    float *ys = check_row_op(&log_softmax, R, C, 1.0f, xs, dy, "shifted by 64");
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
        float *y = check_row_op(&log_softmax, R, C, T, x, dy, "special rows");
        check_row_op_sums(&log_softmax, y, x, R, C, T);
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
    float *y = check_row_op(&log_softmax, n, 1, 1.0f, x, dy, "single column");
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
    float *y = check_row_op(&log_softmax, 1, 4, 1.0f, x, dy, "tiny probabilities");
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
    const tu_case suite_cases[] = {
        {"device", TU_CONTEXT, 120, {{random_rows, ROW_OP_SHAPES}, {shift_invariance, 1},
            {special_rows, 1}, {single_column, 1}, {tiny_probabilities, 1},
            {zero_sized_and_bad_temperature, 1}}},
    };
    return tu_run_cases("log_softmax", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
