/* The row operations' shared checks: see rowcheck.h. */
#include "rowcheck.h"

#include <stdio.h>

/* The bits of a second way of computing the same result (the generic
 * interface, in place) against the first. */
static void same_bits(const row_op *op, size_t rows, size_t cols, float T, const char *what,
                      const char *how, const float *want, const float *got)
{
    char msg[160];
    snprintf(msg, sizeof msg, "%s %zux%zu T %g (%s) %s", op->name, rows, cols, (double)T, what,
             how);
    rc_same_bits(msg, rows * cols, want, got);
}

/* The result of the generic interface, which must be the same bits. */
static void check_via_act(const row_op *op, size_t rows, size_t cols, float T,
                          const char *what, nnact_tensor *tx, nnact_tensor *ty,
                          nnact_tensor *tdy, const float *y, const float *dx)
{
    nnact_act act;
    TU_OK(nnact_act_from_name(op->name, &act));
    ck_assert_int_eq(act.kind, op->kind);
    act.alpha = T;
    nnact_tensor *ty2 = tu_tensor(rows, cols, NULL), *tdx2 = tu_tensor(rows, cols, NULL);
    TU_OK(nnact_act_forward(tu_ctx, &act, tx, ty2));
    TU_OK(nnact_act_backward(tu_ctx, &act, NULL, ty, tdy, tdx2));
    float *y2 = tu_read(ty2), *dx2 = tu_read(tdx2);
    same_bits(op, rows, cols, T, what, "via nnact_act_forward", y, y2);
    same_bits(op, rows, cols, T, what, "via nnact_act_backward", dx, dx2);
    free(y2);
    free(dx2);
    nnact_tensor_destroy(ty2);
    nnact_tensor_destroy(tdx2);
}

/* y aliasing x, then dx aliasing dy, and dx aliasing y where allowed. */
static void check_in_place(const row_op *op, size_t rows, size_t cols, float T,
                           const char *what, const float *x, const float *dy,
                           nnact_tensor *tdy, const float *y, const float *dx)
{
    nnact_tensor *txy = tu_tensor(rows, cols, x), *tg = tu_tensor(rows, cols, dy);
    TU_OK(op->forward(tu_ctx, T, txy, txy));
    TU_OK(op->backward(tu_ctx, T, txy, tg, tg));
    float *y2 = tu_read(txy), *dx2 = tu_read(tg);
    same_bits(op, rows, cols, T, what, "forward in place", y, y2);
    same_bits(op, rows, cols, T, what, "backward dx = dy", dx, dx2);
    free(dx2);
    if (op->backward_into_y) {
        TU_OK(op->backward(tu_ctx, T, txy, tdy, txy));
        dx2 = tu_read(txy);
        same_bits(op, rows, cols, T, what, "backward dx = y", dx, dx2);
        free(dx2);
    }
    free(y2);
    nnact_tensor_destroy(txy);
    nnact_tensor_destroy(tg);
}

float *check_row_op(const row_op *op, size_t rows, size_t cols, float T, const float *x,
                    const float *dy, const char *what)
{
    const size_t n = rows * cols;
    char msg[160];
    long double *ref = tu_xmalloc(n * sizeof *ref), *tol = tu_xmalloc(n * sizeof *tol);

    nnact_tensor *tx = tu_tensor(rows, cols, x), *ty = tu_tensor(rows, cols, NULL);
    TU_OK(op->forward(tu_ctx, T, tx, ty));
    float *y = tu_read(ty);
    op->ref_forward(x, rows, cols, T, ref, tol);
    snprintf(msg, sizeof msg, "%s forward T %g (%s)", op->name, (double)T, what);
    rc_check(msg, rows, cols, x, NULL, y, ref, tol);

    nnact_tensor *tdy = tu_tensor(rows, cols, dy), *tdx = tu_tensor(rows, cols, NULL);
    TU_OK(op->backward(tu_ctx, T, ty, tdy, tdx));
    float *dx = tu_read(tdx);
    op->ref_backward(y, dy, rows, cols, T, ref, tol);
    snprintf(msg, sizeof msg, "%s backward T %g (%s)", op->name, (double)T, what);
    rc_check(msg, rows, cols, y, dy, dx, ref, tol);

    check_via_act(op, rows, cols, T, what, tx, ty, tdy, y, dx);
    check_in_place(op, rows, cols, T, what, x, dy, tdy, y, dx);

    nnact_tensor *all[] = {tx, ty, tdy, tdx};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
    free(dx);
    free(ref);
    free(tol);
    return y;
}

void check_row_op_sums(const row_op *op, const float *y, const float *x, size_t rows,
                       size_t cols, float T)
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
            s += op->probability(y[r * cols + j]);
        if (!(fabsl(s - 1.0L) <= 1e-6L))
            ck_abort_msg("%s %zux%zu T %g: row %zu's probabilities sum to %.12Lg (want 1 "
                         "+- 1e-6)", op->name, rows, cols, (double)T, r, s);
    }
}

static const size_t shapes[ROW_OP_SHAPES][2] = {{1, 1},     {3, 7},    {257, 129},
                                                {1000, 1},  {64, 1000}, {5, 4099},
                                                {1, 100000}};

void check_row_op_random(const row_op *op, int shape)
{
    const size_t rows = shapes[shape][0], cols = shapes[shape][1], n = rows * cols;
    static const float scales[] = {1.0f, 10.0f, 100.0f}, temps[] = {0.5f, 1.0f, 2.5f};
    float *x = tu_xmalloc(n * sizeof *x), *dy = tu_xmalloc(n * sizeof *dy);
    for (int s = 0; s < 3; s++)
        for (int t = 0; t < 3; t++) {
            const uint64_t seed =
                op->seed_stride * (uint64_t)shape + 10u * (uint64_t)s + (uint64_t)t;
            tu_random(x, n, scales[s], seed);
            tu_random(dy, n, 1.0f, seed + 500u);
            char what[32];
            snprintf(what, sizeof what, "scale %g", (double)scales[s]);
            float *y = check_row_op(op, rows, cols, temps[t], x, dy, what);
            check_row_op_sums(op, y, x, rows, cols, temps[t]);
            if (cols == 1)
                for (size_t r = 0; r < rows; r++)
                    ck_assert_msg(y[r] == op->single_column_y,
                                  "%s %zux1: row %zu gives %.9g, want %g", op->name, rows, r,
                                  (double)y[r], (double)op->single_column_y);
            free(y);
        }
    free(x);
    free(dy);
}
