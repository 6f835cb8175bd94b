/* Row-wise softmax on the device against the long-double reference: random
 * rows at scales 1, 10, 100 and temperatures 0.5, 1, 2.5 on shapes from 1x1
 * to rows longer than a work-group and a 1x100000 row; rows sum to 1; shift
 * invariance; the -inf / NaN / +inf rules (all-NaN, all-+inf, NaN among
 * -inf, single columns); rows of 1e30; single columns; in
 * place (y aliasing x, dx aliasing dy) and through nnact_act_forward /
 * nnact_act_backward with NNACT_ACT_SOFTMAX, which must give the same bits;
 * zero-sized tensors. */
#include "rowcheck.h"

#include <float.h>
#include <stdio.h>

static long double probability(float y)
{
    return y;
}

static const row_op softmax = {
    .name = "softmax",
    .kind = NNACT_ACT_SOFTMAX,
    .forward = nnact_softmax_forward,
    .backward = nnact_softmax_backward,
    .ref_forward = ref_softmax_forward,
    .ref_backward = ref_softmax_backward,
    .probability = probability,
    .single_column_y = 1.0f,
    .seed_stride = 1000,
};

START_TEST(random_rows)
{
    check_row_op_random(&softmax, _i);
}
END_TEST

/* Adding a constant that keeps every x exact leaves every x - max exact and
 * unchanged, so the result is the same to the bit. */
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
    float *y = check_row_op(&softmax, R, C, 1.0f, x, dy, "shift base");
    float *ys = check_row_op(&softmax, R, C, 1.0f, xs, dy, "shifted by 64");
    rc_same_bits("softmax(x + 64) vs softmax(x)", R * C, y, ys);
    free(ys);
    /* An inexact shift still meets the bar against its own input. */
    for (size_t i = 0; i < R * C; i++)
        xs[i] = x[i] - 1000.3f;
    ys = check_row_op(&softmax, R, C, 2.5f, xs, dy, "shifted by -1000.3");
    check_row_op_sums(&softmax, ys, xs, R, C, 2.5f);
    free(ys);
    free(y);
}
END_TEST

/* One tensor, one rule per row, rows longer than a work-group so that the
 * special entry sits in one item's share only. */
START_TEST(special_rows)
{
    enum { R = 12, C = 1000 };
    const size_t cols = C;
    static float x[R * C], dy[R * C];
    tu_random(x, R * C, 5.0f, 91);
    tu_random(dy, R * C, 1.0f, 92);
    float *row;
    /* 1: some -inf entries -> exactly 0 there. */
    row = x + 1 * cols;
    for (size_t j = 3; j < cols; j += 7)
        row[j] = -INFINITY;
    /* 2: all -inf -> zeros. */
    row = x + 2 * cols;
    for (size_t j = 0; j < cols; j++)
        row[j] = -INFINITY;
    /* 3: one NaN at the end -> NaN throughout. */
    x[3 * cols + cols - 1] = NAN;
    /* 4: one +inf in the middle -> NaN throughout. */
    x[4 * cols + 517] = INFINITY;
    /* 5: all 1e30 -> exactly 1/cols. */
    row = x + 5 * cols;
    for (size_t j = 0; j < cols; j++)
        row[j] = 1e30f;
    /* 6: +-FLT_MAX: x - max overflows to -inf in float -> 0 and 1/count. */
    row = x + 6 * cols;
    for (size_t j = 0; j < cols; j++)
        row[j] = j % 2 ? -FLT_MAX : FLT_MAX;
    /* 7: -inf entries and one finite value -> 1 and zeros. */
    row = x + 7 * cols;
    for (size_t j = 0; j < cols; j++)
        row[j] = j == 400 ? -3.0f : -INFINITY;
    /* 8: a NaN dy (backward NaN throughout that row only). */
    dy[8 * cols + 9] = NAN;
    /* 9: all NaN -> NaN (the max skips NaN; the row is not a masked one). */
    row = x + 9 * cols;
    for (size_t j = 0; j < cols; j++)
        row[j] = NAN;
    /* 10: -inf entries and one NaN -> NaN, not the masked row's zeros. */
    row = x + 10 * cols;
    for (size_t j = 0; j < cols; j++)
        row[j] = j == 611 ? NAN : -INFINITY;
    /* 11: all +inf -> NaN. */
    row = x + 11 * cols;
    for (size_t j = 0; j < cols; j++)
        row[j] = INFINITY;

    for (int t = 0; t < 3; t++) {
        const float T = t == 0 ? 0.5f : t == 1 ? 1.0f : 2.5f;
        float *y = check_row_op(&softmax, R, C, T, x, dy, "special rows");
        check_row_op_sums(&softmax, y, x, R, C, T);
        for (size_t j = 0; j < cols; j++) {
#define WANT(r, cond, what)                                                            \
    if (!(cond))                                                                       \
    ck_abort_msg("softmax %dx%d T %g row %d col %zu: x %.9g got %.9g, want %s", R, C,  \
                 (double)T, r, j, (double)x[(r) * cols + j], (double)y[(r) * cols + j], \
                 what)
            if (j % 7 == 3)
                WANT(1, y[1 * cols + j] == 0.0f, "0 for -inf");
            WANT(2, y[2 * cols + j] == 0.0f, "0 (all -inf row)");
            WANT(3, isnan(y[3 * cols + j]), "NaN (NaN in row)");
            WANT(4, isnan(y[4 * cols + j]), "NaN (+inf in row)");
            WANT(5, y[5 * cols + j] == (float)(1.0L / C), "exactly 1/cols");
            WANT(6, y[6 * cols + j] == (j % 2 ? 0.0f : (float)(2.0L / C)), "0 or 2/cols");
            WANT(7, y[7 * cols + j] == (j == 400 ? 1.0f : 0.0f), "1 or 0");
            WANT(9, isnan(y[9 * cols + j]), "NaN (all NaN row)");
            WANT(10, isnan(y[10 * cols + j]), "NaN (NaN among -inf)");
            WANT(11, isnan(y[11 * cols + j]), "NaN (all +inf row)");
#undef WANT
        }
        free(y);
    }
    /* Backward where y is the device's: zeros give zeros, NaN rows NaN, and
     * a NaN dy poisons its own row only (checked by the reference above). */
}
END_TEST

