#define _POSIX_C_SOURCE 200809L
/* nnact_tune: searches CLBlast SGEMM parameters for the context's device.
 * Each candidate Xgemm set is applied through CLBlastOverrideParameters,
 * validated against a double-precision host product on every shape it will
 * serve (some sets compute wrong results on pocl) and timed inside the real
 * SGEMM on the Fashion-MNIST MLP's products. Every distinct set is a new
 * CLBlast program, which pocl compiles for 3-8 s, so the fast level tries
 * only proven sets (the shipped database's, whatever their class) inside a
 * time budget, and among sets within 3 % of the fastest the one that
 * compiled fastest wins: users pay that compile once on their first run. */
#include "internal.h"

#include <clblast_c.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAST_BUDGET_S 30.0
#define NEAR_BEST 1.03
#define MAX_CANDIDATES 160
#define CAND_LEN 320

typedef struct shape {
    size_t m, n, k;
    int ta, tb;
    double weight; /* share of a training step; 0: validation only */
    nnact_tensor *a, *b, *c;
    double *ref, *mag; /* host product and sum |a||b| per element */
} shape;

/* The Fashion-MNIST MLP's products at batch 128 (forward x.W, dW = x^T.g,
 * dx = g.W^T), plus odd sizes that only validate. */
static const shape shape_list[] = {
    {128, 256, 784, 0, 0, 1, 0, 0, 0, 0, 0}, {128, 128, 256, 0, 0, 1, 0, 0, 0, 0, 0},
    {128, 10, 128, 0, 0, 1, 0, 0, 0, 0, 0},  {784, 256, 128, 1, 0, 1, 0, 0, 0, 0, 0},
    {256, 128, 128, 1, 0, 1, 0, 0, 0, 0, 0}, {128, 10, 128, 1, 0, 1, 0, 0, 0, 0, 0},
    {128, 784, 256, 0, 1, 0, 0, 0, 0, 0, 0}, {128, 256, 128, 0, 1, 1, 0, 0, 0, 0, 0},
    {128, 128, 10, 0, 1, 1, 0, 0, 0, 0, 0},  {7, 129, 1000, 0, 0, 0, 0, 0, 0, 0, 0},
    {129, 7, 1, 1, 1, 0, 0, 0, 0, 0, 0},     {1000, 1, 7, 0, 1, 0, 0, 0, 0, 0, 0},
};
#define NSHAPES (sizeof shape_list / sizeof shape_list[0])

typedef struct tuner {
    nnact_ctx *ctx;
    shape sh[NSHAPES];
    float *host; /* scratch for results */
    nnact_tune_progress progress;
    void *user;
    double t_start, budget; /* budget 0: none */
} tuner;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void report(tuner *t, double fraction, const char *fmt, ...)
{
    if (!t->progress)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    t->progress(t->user, fraction < 0 ? 0 : fraction > 1 ? 1 : fraction, msg);
}

static void fill(float *h, size_t n, unsigned seed)
{
    unsigned s = seed * 2654435761u + 7;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        h[i] = (float)(s >> 8) / 8388608.0f - 1.0f;
    }
}

/* The product in double with the magnitude sum |a||b| per element, which
 * bounds float rounding whatever the summation order. */
static void host_product(const shape *s, const float *a, size_t lda, const float *b,
                         size_t ldb, double *ref, double *mag)
{
    for (size_t i = 0; i < s->m; i++)
        for (size_t j = 0; j < s->n; j++) {
            double acc = 0, abs_acc = 0;
            for (size_t p = 0; p < s->k; p++) {
                double x = s->ta ? a[p * lda + i] : a[i * lda + p];
                double y = s->tb ? b[j * ldb + p] : b[p * ldb + j];
                acc += x * y, abs_acc += fabs(x * y);
            }
            ref[i * s->n + j] = acc, mag[i * s->n + j] = abs_acc;
        }
}

