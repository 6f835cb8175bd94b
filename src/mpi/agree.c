/* Keeping the ranks' replicas the same: one architecture everywhere (a
 * digest gathered, as DDP checks parameter shapes across processes before
 * it starts), root's parameters everywhere, and after a step the same
 * parameter CRC everywhere. Each check gathers to every rank, so every rank
 * reaches the same verdict and fails alike: none is left waiting. */
#include "mpi_fail.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* CRC-32 over the architecture: sizes, activations (kind, alpha and beta
 * bits), storage type; in a fixed little-endian layout. */
static uint32_t architecture_digest(const nnact_mlp *mlp)
{
    uLong c = crc32(0L, Z_NULL, 0);
    size_t depth = nnact_mlp_depth(mlp);
    unsigned char b[12];
    for (size_t i = 0; i <= depth + 1; i++) {
        uint64_t v = i <= depth ? nnact_mlp_size(mlp, i) : (uint64_t)nnact_mlp_storage(mlp);
        for (int k = 0; k < 8; k++)
            b[k] = (unsigned char)(v >> (8 * k));
        c = crc32(c, b, 8);
    }
    for (size_t i = 0; i < depth; i++) {
        const nnact_act *a = nnact_mlp_act(mlp, i);
        uint32_t w[3] = {(uint32_t)a->kind, 0, 0};
        memcpy(&w[1], &a->alpha, 4);
        memcpy(&w[2], &a->beta, 4);
        for (int k = 0; k < 12; k++)
            b[k] = (unsigned char)(w[k / 4] >> (8 * (k % 4)));
        c = crc32(c, b, 12);
    }
    return (uint32_t)c;
}

/* The checks every function starts with: a model, and this rank's place. */
static nnact_status begin(const nnact_mlp *mlp, MPI_Comm comm, int *rank, int *size,
                          const char *fn)
{
    if (!mlp)
        return nnact_mpi_failf(NNACT_ERR_INVALID_ARG, "%s: mlp is NULL", fn);
    int rc = MPI_Comm_rank(comm, rank);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_size(comm, size);
    return rc == MPI_SUCCESS ? NNACT_OK : nnact_mpi_fail_rc(rc, fn, "the communicator");
}

