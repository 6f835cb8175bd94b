/* libnnact-cl-mpi: data-parallel training of an nnact_mlp over MPI ranks,
 * one replica per rank, gradients staged through host memory (no
 * collective library takes an OpenCL buffer). Built only where meson finds
 * MPI; libnnact-cl itself never links it.
 *
 * The application initialises and finalises MPI (MPI_Init_thread with at
 * least MPI_THREAD_FUNNELED); these functions never do, and never change
 * the communicator's error handler: with MPI's default handler a failing
 * collective aborts every rank. Every function is collective over comm:
 * every rank calls it, in the same order. Statuses and messages as in
 * nnact.h (nnact_last_error); NNACT_ERR_COMM holds MPI_Error_string's text
 * or which rank disagrees. A step (doc/distributed.md):
 *
 *   nnact_mlp_backprop_accumulate(mlp, x_shard, t_shard, loss, sums);
 *   nnact_mpi_allreduce_grads(mlp, comm, rows_shard / (float)rows_global,
 *                             NNACT_REDUCE_RANK_ORDER, &seconds);
 *   nnact_mlp_apply(mlp, opt);
 */
#ifndef NNACT_MPI_H
#define NNACT_MPI_H

#include <mpi.h>
#include <nnact.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nnact_reduce_order {
    /* MPI_Allreduce(MPI_IN_PLACE, MPI_SUM): MPI's fastest algorithm; the
     * standard asks for the same result on every rank, but its order (and
     * so its bits) may change with the rank count or the library. */
    NNACT_REDUCE_MPI = 0,
    /* Each rank gets 1/p of the gradient from every rank (MPI_Alltoallv),
     * sums it in rank order, and the sums are gathered (MPI_Allgatherv):
     * the bytes of a ring allreduce, and bit-identical to one process that
     * backprops the p shards in turn and sums them in that order. */
    NNACT_REDUCE_RANK_ORDER
} nnact_reduce_order;

/* Checks that every rank holds the same architecture (layer sizes,
 * activations and their parameters, storage type): a digest gathered from
 * every rank. A difference fails on every rank alike with NNACT_ERR_COMM
 * naming the first rank that differs from rank 0.
 * Errors: NNACT_ERR_INVALID_ARG (NULL), NNACT_ERR_COMM. */
NNACT_API nnact_status nnact_mpi_check_same_model(nnact_mlp *mlp, MPI_Comm comm);

/* Every rank takes root's parameters (the optimizer states are left alone:
 * call it before the first step). A different parameter count on some rank
 * fails on every rank, naming it. Errors: NNACT_ERR_INVALID_ARG (NULL, root
 * out of range), NNACT_ERR_COMM, NNACT_ERR_OUT_OF_MEMORY, NNACT_ERR_OPENCL. */
NNACT_API nnact_status nnact_mpi_bcast_params(nnact_mlp *mlp, MPI_Comm comm, int root);

/* Replaces every rank's gradients by sum over ranks of weight_r * grad_r.
 * weight is this rank's rows / the global batch's rows, so uneven and
 * partial shards give the exact mean. With F16 storage the skip flag is
 * then taken from the sum (nnact_mlp_grads_write): every rank skips
 * together. seconds (may be NULL) receives the time spent in MPI calls;
 * the rest of the call is staging (reading and writing the gradients). One
 * rank with weight 1 returns at once: its gradients are already the sum.
 * Errors: NNACT_ERR_INVALID_ARG (NULL, non-finite weight, unknown order),
 * NNACT_ERR_COMM, NNACT_ERR_OUT_OF_MEMORY, NNACT_ERR_OPENCL. */
NNACT_API nnact_status nnact_mpi_allreduce_grads(nnact_mlp *mlp, MPI_Comm comm, float weight,
                                                 nnact_reduce_order order, double *seconds);

/* Adds every rank's loss sums (1 x NNACT_LOSS_SUMS, nnact_loss_accumulate)
 * so nnact_loss_sums_read gives the loss and accuracy over all shards.
 * Errors: NNACT_ERR_INVALID_ARG (NULL), NNACT_ERR_SHAPE, NNACT_ERR_COMM,
 * NNACT_ERR_OPENCL. */
NNACT_API nnact_status nnact_mpi_allreduce_sums(nnact_tensor *sums, MPI_Comm comm);

/* Checks that every rank holds the same parameters: their CRC-32s
 * (nnact_mlp_params_crc32) gathered. A difference fails on every rank alike
 * with NNACT_ERR_COMM naming the ranks and CRCs that differ from rank 0's.
 * Errors: NNACT_ERR_INVALID_ARG (NULL), NNACT_ERR_COMM, NNACT_ERR_OPENCL. */
NNACT_API nnact_status nnact_mpi_check_replicas(nnact_mlp *mlp, MPI_Comm comm);

#ifdef __cplusplus
}
#endif

#endif
