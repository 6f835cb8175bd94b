/* nnact-bench --vs onednn: oneDNN's eltwise and softmax primitives on host
 * memory holding the same data as our tensors, timed beside each of our
 * operations. Compiled only when meson finds oneDNN (libdnnl-dev). */
#ifndef NNACT_BENCH_ONEDNN_H
#define NNACT_BENCH_ONEDNN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct onednn_op onednn_op;

/* oneDNN's counterpart of our elementwise activation `act` (nnact names)
 * with our alpha/beta, forward or backward, over n floats: x is the input,
 * dy the gradient (backward only). Backward ops prepare both the src- and,
 * where oneDNN has one, the dst-based variant; onednn_run times the one
 * asked for. NULL when oneDNN has no counterpart (sets *why). */
onednn_op *onednn_eltwise(const char *act, float alpha, float beta, bool backward,
                          size_t n, const float *x, const float *dy, const char **why);

/* Softmax or log-softmax over the rows of a rows x cols matrix (temperature
 * 1 only: oneDNN has none): x is the forward input, dy the gradient. */
onednn_op *onednn_softmax(bool log, bool backward, size_t rows, size_t cols,
                          const float *x, const float *dy, const char **why);

/* Number of variants (1, or 2: src- and dst-based backward) and names. */
int onednn_variants(const onednn_op *op);
const char *onednn_variant_name(const onednn_op *op, int variant);

/* Runs the variant once to completion; returns its wall seconds. */
double onednn_run(onednn_op *op, int variant);

/* The output of the last run: dst (forward) or diff_src (backward). */
const float *onednn_output(const onednn_op *op, int variant);

void onednn_free(onednn_op *op);

/* "2.6.3 (omp, 2 threads)" */
const char *onednn_describe(void);

#endif
