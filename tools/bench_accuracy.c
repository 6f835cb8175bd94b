/* nnact-bench --accuracy: see bench_accuracy.h. */
#include "bench_accuracy.h"

#include "tool.h"
#include "reference.h"
#ifdef NNACT_BENCH_ONEDNN
#include "bench_onednn.h"
#endif

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The suites' edge values, every power of 10^(1/64) from 1e-38 to 3e38 of
 * both signs (the tails at every scale) and [-20, 20] in steps of 2^-9
 * (the body, the kinks at -3, 0, 3, 6). */
static float *make_grid(size_t *n_out)
{
    static const float edges[] = {0.0f, 1e-45f, 1e-40f, FLT_MIN, 1e-30f, 88.7f, 1e4f, 1e30f,
                                  FLT_MAX, INFINITY};
    const size_t n_edges = sizeof edges / sizeof edges[0];
    const int lo = -38 * 64, hi = 38 * 64 + 33;
    const size_t cap = 2 * n_edges + 2 * (size_t)(hi - lo) + 20481;
    float *x = malloc(cap * sizeof *x);
    size_t n = 0;
    for (size_t i = 0; i < n_edges; i++)
        x[n++] = edges[i], x[n++] = -edges[i];
    for (int e = lo; e < hi; e++) {
        float v = (float)powl(10.0L, e / 64.0L);
        if (isfinite(v))
            x[n++] = v, x[n++] = -v;
    }
    for (int i = -10240; i <= 10240; i++)
        x[n++] = (float)i / 512.0f;
    *n_out = n;
    return x;
}

/* How one implementation did: the count outside the bar (every input), and
 * over finite inputs the worst |got - ref| / bar (inf where a finite
 * reference got a non-finite output or the reverse) and the input there,
 * so that a wrong answer at x = +-inf does not hide the size of the others. */
typedef struct { double worst; float worst_x; long out; } score;

static void score_point(score *s, float x, float got, long double ref, long double tol)
{
    double r;
    if (tol == REF_NAN_OR_ZERO)
        r = (got == 0.0f || isnan(got)) ? 0.0 : INFINITY;
    else if (ref_matches(got, ref, tol))
        r = isfinite(got) && tol > 0 ? (double)(fabsl((long double)got - ref) / tol) : 0.0;
    else
        r = isfinite(got) && isfinite(ref) && tol > 0
                ? (double)(fabsl((long double)got - ref) / tol) : INFINITY;
    if (r > 1.0)
        s->out++;
    if (isfinite(x) && r > s->worst) {
        s->worst = r;
        s->worst_x = x;
    }
}

static void print_row(const char *name, bool json, const score *ours, const score *theirs,
                      const char *none)
{
    if (json) {
        printf("{\"op\":\"%s\",\"accuracy\":{\"worst_per_bar\":%.4g,\"worst_x\":%.9g,"
               "\"outside_bar\":%ld}",
               name, isfinite(ours->worst) ? ours->worst : 1e300, (double)ours->worst_x,
               ours->out);
        if (theirs)
            printf(",\"onednn\":{\"worst_per_bar\":%.4g,\"worst_x\":%.9g,\"outside_bar\":%ld}",
                   isfinite(theirs->worst) ? theirs->worst : 1e300, (double)theirs->worst_x,
                   theirs->out);
        else if (none)
            printf(",\"onednn\":null");
        printf("}\n");
        return;
    }
    printf("%-16s %10.3g %12.6g %8ld", name, ours->worst, (double)ours->worst_x, ours->out);
    if (theirs)
        printf("   %10.3g %12.6g %8ld", theirs->worst, (double)theirs->worst_x, theirs->out);
    else if (none)
        printf("   %s", none);
    printf("\n");
}

/* Our forward (bwd false) or backward on x with dy = 1 and y the correctly
 * rounded forward value (what sigmoid and tanh read). */
