/* nnact-bench --accuracy: every elementwise activation, forward and
 * backward, on a grid of inputs that reaches the tails and edges, scored
 * against the long-double reference of the tests in units of the bar each
 * output must meet (src/support/reference.h); with --vs onednn, oneDNN's
 * primitive on the same inputs beside ours. It measures what the speed of
 * a shorter polynomial or a cut-off tail costs: a score above 1 is an
 * output our suites would reject. */
#ifndef NNACT_BENCH_ACCURACY_H
#define NNACT_BENCH_ACCURACY_H

#include <nnact.h>
#include <stdbool.h>

/* want(name, arg) selects ops by "<act>.fwd" / "<act>.bwd" name. Exits on
 * a library error; returns the number of ours outside the bar (0: all in). */
long bench_accuracy(nnact_ctx *ctx, bool (*want)(const char *name, void *arg), void *arg,
                    bool json, bool vs_onednn);

#endif
