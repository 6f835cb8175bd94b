/* nnact-train's data parallelism (parallel.h): in-process replicas
 * reduced by nnact_mlps_allreduce_grads, or one replica per MPI rank
 * reduced by libnnact-cl-mpi (built with NNACT_TRAIN_MPI). One host thread
 * drives every device: CLBlast 1.5.3 is not safe with several devices on
 * several threads, and the queues still run at once. */
#define _POSIX_C_SOURCE 200809L
#include "parallel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef NNACT_TRAIN_MPI
#include <nnact_mpi.h>
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static nnact_status fail(nnact_status st, const char *msg) { return nnact_set_error(st, msg); }

/* Shard r of n rows over k replicas: the remainder goes to the first. */
static size_t shard_rows(size_t n, size_t k, size_t r) { return n / k + (r < n % k); }
static size_t shard_first(size_t n, size_t k, size_t r)
{
    return r * (n / k) + (r < n % k ? r : n % k);
}

static bool launched_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE");
}

/* Under MPI: the local-rank-th device of the platform that sel picks. */
static bool pick_local_device(parallel *p, const char *sel, int local_rank)
{
    nnact_device_info chosen;
    nnact_status st = nnact_device_select(sel, &chosen);
    size_t n = 0;
    if (st == NNACT_OK)
        st = nnact_devices(NULL, 0, &n);
    nnact_device_info *all = st == NNACT_OK ? calloc(n ? n : 1, sizeof *all) : NULL;
    if (st == NNACT_OK && !all)
        st = fail(NNACT_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == NNACT_OK)
        st = nnact_devices(all, n, &n);
    if (st != NNACT_OK) {
        fprintf(stderr, "nnact-train: rank %d: %s: %s\n", p->rank, nnact_status_string(st),
                nnact_last_error());
        free(all);
        return false;
    }
    unsigned count = 0;
    for (size_t i = 0; i < n; i++)
        count += all[i].platform_index == chosen.platform_index;
    free(all);
    unsigned d = (chosen.device_index + (unsigned)local_rank) % (count ? count : 1);
    snprintf(p->selector, sizeof p->selector, "%u:%u", chosen.platform_index, d);
    return true;
}

bool parallel_begin(parallel *p, int *argc, char ***argv, const char *devices,
                    bool distributed, const char *reduce, int check_every,
                    const char **device)
{
    *p = (parallel){.rank = 0, .ranks = 1, .n = 1, .check_every = check_every};
    p->ordered = reduce && !strcmp(reduce, "ordered");
    if (devices) { /* one selector per comma: no alternatives within an entry */
        if (!(p->devices = malloc(strlen(devices) + 1))) {
            fprintf(stderr, "nnact-train: out of host memory\n");
            return false;
        }
        strcpy(p->devices, devices);
        size_t k = 0;
        for (char *s = p->devices, *e; s; s = e) {
            if ((e = strchr(s, ',')))
                *e++ = '\0';
            if (!*s || k == PARALLEL_MAX_LOCAL) {
                fprintf(stderr, "nnact-train: bad value '%s' for --devices (want 1 to %d "
                        "device selectors separated by commas, e.g. 0:0,0:1)\n", devices,
                        PARALLEL_MAX_LOCAL);
                return false;
            }
            p->sel[k++] = s;
        }
        p->n = k;
    }
    p->mpi = distributed || launched_by_mpirun();
    if (!p->mpi) {
        if (devices)
            *device = p->sel[0];
        return true;
    }
#ifdef NNACT_TRAIN_MPI
    int provided;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &p->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &p->ranks);
    MPI_Comm local;
    int local_rank = 0;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, p->rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &local_rank);
    MPI_Comm_free(&local);
    if (p->rank && !freopen("/dev/null", "w", stdout)) /* rank 0 prints */
        fprintf(stderr, "nnact-train: rank %d: cannot silence stdout\n", p->rank);
    bool ok = true;
    if (devices) {
        *device = p->sel[(size_t)local_rank % p->n];
    } else {
        ok = pick_local_device(p, *device, local_rank);
        *device = p->selector;
    }
    p->n = 1; /* one replica per rank */
    return ok;
#else
    (void)argc, (void)argv;
    fprintf(stderr, "nnact-train: %s, but this nnact-train was built without MPI "
            "(libopenmpi-dev, meson -Dmpi=enabled)\n",
            distributed ? "--distributed" : "started by mpirun");
    return false;
#endif
}

bool parallel_active(const parallel *p) { return p->n > 1 || p->ranks > 1 || p->mpi; }

