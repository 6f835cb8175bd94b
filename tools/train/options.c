/* nnact-train's options: usage, and the parsers that name what is wrong
 * with a value (train_cli.sh holds them to it). */
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int parse_args(int argc, char **argv, options *o)
{
    *o = (options){.data = NULL, .layers = "784,256,128,10", .act = "relu",
                   .optimizer = "adam", .schedule = "cosine", .tune = "auto", .epochs = 10,
                   .batch = 128, .lr = -1, .seed = 42};
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

size_t *parse_layers(const char *s, size_t *n)
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
