/* nnact-train's run: what one training run holds, and its steps in the
 * order main takes them (parse, set up the data, set up the model, train,
 * report). setup.c opens, loads and uploads; loop.c trains; main.c reports
 * and releases. Each step returns false after saying what stopped it. */
#ifndef NNACT_TRAIN_RUN_H
#define NNACT_TRAIN_RUN_H

#include <nnact.h>

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "dataset.h"
#include "options.h"
#include "parallel.h"

/* --profile: device seconds per kernel category over the training phases
 * (the evaluations after each epoch left out). */
enum { PROF_MAX = 16 };
typedef struct profile {
    nnact_profile_entry before[PROF_MAX]; /* at the start of this epoch */
    size_t n_before;
    double seconds[PROF_MAX]; /* summed over the epochs, one per names[k] */
    const char *names[PROF_MAX];
    size_t n;
} profile;

/* Everything a run holds, so that one function releases it whichever step
 * stopped; main's steps fill it in order. */
typedef struct run {
    nnact_ctx *ctx;
    nnact_mlp *mlp;
    size_t *sizes, n_sizes; /* layer sizes, input first */
    const char *dsname;
    dataset train, test;
    nnact_optim opt;
    nnact_loss loss;
    float base_lr; /* the schedule's starting rate: opt.lr before step 0 */
    int tty;       /* stdout is a terminal: progress bars */
    /* a batch (the last, partial one a view of its first rows), the
     * training and test sets on the device, the loss sums */
    nnact_tensor *xb, *yb, *xpart, *ypart, *xtr, *ytr, *xt, *yt, *sums;
    size_t *perm; /* this epoch's order of the training samples */
    FILE *hist;
    uint64_t rng, step;
    double train_seconds, last_loss, test_loss;
    float test_acc;
    profile prof;
    parallel par; /* --devices, MPI ranks: the other replicas (parallel.c) */
} run;

/* Monotonic seconds (the including file defines _POSIX_C_SOURCE). */
static inline double train_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* setup.c */
bool run_open_context(run *r, options *o); /* with --load, also the model */
bool run_load_data(run *r, const options *o);
bool run_make_model(run *r, const options *o);
bool run_upload(run *r, const options *o);
bool run_open_history(run *r, const options *o);
void run_print_banner(const run *r, const options *o);

/* loop.c: every epoch (or, with none, one evaluation) */
bool run_train(run *r, const options *o);

#endif