/* The same rules on rows of one to three columns (a single column is the
 * row kernels' scalar tail only): NaN, +inf, -inf, a finite value, NaN
 * beside -inf, all NaN. */
START_TEST(special_short_rows)
{
    static const float f[][3] = {{NAN, NAN, NAN},     {INFINITY, 1.0f, 2.0f},
                                 {-INFINITY, -INFINITY, -INFINITY},
                                 {3.0f, -INFINITY, 1.0f}, {-INFINITY, NAN, -INFINITY},
                                 {-INFINITY, -INFINITY, NAN}};
    enum { R = sizeof f / sizeof f[0] };
    for (size_t cols = 1; cols <= 3; cols++) {
        float x[R * 3], dy[R * 3];
        for (size_t r = 0; r < R; r++)
            for (size_t j = 0; j < cols; j++) {
                x[r * cols + j] = f[r][j];
                dy[r * cols + j] = 0.25f * (float)(j + 1);
            }
        for (int t = 0; t < 2; t++) {
            float *y = check_row_op(&softmax, R, cols, t ? 2.5f : 1.0f, x, dy,
                                    "special short rows");
            free(y);
        }
    }
}
END_TEST

/* Rows of 1e30 for several lengths: exp(0) = 1 each, an exact integer sum,
 * one correctly rounded division. */
START_TEST(rows_of_1e30)
{
    static const size_t lens[] = {1, 2, 3, 7, 16, 17, 100, 1000, 4099};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        const size_t cols = lens[k];
        float *x = tu_xmalloc(2 * cols * sizeof *x);
        for (size_t j = 0; j < 2 * cols; j++)
            x[j] = j < cols ? 1e30f : -1e30f;
        nnact_tensor *tx = tu_tensor(2, cols, x), *ty = tu_tensor(2, cols, NULL);
        TU_OK(nnact_softmax_forward(tu_ctx, 0.5f, tx, ty));
        float *y = tu_read(ty);
        for (size_t j = 0; j < 2 * cols; j++)
            ck_assert_msg(y[j] == (float)(1.0L / cols),
                          "softmax 2x%zu of +-1e30: [%zu] got %.9g, want %.9g", cols, j,
                          (double)y[j], (double)(float)(1.0L / cols));
        nnact_tensor_destroy(tx);
        nnact_tensor_destroy(ty);
        free(x);
        free(y);
    }
}
END_TEST

START_TEST(zero_sized)
{
    static const size_t z[][2] = {{0, 5}, {5, 0}, {0, 0}};
    nnact_act act;
    TU_OK(nnact_act_from_name("softmax", &act));
    for (size_t k = 0; k < 3; k++) {
        nnact_tensor *a = tu_tensor(z[k][0], z[k][1], NULL);
        nnact_tensor *b = tu_tensor(z[k][0], z[k][1], NULL);
        nnact_tensor *c = tu_tensor(z[k][0], z[k][1], NULL);
        TU_OK(nnact_softmax_forward(tu_ctx, 1.0f, a, b));
        TU_OK(nnact_softmax_forward(tu_ctx, 1.0f, a, a));
        TU_OK(nnact_softmax_backward(tu_ctx, 2.0f, b, a, c));
        TU_OK(nnact_softmax_backward(tu_ctx, 2.0f, b, a, a));
        TU_OK(nnact_act_forward(tu_ctx, &act, a, b));
        TU_OK(nnact_act_backward(tu_ctx, &act, NULL, b, a, c));
        TU_OK(nnact_ctx_finish(tu_ctx));
        nnact_tensor_destroy(a);
        nnact_tensor_destroy(b);
        nnact_tensor_destroy(c);
    }
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"device", TU_CONTEXT, 120, {{random_rows, ROW_OP_SHAPES}, {shift_invariance, 1},
            {special_rows, 1}, {special_short_rows, 1}, {rows_of_1e30, 1}, {zero_sized, 1}}},
    };
    return tu_run_cases("softmax", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