static nnact_status setup_shape(nnact_ctx *ctx, shape *s)
{
    size_t ar = s->ta ? s->k : s->m, ac = s->ta ? s->m : s->k;
    size_t br = s->tb ? s->n : s->k, bc = s->tb ? s->k : s->n;
    float *a = malloc(ar * ac * sizeof *a), *b = malloc(br * bc * sizeof *b);
    s->ref = malloc(s->m * s->n * sizeof *s->ref);
    s->mag = malloc(s->m * s->n * sizeof *s->mag);
    nnact_status st = NNACT_OK;
    if (!a || !b || !s->ref || !s->mag)
        st = nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "nnact_tune: out of host memory");
    if (st == NNACT_OK) {
        fill(a, ar * ac, 1), fill(b, br * bc, 2);
        host_product(s, a, ac, b, bc, s->ref, s->mag);
        if ((st = nnact_tensor_create(ctx, ar, ac, &s->a)) == NNACT_OK &&
            (st = nnact_tensor_create(ctx, br, bc, &s->b)) == NNACT_OK &&
            (st = nnact_tensor_create(ctx, s->m, s->n, &s->c)) == NNACT_OK &&
            (st = nnact_tensor_write(s->a, a)) == NNACT_OK)
            st = nnact_tensor_write(s->b, b);
    }
    free(a), free(b);
    return st;
}

static nnact_status run(tuner *t, shape *s)
{
    return nnact_gemm(t->ctx, s->ta ? NNACT_TRANS : NNACT_NO_TRANS,
                      s->tb ? NNACT_TRANS : NNACT_NO_TRANS, 1.0f, s->a, s->b, 0.0f, s->c);
}

/* Runs the product once on a NaN-poisoned output and checks it; false on a
 * wrong result or a failed call (why says which). */
static bool validate(tuner *t, shape *s, char *why, size_t cap)
{
    size_t n = s->m * s->n;
    for (size_t i = 0; i < n; i++)
        t->host[i] = NAN;
    if (nnact_tensor_write(s->c, t->host) || run(t, s) || nnact_tensor_read(s->c, t->host)) {
        snprintf(why, cap, "%s", nnact_last_error());
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)t->host[i] - s->ref[i]) <= 1e-5 * s->mag[i] + 1e-30)) {
            snprintf(why, cap, "%zux%zux%zu %c%c: element %zu is %g, want %g", s->m, s->n,
                     s->k, s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', i, (double)t->host[i],
                     s->ref[i]);
            return false;
        }
    return true;
}

/* Best of reps timed calls, each waited for. */
static double time_shape(tuner *t, shape *s, int reps)
{
    double best = INFINITY;
    for (int r = 0; r < reps; r++) {
        nnact_ctx_finish(t->ctx);
        double t0 = now();
        if (run(t, s) || nnact_ctx_finish(t->ctx))
            return INFINITY;
        double dt = now() - t0;
        best = dt < best ? dt : best;
    }
    return best;
}

static int param(const char *set, const char *name)
{
    char key[24];
    snprintf(key, sizeof key, " %s=", name);
    const char *p = strstr(set, key);
    return p ? atoi(p + strlen(key)) : -1;
}

/* Sets known to compute wrong results, which on a CPU device can also write
 * past their buffers into host memory (seen: heap corruption on pocl), so
 * they are never run: GEMMK=1 with MWG != NWG before CLBlast 1.6.3. */
static bool known_bad(const char *params)
{
    bool fixed = CLBLAST_VERSION_MAJOR * 10000 + CLBLAST_VERSION_MINOR * 100 +
                 CLBLAST_VERSION_PATCH >= 10603;
    return !fixed && param(params, "GEMMK") == 1 && param(params, "MWG") != param(params, "NWG");
}

/* Applies params and measures them: compile is the first call's seconds,
 * the result the weighted time of a training step's products; INFINITY when
 * CLBlast refuses the set or any shape computes a wrong result. */
static double try_params(tuner *t, const char *params, int reps, double *compile, char *why,
                         size_t cap)
{
    *compile = 0;
    if (known_bad(params)) {
        snprintf(why, cap, "rejected: GEMMK=1 with MWG != NWG computes wrong results in "
                 "CLBlast before 1.6.3");
        return INFINITY;
    }
    if (nnact_clblast_override(t->ctx, params)) {
        snprintf(why, cap, "rejected by CLBlast: %s", nnact_last_error());
        return INFINITY;
    }
    double t0 = now();
    bool ok = validate(t, &t->sh[0], why, cap);
    *compile = now() - t0;
    for (size_t i = 1; i < NSHAPES && ok; i++)
        ok = validate(t, &t->sh[i], why, cap);
    if (!ok)
        return INFINITY;
    double score = 0;
    for (size_t i = 0; i < NSHAPES; i++)
        if (t->sh[i].weight > 0)
            score += t->sh[i].weight * time_shape(t, &t->sh[i], reps);
    return score;
}

