/* nnact-train's data parallelism: replicas of the model on several devices
 * of this process (--devices), or one replica per MPI rank (under mpirun,
 * or --distributed; only when built with libnnact-cl-mpi). --batch stays the
 * global batch: each step's rows, in the epoch's order, are cut into one
 * shard per replica (the remainder to the first), the shard gradients are
 * summed weighted by their rows, and every replica applies the same step.
 * Every rank derives the same permutation from --seed, so no data moves.
 * With one replica and no MPI every function here does nothing. */
#ifndef NNACT_TRAIN_PARALLEL_H
#define NNACT_TRAIN_PARALLEL_H

#include "dataset.h"

#include <nnact.h>
#include <stdbool.h>
#include <stddef.h>

enum { PARALLEL_MAX_LOCAL = 16 };

typedef struct parallel {
    bool mpi;             /* one replica per rank */
    bool ordered;         /* --reduce ordered: rank-order sums (bit-reproducible) */
    int rank, ranks;      /* 0 and 1 without MPI */
    int check_every;      /* --check-replicas N: every N steps; 0: each epoch */
    size_t n;             /* replicas in this process (1 under MPI) */
    char selector[32];    /* this process's first device, when chosen here */
    char *devices;        /* --devices, split in place */
    const char *sel[PARALLEL_MAX_LOCAL];
    /* Replica 0 is nnact-train's own context, model and training set. */
    nnact_ctx *ctx[PARALLEL_MAX_LOCAL];
    nnact_mlp *mlp[PARALLEL_MAX_LOCAL];
    nnact_tensor *xtr[PARALLEL_MAX_LOCAL], *ytr[PARALLEL_MAX_LOCAL];
    nnact_tensor *xb[PARALLEL_MAX_LOCAL], *yb[PARALLEL_MAX_LOCAL]; /* shard rows, at most */
    nnact_tensor *xv[PARALLEL_MAX_LOCAL], *yv[PARALLEL_MAX_LOCAL]; /* views of a shard */
    nnact_tensor *sums[PARALLEL_MAX_LOCAL];
    float *zeros;         /* gradients of a replica whose shard is empty */
    uint64_t steps, checks;
    double comm_s, mpi_s; /* totals: the whole reduction, and its time in MPI */
    double epoch_mark;    /* comm_s when the epoch began */
    double *step_comm;    /* per step, for the 95th percentile */
    size_t step_cap;
} parallel;

/* Reads the options and the launcher's environment (OMPI_COMM_WORLD_SIZE,
 * PMI_SIZE); under MPI initialises it, keeps only rank 0's stdout, and
 * picks this rank's device: the local-rank-th entry of --devices, else the
 * local-rank-th device of the platform the selector picks. *device becomes
 * the selector for nnact-train's context. Returns false after printing why. */
bool parallel_begin(parallel *p, int *argc, char ***argv, const char *devices,
                    bool distributed, const char *reduce, int check_every,
                    const char **device);

/* More than one replica in all (steps go through parallel_step). */
bool parallel_active(const parallel *p);

/* The other replicas (same architecture: act in the hidden layers, softmax
 * last, or --load's file; same seed; under MPI the same model checked on
 * every rank and rank 0's parameters broadcast) and their copies of the
 * training set. */
nnact_status parallel_setup(parallel *p, nnact_ctx *ctx, nnact_mlp *mlp, const char *load,
                            const size_t *sizes, size_t n_sizes, const char *act,
                            uint64_t seed, nnact_dtype storage, nnact_tensor *xtr,
                            nnact_tensor *ytr, nnact_tensor *sums, const dataset *train,
                            size_t batch);

/* Every replica backprops its shard of rows (once, to compile the kernels
 * on every device; the gradients are dropped). */
nnact_status parallel_warm_up(parallel *p, const size_t *rows, size_t n,
                              const nnact_loss *loss);

/* One training step on the global batch rows[0..n): every shard, the
 * reduction, the same optimizer step everywhere, and the replica check. */
nnact_status parallel_step(parallel *p, const size_t *rows, size_t n, const nnact_loss *loss,
                           const nnact_optim *opt);

/* At an epoch's last step, before its loss is read: every replica's loss
 * sums added into replica 0's, and (without --check-replicas N) the
 * replicas checked. */
nnact_status parallel_epoch_end(parallel *p);
/* Zeroes the other replicas' loss sums (an epoch starts; nnact-train
 * zeroes replica 0's). */
nnact_status parallel_zero_sums(parallel *p);

/* The replicas hold the same parameters (CRC-32s compared). */
nnact_status parallel_check(parallel *p);

/* "  comm X ms/step (Y %)" for the epoch line, nothing with one replica. */
void parallel_print_epoch(parallel *p, double seconds, uint64_t steps);
/* The result line's fields: ranks, global batch, comm per step (mean, p95,
 * staging, in MPI), its share of the step, the gradient bytes. */
void parallel_print_result(const parallel *p, double train_seconds, uint64_t steps,
                           size_t batch, size_t grad_floats);

/* Releases the replicas; under MPI finalises it, or on failure stops every
 * rank (MPI_Abort) after saying which failed. */
void parallel_end(parallel *p, bool failed);

#endif
