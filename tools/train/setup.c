/* nnact-train's set-up: the context (and a --load'ed model), the data set,
 * the model with its optimizer, loss and CLBlast tuning, and the tensors
 * on the device. */
#define _POSIX_C_SOURCE 200809L
#include "run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

/* The tuner's progress as a bar on a terminal, else a line per step. */
static void tune_progress(void *user, double fraction, const char *what)
{
    if (*(const int *)user) {
        const int width = 30, fill = (int)(fraction * width + 0.5);
        printf("\r\033[K  tuning [%.*s%*s] %3.0f%%  %.60s", fill,
               "==============================", width - fill, "", fraction * 100, what);
    } else {
        printf("  tuning: %s\n", what);
    }
    fflush(stdout);
}

/* --tune: auto tunes at the fast level only when the device has neither a
 * tuning file nor a shipped database entry (CLBlast's defaults are several
 * times slower on CPUs); the result is saved, so this happens once. */
static nnact_status maybe_tune(nnact_ctx *ctx, const char *how, int tty)
{
    nnact_tune_level level = !strcmp(how, "full") ? NNACT_TUNE_FULL
                           : !strcmp(how, "fast") ? NNACT_TUNE_FAST
                           : !strcmp(how, "off")  ? NNACT_TUNE_OFF
                           : nnact_ctx_tuning_source(ctx) == NNACT_TUNING_NONE ? NNACT_TUNE_FAST
                                                                              : NNACT_TUNE_OFF;
    if (level == NNACT_TUNE_OFF)
        return NNACT_OK;
    printf("Tuning CLBlast for '%s' at the %s level (once; saved for later runs; "
           "--tune off skips it)\n", nnact_ctx_device(ctx)->device_name,
           level == NNACT_TUNE_FAST ? "fast" : "full");
    fflush(stdout);
    double t0 = train_now();
    nnact_status st = nnact_tune(ctx, level, tune_progress, &tty);
    if (tty)
        printf("\r\033[K");
    if (st == NNACT_OK)
        printf("Tuned in %.1f s: %s\n", train_now() - t0, nnact_ctx_tuning(ctx));
    return st;
}

static bool out_of_memory(void)
{
    fprintf(stderr, "nnact-train: out of host memory\n");
    return false;
}

/* The context, and with --load the model: its own sizes, however many
 * layers the file holds; with no --epochs, the run only evaluates it. */
bool run_open_context(run *r, options *o)
{
    TOOL_TRY(nnact_ctx_create(&r->ctx, o->device), return false);
    if (!o->load)
        return true;
    TOOL_TRY(nnact_mlp_load(r->ctx, o->load, &r->mlp), return false);
    const size_t n = nnact_mlp_depth(r->mlp) + 1;
    size_t *sizes = malloc(n * sizeof *sizes);
    if (!sizes)
        return out_of_memory();
    for (size_t i = 0; i < n; i++)
        sizes[i] = nnact_mlp_size(r->mlp, i);
    free(r->sizes);
    r->sizes = sizes, r->n_sizes = n;
    if (!o->epochs_given)
        o->epochs = 0;
    return true;
}

/* The generated 3-class spiral: 2 features, the sizes 2,64,64,3 unless
 * --layers or --load gave others. */
static bool load_spiral(run *r, const options *o)
{
    static const size_t spiral_sizes[] = {2, 64, 64, 3};
    r->dsname = "spiral";
    if (!o->layers_given && !o->load) {
        size_t *sizes = malloc(sizeof spiral_sizes);
        if (!sizes)
            return out_of_memory();
        memcpy(sizes, spiral_sizes, sizeof spiral_sizes);
        free(r->sizes);
        r->sizes = sizes, r->n_sizes = 4;
    }
    if (r->sizes[0] != 2) {
        fprintf(stderr, "nnact-train: the spiral set has 2 features but the first "
                "layer takes %zu\n", r->sizes[0]);
        return false;
    }
    const size_t classes = r->sizes[r->n_sizes - 1];
    if (dataset_spiral(1000, classes, o->seed, &r->train) != NNACT_OK ||
        dataset_spiral(300, classes, o->seed + 1, &r->test) != NNACT_OK)
        return out_of_memory();
    return true;
}

/* Data: the given directory, else the default one, else the spiral. */
bool run_load_data(run *r, const options *o)
{
    const bool want_spiral = o->data && !strcmp(o->data, "spiral");
    if (want_spiral)
        return load_spiral(r, o);
    char err[1024];
    nnact_status st = dataset_load_idx(o->data ? o->data : DEFAULT_DATA, r->sizes[0],
                                       r->sizes[r->n_sizes - 1], &r->train, &r->test, err,
                                       sizeof err);
    if (st == NNACT_OK) {
        r->dsname = "fashion-mnist";
        return true;
    }
    if (o->data || strncmp(err, "no dataset", 10) != 0) {
        fprintf(stderr, "nnact-train: %s\n", err);
        return false;
    }
    printf("%s; training on the generated 3-class spiral set instead.\n", err);
    return load_spiral(r, o);
}

/* The model (unless loaded: o->act in the hidden layers, softmax last), its
 * storage, the optimizer and the loss, then CLBlast's tuning as --tune says. */
