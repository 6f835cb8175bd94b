/* nnact-info --selftest: every kernel once against an independent host
 * reference. selftest.c runs the activations, softmax family and PReLU
 * and then layers.c (SGEMM, dense, losses, Adam) and f16.c (F16 storage);
 * each check prints one "ok" or "FAIL" line into the tally. */
#ifndef NNACT_INFO_SELFTEST_H
#define NNACT_INFO_SELFTEST_H

#include <nnact.h>

#include <stddef.h>

/* Runs every check on the selected device; f16_ops: which activations also
 * run on F16 tensors ("all", "none" or names). Prints a line a check and
 * the totals; returns the exit status (1: anything failed). */
int selftest(const char *selector, const char *f16_ops);

/* ---- shared by the checks ---- */

typedef struct tally { int passed, failed; } tally;

/* The activation checks' shape: 7 rows of 67 (not a multiple of a vector
 * width, so every kernel's tail runs). */
enum { ROWS = 7, COLS = 67, N = ROWS * COLS };

/* One check's line: bad of n elements out of bounds (detail: the first). */
void selftest_report(tally *t, const char *op, size_t bad, size_t n, const char *detail);

/* Compares n device floats with a double host result: |got - want| within
 * rel * scale[i] (scale: the magnitude the result is built from). */
void selftest_compare_d(tally *t, const char *op, const float *got, const double *want,
                        const double *scale, size_t n, double rel);

/* layers.c: returns 0 when a call failed (counted as one failure). */
int selftest_layers(nnact_ctx *ctx, tally *t);

/* f16.c: on x0, dy0 (N values, finite enough for softmax); returns 1 when
 * a call failed (counted as one failure). */
int selftest_f16(nnact_ctx *ctx, tally *t, const float *x0, const float *dy0,
                 const char *ops);

#endif
