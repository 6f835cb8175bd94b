/* nnact-bench: times every operation of the library on the selected device
 * (the harness, harness.c, says how), or with --accuracy scores every
 * activation against the long-double reference (bench_accuracy.c). This
 * file is the command line: the options, then each family in a fixed
 * order. Built only on the public API. */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef NNACT_BENCH_ONEDNN
#include "bench_onednn.h"
#endif
#include "bench_accuracy.h"
#include "tool.h"

/* A failed library call: nnact-bench stops (tool.h's TOOL_TRY, exit(1)). */
void tool_report(const char *call, nnact_status st)
{
    fprintf(stderr, "nnact-bench: %s: %s: %s\n", call, nnact_status_string(st),
            nnact_last_error());
}

/* What the options ask for beyond the bench's own fields. */
typedef struct cli {
    const char *ops, *selector, *gemm; /* --op, --device, --gemm (NULL: not given) */
    bool accuracy;
    size_t rows, cols;   /* --size: elementwise, prelu and optimizer tensors */
    size_t srows, scols; /* softmax and losses: --size when given, else 4096x1000 */
} cli;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: nnact-bench [--op LIST] [--size ROWSxCOLS] [--reps N] [--device SEL] [--json]\n"
        "  --op LIST     comma-separated groups or name prefixes: act, softmax, prelu,\n"
        "                dense, loss, optim, sgemm, overhead, startup, or e.g. relu,\n"
        "                sigmoid.bwd, loss.mse (default: all)\n"
        "  --size RxC    elementwise, prelu and optimizer tensors (default 4096x4096);\n"
        "                softmax and losses use RxC too when given, else 4096x1000\n"
        "  --gemm MxNxK[:TT]  an SGEMM shape instead of the MLP's (T/N for a and b)\n"
        "  --reps N      timed repetitions after 3 warm-up runs (default 20)\n"
        "  --json        one JSON object per measurement\n"
        "  --dtype f32|f16|f32,f16  storage of the activations and softmax (default\n"
        "                f32); with both, each F16 row also gives its time / F32's\n"
        "  --accuracy    instead of timing: every activation forward and backward on\n"
        "                inputs from 1e-38 to FLT_MAX, worst error in units of the\n"
        "                tests' bar (> 1 fails them); with --vs onednn oneDNN's too;\n"
        "                exits 1 if one of ours is outside its bar\n"
        "  --vs onednn   time oneDNN's eltwise/softmax primitive right after each\n"
        "                activation and report oneDNN's time / ours (built with\n"
        "                libdnnl-dev only; OMP_NUM_THREADS defaults to the CPUs online)\n"
        "Device times are from OpenCL profiling markers around each operation; each\n"
        "repetition first runs a float16 copy kernel whose bandwidth is reported\n"
        "beside it, and 'copy' is the operation's GB/s as a fraction of that copy's.\n");
}

/* Fills o and b's options from argv. Returns -1 to go on, else the exit
 * status: 0 after --help, 2 after a message for a bad option. */
