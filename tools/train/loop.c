/* nnact-train's loop: each epoch shuffles, trains batch by batch with the
 * loss summed on the device, evaluates on the test set and prints a line. */
#define _POSIX_C_SOURCE 200809L
#include "run.h"

#include <math.h>
#include <string.h>

#include "tool.h"

/* A test loss that is NaN or inf means the model is unusable: say so. */
static bool finite_eval(float test_loss, int epoch)
{
    if (isfinite(test_loss))
        return true;
    fflush(stdout);
    if (epoch)
        fprintf(stderr, "nnact-train: the test loss after epoch %d is %g: the model "
                "diverged; try a smaller --lr\n", epoch, (double)test_loss);
    else
        fprintf(stderr, "nnact-train: the test loss is %g: the model gives no usable "
                "predictions\n", (double)test_loss);
    return false;
}

static void progress(int epoch, int epochs, size_t done, size_t total, double rate,
                     double loss)
{
    const int width = 30;
    int fill = (int)((double)width * (double)done / (double)total);
    printf("\repoch %2d/%d [%.*s%*s] %zu/%zu  %7.0f samples/s  loss %.4f ", epoch, epochs,
           fill, "==============================", width - fill, "", done, total, rate, loss);
    fflush(stdout);
}

/* Runs the forward and backward passes once on a batch (gradients only, the
 * weights stay) so that the first epoch does not pay for compiling kernels:
 * CLBlast's GEMM program and its transposing kernels take seconds on pocl the
 * first time on a machine; pocl caches them after. */
static nnact_status warm_up(nnact_mlp *mlp, const nnact_tensor *x, const nnact_tensor *y,
                            const nnact_loss *loss)
{
    printf("Preparing kernels for this device (compiled once, then cached)... ");
    fflush(stdout);
    double t0 = train_now();
    float l, a;
    nnact_status st = nnact_mlp_backprop(mlp, x, y, loss, &l, &a);
    if (st == NNACT_OK)
        printf("%.1f s\n", train_now() - t0);
    return st;
}

/* Fisher-Yates over the training samples, from the run's seeded xorshift. */
static void shuffle(run *r)
{
    for (size_t i = r->train.n; i > 1; i--) {
        r->rng ^= r->rng << 13, r->rng ^= r->rng >> 7, r->rng ^= r->rng << 17;
        size_t j = (size_t)(r->rng % i), t = r->perm[i - 1];
        r->perm[i - 1] = r->perm[j], r->perm[j] = t;
    }
}

/* --profile: adds what each category spent since p->before to its sum. */
static void profile_add(profile *p, nnact_ctx *ctx)
{
    nnact_profile_entry after[PROF_MAX];
    size_t na = nnact_ctx_profile(ctx, after, PROF_MAX);
    for (size_t i = 0; i < na && i < PROF_MAX; i++) {
        double before = 0;
        for (size_t j = 0; j < p->n_before && j < PROF_MAX; j++)
            if (!strcmp(p->before[j].name, after[i].name))
                before = p->before[j].seconds;
        size_t k = 0;
        while (k < p->n && strcmp(p->names[k], after[i].name))
            k++;
        if (k == p->n && p->n < PROF_MAX)
            p->names[p->n++] = after[i].name;
        if (k < PROF_MAX)
            p->seconds[k] += after[i].seconds - before;
    }
}

/* The training loss diverged: the weights are lost too, so nothing is
 * saved; says by which step and with what rate. */
static bool diverged(const run *r, int e, float train_loss)
{
    if (r->tty)
        printf("\r\033[K");
    fflush(stdout);
    fprintf(stderr, "nnact-train: training diverged in epoch %d by step %llu: "
            "the loss is %g; try a smaller --lr (it was %g)\n", e,
            (unsigned long long)r->step, (double)train_loss, (double)r->base_lr);
    return false;
}

/* One step on one device: the batch rows perm[start..start+rows) gathered
 * on the device, then forward, backward and the optimizer. */
static bool train_step(run *r, size_t start, size_t rows)
{
    const bool full = rows == (size_t)nnact_tensor_rows(r->xb);
    nnact_tensor *x = full ? r->xb : r->xpart, *y = full ? r->yb : r->ypart;
    TOOL_TRY(nnact_tensor_gather_rows(x, r->xtr, r->perm + start), return false);
    TOOL_TRY(nnact_tensor_gather_rows(y, r->ytr, r->perm + start), return false);
    TOOL_TRY(nnact_mlp_train_step_accumulate(r->mlp, x, y, &r->loss, &r->opt, r->sums),
             return false);
    return true;
}