static void run_ours(nnact_ctx *ctx, const nnact_act *act, bool bwd, const float *x,
                     const float *y, const float *dy, size_t n, float *out)
{
    nnact_tensor *tx, *ty, *tg, *to;
    TOOL_TRY(nnact_tensor_create(ctx, 1, n, &tx), exit(1));
    TOOL_TRY(nnact_tensor_create(ctx, 1, n, &ty), exit(1));
    TOOL_TRY(nnact_tensor_create(ctx, 1, n, &tg), exit(1));
    TOOL_TRY(nnact_tensor_create(ctx, 1, n, &to), exit(1));
    TOOL_TRY(nnact_tensor_write(tx, x), exit(1));
    TOOL_TRY(nnact_tensor_write(ty, y), exit(1));
    TOOL_TRY(nnact_tensor_write(tg, dy), exit(1));
    if (bwd)
        TOOL_TRY(nnact_act_backward(ctx, act, tx, ty, tg, to), exit(1));
    else
        TOOL_TRY(nnact_act_forward(ctx, act, tx, to), exit(1));
    TOOL_TRY(nnact_tensor_read(to, out), exit(1));
    nnact_tensor_destroy(tx), nnact_tensor_destroy(ty);
    nnact_tensor_destroy(tg), nnact_tensor_destroy(to);
}

/* oneDNN's src-based primitive on the same inputs; false (and *why) if it
 * has none. */
static bool run_onednn(const char *an, const nnact_act *act, bool bwd, const float *x,
                       const float *dy, size_t n, float *out, const char **why)
{
#ifdef NNACT_BENCH_ONEDNN
    onednn_op *op = onednn_eltwise(an, act->alpha, act->beta, bwd, n, x, dy, why);
    if (!op)
        return false;
    onednn_run(op, 0);
    memcpy(out, onednn_output(op, 0), n * sizeof *out);
    onednn_free(op);
    return true;
#else
    (void)an, (void)act, (void)bwd, (void)x, (void)dy, (void)n, (void)out;
    *why = "built without oneDNN";
    return false;
#endif
}

long bench_accuracy(nnact_ctx *ctx, bool (*want)(const char *name, void *arg), void *arg,
                    bool json, bool vs_onednn)
{
    size_t n;
    float *x = make_grid(&n);
    float *y = malloc(n * sizeof *y), *dy = malloc(n * sizeof *dy);
    float *got = malloc(n * sizeof *got), *theirs = malloc(n * sizeof *theirs);
    long ours_out = 0;
    for (size_t i = 0; i < n; i++)
        dy[i] = 1.0f;
    if (!json) {
        printf("accuracy on %zu inputs (edges, 10^(k/64) for |x| in [1e-38, FLT_MAX], [-20, 20] "
               "by 2^-9), dy = 1;\nscore = |got - ref| / bar against the tests' long-double "
               "reference (> 1: outside the bar, inf: non-finite or missing)\n", n);
        printf("%-16s %10s %12s %8s%s\n", "op", "ours worst", "at x", "outside",
               vs_onednn ? "   oneDNN worst         at x  outside" : "");
        printf("%-16s %10s %12s %8s%s\n", "", "(finite x)", "", "the bar",
               vs_onednn ? "     (finite x)               the bar" : "");
    }
    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        if (k == NNACT_ACT_SOFTMAX || k == NNACT_ACT_LOG_SOFTMAX)
            continue;
        const char *an = nnact_act_name((nnact_act_kind)k);
        nnact_act act;
        TOOL_TRY(nnact_act_from_name(an, &act), exit(1));
        for (size_t i = 0; i < n; i++)
            y[i] = (float)ref_act_forward(&act, x[i]);
        for (int bwd = 0; bwd < 2; bwd++) {
            char name[64];
            snprintf(name, sizeof name, "%s.%s", an, bwd ? "bwd" : "fwd");
            if (!want(name, arg))
                continue;
            run_ours(ctx, &act, bwd, x, y, dy, n, got);
            const char *why = NULL;
            bool have = vs_onednn && run_onednn(an, &act, bwd, x, dy, n, theirs, &why);
            score s = {0, 0, 0}, t = {0, 0, 0};
            for (size_t i = 0; i < n; i++) {
                long double ref = bwd ? ref_act_backward(&act, x[i], y[i], dy[i])
                                      : ref_act_forward(&act, x[i]);
                long double tol = bwd ? ref_act_backward_tol(&act, x[i], y[i], dy[i])
                                      : ref_act_forward_tol(&act, x[i]);
                score_point(&s, x[i], got[i], ref, tol);
                if (have)
                    score_point(&t, x[i], theirs[i], ref, tol);
            }
            ours_out += s.out;
            print_row(name, json, &s, have ? &t : NULL, vs_onednn && !have ? why : NULL);
        }
    }
    free(x), free(y), free(dy), free(got), free(theirs);
    return ours_out;
}
