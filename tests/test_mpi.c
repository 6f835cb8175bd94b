/* libnnact-cl-mpi under mpirun (tests/mpi_run.sh starts it with -np 2 and
 * -np 3). Any failure prints its reason and calls MPI_Abort, so a wrong
 * result never leaves ranks waiting. Modes (argv[1]):
 *  exact     50 steps x {SGD, Adam} x {F32, F16} in rank order: rank 0 also
 *            runs one model that backprops every rank's shard in turn and
 *            sums them in that order; its parameters must be bit-identical
 *            to the replicas', whose CRCs must agree after every step.
 *            Uneven shards (61 rows over 2 or 3 ranks) and a partial last
 *            batch (29 rows); then NNACT_REDUCE_MPI, CRCs agreeing too.
 *  mismatch  the last rank builds another architecture: every rank gets
 *            NNACT_ERR_COMM naming that rank, from check_same_model and
 *            from bcast_params.
 *  abort     the last rank fails and calls MPI_Abort while the others wait
 *            in the gradient reduction: mpirun must stop them all.
 *  bench     not a test: times nnact_mpi_allreduce_grads alone on the
 *            784-256-128-10 model (940,584 gradient bytes), both orders,
 *            after a barrier so no rank waits for another's compute
 *            (doc/distributed.md). */
#include <nnact_mpi.h>

#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank, size;

