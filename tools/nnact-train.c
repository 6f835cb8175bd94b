/* nnact-train: trains an MLP end to end on the OpenCL device — by default
 * 784-256-128-10 ReLU/softmax with Adam on Fashion-MNIST from Debian's
 * dataset-fashion-mnist, or on the generated spiral set when no dataset is
 * found. The last line is a machine-readable summary. */
#define _POSIX_C_SOURCE 200809L
#include "dataset.h"
#include "tool.h"
#include "train_parallel.h"

#include <nnact.h>
#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_DATA "/usr/share/datasets/fashion-mnist"

typedef struct options {
    const char *data, *layers, *act, *optimizer, *device, *save, *load, *history, *schedule;
    const char *tune, *storage, *devices, *reduce;
    int epochs, batch, check_replicas, distributed;
    float lr;
    uint64_t seed;
    int epochs_given, layers_given, profile;
} options;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: nnact-train [options]\n"
        "  --data DIR|spiral   IDX files (train-/t10k-images-idx3-ubyte[.gz], labels);\n"
        "                      default " DEFAULT_DATA ", else the spiral set\n"
        "  --layers L0,L1,...  layer sizes (default 784,256,128,10; spiral 2,64,64,3)\n"
        "  --act NAME          hidden activation (default relu); the last is softmax\n"
        "  --epochs N          (default 10)   --batch N (default 128)\n"
        "  --lr X              learning rate (default 1e-3 for adam, 0.05 for sgd)\n"
        "  --optimizer adam|adamw|sgd|momentum|nesterov   (default adam)\n"
        "  --schedule cosine|constant  learning rate over the run (default cosine:\n"
        "                      lr * (1 + cos(pi * step / steps)) / 2)\n"
        "  --seed N            weights and shuffling (default 42)\n"
        "  --storage f32|f16   activations and their gradients stored as float32 (default)\n"
        "                      or half, with dynamic loss scaling; weights stay float32\n"
        "  --device SEL        device selector (overrides NNACT_DEVICE)\n"
        "  --devices SEL,SEL,...  data parallelism: one replica per device in this\n"
        "                      process; --batch stays the global batch, cut in order\n"
        "  --distributed       one replica per MPI rank (implied under mpirun); each\n"
        "                      rank takes the local-rank-th device; rank 0 prints\n"
        "  --reduce mpi|ordered  MPI's own sum (default) or rank order (bit-identical\n"
        "                      to --devices with as many replicas)\n"
        "  --check-replicas N  compare the replicas' parameters every N steps\n"
        "                      (default 0: after each epoch)\n"
        "  --save FILE         save the trained model\n"
        "  --load FILE         start from a saved model; with no --epochs, only evaluate\n"
        "  --history FILE.csv  per-epoch loss and accuracy\n"
        "  --tune auto|off|fast|full  CLBlast tuning before training (default auto:\n"
        "                      the fast level, ~30 s once, when the device has neither a\n"
        "                      tuning file nor an entry in the shipped database)\n"
        "  --profile           device time per kernel category vs wall time\n"
        "                      (training only; sets NNACT_PROFILE=1)\n");
}

/* A decimal integer in [0, max] and nothing else: no sign, no spaces, no
 * trailing text (strtoull alone takes "-5" as 2^64 - 5 and "abc" as 0). */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return 0;
    *out = v;
    return 1;
}

static int parse_int(const char *s, int *out)
{
    uint64_t v;
    if (!parse_u64(s, 1000000000, &v))
        return 0;
    *out = (int)v;
    return 1;
}

