/* nnact-train: trains an MLP end to end on the OpenCL device — by default
 * 784-256-128-10 ReLU/softmax with Adam on Fashion-MNIST from Debian's
 * dataset-fashion-mnist, or on the generated spiral set when no dataset is
 * found. The last line is a machine-readable summary. This file is the
 * order of the steps (run.h), the report and the clean-up. */
#define _POSIX_C_SOURCE 200809L
#include "run.h"

#include <stdlib.h>

#include "tool.h"

/* A failed library call: its status and message, then nnact-train stops. */
void tool_report(const char *call, nnact_status st)
{
    (void)call;
    fprintf(stderr, "nnact-train: %s: %s\n", nnact_status_string(st), nnact_last_error());
}

/* --profile: the categories' share of the training phases' wall time. */
static void print_profile(const run *r, const options *o)
{
    const profile *p = &r->prof;
    double dev = 0;
    printf("\nProfile of the training phases (%d epochs, %.2f s wall):\n", o->epochs,
           r->train_seconds);
    const char *clock = nnact_ctx_profile_clock(r->ctx);
    if (clock)
        printf("  (times from the %s)\n", clock);
    for (size_t k = 0; k < p->n; k++) {
        printf("  %-28s %8.3f s  %5.1f %%\n", p->names[k], p->seconds[k],
               100.0 * p->seconds[k] / r->train_seconds);
        dev += p->seconds[k];
    }
    printf("  %-28s %8.3f s  %5.1f %%\n", "host and idle (the rest)",
           r->train_seconds - dev, 100.0 * (r->train_seconds - dev) / r->train_seconds);
}

/* The profile, --save, and the summary: a line for people, and last the
 * machine-readable result line. */
static bool run_report(run *r, const options *o)
{
    if (o->profile && o->epochs)
        print_profile(r, o);
    if (o->save) {
        TOOL_TRY(nnact_mlp_save(r->mlp, o->save), return false);
        printf("saved the model to '%s'\n", o->save);
    }
    const nnact_device_info *dev = nnact_ctx_device(r->ctx);
    const double per_epoch = o->epochs ? r->train_seconds / o->epochs : 0.0;
    printf("Summary: %s, %d epochs, test accuracy %.4f, %.2f s per epoch, device '%s' (%s)\n",
           r->dsname, o->epochs, (double)r->test_acc, per_epoch, dev->device_name,
           dev->platform_name);
    printf("result: dataset=%s epochs=%d test_accuracy=%.4f train_loss=%.4f "
           "seconds_per_epoch=%.2f device=\"%s\"", r->dsname, o->epochs,
           (double)r->test_acc, r->last_loss, per_epoch, dev->device_name);
    parallel_print_result(&r->par, r->train_seconds, r->step, (size_t)o->batch,
                          nnact_mlp_param_count(r->mlp));
    printf("\n");
    return true;
}

static void run_free(run *r, bool ok)
{
    parallel_end(&r->par, !ok); /* under MPI a failure stops every rank */
    if (r->hist)
        fclose(r->hist);
    free(r->perm), free(r->sizes);
    nnact_tensor *all[] = {r->xpart, r->ypart, r->xb, r->yb, r->xtr, r->ytr, r->sums,
                           r->xt, r->yt};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
    dataset_free(&r->train), dataset_free(&r->test);
    nnact_mlp_destroy(r->mlp);
    nnact_ctx_destroy(r->ctx);
}

/* parse -> context (and --load) -> data -> model -> device tensors ->
 * history -> train -> report; each step says what stopped it. */
int main(int argc, char **argv)
{
    options o;
    run r = {0};
    if (!parse_args(argc, argv, &o) || !(r.sizes = parse_layers(o.layers, &r.n_sizes)))
        return 2;
    if (!parallel_begin(&r.par, &argc, &argv, o.devices, o.distributed, o.reduce,
                        o.check_replicas, &o.device)) {
        run_free(&r, false);
        return 2;
    }
    if (r.par.rank) /* rank 0 saves and writes the history */
        o.save = o.history = NULL;
    if (o.profile)
        setenv("NNACT_PROFILE", "1", 1);
    bool ok = run_open_context(&r, &o) && run_load_data(&r, &o) && run_make_model(&r, &o) &&
              run_upload(&r, &o) && run_open_history(&r, &o);
    if (ok)
        run_print_banner(&r, &o);
    ok = ok && run_train(&r, &o) && run_report(&r, &o);
    run_free(&r, ok);
    return ok ? 0 : 1;
}