/* Adds params unless already there. */
static void add(char (*cand)[CAND_LEN], size_t *n, const char *params)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(cand[i], params))
            return;
    if (*n < MAX_CANDIDATES)
        snprintf(cand[(*n)++], CAND_LEN, "%s", params);
}

/* The Xgemm entry of a parameter text ("Xgemm ..." up to ';' or newline). */
static bool xgemm_entry(const char *text, char *out, size_t cap)
{
    const char *p = strstr(text, "Xgemm ");
    while (p && p != text && !strchr("; \t\n", p[-1]))
        p = strstr(p + 1, "Xgemm ");
    if (!p)
        return false;
    size_t len = strcspn(p, ";\n");
    snprintf(out, cap, "%.*s", (int)len, p);
    return true;
}

/* The Xgemm sets of the database (every class: each was validated on some
 * device, and neighbouring CPU generations share good shapes). */
static void database_sets(char (*cand)[CAND_LEN], size_t *n)
{
    char *owned, origin[2100];
    const char *text = nnact_tuning_database(&owned, origin, sizeof origin);
    char *db = text ? strdup(text) : NULL, *save = NULL;
    free(owned);
    for (char *line = db ? strtok_r(db, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char x[CAND_LEN];
        if (*line != '#' && xgemm_entry(line, x, sizeof x))
            add(cand, n, x);
    }
    free(db);
}

static void xgemm_set(char *out, int W, int MD, int ND, int VM, int VN, int KR)
{
    snprintf(out, CAND_LEN, "Xgemm GEMMK=1 MWG=%d NWG=%d MDIMC=%d NDIMC=%d MDIMA=%d "
             "NDIMB=%d VWM=%d VWN=%d KREG=%d KWG=1 KWI=1 SA=0 SB=0 STRM=0 STRN=0",
             W, W, MD, ND, MD, ND, VM, VN, KR);
}

/* The wide search: register-tiled GEMMK=1 sets (no local memory, which CPU
 * devices emulate slowly) over tile, thread and vector shapes, plus two
 * GEMMK=0 sets. GEMMK=1 sets keep MWG == NWG: CLBlast 1.5.3 computes
 * garbage otherwise (fixed upstream in 1.6.3). */
static void grid_sets(char (*cand)[CAND_LEN], size_t *n, bool fast)
{
    static const int wg[] = {64, 128}, mdim[] = {4, 8}, ndim[] = {8, 16}, vwm[] = {4, 8},
                     vwn[] = {1, 2}, kreg[] = {2, 4};
    char x[CAND_LEN];
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 2; c++)
                for (int d = 0; d < 2; d++)
                    for (int e = 0; e < 2; e++)
                        for (int f = 0; f < 2; f++) {
                            if (wg[a] % (mdim[b] * vwm[d]) || wg[a] % (ndim[c] * vwn[e]))
                                continue;
                            /* fast: the large-tile, wide-vector corner (best on
                             * AVX2 and AVX-512 pocl devices measured so far) */
                            if (fast && !(wg[a] == 128 && vwn[e] == 2 && vwm[d] == 8))
                                continue;
                            xgemm_set(x, wg[a], mdim[b], ndim[c], vwm[d], vwn[e], kreg[f]);
                            add(cand, n, x);
                        }
    if (fast)
        return;
    add(cand, n, "Xgemm GEMMK=0 MWG=64 NWG=64 KWG=16 MDIMC=8 NDIMC=8 MDIMA=8 NDIMB=8 KWI=2 "
                 "VWM=4 VWN=4 STRM=0 STRN=0 SA=0 SB=0 KREG=1");
    add(cand, n, "Xgemm GEMMK=0 MWG=128 NWG=64 KWG=16 MDIMC=16 NDIMC=8 MDIMA=16 NDIMB=8 "
                 "KWI=2 VWM=8 VWN=8 STRM=0 STRN=0 SA=0 SB=0 KREG=1");
}


/* Sets one step away from a GEMMK=1 winner (each of tile, threads, vector
 * widths and KREG halved or doubled), so the search refines around it. */