/* A replica's own shard tensors: at most ceil(batch / replicas) rows. */
static nnact_status shard_buffers(parallel *p, size_t r, size_t features, size_t batch,
                                  size_t shards)
{
    size_t rows = (batch + shards - 1) / shards;
    nnact_status st = nnact_tensor_create(p->ctx[r], rows, features, &p->xb[r]);
    if (st == NNACT_OK)
        st = nnact_tensor_create(p->ctx[r], rows, 1, &p->yb[r]);
    return st;
}

nnact_status parallel_setup(parallel *p, nnact_ctx *ctx, nnact_mlp *mlp, const char *load,
                            const size_t *sizes, size_t n_sizes, const char *act,
                            uint64_t seed, nnact_dtype storage, nnact_tensor *xtr,
                            nnact_tensor *ytr, nnact_tensor *sums, const dataset *train,
                            size_t batch)
{
    if (!parallel_active(p))
        return NNACT_OK;
    p->ctx[0] = ctx, p->mlp[0] = mlp, p->xtr[0] = xtr, p->ytr[0] = ytr, p->sums[0] = sums;
    size_t shards = p->mpi ? (size_t)p->ranks : p->n;
    const char **acts = calloc(n_sizes, sizeof *acts); /* as nnact-train names them */
    if (!acts)
        return fail(NNACT_ERR_OUT_OF_MEMORY, "nnact-train: out of host memory");
    for (size_t i = 0; i + 1 < n_sizes; i++)
        acts[i] = i + 2 == n_sizes ? "softmax" : act;
    nnact_status st = shard_buffers(p, 0, train->features, batch, shards);
    for (size_t r = 1; r < p->n && st == NNACT_OK; r++) {
        if ((st = nnact_ctx_create(&p->ctx[r], p->sel[r])) != NNACT_OK)
            break;
        st = load ? nnact_mlp_load(p->ctx[r], load, &p->mlp[r])
                  : nnact_mlp_create(p->ctx[r], sizes, n_sizes, acts, seed, &p->mlp[r]);
        if (st == NNACT_OK)
            st = nnact_mlp_set_storage(p->mlp[r], storage);
        if (st == NNACT_OK && (st = nnact_tensor_create(p->ctx[r], train->n, train->features,
                                                        &p->xtr[r])) == NNACT_OK &&
            (st = nnact_tensor_create(p->ctx[r], train->n, 1, &p->ytr[r])) == NNACT_OK &&
            (st = nnact_tensor_write(p->xtr[r], train->x)) == NNACT_OK &&
            (st = nnact_tensor_write(p->ytr[r], train->labels)) == NNACT_OK &&
            (st = nnact_tensor_create(p->ctx[r], 1, NNACT_LOSS_SUMS, &p->sums[r])) == NNACT_OK)
            st = shard_buffers(p, r, train->features, batch, shards);
    }
    free(acts);
    size_t count = nnact_mlp_param_count(mlp);
    if (st == NNACT_OK && !(p->zeros = calloc(count ? count : 1, sizeof *p->zeros)))
        st = fail(NNACT_ERR_OUT_OF_MEMORY, "nnact-train: out of host memory");
#ifdef NNACT_TRAIN_MPI
    if (st == NNACT_OK && p->mpi)
        st = nnact_mpi_check_same_model(mlp, MPI_COMM_WORLD);
    if (st == NNACT_OK && p->mpi)
        st = nnact_mpi_bcast_params(mlp, MPI_COMM_WORLD, 0);
#endif
    if (st == NNACT_OK)
        st = parallel_check(p); /* equal from the start */
    return st;
}

/* Replica r's shard of rows[0..n), as views of its shard tensors (made
 * again only when the shard's row count changes: the last, partial batch). */
static nnact_status shard_view(parallel *p, size_t r, size_t rows)
{
    if (p->xv[r] && nnact_tensor_rows(p->xv[r]) == rows)
        return NNACT_OK;
    nnact_tensor_destroy(p->xv[r]), nnact_tensor_destroy(p->yv[r]);
    p->xv[r] = p->yv[r] = NULL;
    nnact_status st = nnact_tensor_wrap(p->ctx[r], nnact_tensor_buffer(p->xb[r]), 0, rows,
                                        nnact_tensor_cols(p->xb[r]), &p->xv[r]);
    if (st == NNACT_OK)
        st = nnact_tensor_wrap(p->ctx[r], nnact_tensor_buffer(p->yb[r]), 0, rows, 1, &p->yv[r]);
    return st;
}

/* Backprops every local replica's shard; *w receives the shard weights
 * (rows / global rows). Empty shards (a last batch smaller than the replica
 * count) contribute zero gradients. */
