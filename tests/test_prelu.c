/* Learnable PReLU on the device against the long-double reference: forward,
 * dx and dalpha with a shared (1x1) and a per-column (1xcols) slope on
 * shapes 1x1 to 4000x50 and 0x5; dalpha within 4e-6 * sum |dy*x|;
 * determinism (two runs give the same bits); dx aliasing dy; dx or dalpha
 * NULL; NaN in x reaching y, dx and dalpha. */
#include "refcheck.h"

#include <float.h>
#include <stdio.h>

static const size_t shapes[][2] = {{1, 1},   {3, 7},   {257, 129}, {1000, 13},
                                   {0, 5},   {4000, 50}, {20000, 1}};
#define N_SHAPES (int)(sizeof shapes / sizeof shapes[0])

typedef struct run {
    float *y, *dx, *dalpha;
} run;

/* Forward and backward once, outputs poisoned first. */
static run device_run(size_t rows, size_t cols, const float *x, const float *dy,
                      const float *alpha, size_t na)
{
    nnact_tensor *tx = tu_tensor(rows, cols, x), *ta = tu_tensor(1, na, alpha);
    nnact_tensor *ty = tu_tensor(rows, cols, NULL), *tdy = tu_tensor(rows, cols, dy);
    nnact_tensor *tdx = tu_tensor(rows, cols, NULL), *tda = tu_tensor(1, na, NULL);
    TU_OK(nnact_prelu_forward(tu_ctx, tx, ta, ty));
    TU_OK(nnact_prelu_backward(tu_ctx, tx, ta, tdy, tdx, tda));
    run r = {tu_read(ty), tu_read(tdx), tu_read(tda)};
    nnact_tensor *all[] = {tx, ta, ty, tdy, tdx, tda};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
    return r;
}

static void run_free(run *r)
{
    free(r->y);
    free(r->dx);
    free(r->dalpha);
}

/* Checks a run against the reference: y and dx within 4e-6 |ref| + FLT_MIN
 * (+ 1e-7 |dy| for dx), dalpha within 4e-6 sum |dy*x|. */
static void check_run(const char *what, size_t rows, size_t cols, const float *x,
                      const float *dy, const float *alpha, size_t na, const run *r)
{
    const size_t n = rows * cols;
    long double *ref = tu_xmalloc(n * sizeof *ref), *tol = tu_xmalloc(n * sizeof *tol);
    long double *dref = tu_xmalloc(na * sizeof *dref), *dtol = tu_xmalloc(na * sizeof *dtol);
    char op[128];

    ref_prelu_forward(x, rows, cols, alpha, na, ref);
    for (size_t i = 0; i < n; i++)
        tol[i] = isfinite(ref[i]) ? 4e-6L * fabsl(ref[i]) + FLT_MIN : 0.0L;
    snprintf(op, sizeof op, "prelu forward, %s alpha (%s)", na == 1 ? "1x1" : "1xcols", what);
    rc_check(op, rows, cols, x, NULL, r->y, ref, tol);

    ref_prelu_backward(x, dy, rows, cols, alpha, na, ref, dref, dtol);
    for (size_t i = 0; i < n; i++)
        tol[i] = isfinite(ref[i])
                     ? 4e-6L * fabsl(ref[i]) + 1e-7L * fabsl((long double)dy[i]) + FLT_MIN
                     : 0.0L;
    snprintf(op, sizeof op, "prelu backward dx, %s alpha (%s)", na == 1 ? "1x1" : "1xcols",
             what);
    rc_check(op, rows, cols, x, dy, r->dx, ref, tol);

    /* dalpha: the "input" printed is alpha. */
    snprintf(op, sizeof op, "prelu backward dalpha (1x%zu) of x %zux%zu (%s)", na, rows, cols,
             what);
    rc_check(op, 1, na, alpha, NULL, r->dalpha, dref, dtol);
    free(ref);
    free(tol);
    free(dref);
    free(dtol);
}