static void neighbour_sets(const char *best, char (*cand)[CAND_LEN], size_t *n)
{
    if (param(best, "GEMMK") != 1)
        return;
    int v[6] = {param(best, "MWG"), param(best, "MDIMC"), param(best, "NDIMC"),
                param(best, "VWM"), param(best, "VWN"), param(best, "KREG")};
    for (int i = 0; i < 6; i++)
        for (int f = 0; f < 2; f++) {
            int w[6];
            memcpy(w, v, sizeof w);
            w[i] = f ? w[i] * 2 : w[i] / 2;
            if (w[i] < 1 || w[0] > 256 || w[3] > 16 || w[4] > 16 || w[5] > 16 ||
                w[0] % (w[1] * w[3]) || w[0] % (w[2] * w[4]))
                continue;
            char x[CAND_LEN];
            xgemm_set(x, w[0], w[1], w[2], w[3], w[4], w[5]);
            add(cand, n, x);
        }
}

typedef struct result {
    double score, compile;
} result;

/* Among the sets within NEAR_BEST of the fastest, the fastest to compile. */
static int choose(const result *r, size_t n)
{
    double best = INFINITY;
    for (size_t i = 0; i < n; i++)
        best = r[i].score < best ? r[i].score : best;
    int pick = -1;
    for (size_t i = 0; i < n; i++)
        if (r[i].score <= best * NEAR_BEST && (pick < 0 || r[i].compile < r[pick].compile))
            pick = (int)i;
    return isfinite(best) ? pick : -1;
}

static nnact_status search(tuner *t, nnact_tune_level level, char *winner, size_t wcap)
{
    char (*cand)[CAND_LEN] = malloc(MAX_CANDIDATES * sizeof *cand);
    result *res = calloc(MAX_CANDIDATES, sizeof *res);
    if (!cand || !res) {
        free(cand), free(res);
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "nnact_tune: out of host memory");
    }
    size_t n = 0;
    database_sets(cand, &n);
    /* The sets that won full searches on pocl: AVX2 (haswell), AVX-512
     * (skylake-avx512, and an earlier one), so a device of another class
     * starts from them even without the database. */
    char x[CAND_LEN];
    xgemm_set(x, 64, 8, 8, 8, 1, 2);
    add(cand, &n, x);
    xgemm_set(x, 64, 4, 8, 8, 1, 2);
    add(cand, &n, x);
    xgemm_set(x, 128, 4, 16, 8, 2, 4);
    add(cand, &n, x);
    grid_sets(cand, &n, level == NNACT_TUNE_FAST);
    const int reps = level == NNACT_TUNE_FULL ? 7 : 3;
    char why[512], text[CAND_LEN + 64];
    double slowest = 0;
    size_t tried = 0;
    for (size_t c = 0; c < n; c++) {
        double elapsed = now() - t->t_start;
        if (t->budget > 0 && c > 0 && elapsed + slowest > t->budget) {
            report(t, 1, "time budget reached after %zu of %zu sets", c, n);
            break;
        }
        snprintf(text, sizeof text, "%s\nGemmRoutine XGEMM_MIN_INDIRECT_SIZE=1", cand[c]);
        double t0 = now();
        res[c].score = try_params(t, text, reps, &res[c].compile, why, sizeof why);
        slowest = fmax(slowest, now() - t0);
        tried = c + 1;
        double frac = t->budget > 0 ? (now() - t->t_start) / t->budget : (double)(c + 1) / n;
        if (isfinite(res[c].score))
            report(t, frac, "set %zu/%zu: %.3f ms per training step's products (compiled "
                   "in %.1f s)", c + 1, n, res[c].score * 1e3, res[c].compile);
        else
            report(t, frac, "set %zu/%zu skipped: %s", c + 1, n, why);
        /* After the grid, refine around the best so far, again after each
         * round of neighbours, until none is new (a bounded hill climb). */
        if (level == NNACT_TUNE_FULL && c + 1 == n && n < MAX_CANDIDATES - 12) {
            int b = choose(res, n);
            size_t before = n;
            if (b >= 0)
                neighbour_sets(cand[b], cand, &n);
            if (n > before)
                report(t, frac, "refining around set %d: %zu more", b + 1, n - before);
        }
    }
    int b = choose(res, tried);
    if (b < 0) {
        free(cand), free(res);
        return nnact_fail(NNACT_ERR_UNSUPPORTED, "nnact_tune: no candidate computed correct "
                          "results on '%s'; CLBlast's defaults stay", t->ctx->info.device_name);
    }
    /* One threshold splits CLBlast's direct and indirect paths by m*n*k; the
     * indirect path with a tuned Xgemm won on every MLP shape measured on
     * pocl (the 10-wide products cost the same per call either way), so all
     * products take it. */
    snprintf(winner, wcap, "%s\nGemmRoutine XGEMM_MIN_INDIRECT_SIZE=1", cand[b]);
    report(t, 1, "chose set %d: %.3f ms per step's products, compiles in %.1f s", b + 1,
           res[b].score * 1e3, res[b].compile);
    free(cand), free(res);
    return NNACT_OK;
}