static int parse_args(int argc, char **argv, cli *o, bench *b)
{
    *o = (cli){.rows = 4096, .cols = 4096, .srows = 4096, .scols = 1000};
    b->reps = 20;
    b->dtype_f32 = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) {
            b->json = true;
            continue;
        }
        if (!strcmp(a, "--accuracy")) {
            o->accuracy = true;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--op"))
            o->ops = v;
        else if (!strcmp(a, "--device"))
            o->selector = v;
        else if (!strcmp(a, "--gemm"))
            o->gemm = v;
        else if (!strcmp(a, "--vs")) {
            if (strcmp(v, "onednn")) {
                fprintf(stderr, "nnact-bench: --vs knows only 'onednn'\n");
                return 2;
            }
#ifndef NNACT_BENCH_ONEDNN
            fprintf(stderr, "nnact-bench: built without oneDNN (install libdnnl-dev and "
                            "reconfigure)\n");
            return 2;
#endif
            b->vs_onednn = true;
        }
        else if (!strcmp(a, "--reps"))
            b->reps = atoi(v) > 0 ? atoi(v) : 20;
        else if (!strcmp(a, "--dtype")) {
            b->dtype_f32 = strstr(v, "f32") != NULL;
            b->dtype_f16 = strstr(v, "f16") != NULL;
            if (!b->dtype_f32 && !b->dtype_f16) {
                fprintf(stderr, "nnact-bench: --dtype wants f32, f16 or f32,f16\n");
                return 2;
            }
        }
        else if (!strcmp(a, "--size")) {
            if (sscanf(v, "%zux%zu", &o->rows, &o->cols) != 2 || !o->rows || !o->cols) {
                fprintf(stderr, "nnact-bench: --size wants ROWSxCOLS, e.g. 4096x4096\n");
                return 2;
            }
            o->srows = o->rows, o->scols = o->cols;
        } else {
            fprintf(stderr, "nnact-bench: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    return -1;
}

/* oneDNN's OpenMP runtime reads its settings when it loads, before main:
 * set them and start again. Passive waiting, so that its idle threads do
 * not spin on the cores through our next kernel. Returns only on failure
 * (1), or when there is nothing to do (-1). */
static int restart_for_onednn(const bench *b, char **argv)
{
#ifdef NNACT_BENCH_ONEDNN
    if (b->vs_onednn && !getenv("NNACT_BENCH_OMP_SET")) {
        char cpus[16];
        snprintf(cpus, sizeof cpus, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
        setenv("OMP_NUM_THREADS", cpus, 0);
        setenv("OMP_WAIT_POLICY", "passive", 0);
        setenv("NNACT_BENCH_OMP_SET", "1", 1);
        execv("/proc/self/exe", argv);
        fprintf(stderr, "nnact-bench: cannot restart itself: %s\n", strerror(errno));
        return 1;
    }
#else
    (void)b, (void)argv;
#endif
    return -1;
}

/* What oneDNN is, for the headings; "" when it is not beside us. */
static const char *onednn_name(const bench *b)
{
#ifdef NNACT_BENCH_ONEDNN
    return b->vs_onednn ? onednn_describe() : "";
#else
    (void)b;
    return "";
#endif
}

/* bench_wanted() for bench_accuracy: arg is the --op list. */
static bool wanted_act(const char *name, void *ops) { return bench_wanted(ops, "act", name); }

/* --accuracy: exit status 1 when one of ours is outside its bar. */
static int run_accuracy(bench *b, const cli *o)
{
    if (!b->json)
        printf("nnact-bench on '%s' (%s)%s%s\n", b->device_name,
               nnact_ctx_device(b->ctx)->platform_name, b->vs_onednn ? " beside " : "",
               onednn_name(b));
    long out = bench_accuracy(b->ctx, wanted_act, (void *)o->ops, b->json, b->vs_onednn);
    return out ? 1 : 0;
}

/* The table's heading, or the JSON line naming oneDNN. */
static void print_heading(const bench *b)
{
    if (!b->json) {
        printf("nnact-bench on '%s' (%s), %d reps; times in ms\n", b->device_name,
               nnact_ctx_device(b->ctx)->platform_name, b->reps);
        if (b->vs_onednn)
            printf("beside %s; 'vs' = oneDNN's time / ours\n", onednn_name(b));
        printf("%-24s %-12s %9s %9s %9s %9s %8s %8s %6s%s\n", "op", "shape", "median", "min",
               "max", "wall", "GB/s", "copyGB/s", "copy",
               b->vs_onednn ? "  oneDNN ms      vs" : "");
    }
    if (b->json && b->vs_onednn)
        printf("{\"onednn\":\"%s\"}\n", onednn_name(b));
}

/* Every family the --op list selects, in the table's order. Returns the
 * exit status (2: --gemm does not parse, found when its turn comes). */
static int run_timings(bench *b, const cli *o)
{
    print_heading(b);
    if (b->timer_resolution == 0)
        bench_use_wall_clock(b, "the device reports a profiling timer resolution of 0");
    bench_elementwise(b, o->ops, o->rows, o->cols, false);
    /* softmax uses its own default shape unless --size was given */
    bench_elementwise(b, o->ops, o->srows, o->scols, true);
    bench_prelu(b, o->ops, o->rows, o->cols);
    bench_losses(b, o->ops, o->srows, o->scols);
    bench_optims(b, o->ops, o->rows, o->cols);
    bench_dense(b, o->ops);
    if (bench_gemm(b, o->ops, o->gemm))
        return 2;
    bench_overhead(b, o->ops);
    bench_startup(b, o->ops, o->selector);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--startup-child"))
        return bench_startup_child(argv[2][0] ? argv[2] : NULL);
    cli o;
    bench b = {0};
    int rc = parse_args(argc, argv, &o, &b);
    if (rc < 0)
        rc = restart_for_onednn(&b, argv);
    if (rc >= 0)
        return rc;
    bench_init(&b, o.selector);
    rc = o.accuracy ? run_accuracy(&b, &o) : run_timings(&b, &o);
    nnact_ctx_destroy(b.ctx);
    return rc;
}