static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){.data = NULL, .layers = "784,256,128,10", .act = "relu",
                   .optimizer = "adam", .schedule = "cosine", .tune = "auto", .epochs = 10, .batch = 128, .lr = -1, .seed = 42};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(a, "--profile") || !strcmp(a, "--distributed")) {
            *(a[2] == 'p' ? &o->profile : &o->distributed) = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "nnact-train: %s needs a value (see --help)\n", a);
            return 0;
        }
        i++;
        int ok = 1;
        if (!strcmp(a, "--data")) o->data = v;
        else if (!strcmp(a, "--layers")) o->layers = v, o->layers_given = 1;
        else if (!strcmp(a, "--act")) o->act = v;
        else if (!strcmp(a, "--optimizer")) o->optimizer = v;
        else if (!strcmp(a, "--device")) o->device = v;
        else if (!strcmp(a, "--devices")) o->devices = v;
        else if (!strcmp(a, "--reduce")) {
            o->reduce = v;
            ok = !strcmp(v, "mpi") || !strcmp(v, "ordered");
        }
        else if (!strcmp(a, "--check-replicas")) ok = parse_int(v, &o->check_replicas);
        else if (!strcmp(a, "--save")) o->save = v;
        else if (!strcmp(a, "--load")) o->load = v;
        else if (!strcmp(a, "--history")) o->history = v;
        else if (!strcmp(a, "--storage")) {
            o->storage = v;
            ok = !strcmp(v, "f32") || !strcmp(v, "f16");
        }
        else if (!strcmp(a, "--tune")) {
            o->tune = v;
            ok = !strcmp(v, "auto") || !strcmp(v, "off") || !strcmp(v, "fast") ||
                 !strcmp(v, "full");
        }
        else if (!strcmp(a, "--schedule")) {
            o->schedule = v;
            ok = !strcmp(v, "cosine") || !strcmp(v, "constant");
        }
        else if (!strcmp(a, "--epochs")) ok = parse_int(v, &o->epochs), o->epochs_given = 1;
        else if (!strcmp(a, "--batch")) ok = parse_int(v, &o->batch) && o->batch > 0;
        else if (!strcmp(a, "--seed")) ok = parse_u64(v, UINT64_MAX, &o->seed);
        else if (!strcmp(a, "--lr")) {
            char *end;
            o->lr = strtof(v, &end);
            ok = !*end && isfinite(o->lr) && o->lr > 0;
        } else {
            fprintf(stderr, "nnact-train: unknown option '%s' (see --help)\n", a);
            return 0;
        }
        if (!ok) {
            fprintf(stderr, "nnact-train: bad value '%s' for %s (want %s)\n", v, a,
                    !strcmp(a, "--lr") ? "a finite number > 0" :
                    !strcmp(a, "--schedule") ? "cosine or constant" :
                    !strcmp(a, "--storage") ? "f32 or f16" :
                    !strcmp(a, "--reduce") ? "mpi or ordered" :
                    !strcmp(a, "--batch") ? "an integer >= 1" : "an integer >= 0");
            return 0;
        }
    }
    return 1;
}

/* --layers: comma-separated sizes, each an integer >= 1. Returns a malloc'd
 * array (its length in *n), or NULL after printing what is wrong. */
static size_t *parse_layers(const char *s, size_t *n)
{
    size_t cap = 1;
    for (const char *c = s; *c; c++)
        cap += *c == ',';
    size_t *sizes = malloc(cap * sizeof *sizes);
    if (!sizes) {
        fprintf(stderr, "nnact-train: out of host memory\n");
        return NULL;
    }
    const char *p = s;
    for (*n = 0; *n < cap; (*n)++) {
        size_t len = strcspn(p, ",");
        char item[32];
        uint64_t v = 0;
        snprintf(item, sizeof item, "%.*s", (int)(len < 31 ? len : 31), p);
        if (len > 20 || !parse_u64(item, SIZE_MAX, &v) || v == 0) {
            fprintf(stderr, "nnact-train: bad value '%s' for --layers: '%.*s' is not a "
                    "size >= 1 (want e.g. 784,256,128,10)\n", s, (int)len, p);
            free(sizes);
            return NULL;
        }
        sizes[*n] = (size_t)v;
        p += len + (p[len] == ',');
    }
    if (*n < 2) {
        fprintf(stderr, "nnact-train: bad value '%s' for --layers: want 2 or more sizes, "
                "e.g. 784,256,128,10\n", s);
        free(sizes);
        return NULL;
    }
    return sizes;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A failed library call: its status and message, then nnact-train stops. */
void tool_report(const char *call, nnact_status st)
{
    (void)call;
    fprintf(stderr, "nnact-train: %s: %s\n", nnact_status_string(st), nnact_last_error());
}

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
    double t0 = now();
    nnact_status st = nnact_tune(ctx, level, tune_progress, &tty);
    if (tty)
        printf("\r\033[K");
    if (st == NNACT_OK)
        printf("Tuned in %.1f s: %s\n", now() - t0, nnact_ctx_tuning(ctx));
    return st;
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
    double t0 = now();
    float l, a;
    nnact_status st = nnact_mlp_backprop(mlp, x, y, loss, &l, &a);
    if (st == NNACT_OK)
        printf("%.1f s\n", now() - t0);
    return st;
}