nnact_status nnact_tune(nnact_ctx *ctx, nnact_tune_level level, nnact_tune_progress progress,
                        void *user)
{
    const char *fn = "nnact_tune";
    nnact_status st = nnact_check_ctx(ctx, fn);
    if (st != NNACT_OK)
        return st;
    if ((unsigned)level > NNACT_TUNE_FULL)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: unknown level %d (want NNACT_TUNE_OFF, "
                          "_FAST or _FULL)", fn, (int)level);
    if (level == NNACT_TUNE_OFF)
        return NNACT_OK;
    tuner *t = calloc(1, sizeof *t);
    if (!t)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    t->ctx = ctx, t->progress = progress, t->user = user;
    t->t_start = now();
    t->budget = level == NNACT_TUNE_FAST ? FAST_BUDGET_S : 0;
    memcpy(t->sh, shape_list, sizeof t->sh);
    size_t most = 0;
    for (size_t i = 0; i < NSHAPES; i++)
        most = t->sh[i].m * t->sh[i].n > most ? t->sh[i].m * t->sh[i].n : most;
    if (!(t->host = malloc(most * sizeof *t->host)))
        st = nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    for (size_t i = 0; i < NSHAPES && st == NNACT_OK; i++)
        st = setup_shape(ctx, &t->sh[i]);
    char winner[CAND_LEN + 64];
    if (st == NNACT_OK)
        st = search(t, level, winner, sizeof winner);
    if (st == NNACT_OK && (st = nnact_clblast_override(ctx, winner)) == NNACT_OK) {
        char why[512];
        for (size_t i = 0; i < NSHAPES && st == NNACT_OK; i++)
            if (!validate(t, &t->sh[i], why, sizeof why))
                st = nnact_fail(NNACT_ERR_UNSUPPORTED, "%s: the chosen set fails "
                                "validation: %s", fn, why);
    }
    if (st != NNACT_OK && st != NNACT_ERR_INVALID_ARG) {
        /* Candidates that computed wrong results may still be CLBlast's
         * parameters for the device: put back CLBlast's generic defaults
         * (its database's entry for all devices, 1.5.3), then whatever the
         * context had from a file or the database. */
        nnact_status failed = st;
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", nnact_last_error());
        nnact_clblast_override(ctx, "Xgemm GEMMK=0 KREG=1 KWG=32 KWI=2 MDIMA=8 MDIMC=8 "
                               "MWG=32 NDIMB=16 NDIMC=16 NWG=32 SA=1 SB=1 STRM=0 STRN=0 "
                               "VWM=4 VWN=2\nGemmRoutine XGEMM_MIN_INDIRECT_SIZE=384");
        nnact_load_tuning(ctx);
        st = nnact_fail(failed, "%s", msg);
    }
    char path[2304];
    if (st == NNACT_OK && (st = nnact_tuning_save(ctx, winner)) == NNACT_OK &&
        nnact_tuning_path(ctx, path, sizeof path) == NNACT_OK) {
        ctx->tuning_source = NNACT_TUNING_FILE;
        snprintf(ctx->tuning, sizeof ctx->tuning, "tuned (%s)", path);
        report(t, 1, "saved to %s", path);
    }
    for (size_t i = 0; i < NSHAPES; i++) {
        nnact_tensor_destroy(t->sh[i].a), nnact_tensor_destroy(t->sh[i].b);
        nnact_tensor_destroy(t->sh[i].c);
        free(t->sh[i].ref), free(t->sh[i].mag);
    }
    free(t->host);
    free(t);
    return st;
}
