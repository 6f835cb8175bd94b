/* The checks that every row operation (softmax, log-softmax) passes the same
 * way, written once: forward and backward against the long-double
 * reference, the same bits through nnact_act_* and in place, the row sums,
 * and the random-rows grid. An operation is described by a row_op; its own
 * suite keeps only the rules that are its own (which value a -inf entry
 * gives, and so on). A new row operation is one more row_op. */
#ifndef NNACT_ROWCHECK_H
#define NNACT_ROWCHECK_H

#include "refcheck.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct row_op {
    const char *name;    /* as nnact_act_from_name knows it; starts every message */
    nnact_act_kind kind; /* what nnact_act_from_name(name) must give */
    nnact_status (*forward)(nnact_ctx *ctx, float temperature, const nnact_tensor *x,
                            nnact_tensor *y);
    nnact_status (*backward)(nnact_ctx *ctx, float temperature, const nnact_tensor *y,
                             const nnact_tensor *dy, nnact_tensor *dx);
    void (*ref_forward)(const float *x, size_t rows, size_t cols, float T, long double *y,
                        long double *tol);
    void (*ref_backward)(const float *y, const float *dy, size_t rows, size_t cols, float T,
                         long double *dx, long double *tol);
    /* The probability that y stands for (y itself, or e^y): each row with a
     * finite max sums to 1 within 1e-6. */
    long double (*probability)(float y);
    float single_column_y; /* y of a one-column row of finite x */
    uint64_t seed_stride;  /* the random grid's seed step per shape */
    bool backward_into_y;  /* dx may alias y too (the header says so) */
} row_op;

/* Forward of x and backward of dy against the reference (the backward at the
 * y the device produced); then the same through nnact_act_* (alpha = T) and
 * in place (y aliasing x, dx aliasing dy, and y when allowed), bit for bit.
 * Returns the device y (malloc'd). */
float *check_row_op(const row_op *op, size_t rows, size_t cols, float T, const float *x,
                    const float *dy, const char *what);

/* Each row of x with a finite max (no NaN, no +inf) has probabilities that
 * sum to 1 within 1e-6. */
void check_row_op_sums(const row_op *op, const float *y, const float *x, size_t rows,
                       size_t cols, float T);

/* Shapes from 1x1 to rows longer than a work-group and a 1x100000 row. */
enum { ROW_OP_SHAPES = 7 };
/* Random rows of shape `shape` at scales 1, 10, 100 and temperatures 0.5, 1,
 * 2.5: check_row_op, the row sums and the single-column value. */
void check_row_op_random(const row_op *op, int shape);

#endif