/* One pass over the training set (epoch e of o->epochs, begun at t0) in
 * batches of o->batch, the last one partial. The loss and accuracy add up
 * on the device: no wait per step; the sums are read every 64 steps (16 on
 * a terminal, for the bar) to stop a diverging run early, and after the
 * last, into *loss and *acc. */
static bool train_epoch(run *r, const options *o, int e, double t0, float *loss,
                        float *acc)
{
    const size_t B = (size_t)o->batch, n = r->train.n;
    const bool cosine = !strcmp(o->schedule, "cosine");
    const double total_steps = (double)o->epochs * (double)((n + B - 1) / B);
    size_t seen = 0;
    TOOL_TRY(nnact_tensor_fill(r->sums, 0.0f), return false);
    TOOL_TRY(parallel_zero_sums(&r->par), return false);
    for (size_t start = 0; start < n; start += B) {
        const size_t rows = n - start < B ? n - start : B;
        if (cosine)
            r->opt.lr = (float)(r->base_lr * 0.5 * (1.0 + cos(3.14159265358979 *
                                                            (double)r->step / total_steps)));
        r->step++;
        if (parallel_active(&r->par)) { /* each replica gathers its own shard */
            TOOL_TRY(parallel_step(&r->par, r->perm + start, rows, &r->loss, &r->opt),
                     return false);
        } else if (!train_step(r, start, rows)) {
            return false;
        }
        seen += rows;
        const size_t done = start / B + 1;
        if (seen == n) /* every replica's sums into replica 0's (MPI: every rank's) */
            TOOL_TRY(parallel_epoch_end(&r->par), return false);
        if (done % (r->tty ? 16 : 64) == 0 || seen == n) {
            TOOL_TRY(nnact_loss_sums_read(r->sums, loss, acc), return false);
            if (!isfinite(*loss))
                return diverged(r, e, *loss);
            if (r->tty)
                progress(e, o->epochs, seen, n, (double)seen / (train_now() - t0), *loss);
        }
    }
    return true;
}

/* The test set's loss and accuracy (after epoch e; 0: the only evaluation). */
static bool evaluate(run *r, int e)
{
    float tl;
    TOOL_TRY(nnact_mlp_evaluate(r->mlp, r->xt, r->yt, &r->loss, &tl, &r->test_acc),
             return false);
    if (!finite_eval(tl, e))
        return false;
    r->test_loss = tl;
    return true;
}

/* Every epoch: shuffle, (before the first) compile the kernels, train,
 * evaluate, print a line (and one of --history); with no epochs, one
 * evaluation. */
bool run_train(run *r, const options *o)
{
    const size_t B = (size_t)o->batch;
    for (int e = 1; e <= o->epochs; e++) {
        shuffle(r);
        if (o->profile)
            r->prof.n_before = nnact_ctx_profile(r->ctx, r->prof.before, PROF_MAX);
        if (e == 1 && r->train.n >= B) {
            if (parallel_active(&r->par)) { /* every device compiles its kernels */
                TOOL_TRY(parallel_warm_up(&r->par, r->perm, B, &r->loss), return false);
            } else {
                TOOL_TRY(nnact_tensor_gather_rows(r->xb, r->xtr, r->perm), return false);
                TOOL_TRY(nnact_tensor_gather_rows(r->yb, r->ytr, r->perm), return false);
                TOOL_TRY(warm_up(r->mlp, r->xb, r->yb, &r->loss), return false);
            }
        }
        const double t0 = train_now();
        float train_loss = 0, train_acc = 0;
        if (!train_epoch(r, o, e, t0, &train_loss, &train_acc))
            return false;
        if (o->profile)
            profile_add(&r->prof, r->ctx);
        const double secs = train_now() - t0;
        r->train_seconds += secs;
        if (!evaluate(r, e))
            return false;
        r->last_loss = train_loss;
        if (r->tty)
            printf("\r\033[K");
        printf("epoch %2d/%d  train loss %.4f  train acc %.4f  test acc %.4f  "
               "%.0f samples/s  %.2f s", e, o->epochs, r->last_loss, (double)train_acc,
               (double)r->test_acc, (double)r->train.n / secs, secs);
        parallel_print_epoch(&r->par, secs, (r->train.n + B - 1) / B);
        printf("\n");
        if (r->hist)
            fprintf(r->hist, "%d,%.6f,%.6f,%.6f,%.6f,%.3f\n", e, r->last_loss,
                    (double)train_acc, r->test_loss, (double)r->test_acc, secs);
        fflush(stdout);
    }
    if (o->epochs == 0) {
        if (!evaluate(r, 0))
            return false;
        printf("evaluation: test loss %.4f  test acc %.4f\n", r->test_loss,
               (double)r->test_acc);
    }
    return true;
}