static nnact_status backprop_shards(parallel *p, const size_t *rows, size_t n,
                                    const nnact_loss *loss, bool accumulate, float *w)
{
    size_t shards = p->mpi ? (size_t)p->ranks : p->n;
    nnact_status st = NNACT_OK;
    for (size_t r = 0; r < p->n && st == NNACT_OK; r++) {
        size_t s = p->mpi ? (size_t)p->rank : r;
        size_t m = shard_rows(n, shards, s);
        w[r] = (float)m / (float)n;
        if (!m) {
            st = nnact_mlp_grads_write(p->mlp[r], 0, nnact_mlp_param_count(p->mlp[r]),
                                       p->zeros);
            continue;
        }
        const size_t *idx = rows + shard_first(n, shards, s);
        if ((st = shard_view(p, r, m)) == NNACT_OK &&
            (st = nnact_tensor_gather_rows(p->xv[r], p->xtr[r], idx)) == NNACT_OK &&
            (st = nnact_tensor_gather_rows(p->yv[r], p->ytr[r], idx)) == NNACT_OK) {
            float l, a;
            st = accumulate
                ? nnact_mlp_backprop_accumulate(p->mlp[r], p->xv[r], p->yv[r], loss, p->sums[r])
                : nnact_mlp_backprop(p->mlp[r], p->xv[r], p->yv[r], loss, &l, &a);
        }
    }
    return st;
}

nnact_status parallel_warm_up(parallel *p, const size_t *rows, size_t n,
                              const nnact_loss *loss)
{
    if (!parallel_active(p))
        return NNACT_OK;
    printf("Preparing kernels on %zu replica%s, global batch %zu (compiled once, then "
           "cached)... ", p->mpi ? (size_t)p->ranks : p->n,
           (p->mpi ? p->ranks : (int)p->n) > 1 ? "s" : "", n);
    fflush(stdout);
    double t0 = now();
    float w[PARALLEL_MAX_LOCAL];
    nnact_status st = backprop_shards(p, rows, n, loss, false, w);
    for (size_t r = 0; r < p->n && st == NNACT_OK; r++)
        st = nnact_ctx_finish(p->ctx[r]);
    if (st == NNACT_OK)
        printf("%.1f s\n", now() - t0);
    return st;
}

/* The reduction; its wall time after every device finished its backprop
 * (so compute is not counted as communication) and, under MPI, the part of
 * it spent in MPI. */
static nnact_status reduce(parallel *p, const float *w, double *wall, double *in_mpi)
{
    nnact_status st = NNACT_OK;
    for (size_t r = 0; r < p->n && st == NNACT_OK; r++)
        st = nnact_ctx_finish(p->ctx[r]);
    if (st != NNACT_OK)
        return st;
    double t0 = now();
    *in_mpi = 0;
#ifdef NNACT_TRAIN_MPI
    if (p->mpi)
        st = nnact_mpi_allreduce_grads(p->mlp[0], MPI_COMM_WORLD, w[0],
                                       p->ordered ? NNACT_REDUCE_RANK_ORDER : NNACT_REDUCE_MPI,
                                       in_mpi);
    else
#endif
        st = nnact_mlps_allreduce_grads(p->mlp, p->n, w);
    *wall = now() - t0;
    return st;
}

nnact_status parallel_step(parallel *p, const size_t *rows, size_t n, const nnact_loss *loss,
                           const nnact_optim *opt)
{
    float w[PARALLEL_MAX_LOCAL];
    double wall = 0, in_mpi = 0;
    nnact_status st = backprop_shards(p, rows, n, loss, true, w);
    if (st == NNACT_OK)
        st = reduce(p, w, &wall, &in_mpi);
    for (size_t r = 0; r < p->n && st == NNACT_OK; r++)
        st = nnact_mlp_apply(p->mlp[r], opt);
    if (st != NNACT_OK)
        return st;
    if (p->steps == p->step_cap) {
        size_t cap = p->step_cap ? 2 * p->step_cap : 1024;
        double *q = realloc(p->step_comm, cap * sizeof *q);
        if (!q)
            return fail(NNACT_ERR_OUT_OF_MEMORY, "nnact-train: out of host memory");
        p->step_comm = q, p->step_cap = cap;
    }
    p->step_comm[p->steps++] = wall;
    p->comm_s += wall, p->mpi_s += in_mpi;
    if (p->check_every > 0 && p->steps % (uint64_t)p->check_every == 0)
        st = parallel_check(p);
    return st;
}

nnact_status parallel_zero_sums(parallel *p)
{
    nnact_status st = NNACT_OK;
    for (size_t r = 1; r < p->n && st == NNACT_OK; r++)
        st = nnact_tensor_fill(p->sums[r], 0.0f);
    return st;
}