/* _i = shape * 2 + (per-column alpha). */
START_TEST(random_inputs)
{
    const size_t rows = shapes[_i / 2][0], cols = shapes[_i / 2][1], n = rows * cols;
    const size_t na = _i % 2 ? cols : 1;
    float *x = tu_xmalloc(n * sizeof *x), *dy = tu_xmalloc(n * sizeof *dy);
    float *alpha = tu_xmalloc(na * sizeof *alpha);
    tu_random(x, n, 3.0f, 10u + (uint64_t)_i);
    tu_random(dy, n, 1.0f, 40u + (uint64_t)_i);
    tu_random(alpha, na, 0.5f, 70u + (uint64_t)_i);
    /* Exact zeros take the slope's branch (x <= 0). */
    for (size_t i = 5; i < n; i += 11)
        x[i] = i % 2 ? 0.0f : -0.0f;

    run a = device_run(rows, cols, x, dy, alpha, na);
    check_run("random", rows, cols, x, dy, alpha, na, &a);

    /* Determinism: a second run gives the same bits. */
    run b = device_run(rows, cols, x, dy, alpha, na);
    rc_same_bits("prelu forward, second run", n, a.y, b.y);
    rc_same_bits("prelu backward dx, second run", n, a.dx, b.dx);
    rc_same_bits("prelu backward dalpha, second run", na, a.dalpha, b.dalpha);
    run_free(&b);

    /* dx aliasing dy (dalpha still reads the original dy); dx NULL;
     * dalpha NULL: the same bits each time. */
    nnact_tensor *tx = tu_tensor(rows, cols, x), *ta = tu_tensor(1, na, alpha);
    nnact_tensor *tg = tu_tensor(rows, cols, dy), *tda = tu_tensor(1, na, NULL);
    TU_OK(nnact_prelu_backward(tu_ctx, tx, ta, tg, tg, tda));
    float *dx = tu_read(tg), *da = tu_read(tda);
    rc_same_bits("prelu backward dx aliasing dy: dx", n, a.dx, dx);
    rc_same_bits("prelu backward dx aliasing dy: dalpha", na, a.dalpha, da);
    free(dx);
    free(da);

    TU_OK(nnact_tensor_write(tg, dy));
    tu_poison(tda);
    TU_OK(nnact_prelu_backward(tu_ctx, tx, ta, tg, NULL, tda));
    da = tu_read(tda);
    rc_same_bits("prelu backward with dx NULL: dalpha", na, a.dalpha, da);
    free(da);

    nnact_tensor *tdx = tu_tensor(rows, cols, NULL);
    tu_poison(tda);
    TU_OK(nnact_prelu_backward(tu_ctx, tx, ta, tg, tdx, NULL));
    dx = tu_read(tdx);
    da = tu_read(tda);
    rc_same_bits("prelu backward with dalpha NULL: dx", n, a.dx, dx);
    for (size_t k = 0; k < na; k++)
        ck_assert_msg(isnan(da[k]), "prelu backward with dalpha NULL wrote a dalpha tensor");
    free(dx);
    free(da);

    nnact_tensor *all[] = {tx, ta, tg, tda, tdx};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
    run_free(&a);
    free(x);
    free(dy);
    free(alpha);
}
END_TEST

/* A NaN x gives NaN y and dx there, and NaN dalpha for its slope only. */
START_TEST(nan_propagates)
{
    enum { R = 300, C = 6 };
    float x[R * C], dy[R * C], alpha[C];
    tu_random(x, R * C, 2.0f, 5);
    tu_random(dy, R * C, 1.0f, 6);
    tu_random(alpha, C, 0.3f, 7);
    x[17 * C + 2] = NAN;  /* column 2 */
    x[250 * C + 5] = NAN; /* column 5 */
    for (int shared = 0; shared < 2; shared++) {
        const size_t na = shared ? 1 : C;
        run r = device_run(R, C, x, dy, alpha, na);
        check_run("NaN in x", R, C, x, dy, alpha, na, &r);
        ck_assert(isnan(r.y[17 * C + 2]) && isnan(r.dx[17 * C + 2]));
        ck_assert(isnan(r.y[250 * C + 5]) && isnan(r.dx[250 * C + 5]));
        for (size_t k = 0; k < na; k++)
            ck_assert_msg(shared || k == 2 || k == 5 ? isnan(r.dalpha[k]) : isfinite(r.dalpha[k]),
                          "prelu dalpha[%zu] of %zu = %.9g with NaN x in columns 2 and 5", k,
                          na, (double)r.dalpha[k]);
        run_free(&r);
    }
}
END_TEST

/* Hand values: x = [-2, 3, 0, -1], dy = [1, 1, 5, 2], alpha = 0.25:
 * y = [-0.5, 3, 0, -0.25], dx = [0.25, 1, 1.25, 0.5], dalpha = -2 + 0 - 2. */
START_TEST(hand_values)
{
    const float x[] = {-2, 3, 0, -1}, dy[] = {1, 1, 5, 2}, alpha[] = {0.25f};
    run r = device_run(1, 4, x, dy, alpha, 1);
    const float y[] = {-0.5f, 3, 0, -0.25f}, dx[] = {0.25f, 1, 1.25f, 0.5f};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(r.y[i] == y[i] && r.dx[i] == dx[i], "[%d] y %.9g dx %.9g", i,
                      (double)r.y[i], (double)r.dx[i]);
    ck_assert_msg(r.dalpha[0] == -4.0f, "dalpha %.9g, want -4", (double)r.dalpha[0]);
    run_free(&r);
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"device", TU_CONTEXT, 120, {{random_inputs, 2 * N_SHAPES}, {nan_propagates, 1},
            {hand_values, 1}}},
    };
    return tu_run_cases("prelu", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
