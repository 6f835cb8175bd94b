/* nnact-bench's SGEMM: the Fashion-MNIST MLP's products (or one --gemm
 * shape) through the library's CLBlast, and OpenBLAS on the same shape and
 * cores right after when meson found it. */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef NNACT_BENCH_OPENBLAS
#include <cblas.h>
#endif
#include "tool.h"

static void op_gemm(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_gemm(b->ctx, s->ta, s->tb, 1.0f, s->a, s->b, 0.0f, s->c), exit(1));
}

/* The Fashion-MNIST MLP's products at batch 128 (m x n x k, transposes). */
static const struct { size_t m, n, k; int ta, tb; } mlp_gemms[] = {
    {128, 256, 784, 0, 0}, {128, 128, 256, 0, 0}, {128, 10, 128, 0, 0},
    {784, 256, 128, 1, 0}, {256, 128, 128, 1, 0}, {128, 10, 128, 1, 0},
    {128, 784, 256, 0, 1}, {128, 256, 128, 0, 1}, {128, 128, 10, 0, 1},
    {1024, 1024, 1024, 0, 0},
};

static void bench_gemm_shape(bench *b, size_t m, size_t n, size_t k, int ta, int tb)
{
    op_state s = {0};
    s.ta = ta ? NNACT_TRANS : NNACT_NO_TRANS;
    s.tb = tb ? NNACT_TRANS : NNACT_NO_TRANS;
    s.a = ta ? bench_filled(b, k, m, -1, 1, 1) : bench_filled(b, m, k, -1, 1, 1);
    s.b = tb ? bench_filled(b, n, k, -1, 1, 2) : bench_filled(b, k, n, -1, 1, 2);
    s.c = bench_filled(b, m, n, 0, 0, 3);
    char name[64];
    snprintf(name, sizeof name, "sgemm %c%c k=%zu", ta ? 'T' : 'N', tb ? 'T' : 'N', k);
    double bytes = 4.0 * ((double)m * k + (double)k * n + (double)m * n);
    result r = bench_measure(b, op_gemm, &s, bytes);
    bench_report(b, name, m, n, bytes, 2.0 * m * n * k, r);
#ifdef NNACT_BENCH_OPENBLAS
    /* OpenBLAS on the same shape and cores, right after, same repetitions */
    float *ha = calloc(m * k, 4), *hb = calloc(k * n, 4), *hc = calloc(m * n, 4);
    double *t = calloc((size_t)b->reps, sizeof *t);
    for (size_t i = 0; i < m * k; i++)
        ha[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < k * n; i++)
        hb[i] = (float)(i % 5) * 0.1f;
    for (int rep = -3; rep < b->reps; rep++) {
        double t0 = bench_now();
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    (int)m, (int)n, (int)k, 1.0f, ha, ta ? (int)m : (int)k, hb,
                    tb ? (int)k : (int)n, 0.0f, hc, (int)n);
        if (rep >= 0)
            t[rep] = bench_now() - t0;
    }
    double blas = bench_median(t, b->reps), gf = 2.0 * m * n * k / blas * 1e-9;
    double ours = 2.0 * m * n * k / r.dev_med * 1e-9;
    if (b->json)
        printf("{\"op\":\"openblas_sgemm\",\"m\":%zu,\"n\":%zu,\"k\":%zu,\"ta\":%d,"
               "\"tb\":%d,\"ms_median\":%.4f,\"gflop_s\":%.2f,\"ratio\":%.3f}\n", m, n, k,
               ta, tb, blas * 1e3, gf, ours / gf);
    else
        printf("%-24s %-12s %9.3f %49s %.1f GFLOP/s -> nnact/OpenBLAS %.2f\n", "  openblas", "",
               blas * 1e3, "", gf, ours / gf);
    free(ha), free(hb), free(hc), free(t);
    /* OpenBLAS's threads spin for a while after a call; let them sleep
     * before the next OpenCL measurement shares the cores. */
    nanosleep(&(struct timespec){0, 300000000}, NULL);
#endif
    bench_state_free(&s);
}

int bench_gemm(bench *b, const char *ops, const char *shape)
{
    if (shape) {
        size_t m, n, k;
        char t[3] = "NN";
        if (sscanf(shape, "%zux%zux%zu:%2s", &m, &n, &k, t) < 3) {
            fprintf(stderr, "nnact-bench: --gemm wants MxNxK[:TT]\n");
            return 2;
        }
        bench_gemm_shape(b, m, n, k, t[0] == 'T', t[1] == 'T');
    } else if (bench_wanted(ops, "sgemm", "sgemm")) {
        for (size_t i = 0; i < sizeof mlp_gemms / sizeof mlp_gemms[0]; i++)
            bench_gemm_shape(b, mlp_gemms[i].m, mlp_gemms[i].n, mlp_gemms[i].k,
                             mlp_gemms[i].ta, mlp_gemms[i].tb);
    }
    return 0;
}