static nnact_status merge_sums(parallel *p)
{
#ifdef NNACT_TRAIN_MPI
    if (p->mpi)
        return nnact_mpi_allreduce_sums(p->sums[0], MPI_COMM_WORLD);
#endif
    float total[NNACT_LOSS_SUMS], one[NNACT_LOSS_SUMS];
    nnact_status st = nnact_tensor_read(p->sums[0], total);
    for (size_t r = 1; r < p->n && st == NNACT_OK; r++) {
        st = nnact_tensor_read(p->sums[r], one);
        for (int k = 0; st == NNACT_OK && k < NNACT_LOSS_SUMS; k++)
            total[k] += one[k];
        if (st == NNACT_OK)
            st = nnact_tensor_fill(p->sums[r], 0.0f); /* added once */
    }
    return st == NNACT_OK ? nnact_tensor_write(p->sums[0], total) : st;
}

nnact_status parallel_epoch_end(parallel *p)
{
    if (!parallel_active(p))
        return NNACT_OK;
    nnact_status st = merge_sums(p);
    return st == NNACT_OK && p->check_every == 0 ? parallel_check(p) : st;
}

nnact_status parallel_check(parallel *p)
{
    if (!parallel_active(p))
        return NNACT_OK;
    p->checks++;
#ifdef NNACT_TRAIN_MPI
    if (p->mpi)
        return nnact_mpi_check_replicas(p->mlp[0], MPI_COMM_WORLD);
#endif
    uint32_t first = 0, crc = 0;
    for (size_t r = 0; r < p->n; r++) {
        nnact_status st = nnact_mlp_params_crc32(p->mlp[r], r ? &crc : &first);
        if (st != NNACT_OK)
            return st;
        if (r && crc != first) {
            char msg[160];
            snprintf(msg, sizeof msg, "nnact-train: replica %zu's parameters (CRC-32 %08x) "
                     "differ from replica 0's (%08x) after step %llu", r, (unsigned)crc,
                     (unsigned)first, (unsigned long long)p->steps);
            return fail(NNACT_ERR_COMM, msg);
        }
    }
    return NNACT_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void parallel_print_epoch(parallel *p, double seconds, uint64_t steps)
{
    if (!parallel_active(p) || !steps)
        return;
    double comm = p->comm_s - p->epoch_mark;
    printf("  comm %.3f ms/step (%.1f %%)", 1e3 * comm / (double)steps,
           seconds > 0 ? 100.0 * comm / seconds : 0.0);
    p->epoch_mark = p->comm_s;
}

void parallel_print_result(const parallel *p, double train_seconds, uint64_t steps,
                           size_t batch, size_t grad_floats)
{
    double mean = 0, p95 = 0, mpi = 0;
    if (p->steps) {
        double *sorted = malloc(p->steps * sizeof *sorted);
        if (sorted) {
            memcpy(sorted, p->step_comm, p->steps * sizeof *sorted);
            qsort(sorted, p->steps, sizeof *sorted, cmp_double);
            p95 = sorted[(size_t)(0.95 * (double)(p->steps - 1) + 0.5)];
            free(sorted);
        }
        mean = p->comm_s / (double)p->steps;
        mpi = p->mpi_s / (double)p->steps;
    }
    double step = steps ? train_seconds / (double)steps : 0;
    printf(" ranks=%d replicas=%zu global_batch=%zu comm_ms_per_step=%.3f comm_p95_ms=%.3f "
           "mpi_ms_per_step=%.3f staging_ms_per_step=%.3f step_ms=%.3f comm_share=%.3f "
           "grad_bytes=%zu", p->ranks, p->mpi ? (size_t)p->ranks : p->n, batch, 1e3 * mean,
           1e3 * p95, 1e3 * mpi, 1e3 * (mean - mpi), 1e3 * step, step > 0 ? mean / step : 0.0,
           4 * grad_floats);
}

void parallel_end(parallel *p, bool failed)
{
    for (size_t r = 0; r < PARALLEL_MAX_LOCAL; r++) {
        nnact_tensor *own[] = {p->xb[r], p->yb[r], p->xv[r], p->yv[r]};
        for (size_t k = 0; k < 4; k++)
            nnact_tensor_destroy(own[k]);
        if (r == 0)
            continue; /* replica 0 is nnact-train's */
        nnact_tensor_destroy(p->xtr[r]), nnact_tensor_destroy(p->ytr[r]);
        nnact_tensor_destroy(p->sums[r]);
        nnact_mlp_destroy(p->mlp[r]);
        nnact_ctx_destroy(p->ctx[r]);
    }
    free(p->zeros), free(p->step_comm), free(p->devices);
#ifdef NNACT_TRAIN_MPI
    if (p->mpi) {
        if (failed) {
            fflush(stdout);
            fprintf(stderr, "nnact-train: rank %d of %d failed; stopping every rank\n",
                    p->rank, p->ranks);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        MPI_Finalize();
    }
#else
    (void)failed;
#endif
}