static void die(const char *what, nnact_status st)
{
    fprintf(stderr, "test_mpi rank %d: %s: %s: %s\n", rank, what, nnact_status_string(st),
            nnact_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
}

#define OK(call)                                                                   \
    do {                                                                           \
        nnact_status st_ = (call);                                                 \
        if (st_ != NNACT_OK)                                                       \
            die(#call, st_);                                                       \
    } while (0)

static void expect(int cond, const char *fmt, const char *arg)
{
    if (!cond) {
        fprintf(stderr, "test_mpi rank %d: ", rank);
        fprintf(stderr, fmt, arg);
        fputc('\n', stderr);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

static const size_t sizes[] = {2, 24, 16, 3};
static const char *const acts[] = {"relu", "tanh", "softmax"};
enum { STEPS = 50, BATCH = 61, LAST_BATCH = 29 };

static nnact_mlp *model(nnact_ctx *c, const size_t *sz, uint64_t seed, nnact_dtype storage)
{
    nnact_mlp *m = NULL;
    OK(nnact_mlp_create(c, sz, 4, acts, seed, &m));
    OK(nnact_mlp_set_storage(m, storage));
    return m;
}

/* Rows [first, first + rows) of the data set on a context. */
static void upload(nnact_ctx *c, const dataset *ds, size_t first, size_t rows,
                   nnact_tensor **x, nnact_tensor **t)
{
    OK(nnact_tensor_create(c, rows, ds->features, x));
    OK(nnact_tensor_create(c, rows, 1, t));
    OK(nnact_tensor_write(*x, ds->x + first * ds->features));
    OK(nnact_tensor_write(*t, ds->labels + first));
}

/* Shard r of a batch of b rows: the remainder goes to the first ranks. */
static size_t shard_rows(size_t b, int r) { return b / size + ((size_t)r < b % size); }
static size_t shard_first(size_t b, int r)
{
    size_t f = 0;
    for (int j = 0; j < r; j++)
        f += shard_rows(b, j);
    return f;
}

static void train(nnact_ctx *c, nnact_ctx *ref_ctx, const dataset *ds, const char *opt_name,
                  nnact_dtype storage, nnact_reduce_order order, int steps)
{
    nnact_optim opt;
    nnact_loss loss;
    OK(nnact_optim_from_name(opt_name, &opt));
    OK(nnact_loss_from_name("sparse_cce", &loss));
    if (opt.kind == NNACT_OPTIM_SGD)
        opt.lr = 0.1f;
    /* Seeded apart: the broadcast is what makes them equal. */
    nnact_mlp *m = model(c, sizes, 2024 + (uint64_t)rank, storage);
    nnact_mlp *ref = ref_ctx ? model(ref_ctx, sizes, 2024, storage) : NULL;
    OK(nnact_mpi_check_same_model(m, MPI_COMM_WORLD));
    OK(nnact_mpi_bcast_params(m, MPI_COMM_WORLD, 0));
    OK(nnact_mpi_check_replicas(m, MPI_COMM_WORLD));
    nnact_tensor *sums = NULL, *ref_sums = NULL;
    OK(nnact_tensor_create(c, 1, NNACT_LOSS_SUMS, &sums));
    OK(nnact_tensor_fill(sums, 0.0f));
    size_t n = nnact_mlp_param_count(m);
    float *g = malloc(n * sizeof *g), *sum = malloc(n * sizeof *sum);
    expect(g && sum, "%s", "out of memory");
    if (ref) {
        OK(nnact_tensor_create(ref_ctx, 1, NNACT_LOSS_SUMS, &ref_sums));
        OK(nnact_tensor_fill(ref_sums, 0.0f));
    }
    for (int s = 0; s < steps; s++) {
        size_t b = s + 1 == steps ? LAST_BATCH : BATCH;
        size_t window = (size_t)s * 17 % (ds->n - BATCH);
        nnact_tensor *x, *t;
        upload(c, ds, window + shard_first(b, rank), shard_rows(b, rank), &x, &t);
        OK(nnact_mlp_backprop_accumulate(m, x, t, &loss, sums));
        OK(nnact_mpi_allreduce_grads(m, MPI_COMM_WORLD, (float)shard_rows(b, rank) / (float)b,
                                     order, NULL));
        OK(nnact_mlp_apply(m, &opt));
        OK(nnact_mpi_check_replicas(m, MPI_COMM_WORLD));
        nnact_tensor_destroy(x), nnact_tensor_destroy(t);
        if (!ref)
            continue;
        for (int r = 0; r < size; r++) { /* every shard in turn, summed in order */
            float w = (float)shard_rows(b, r) / (float)b;
            upload(ref_ctx, ds, window + shard_first(b, r), shard_rows(b, r), &x, &t);
            OK(nnact_mlp_backprop_accumulate(ref, x, t, &loss, ref_sums));
            OK(nnact_mlp_grads_read(ref, 0, n, g));
            for (size_t k = 0; k < n; k++)
                sum[k] = r ? sum[k] + w * g[k] : w * g[k];
            nnact_tensor_destroy(x), nnact_tensor_destroy(t);
        }
        OK(nnact_mlp_grads_write(ref, 0, n, sum));
        OK(nnact_mlp_apply(ref, &opt));
        uint32_t mine, theirs;
        OK(nnact_mlp_params_crc32(m, &mine));
        OK(nnact_mlp_params_crc32(ref, &theirs));
        char what[96];
        snprintf(what, sizeof what, "%s %s step %d", opt_name, nnact_dtype_name(storage), s + 1);
        expect(mine == theirs, "%s: the replicas differ from one process summing the shards "
               "in rank order", what);
    }
    OK(nnact_mpi_allreduce_sums(sums, MPI_COMM_WORLD));
    float value, acc;
    OK(nnact_loss_sums_read(sums, &value, &acc));
    expect(value == value && acc > 0.2f && acc <= 1.0f, "%s: loss or accuracy over all shards is off",
           opt_name);
    if (ref)
        printf("rank 0: %s %s %s: %d steps equal to one process, loss %.4f accuracy %.3f\n",
               opt_name, nnact_dtype_name(storage),
               order == NNACT_REDUCE_MPI ? "mpi" : "ordered", steps, (double)value,
               (double)acc);
    free(g), free(sum);
    nnact_tensor_destroy(sums), nnact_tensor_destroy(ref_sums);
    nnact_mlp_destroy(m), nnact_mlp_destroy(ref);
}

static void mismatch(nnact_ctx *c)
{
    static const size_t wide[] = {2, 25, 16, 3};
    nnact_mlp *m = model(c, rank == size - 1 ? wide : sizes, 1, NNACT_F32);
    char want[64];
    snprintf(want, sizeof want, "rank %d's model", size - 1);
    nnact_status st = nnact_mpi_check_same_model(m, MPI_COMM_WORLD);
    expect(st == NNACT_ERR_COMM && strstr(nnact_last_error(), want),
           "check_same_model did not name the odd rank: '%s'", nnact_last_error());
    printf("rank %d: check_same_model: %s\n", rank, nnact_last_error());
    st = nnact_mpi_bcast_params(m, MPI_COMM_WORLD, 0);
    expect(st == NNACT_ERR_COMM && strstr(nnact_last_error(), want),
           "bcast_params did not name the odd rank: '%s'", nnact_last_error());
    nnact_mlp_destroy(m);
}

static void fail_one(nnact_ctx *c)
{
    nnact_mlp *m = model(c, sizes, 1, NNACT_F32);
    if (rank == size - 1) {
        fprintf(stderr, "rank %d: failing on purpose; MPI_Abort stops every rank\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    nnact_mpi_allreduce_grads(m, MPI_COMM_WORLD, 1.0f, NNACT_REDUCE_MPI, NULL);
    fprintf(stderr, "rank %d: the reduction returned although a rank aborted\n", rank);
    nnact_mlp_destroy(m);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench(nnact_ctx *c)
{
    static const size_t big[] = {784, 256, 128, 10};
    static const char *const big_acts[] = {"relu", "relu", "softmax"};
    nnact_mlp *m = NULL;
    OK(nnact_mlp_create(c, big, 4, big_acts, 1, &m));
    enum { REPS = 300, SKIP = 20 };
    static double mpi_s[REPS], total_s[REPS];
    for (int order = 0; order < 2; order++) {
        for (int i = 0; i < REPS; i++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            OK(nnact_mpi_allreduce_grads(m, MPI_COMM_WORLD, 1.0f / (float)size,
                                         (nnact_reduce_order)order, &mpi_s[i]));
            total_s[i] = MPI_Wtime() - t0;
        }
        double sm = 0, st = 0;
        for (int i = SKIP; i < REPS; i++)
            sm += mpi_s[i], st += total_s[i] - mpi_s[i];
        qsort(mpi_s + SKIP, REPS - SKIP, sizeof *mpi_s, cmp_double);
        if (rank == 0)
            printf("%d ranks, %s: %zu bytes, in MPI %.3f ms mean, %.3f ms p95; staging "
                   "%.3f ms mean (%d reps)\n", size, order ? "rank order" : "MPI_Allreduce",
                   4 * nnact_mlp_param_count(m), 1e3 * sm / (REPS - SKIP),
                   1e3 * mpi_s[SKIP + (int)(0.95 * (REPS - SKIP - 1))],
                   1e3 * st / (REPS - SKIP), REPS - SKIP);
    }
    nnact_mlp_destroy(m);
}

int main(int argc, char **argv)
{
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const char *mode = argc > 1 ? argv[1] : "exact";
    nnact_ctx *c = NULL, *ref_ctx = NULL;
    OK(nnact_ctx_create(&c, "pocl"));
    if (!strcmp(mode, "exact")) {
        dataset ds;
        OK(dataset_spiral(100, 3, 5, &ds));
        if (rank == 0)
            OK(nnact_ctx_create(&ref_ctx, "pocl"));
        static const char *const opts[] = {"sgd", "adam"};
        for (int o = 0; o < 2; o++)
            for (int f = 0; f < 2; f++)
                train(c, ref_ctx, &ds, opts[o], f ? NNACT_F16 : NNACT_F32,
                      NNACT_REDUCE_RANK_ORDER, STEPS);
        /* MPI's own order: no reference, but the replicas still agree. */
        train(c, NULL, &ds, "adam", NNACT_F32, NNACT_REDUCE_MPI, 10);
        if (rank == 0)
            printf("rank 0: mpi order: parameter CRCs equal on %d ranks after every step\n",
                   size);
        dataset_free(&ds);
    } else if (!strcmp(mode, "mismatch")) {
        mismatch(c);
    } else if (!strcmp(mode, "abort")) {
        fail_one(c);
    } else if (!strcmp(mode, "bench")) {
        bench(c);
    } else {
        expect(0, "unknown mode '%s'", mode);
    }
    nnact_ctx_destroy(ref_ctx);
    nnact_ctx_destroy(c);
    MPI_Finalize();
    return 0;
}