bool run_make_model(run *r, const options *o)
{
    if (!r->mlp) {
        const char **acts = malloc((r->n_sizes - 1) * sizeof *acts);
        if (!acts)
            return out_of_memory();
        for (size_t i = 0; i + 1 < r->n_sizes; i++)
            acts[i] = i + 2 == r->n_sizes ? "softmax" : o->act;
        nnact_status st = nnact_mlp_create(r->ctx, r->sizes, r->n_sizes, acts, o->seed,
                                           &r->mlp);
        free(acts); /* the model keeps the parsed activations, not the names */
        TOOL_TRY(st, return false);
    }
    if (o->storage && !strcmp(o->storage, "f16"))
        TOOL_TRY(nnact_mlp_set_storage(r->mlp, NNACT_F16), return false);
    TOOL_TRY(nnact_optim_from_name(o->optimizer, &r->opt), return false);
    if (o->lr > 0)
        r->opt.lr = o->lr;
    else if (r->opt.kind == NNACT_OPTIM_SGD)
        r->opt.lr = 0.05f;
    r->base_lr = r->opt.lr;
    TOOL_TRY(nnact_loss_from_name("sparse_cce", &r->loss), return false);
    r->tty = isatty(STDOUT_FILENO);
    TOOL_TRY(maybe_tune(r->ctx, o->tune, r->tty), return false);
    return true;
}

/* The batch tensors, the training set on the device (each step gathers its
 * batch there by the epoch's permutation), the test set, the loss sums. */
bool run_upload(run *r, const options *o)
{
    const size_t B = (size_t)o->batch, F = r->sizes[0], n = r->train.n;
    nnact_ctx *ctx = r->ctx;
    if (o->epochs > 0 && B > n) {
        fprintf(stderr, "nnact-train: --batch %zu is larger than the %zu training samples; "
                "use --batch %zu or less\n", B, n, n);
        return false;
    }
    /* The last, partial batch of an epoch trains too (as PyTorch's default
     * drop_last=False does): every sample is seen once per epoch. Its rows
     * are views of the first rows of the batch tensors. */
    const size_t part = n % B;
    TOOL_TRY(nnact_tensor_create(ctx, B, F, &r->xb), return false);
    TOOL_TRY(nnact_tensor_create(ctx, B, 1, &r->yb), return false);
    if (part && o->epochs > 0) {
        TOOL_TRY(nnact_tensor_wrap(ctx, nnact_tensor_buffer(r->xb), 0, part, F, &r->xpart),
                 return false);
        TOOL_TRY(nnact_tensor_wrap(ctx, nnact_tensor_buffer(r->yb), 0, part, 1, &r->ypart),
                 return false);
    }
    if (n && o->epochs > 0) {
        TOOL_TRY(nnact_tensor_create(ctx, n, F, &r->xtr), return false);
        TOOL_TRY(nnact_tensor_create(ctx, n, 1, &r->ytr), return false);
        TOOL_TRY(nnact_tensor_write(r->xtr, r->train.x), return false);
        TOOL_TRY(nnact_tensor_write(r->ytr, r->train.labels), return false);
    }
    TOOL_TRY(nnact_tensor_create(ctx, 1, NNACT_LOSS_SUMS, &r->sums), return false);
    TOOL_TRY(nnact_tensor_create(ctx, r->test.n, F, &r->xt), return false);
    TOOL_TRY(nnact_tensor_create(ctx, r->test.n, 1, &r->yt), return false);
    TOOL_TRY(nnact_tensor_write(r->xt, r->test.x), return false);
    TOOL_TRY(nnact_tensor_write(r->yt, r->test.labels), return false);
    if (!(r->perm = malloc((n ? n : 1) * sizeof *r->perm)))
        return out_of_memory();
    for (size_t i = 0; i < n; i++)
        r->perm[i] = i;
    r->rng = o->seed * 0x9E3779B97F4A7C15ull + 7;
    if (o->epochs > 0)
        TOOL_TRY(parallel_setup(&r->par, ctx, r->mlp, o->load, r->sizes, r->n_sizes, o->act,
                                o->seed, nnact_mlp_storage(r->mlp), r->xtr, r->ytr, r->sums,
                                &r->train, B), return false);
    return true;
}

/* --history: the CSV file and its header line. */
bool run_open_history(run *r, const options *o)
{
    if (!o->history)
        return true;
    if (!(r->hist = fopen(o->history, "w"))) {
        fprintf(stderr, "nnact-train: cannot write '%s': %s\n", o->history, strerror(errno));
        return false;
    }
    fprintf(r->hist, "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds\n");
    return true;
}

void run_print_banner(const run *r, const options *o)
{
    printf("Training %s", r->dsname);
    for (size_t i = 0; i < r->n_sizes; i++)
        printf("%s%zu", i ? "-" : " MLP ", r->sizes[i]);
    printf(" (%s, %s lr %g %s, batch %zu) on '%s': %zu train / %zu test samples\n",
           o->act, o->optimizer, (double)r->opt.lr, o->schedule, (size_t)o->batch,
           nnact_ctx_device(r->ctx)->device_name, r->train.n, r->test.n);
}
