/* Summing the ranks' gradients (and loss sums) through host memory, the
 * way Horovod's MPI path does (MPI_Allreduce in place on one fused buffer):
 * the whole gradient is one bucket, because this library's models are
 * small (784-256-128-10: 940,584 bytes; layer 0, finished last in the
 * backward pass, holds 85 % of them, so overlap could hide little). */
#include "mpi_fail.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

/* The staging buffers, kept between steps so a step does not fault in a
 * megabyte of fresh pages. One per thread (MPI_THREAD_FUNNELED: one). */
typedef struct staging {
    float *p;
    size_t cap;
} staging;
static _Thread_local staging grads_buf, slices_buf;

static float *reserve(staging *s, size_t n)
{
    if (n > s->cap) {
        float *q = realloc(s->p, n * sizeof *q);
        if (!q)
            return NULL;
        s->p = q;
        s->cap = n;
    }
    return s->p;
}

/* Rank order: rank j sums slice j of everyone's contribution, in rank
 * order, then every slice is gathered everywhere. g = c0, g = g + c1, ...
 * with c_r = w_r * grad_r: the very sums of one process adding the shards
 * in turn (and of nnact_mlps_allreduce_grads). Bytes moved per rank:
 * 2 (p-1)/p of the gradient, as a ring. */
static int reduce_rank_order(float *g, int n, MPI_Comm comm, int rank, int size,
                             float *slices)
{
    int *counts = malloc(4 * (size_t)size * sizeof *counts);
    if (!counts)
        return MPI_ERR_NO_MEM;
    int *displs = counts + size, *rcounts = displs + size, *rdispls = rcounts + size;
    for (int j = 0, off = 0; j < size; j++) {
        counts[j] = n / size + (j < n % size);
        displs[j] = off;
        off += counts[j];
    }
    const int mine = counts[rank];
    for (int j = 0; j < size; j++) {
        rcounts[j] = mine;
        rdispls[j] = j * mine;
    }
    int rc = MPI_Alltoallv(g, counts, displs, MPI_FLOAT, slices, rcounts, rdispls, MPI_FLOAT,
                           comm);
    if (rc == MPI_SUCCESS) {
        float *out = g + displs[rank];
        for (int k = 0; k < mine; k++) {
            float s = slices[k];
            for (int j = 1; j < size; j++)
                s = s + slices[(size_t)j * mine + k];
            out[k] = s;
        }
        rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, g, counts, displs, MPI_FLOAT,
                            comm);
    }
    free(counts);
    return rc;
}

nnact_status nnact_mpi_allreduce_grads(nnact_mlp *mlp, MPI_Comm comm, float weight,
                                       nnact_reduce_order order, double *seconds)
{
    const char *fn = "nnact_mpi_allreduce_grads";
    if (seconds)
        *seconds = 0.0;
    if (!mlp)
        return nnact_mpi_failf(NNACT_ERR_INVALID_ARG, "%s: mlp is NULL", fn);
    if (!isfinite(weight))
        return nnact_mpi_failf(NNACT_ERR_INVALID_ARG, "%s: weight is %g", fn, (double)weight);
    if (order != NNACT_REDUCE_MPI && order != NNACT_REDUCE_RANK_ORDER)
        return nnact_mpi_failf(NNACT_ERR_INVALID_ARG, "%s: order %d is not an "
                               "nnact_reduce_order", fn, (int)order);
    size_t count = nnact_mlp_param_count(mlp);
    if (count > INT_MAX)
        return nnact_mpi_failf(NNACT_ERR_UNSUPPORTED, "%s: %zu parameters exceed one MPI "
                               "message", fn, count);
    int rank, size, rc = MPI_Comm_rank(comm, &rank);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_size(comm, &size);
    if (rc != MPI_SUCCESS)
        return nnact_mpi_fail_rc(rc, fn, "the communicator");
    if (size == 1 && weight == 1.0f)
        return NNACT_OK; /* the sum of one rank's gradients: nothing to move */
    const int n = (int)count;
    float *g = reserve(&grads_buf, count ? count : 1);
    float *slices = order == NNACT_REDUCE_RANK_ORDER
        ? reserve(&slices_buf, (size_t)size * (size_t)(n / size + 1)) : g;
    if (!g || !slices)
        return nnact_mpi_failf(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    nnact_status st = nnact_mlp_grads_read(mlp, 0, count, g);
    if (st != NNACT_OK)
        return st; /* the application aborts: the others wait in the collective */
    for (int k = 0; k < n; k++)
        g[k] = weight * g[k];
    double t0 = MPI_Wtime();
    rc = order == NNACT_REDUCE_MPI
        ? MPI_Allreduce(MPI_IN_PLACE, g, n, MPI_FLOAT, MPI_SUM, comm)
        : reduce_rank_order(g, n, comm, rank, size, slices);
    if (seconds)
        *seconds = MPI_Wtime() - t0;
    if (rc != MPI_SUCCESS)
        return nnact_mpi_fail_rc(rc, fn, order == NNACT_REDUCE_MPI
                                 ? "MPI_Allreduce of the gradients"
                                 : "the rank-order reduction of the gradients");
    return nnact_mlp_grads_write(mlp, 0, count, g);
}

nnact_status nnact_mpi_allreduce_sums(nnact_tensor *sums, MPI_Comm comm)
{
    const char *fn = "nnact_mpi_allreduce_sums";
    if (!sums)
        return nnact_mpi_failf(NNACT_ERR_INVALID_ARG, "%s: sums is NULL", fn);
    if (nnact_tensor_rows(sums) != 1 || nnact_tensor_cols(sums) != NNACT_LOSS_SUMS)
        return nnact_mpi_failf(NNACT_ERR_SHAPE, "%s: sums is %zux%zu but must be 1x%d", fn,
                               nnact_tensor_rows(sums), nnact_tensor_cols(sums),
                               NNACT_LOSS_SUMS);
    float h[NNACT_LOSS_SUMS];
    nnact_status st = nnact_tensor_read(sums, h);
    if (st != NNACT_OK)
        return st;
    int rc = MPI_Allreduce(MPI_IN_PLACE, h, NNACT_LOSS_SUMS, MPI_FLOAT, MPI_SUM, comm);
    if (rc != MPI_SUCCESS)
        return nnact_mpi_fail_rc(rc, fn, "MPI_Allreduce of the loss sums");
    return nnact_tensor_write(sums, h);
}