nnact_status nnact_mpi_check_same_model(nnact_mlp *mlp, MPI_Comm comm)
{
    const char *fn = "nnact_mpi_check_same_model";
    int rank, size;
    nnact_status st = begin(mlp, comm, &rank, &size, fn);
    if (st != NNACT_OK)
        return st;
    uint64_t mine[3] = {architecture_digest(mlp), nnact_mlp_depth(mlp),
                        nnact_mlp_param_count(mlp)};
    uint64_t *all = malloc((size_t)size * sizeof mine);
    if (!all)
        return nnact_mpi_failf(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    int rc = MPI_Allgather(mine, 3, MPI_UINT64_T, all, 3, MPI_UINT64_T, comm);
    if (rc != MPI_SUCCESS)
        st = nnact_mpi_fail_rc(rc, fn, "MPI_Allgather of the model digests");
    for (int r = 1; r < size && st == NNACT_OK; r++)
        if (memcmp(&all[3 * r], all, sizeof mine) != 0)
            st = nnact_mpi_failf(NNACT_ERR_COMM, "%s: rank %d's model differs from rank "
                                 "0's (%llu layers, %llu parameters, digest %08llx against "
                                 "%llu layers, %llu parameters, digest %08llx)", fn, r,
                                 (unsigned long long)all[3 * r + 1],
                                 (unsigned long long)all[3 * r + 2],
                                 (unsigned long long)all[3 * r],
                                 (unsigned long long)all[1], (unsigned long long)all[2],
                                 (unsigned long long)all[0]);
    free(all);
    return st;
}

nnact_status nnact_mpi_bcast_params(nnact_mlp *mlp, MPI_Comm comm, int root)
{
    const char *fn = "nnact_mpi_bcast_params";
    int rank, size;
    nnact_status st = begin(mlp, comm, &rank, &size, fn);
    if (st != NNACT_OK)
        return st;
    if (root < 0 || root >= size)
        return nnact_mpi_failf(NNACT_ERR_INVALID_ARG, "%s: root %d, but the communicator "
                               "has %d ranks", fn, root, size);
    /* Agree on the count first: a rank with another model must not make the
     * broadcast itself go wrong. */
    uint64_t n = nnact_mlp_param_count(mlp), root_n = n;
    int rc = MPI_Bcast(&root_n, 1, MPI_UINT64_T, root, comm);
    int bad = root_n == n ? INT_MAX : rank, first_bad = INT_MAX;
    if (rc == MPI_SUCCESS)
        rc = MPI_Allreduce(&bad, &first_bad, 1, MPI_INT, MPI_MIN, comm);
    if (rc != MPI_SUCCESS)
        return nnact_mpi_fail_rc(rc, fn, "agreeing on the parameter count");
    if (first_bad != INT_MAX)
        return nnact_mpi_failf(NNACT_ERR_COMM, "%s: rank %d's model has another parameter "
                               "count than root %d's %llu", fn, first_bad, root,
                               (unsigned long long)root_n);
    if (n > INT_MAX)
        return nnact_mpi_failf(NNACT_ERR_UNSUPPORTED, "%s: %llu parameters exceed one MPI "
                               "message", fn, (unsigned long long)n);
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p)
        return nnact_mpi_failf(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    if (rank == root)
        st = nnact_mlp_params_read(mlp, 0, n, p);
    /* A failed read on root still broadcasts (garbage nobody keeps: root
     * returns its error, the others would take it), so that no rank waits;
     * the application aborts on root's error. */
    rc = MPI_Bcast(p, (int)n, MPI_FLOAT, root, comm);
    if (rc != MPI_SUCCESS && st == NNACT_OK)
        st = nnact_mpi_fail_rc(rc, fn, "MPI_Bcast of the parameters");
    if (st == NNACT_OK && rank != root)
        st = nnact_mlp_params_write(mlp, 0, n, p);
    free(p);
    return st;
}

nnact_status nnact_mpi_check_replicas(nnact_mlp *mlp, MPI_Comm comm)
{
    const char *fn = "nnact_mpi_check_replicas";
    int rank, size;
    nnact_status st = begin(mlp, comm, &rank, &size, fn);
    if (st != NNACT_OK)
        return st;
    uint32_t crc = 0;
    nnact_status local = nnact_mlp_params_crc32(mlp, &crc);
    /* A failed CRC is gathered as a mark, so the others learn of it too. */
    uint64_t mine = local == NNACT_OK ? crc : UINT64_MAX;
    uint64_t *all = malloc((size_t)size * sizeof *all);
    if (!all)
        return nnact_mpi_failf(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    int rc = MPI_Allgather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, comm);
    if (rc != MPI_SUCCESS)
        st = nnact_mpi_fail_rc(rc, fn, "MPI_Allgather of the parameter CRCs");
    if (st == NNACT_OK && local != NNACT_OK)
        st = local; /* this rank's own message */
    char list[1024] = "";
    size_t used = 0;
    int differ = 0;
    for (int r = 1; r < size && st == NNACT_OK; r++)
        if (all[r] != all[0]) {
            differ++;
            if (used < sizeof list - 64)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s rank %d %s%08llx",
                                         differ > 1 ? "," : "", r,
                                         all[r] == UINT64_MAX ? "failed " : "",
                                         all[r] == UINT64_MAX ? 0ull : (unsigned long long)all[r]);
        }
    if (st == NNACT_OK && differ)
        st = nnact_mpi_failf(NNACT_ERR_COMM, "%s: the replicas differ: rank 0's parameter "
                             "CRC-32 is %08llx, but%s", fn, (unsigned long long)all[0], list);
    free(all);
    return st;
}