int main(int argc, char **argv)
{
    options o;
    if (!parse_args(argc, argv, &o))
        return 2;
    int rc = 1;
    nnact_ctx *ctx = NULL;
    nnact_mlp *mlp = NULL;
    dataset train = {0}, test = {0};
    nnact_tensor *xb = NULL, *yb = NULL, *xt = NULL, *yt = NULL, *xtr = NULL, *ytr = NULL,
                 *sums = NULL;
    size_t *perm = NULL, *sizes = NULL, n_sizes = 0;
    const char **acts = NULL;
    nnact_tensor *xpart = NULL, *ypart = NULL;
    FILE *hist = NULL;
    const char *dsname = "fashion-mnist";
    char err[1024];

    if (!(sizes = parse_layers(o.layers, &n_sizes)))
        return 2;
    parallel par;
    if (!parallel_begin(&par, &argc, &argv, o.devices, o.distributed, o.reduce,
                        o.check_replicas, &o.device)) {
        parallel_end(&par, true);
        free(sizes);
        return 2;
    }
    if (par.rank) /* rank 0 saves and writes the history */
        o.save = o.history = NULL;
    if (o.profile)
        setenv("NNACT_PROFILE", "1", 1);
    TOOL_TRY(nnact_ctx_create(&ctx, o.device), goto out);
    if (o.load) {
        TOOL_TRY(nnact_mlp_load(ctx, o.load, &mlp), goto out);
        /* The model's own sizes, however many layers the file holds. */
        n_sizes = nnact_mlp_depth(mlp) + 1;
        free(sizes);
        if (!(sizes = malloc(n_sizes * sizeof *sizes))) {
            fprintf(stderr, "nnact-train: out of host memory\n");
            goto out;
        }
        for (size_t i = 0; i < n_sizes; i++)
            sizes[i] = nnact_mlp_size(mlp, i);
        if (!o.epochs_given)
            o.epochs = 0;
    }

    /* Data: the given directory, else the default one, else the spiral. */
    const bool want_spiral = o.data && !strcmp(o.data, "spiral");
    const char *dir = o.data ? o.data : DEFAULT_DATA;
    nnact_status st = NNACT_ERR_IO;
    if (!want_spiral)
        st = dataset_load_idx(dir, sizes[0], sizes[n_sizes - 1], &train, &test, err,
                              sizeof err);
    if (st != NNACT_OK && !want_spiral && (o.data || strncmp(err, "no dataset", 10) != 0)) {
        fprintf(stderr, "nnact-train: %s\n", err);
        goto out;
    }
    if (st != NNACT_OK) {
        if (!want_spiral)
            printf("%s; training on the generated 3-class spiral set instead.\n", err);
        dsname = "spiral";
        if (!o.layers_given && !o.load) {
            static const size_t spiral_sizes[] = {2, 64, 64, 3};
            free(sizes);
            if (!(sizes = malloc(sizeof spiral_sizes))) {
                fprintf(stderr, "nnact-train: out of host memory\n");
                goto out;
            }
            n_sizes = 4;
            memcpy(sizes, spiral_sizes, sizeof spiral_sizes);
        }
        if (sizes[0] != 2) {
            fprintf(stderr, "nnact-train: the spiral set has 2 features but the first "
                    "layer takes %zu\n", sizes[0]);
            goto out;
        }
        if (dataset_spiral(1000, sizes[n_sizes - 1], o.seed, &train) != NNACT_OK ||
            dataset_spiral(300, sizes[n_sizes - 1], o.seed + 1, &test) != NNACT_OK) {
            fprintf(stderr, "nnact-train: out of host memory\n");
            goto out;
        }
    }

    if (!mlp) {
        if (!(acts = malloc((n_sizes - 1) * sizeof *acts))) {
            fprintf(stderr, "nnact-train: out of host memory\n");
            goto out;
        }
        for (size_t i = 0; i + 1 < n_sizes; i++)
            acts[i] = i + 2 == n_sizes ? "softmax" : o.act;
        TOOL_TRY(nnact_mlp_create(ctx, sizes, n_sizes, acts, o.seed, &mlp), goto out);
    }
    if (o.storage && !strcmp(o.storage, "f16"))
        TOOL_TRY(nnact_mlp_set_storage(mlp, NNACT_F16), goto out);
    nnact_optim opt;
    TOOL_TRY(nnact_optim_from_name(o.optimizer, &opt), goto out);
    if (o.lr > 0)
        opt.lr = o.lr;
    else if (opt.kind == NNACT_OPTIM_SGD)
        opt.lr = 0.05f;
    nnact_loss loss;
    TOOL_TRY(nnact_loss_from_name("sparse_cce", &loss), goto out);

    const int tty = isatty(STDOUT_FILENO);
    TOOL_TRY(maybe_tune(ctx, o.tune, tty), goto out);
    const size_t B = (size_t)o.batch, F = sizes[0];
    if (o.epochs > 0 && B > train.n) {
        fprintf(stderr, "nnact-train: --batch %zu is larger than the %zu training samples; "
                "use --batch %zu or less\n", B, train.n, train.n);
        goto out;
    }
    /* The last, partial batch of an epoch trains too (as PyTorch's default
     * drop_last=False does): every sample is seen once per epoch. Its rows
     * are views of the first rows of the batch tensors. */
    const size_t part = train.n % B;
    TOOL_TRY(nnact_tensor_create(ctx, B, F, &xb), goto out);
    TOOL_TRY(nnact_tensor_create(ctx, B, 1, &yb), goto out);
    if (part && o.epochs > 0) {
        TOOL_TRY(nnact_tensor_wrap(ctx, nnact_tensor_buffer(xb), 0, part, F, &xpart), goto out);
        TOOL_TRY(nnact_tensor_wrap(ctx, nnact_tensor_buffer(yb), 0, part, 1, &ypart), goto out);
    }
    /* The training set lives on the device; each step gathers its batch
     * there by the epoch's permutation. */
    if (train.n && o.epochs > 0) {
        TOOL_TRY(nnact_tensor_create(ctx, train.n, F, &xtr), goto out);
        TOOL_TRY(nnact_tensor_create(ctx, train.n, 1, &ytr), goto out);
        TOOL_TRY(nnact_tensor_write(xtr, train.x), goto out);
        TOOL_TRY(nnact_tensor_write(ytr, train.labels), goto out);
    }
    TOOL_TRY(nnact_tensor_create(ctx, 1, NNACT_LOSS_SUMS, &sums), goto out);
    if (o.epochs > 0)
        TOOL_TRY(parallel_setup(&par, ctx, mlp, o.load, sizes, n_sizes, acts, o.seed,
                                nnact_mlp_storage(mlp), xtr, ytr, sums, &train, B), goto out);
    TOOL_TRY(nnact_tensor_create(ctx, test.n, F, &xt), goto out);
    TOOL_TRY(nnact_tensor_create(ctx, test.n, 1, &yt), goto out);
    TOOL_TRY(nnact_tensor_write(xt, test.x), goto out);
    TOOL_TRY(nnact_tensor_write(yt, test.labels), goto out);
    perm = malloc((train.n ? train.n : 1) * sizeof *perm);
    if (!perm) {
        fprintf(stderr, "nnact-train: out of host memory\n");
        goto out;
    }
    if (o.history && !(hist = fopen(o.history, "w"))) {
        fprintf(stderr, "nnact-train: cannot write '%s': %s\n", o.history, strerror(errno));
        goto out;
    }
    if (hist)
        fprintf(hist, "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds\n");

    const nnact_device_info *dev = nnact_ctx_device(ctx);
    printf("Training %s", dsname);
    for (size_t i = 0; i < n_sizes; i++)
        printf("%s%zu", i ? "-" : " MLP ", sizes[i]);
    printf(" (%s, %s lr %g %s, batch %zu) on '%s': %zu train / %zu test samples\n",
           o.act, o.optimizer, (double)opt.lr, o.schedule, B, dev->device_name, train.n,
           test.n);

    const float base_lr = opt.lr;
    const bool cosine = !strcmp(o.schedule, "cosine");
    const double total_steps = (double)o.epochs * (double)((train.n + B - 1) / B);
    uint64_t step = 0;
    uint64_t rng = o.seed * 0x9E3779B97F4A7C15ull + 7;
    double train_seconds = 0, last_loss = 0, test_loss = 0;
    float test_acc = 0;
    for (size_t i = 0; i < train.n; i++)
        perm[i] = i;
    /* --profile: device seconds per category over the training phases */
    enum { PROF_MAX = 16 };
    nnact_profile_entry prof_before[PROF_MAX], prof_after[PROF_MAX];
    double prof_train[PROF_MAX] = {0};
    const char *prof_names[PROF_MAX] = {0};
    size_t prof_n = 0;
    for (int e = 1; e <= o.epochs; e++) {
        for (size_t i = train.n; i > 1; i--) { /* Fisher-Yates, seeded */
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            size_t j = (size_t)(rng % i), t = perm[i - 1];
            perm[i - 1] = perm[j], perm[j] = t;
        }
        size_t nb = o.profile ? nnact_ctx_profile(ctx, prof_before, PROF_MAX) : 0;
        if (e == 1 && train.n >= B) {
            TOOL_TRY(nnact_tensor_gather_rows(xb, xtr, perm), goto out);
            TOOL_TRY(nnact_tensor_gather_rows(yb, ytr, perm), goto out);
            TOOL_TRY(parallel_active(&par) ? parallel_warm_up(&par, perm, B, &loss)
                                           : warm_up(mlp, xb, yb, &loss), goto out);
        }
        double t0 = now();
        float train_loss = 0, train_acc = 0;
        size_t seen = 0;
        TOOL_TRY(nnact_tensor_fill(sums, 0.0f), goto out);
        TOOL_TRY(parallel_zero_sums(&par), goto out);
        for (size_t start = 0; start < train.n; start += B) {
            const size_t rows = train.n - start < B ? train.n - start : B;
            nnact_tensor *x = rows == B ? xb : xpart, *y = rows == B ? yb : ypart;
            if (cosine)
                opt.lr = (float)(base_lr * 0.5 * (1.0 + cos(3.14159265358979 *
                                                          (double)step / total_steps)));
            step++;
            /* loss and accuracy add up on the device: no wait per step; the
             * sums are read every 64 steps (16 on a terminal, for the bar)
             * to stop a diverging run early, and after the last */
            if (parallel_active(&par)) { /* each replica gathers its own shard */
                TOOL_TRY(parallel_step(&par, perm + start, rows, &loss, &opt), goto out);
            } else {
                TOOL_TRY(nnact_tensor_gather_rows(x, xtr, perm + start), goto out);
                TOOL_TRY(nnact_tensor_gather_rows(y, ytr, perm + start), goto out);
                TOOL_TRY(nnact_mlp_train_step_accumulate(mlp, x, y, &loss, &opt, sums),
                         goto out);
            }
            seen += rows;
            const size_t done = start / B + 1;
            if (seen == train.n)
                TOOL_TRY(parallel_epoch_end(&par), goto out);
            if (done % (tty ? 16 : 64) == 0 || seen == train.n) {
                TOOL_TRY(nnact_loss_sums_read(sums, &train_loss, &train_acc), goto out);
                if (!isfinite(train_loss)) { /* the weights are lost too: save nothing */
                    if (tty)
                        printf("\r\033[K");
                    fflush(stdout);
                    fprintf(stderr, "nnact-train: training diverged in epoch %d by step %llu: "
                            "the loss is %g; try a smaller --lr (it was %g)\n", e,
                            (unsigned long long)step, (double)train_loss, (double)base_lr);
                    goto out;
                }
                if (tty)
                    progress(e, o.epochs, seen, train.n, (double)seen / (now() - t0),
                             train_loss);
            }
        }
        if (o.profile) {
            size_t na = nnact_ctx_profile(ctx, prof_after, PROF_MAX);
            for (size_t i = 0; i < na && i < PROF_MAX; i++) {
                double before = 0;
                for (size_t j = 0; j < nb && j < PROF_MAX; j++)
                    if (!strcmp(prof_before[j].name, prof_after[i].name))
                        before = prof_before[j].seconds;
                size_t k = 0;
                while (k < prof_n && strcmp(prof_names[k], prof_after[i].name))
                    k++;
                if (k == prof_n && prof_n < PROF_MAX)
                    prof_names[prof_n++] = prof_after[i].name;
                if (k < PROF_MAX)
                    prof_train[k] += prof_after[i].seconds - before;
            }
        }
        double secs = now() - t0;
        train_seconds += secs;
        float tl;
        TOOL_TRY(nnact_mlp_evaluate(mlp, xt, yt, &loss, &tl, &test_acc), goto out);
        if (!finite_eval(tl, e))
            goto out;
        test_loss = tl;
        last_loss = train_loss;
        if (tty)
            printf("\r\033[K");
        printf("epoch %2d/%d  train loss %.4f  train acc %.4f  test acc %.4f  "
               "%.0f samples/s  %.2f s", e, o.epochs, last_loss, (double)train_acc,
               (double)test_acc,
               (double)seen / secs, secs);
        parallel_print_epoch(&par, secs, (train.n + B - 1) / B);
        printf("\n");
        if (hist)
            fprintf(hist, "%d,%.6f,%.6f,%.6f,%.6f,%.3f\n", e, last_loss, (double)train_acc,
                    test_loss, (double)test_acc, secs);
        fflush(stdout);
    }
    if (o.epochs == 0) {
        float tl;
        TOOL_TRY(nnact_mlp_evaluate(mlp, xt, yt, &loss, &tl, &test_acc), goto out);
        if (!finite_eval(tl, 0))
            goto out;
        test_loss = tl;
        printf("evaluation: test loss %.4f  test acc %.4f\n", test_loss, (double)test_acc);
    }
    if (o.profile && o.epochs) {
        double dev = 0;
        printf("\nProfile of the training phases (%d epochs, %.2f s wall):\n", o.epochs,
               train_seconds);
        const char *clock = nnact_ctx_profile_clock(ctx);
        if (clock)
            printf("  (times from the %s)\n", clock);
        for (size_t k = 0; k < prof_n; k++) {
            printf("  %-28s %8.3f s  %5.1f %%\n", prof_names[k], prof_train[k],
                   100.0 * prof_train[k] / train_seconds);
            dev += prof_train[k];
        }
        printf("  %-28s %8.3f s  %5.1f %%\n", "host and idle (the rest)",
               train_seconds - dev, 100.0 * (train_seconds - dev) / train_seconds);
    }
    if (o.save) {
        TOOL_TRY(nnact_mlp_save(mlp, o.save), goto out);
        printf("saved the model to '%s'\n", o.save);
    }
    printf("Summary: %s, %d epochs, test accuracy %.4f, %.2f s per epoch, device '%s' (%s)\n",
           dsname, o.epochs, (double)test_acc,
           o.epochs ? train_seconds / o.epochs : 0.0, dev->device_name, dev->platform_name);
    printf("result: dataset=%s epochs=%d test_accuracy=%.4f train_loss=%.4f "
           "seconds_per_epoch=%.2f device=\"%s\"", dsname, o.epochs, (double)test_acc,
           last_loss, o.epochs ? train_seconds / o.epochs : 0.0, dev->device_name);
    parallel_print_result(&par, train_seconds, step, B, nnact_mlp_param_count(mlp));
    printf("\n");
    rc = 0;
out:
    parallel_end(&par, rc != 0); /* under MPI a failure stops every rank */
    if (hist)
        fclose(hist);
    free(perm), free(sizes), free(acts);
    nnact_tensor_destroy(xpart), nnact_tensor_destroy(ypart);
    nnact_tensor_destroy(xb), nnact_tensor_destroy(yb);
    nnact_tensor_destroy(xtr), nnact_tensor_destroy(ytr), nnact_tensor_destroy(sums);
    nnact_tensor_destroy(xt), nnact_tensor_destroy(yt);
    dataset_free(&train), dataset_free(&test);
    nnact_mlp_destroy(mlp);
    nnact_ctx_destroy(ctx);
    return rc;
}
