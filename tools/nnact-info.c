/* nnact-info: lists every OpenCL platform and device, marks the one the
 * selector picks, and with --selftest runs every kernel once against the
 * independent host reference. Built only on the public header. */
#include <nnact.h>

#include "name_list.h"
#include "tool.h"
#include "reference.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int list_devices(const char *selector)
{
    size_t n = 0;
    nnact_status st = nnact_devices(NULL, 0, &n);
    if (st != NNACT_OK) {
        fprintf(stderr, "nnact-info: %s\n", nnact_last_error());
        return 1;
    }
    if (n == 0) {
        printf("No OpenCL platform or device found. Install an ICD such as pocl "
               "(Debian: apt-get install pocl-opencl-icd) or a GPU driver.\n");
        return 1;
    }
    nnact_device_info *devs = calloc(n, sizeof *devs);
    if (!devs || nnact_devices(devs, n, &n) != NNACT_OK) {
        fprintf(stderr, "nnact-info: %s\n", devs ? nnact_last_error() : "out of memory");
        free(devs);
        return 1;
    }
    nnact_device_info chosen;
    st = nnact_device_select(selector, &chosen);
    const char *shown = selector ? selector : getenv("NNACT_DEVICE");
    printf("%-5s %-11s %-8s %9s %4s %-4s %-4s  %s\n", "P:D", "type", "vendor", "memory",
           "CUs", "fp16", "fp64", "device  [platform]");
    for (size_t i = 0; i < n; i++) {
        const nnact_device_info *d = &devs[i];
        int mark = st == NNACT_OK && d->platform_index == chosen.platform_index &&
                   d->device_index == chosen.device_index;
        char idx[24];
        snprintf(idx, sizeof idx, "%u:%u", d->platform_index, d->device_index);
        printf("%-5s %-11s %-8.8s %6.1f GiB %4u %-4s %-4s  %s  [%s, %s, driver %s]%s\n",
               idx, nnact_device_type_name(d->type), d->vendor,
               (double)d->global_mem_bytes / (1024.0 * 1024.0 * 1024.0),
               d->compute_units, d->fp16 ? "yes" : "no", d->fp64 ? "yes" : "no",
               d->device_name, d->platform_name, d->platform_version,
               d->driver_version, mark ? "   <- selected" : "");
    }
    if (st == NNACT_OK) {
        printf("\nSelected %u:%u '%s' (selector '%s').\n", chosen.platform_index,
               chosen.device_index, chosen.device_name, shown && *shown ? shown : "auto");
        nnact_ctx *ctx = NULL;
        char path[2400];
        if (nnact_ctx_create(&ctx, selector) == NNACT_OK) {
            static const char *const source[] = {
                [NNACT_TUNING_NONE] = "CLBlast's own (nothing tuned for this device; "
                                      "nnact-train tunes at the fast level, or run "
                                      "nnact-tune)",
                [NNACT_TUNING_FILE] = "this device's tuning file",
                [NNACT_TUNING_SHIPPED] = "the shipped database (this device's class)",
                [NNACT_TUNING_ENV] = "NNACT_CLBLAST_PARAMS",
                [NNACT_TUNING_OVERRIDE] = "nnact_clblast_override"};
            printf("CLBlast parameters: %s\n  from %s\n", nnact_ctx_tuning(ctx),
                   source[nnact_ctx_tuning_source(ctx)]);
            if (nnact_tuning_path(ctx, path, sizeof path) == NNACT_OK)
                printf("Tuning file for this device: %s%s\n", path,
                       nnact_ctx_tuning_source(ctx) == NNACT_TUNING_FILE ? ""
                                                                         : " (none)");
            nnact_ctx_destroy(ctx);
        }
    }
    else
        printf("\nSelector '%s' matches nothing: %s\n", shown ? shown : "auto",
               nnact_last_error());
    free(devs);
    return st == NNACT_OK ? 0 : 1;
}

/* ---- selftest ---- */

typedef struct tally { int passed, failed; } tally;

static void report(tally *t, const char *op, size_t bad, size_t n, const char *detail)
{
    if (bad) {
        t->failed++;
        printf("FAIL  %-22s %zu of %zu elements out of bounds; first: %s\n", op, bad, n, detail);
    } else {
        t->passed++;
        printf("ok    %-22s %zu elements\n", op, n);
    }
}

/* A failed call in the selftest: a FAIL line on stdout, among the others. */
void tool_report(const char *call, nnact_status st)
{
    printf("FAIL  %s: %s: %s\n", call, nnact_status_string(st), nnact_last_error());
}

enum { ROWS = 7, COLS = 67, N = ROWS * COLS };

static void make_inputs(float *x, float *dy)
{
    static const float edges[] = {0.0f, -0.0f, 1.0f, -1.0f, 1000.0f, -1000.0f, 100.0f,
                                  -100.0f, 1e-40f, -1e-40f, FLT_MIN, FLT_MAX, -FLT_MAX,
                                  INFINITY, -INFINITY, 20.0f, -20.0f, 88.0f, -88.0f};
    const size_t ne = sizeof edges / sizeof edges[0];
    unsigned s = 12345;
    for (size_t i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        float u = (float)((s >> 8) & 0xffff) / 65535.0f * 2.0f - 1.0f;
        x[i] = i < ne ? edges[i] : u * (i % 3 == 0 ? 1.0f : i % 3 == 1 ? 10.0f : 100.0f);
        dy[i] = (float)((s >> 4) & 0xff) / 128.0f - 1.0f;
    }
}

static void compare(tally *t, const char *op, const float *got, const long double *ref,
                    const long double *tol, const float *in)
{
    size_t bad = 0;
    char detail[256] = "";
    for (size_t i = 0; i < N; i++)
        if (!ref_matches(got[i], ref[i], tol[i]) && bad++ == 0)
            snprintf(detail, sizeof detail, "[%zu] input %.9g got %.9g want %.9Lg (tol %.3Lg)",
                     i, in ? (double)in[i] : 0.0, (double)got[i], ref[i], tol[i]);
    report(t, op, bad, N, detail);
}

/* Compares n device floats with a double host result: |got - want| within
 * rel * scale[i] (scale: the magnitude the result is built from). */
static void compare_d(tally *t, const char *op, const float *got, const double *want,
                      const double *scale, size_t n, double rel)
{
    size_t bad = 0;
    char detail[160] = "";
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - want[i]) <= rel * scale[i] + 1e-30) && bad++ == 0)
            snprintf(detail, sizeof detail, "[%zu] got %.9g want %.9g", i, (double)got[i],
                     want[i]);
    report(t, op, bad, n, detail);
}

/* SGEMM (every transpose), dense forward and backward, two losses and an
 * Adam step on small random data, against double host arithmetic. */
static int selftest_layers(nnact_ctx *ctx, tally *t)
{
    enum { B = 9, I = 13, O = 7 };
    static float x[B * I], w[I * O], bias[O], dy[B * O], y[B * O], z[B * O], dw[I * O],
        db[O], dx[B * I], g[B * O], lab[B];
    static double ref[B * I + I * O], mag[B * I + I * O];
    unsigned s = 99;
    for (size_t i = 0; i < B * I; i++)
        s = s * 1103515245u + 12345u, x[i] = (float)((s >> 9) % 2001) / 1000.0f - 1.0f;
    for (size_t i = 0; i < I * O; i++)
        s = s * 1103515245u + 12345u, w[i] = (float)((s >> 9) % 2001) / 2000.0f - 0.5f;
    for (size_t i = 0; i < O; i++)
        bias[i] = 0.1f * (float)i - 0.3f;
    for (size_t i = 0; i < B * O; i++)
        s = s * 1103515245u + 12345u, dy[i] = (float)((s >> 9) % 2001) / 1000.0f - 1.0f;
    for (size_t i = 0; i < B; i++)
        lab[i] = (float)(i % O);
    nnact_tensor *X = NULL, *W = NULL, *Bt = NULL, *Z = NULL, *Y = NULL, *DY = NULL,
                 *DW = NULL, *DB = NULL, *DX = NULL, *L = NULL, *C = NULL, *M1 = NULL,
                 *M2 = NULL;
    int ok = 0;
    TOOL_TRY(nnact_tensor_create(ctx, B, I, &X), goto done);
    TOOL_TRY(nnact_tensor_create(ctx, I, O, &W), goto done);
    TOOL_TRY(nnact_tensor_create(ctx, 1, O, &Bt), goto done);
    TOOL_TRY(nnact_tensor_create(ctx, B, O, &Z), goto done);
    TOOL_TRY(nnact_tensor_create(ctx, B, O, &Y), goto done);
    TOOL_TRY(nnact_tensor_create(ctx, B, O, &DY), goto done);
    TOOL_TRY(nnact_tensor_create(ctx, I, O, &DW), goto done);
    TOOL_TRY(nnact_tensor_create(ctx, 1, O, &DB), goto done);
    TOOL_TRY(nnact_tensor_create(ctx, B, I, &DX), goto done);
    TOOL_TRY(nnact_tensor_create(ctx, B, 1, &L), goto done);
    TOOL_TRY(nnact_tensor_write(X, x), goto done);
    TOOL_TRY(nnact_tensor_write(W, w), goto done);
    TOOL_TRY(nnact_tensor_write(Bt, bias), goto done);
    TOOL_TRY(nnact_tensor_write(DY, dy), goto done);
    TOOL_TRY(nnact_tensor_write(L, lab), goto done);

    /* SGEMM, all four transposes, on x (B x I) and w (I x O) */
    for (int tr = 0; tr < 4; tr++) {
        int ta = tr / 2, tb = tr % 2;
        /* op(a) = x or x^T(as I x B stored transposed: use x itself) */
        size_t m = ta ? I : B, k = ta ? B : I;
        const float *a = x;
        const float *bm = tb ? dw : w; /* for tb: a (O x k) matrix */
        float bt[O * I]; /* n x k with k up to I */
        size_t n = O;
        if (tb) { /* b stored n x k */
            for (size_t i = 0; i < n * k; i++)
                bt[i] = (float)((i * 7) % 11) / 10.0f - 0.5f;
            bm = bt;
        } else if (ta) { /* b stored k x n with k = B */
            bm = dy;
        }
        nnact_tensor *Bm = NULL;
        TOOL_TRY(nnact_tensor_create(ctx, tb ? n : k, tb ? k : n, &Bm), goto done);
        TOOL_TRY(nnact_tensor_write(Bm, bm), goto done);
        TOOL_TRY(nnact_tensor_create(ctx, m, n, &C), goto done);
        TOOL_TRY(nnact_gemm(ctx, (nnact_transpose)ta, (nnact_transpose)tb, 1.0f, X, Bm, 0.0f,
                            C), goto done);
        float got[I * O];
        TOOL_TRY(nnact_tensor_read(C, got), goto done);
        ref_gemm(ta, tb, a, B, I, bm, tb ? n : k, tb ? k : n, ref, mag);
        char op[48];
        snprintf(op, sizeof op, "sgemm %c%c", ta ? 'T' : 'N', tb ? 'T' : 'N');
        compare_d(t, op, got, ref, mag, m * n, 1e-5);
        nnact_tensor_destroy(Bm);
        nnact_tensor_destroy(C);
        C = NULL;
    }

    /* dense: z = x w + b, y = relu(z); backward with dy */
    nnact_act relu = {NNACT_ACT_RELU, 0, 0};
    TOOL_TRY(nnact_dense_forward(ctx, X, W, Bt, &relu, Z, Y), goto done);
    TOOL_TRY(nnact_tensor_read(Z, z), goto done);
    TOOL_TRY(nnact_tensor_read(Y, y), goto done);
    ref_gemm(0, 0, x, B, I, w, I, O, ref, mag);
    for (size_t i = 0; i < B * O; i++)
        ref[i] += bias[i % O], mag[i] += fabs(bias[i % O]);
    compare_d(t, "dense forward z", z, ref, mag, B * O, 1e-5);
    for (size_t i = 0; i < B * O; i++)
        ref[i] = z[i] > 0 ? z[i] : 0, mag[i] = fabs(z[i]);
    compare_d(t, "dense forward relu", y, ref, mag, B * O, 1e-6);
    TOOL_TRY(nnact_dense_backward(ctx, X, W, &relu, Z, Y, DY, DW, DB, DX), goto done);
    TOOL_TRY(nnact_tensor_read(DW, dw), goto done);
    TOOL_TRY(nnact_tensor_read(DB, db), goto done);
    TOOL_TRY(nnact_tensor_read(DX, dx), goto done);
    for (size_t i = 0; i < B * O; i++)
        g[i] = z[i] > 0 ? dy[i] : 0.0f;
    ref_gemm(1, 0, x, B, I, g, B, O, ref, mag);
    compare_d(t, "dense backward dW", dw, ref, mag, I * O, 1e-5);
    ref_gemm(0, 1, g, B, O, w, I, O, ref, mag);
    compare_d(t, "dense backward dx", dx, ref, mag, B * I, 1e-5);
    for (size_t j = 0; j < O; j++) {
        ref[j] = 0, mag[j] = 0;
        for (size_t r = 0; r < B; r++)
            ref[j] += g[r * O + j], mag[j] += fabs(g[r * O + j]);
    }
    compare_d(t, "dense backward db", db, ref, mag, O, 1e-5);

    /* losses on y: mse against dy, softmax_cce with labels */
    nnact_loss mse, sce;
    float lv;
    TOOL_TRY(nnact_loss_from_name("mse", &mse), goto done);
    TOOL_TRY(nnact_loss_from_name("softmax_cce", &sce), goto done);
    TOOL_TRY(nnact_loss_eval(ctx, &mse, Y, DY, &lv, NULL, Z), goto done);
    TOOL_TRY(nnact_tensor_read(Z, g), goto done);
    double want = 0, wmag = 0;
    for (size_t i = 0; i < B * O; i++) {
        double d = (double)y[i] - dy[i];
        want += d * d / (B * O), wmag += d * d / (B * O);
        ref[i] = 2 * d / (B * O), mag[i] = fabs(ref[i]) + 1e-7;
    }
    compare_d(t, "loss mse", &lv, &want, &wmag, 1, 1e-5);
    compare_d(t, "loss mse gradient", g, ref, mag, B * O, 1e-5);
    TOOL_TRY(nnact_loss_eval(ctx, &sce, Y, L, &lv, NULL, Z), goto done);
    TOOL_TRY(nnact_tensor_read(Z, g), goto done);
    want = 0;
    for (size_t r = 0; r < B; r++) {
        double mx = -INFINITY, se = 0;
        for (size_t j = 0; j < O; j++)
            mx = fmax(mx, y[r * O + j]);
        for (size_t j = 0; j < O; j++)
            se += exp(y[r * O + j] - mx);
        want += (log(se) - (y[r * O + (size_t)lab[r]] - mx)) / B;
        for (size_t j = 0; j < O; j++)
            ref[r * O + j] = (exp(y[r * O + j] - mx) / se - (j == (size_t)lab[r])) / B,
                        mag[r * O + j] = 1.0 / B;
    }
    wmag = fabs(want);
    compare_d(t, "loss softmax_cce", &lv, &want, &wmag, 1, 1e-5);
    compare_d(t, "loss softmax_cce gradient", g, ref, mag, B * O, 1e-5);

    /* one Adam step on w with gradient dw, from zero moments */
    nnact_optim adam;
    TOOL_TRY(nnact_optim_from_name("adam", &adam), goto done);
    TOOL_TRY(nnact_tensor_create(ctx, I, O, &M1), goto done);
    TOOL_TRY(nnact_tensor_create(ctx, I, O, &M2), goto done);
    TOOL_TRY(nnact_tensor_fill(M1, 0.0f), goto done);
    TOOL_TRY(nnact_tensor_fill(M2, 0.0f), goto done);
    TOOL_TRY(nnact_optim_step(ctx, &adam, 1, W, DW, M1, M2), goto done);
    float wn[I * O];
    TOOL_TRY(nnact_tensor_read(W, wn), goto done);
    for (size_t i = 0; i < I * O; i++) {
        double gi = dw[i], m = 0.1 * gi, v = 0.001 * gi * gi;
        double mh = m / (1 - 0.9), vh = v / (1 - 0.999);
        ref[i] = w[i] - 1e-3 * mh / (sqrt(vh) + 1e-8);
        mag[i] = fabs(w[i]) + 1e-3;
    }
    compare_d(t, "adam step", wn, ref, mag, I * O, 1e-6);
    ok = 1;
done:
    if (!ok)
        t->failed++;
    nnact_tensor *all[] = {X, W, Bt, Z, Y, DY, DW, DB, DX, L, C, M1, M2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
    return ok;
}

/* F16 storage: each elementwise activation forward and backward, softmax
 * and log-softmax forward, on all-F16 tensors must give the float32
 * kernel's result on the same (half) inputs rounded once to half. */
static int f16_same(const float *got, const float *f32, size_t n, char *detail, size_t cap)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        const float want = nnact_half_to_float(nnact_float_to_half(f32[i]));
        if ((isnan(want) && isnan(got[i])) || !memcmp(&want, &got[i], sizeof want))
            continue;
        if (bad++ == 0)
            snprintf(detail, cap, "[%zu] got %.9g want %.9g (float32 %.9g rounded)", i,
                     (double)got[i], (double)want, (double)f32[i]);
    }
    return (int)bad;
}

static int selftest_f16(nnact_ctx *ctx, tally *t, const float *x0, const float *dy0,
                        const char *ops)
{
    static float x[N], dy[N], a[N], b[N];
    nnact_tensor *hx = NULL, *hy = NULL, *hdy = NULL, *hdx = NULL, *fx = NULL, *fy = NULL,
                 *fdy = NULL, *fdx = NULL;
    for (size_t i = 0; i < N; i++) { /* the values an F16 tensor can hold */
        x[i] = nnact_half_to_float(nnact_float_to_half(x0[i]));
        dy[i] = nnact_half_to_float(nnact_float_to_half(dy0[i]));
    }
    TOOL_TRY(nnact_tensor_create_typed(ctx, ROWS, COLS, NNACT_F16, &hx), goto fail);
    TOOL_TRY(nnact_tensor_create_typed(ctx, ROWS, COLS, NNACT_F16, &hy), goto fail);
    TOOL_TRY(nnact_tensor_create_typed(ctx, ROWS, COLS, NNACT_F16, &hdy), goto fail);
    TOOL_TRY(nnact_tensor_create_typed(ctx, ROWS, COLS, NNACT_F16, &hdx), goto fail);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &fx), goto fail);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &fy), goto fail);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &fdy), goto fail);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &fdx), goto fail);
    TOOL_TRY(nnact_tensor_write(hx, x), goto fail);
    TOOL_TRY(nnact_tensor_write(fx, x), goto fail);
    TOOL_TRY(nnact_tensor_write(hdy, dy), goto fail);
    TOOL_TRY(nnact_tensor_write(fdy, dy), goto fail);
    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        nnact_act act;
        if (!name_in_list(ops, nnact_act_name((nnact_act_kind)k)))
            continue;
        TOOL_TRY(nnact_act_from_name(nnact_act_name((nnact_act_kind)k), &act), goto fail);
        char op[64], detail[200] = "";
        TOOL_TRY(nnact_act_forward(ctx, &act, hx, hy), goto fail);
        TOOL_TRY(nnact_act_forward(ctx, &act, fx, fy), goto fail);
        TOOL_TRY(nnact_tensor_read(hy, a), goto fail);
        TOOL_TRY(nnact_tensor_read(fy, b), goto fail);
        snprintf(op, sizeof op, "f16 %s forward", nnact_act_name(act.kind));
        report(t, op, (size_t)f16_same(a, b, N, detail, sizeof detail), N, detail);
        TOOL_TRY(nnact_tensor_write(fy, a), goto fail); /* the same (half) y for both */
        TOOL_TRY(nnact_act_backward(ctx, &act, hx, hy, hdy, hdx), goto fail);
        TOOL_TRY(nnact_act_backward(ctx, &act, fx, fy, fdy, fdx), goto fail);
        TOOL_TRY(nnact_tensor_read(hdx, a), goto fail);
        TOOL_TRY(nnact_tensor_read(fdx, b), goto fail);
        snprintf(op, sizeof op, "f16 %s backward", nnact_act_name(act.kind));
        report(t, op, (size_t)f16_same(a, b, N, detail, sizeof detail), N, detail);
    }
    int failed = 0;
    if (0) {
fail:
        failed = 1; /* a call failed: counted as a failure */
        t->failed++;
    }
    nnact_tensor *all[] = {hx, hy, hdy, hdx, fx, fy, fdy, fdx};
    for (size_t i = 0; i < 8; i++)
        nnact_tensor_destroy(all[i]);
    return failed;
}

static int selftest(const char *selector, const char *f16_ops)
{
    tally t = {0, 0};
    nnact_ctx *ctx = NULL;
    nnact_tensor *tx = NULL, *ty = NULL, *tdy = NULL, *tdx = NULL, *ta = NULL, *tda = NULL;
    static float x[N], y[N], dy[N], dx[N];
    static long double ref[N], tol[N];
    make_inputs(x, dy);

    TOOL_TRY(nnact_ctx_create(&ctx, selector), goto fail);
    printf("Self-test on '%s' (%s)\n", nnact_ctx_device(ctx)->device_name,
           nnact_ctx_device(ctx)->platform_name);
    printf("CLBlast parameters: %s\n", nnact_ctx_tuning(ctx));
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &tx), goto fail);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &ty), goto fail);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &tdy), goto fail);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &tdx), goto fail);
    TOOL_TRY(nnact_tensor_write(tx, x), goto fail);
    TOOL_TRY(nnact_tensor_write(tdy, dy), goto fail);

    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        if (k == NNACT_ACT_SOFTMAX || k == NNACT_ACT_LOG_SOFTMAX)
            continue;
        nnact_act act;
        TOOL_TRY(nnact_act_from_name(nnact_act_name((nnact_act_kind)k), &act), goto fail);
        char op[64];
        TOOL_TRY(nnact_act_forward(ctx, &act, tx, ty), goto fail);
        TOOL_TRY(nnact_tensor_read(ty, y), goto fail);
        for (size_t i = 0; i < N; i++) {
            ref[i] = ref_act_forward(&act, x[i]);
            tol[i] = ref_act_forward_tol(&act, x[i]);
        }
        snprintf(op, sizeof op, "%s forward", nnact_act_name(act.kind));
        compare(&t, op, y, ref, tol, x);

        TOOL_TRY(nnact_act_backward(ctx, &act, tx, ty, tdy, tdx), goto fail);
        TOOL_TRY(nnact_tensor_read(tdx, dx), goto fail);
        for (size_t i = 0; i < N; i++) {
            ref[i] = ref_act_backward(&act, x[i], y[i], dy[i]);
            tol[i] = ref_act_backward_tol(&act, x[i], y[i], dy[i]);
        }
        snprintf(op, sizeof op, "%s backward", nnact_act_name(act.kind));
        compare(&t, op, dx, ref, tol, x);
    }

    /* Softmax on finite inputs (the edge rows are covered by the test suite). */
    for (size_t i = 0; i < N; i++)
        x[i] = isfinite(x[i]) ? fmodf(x[i], 50.0f) : -INFINITY;
    TOOL_TRY(nnact_tensor_write(tx, x), goto fail);
    TOOL_TRY(nnact_softmax_forward(ctx, 1.5f, tx, ty), goto fail);
    TOOL_TRY(nnact_tensor_read(ty, y), goto fail);
    ref_softmax_forward(x, ROWS, COLS, 1.5f, ref, tol);
    compare(&t, "softmax forward", y, ref, tol, x);
    TOOL_TRY(nnact_softmax_backward(ctx, 1.5f, ty, tdy, tdx), goto fail);
    TOOL_TRY(nnact_tensor_read(tdx, dx), goto fail);
    ref_softmax_backward(y, dy, ROWS, COLS, 1.5f, ref, tol);
    compare(&t, "softmax backward", dx, ref, tol, y);
    TOOL_TRY(nnact_log_softmax_forward(ctx, 1.5f, tx, ty), goto fail);
    TOOL_TRY(nnact_tensor_read(ty, y), goto fail);
    ref_log_softmax_forward(x, ROWS, COLS, 1.5f, ref, tol);
    compare(&t, "log_softmax forward", y, ref, tol, x);
    TOOL_TRY(nnact_log_softmax_backward(ctx, 1.5f, ty, tdy, tdx), goto fail);
    TOOL_TRY(nnact_tensor_read(tdx, dx), goto fail);
    ref_log_softmax_backward(y, dy, ROWS, COLS, 1.5f, ref, tol);
    compare(&t, "log_softmax backward", dx, ref, tol, y);

    /* Learnable PReLU, per-column slopes. */
    float alpha[COLS], dalpha[COLS];
    long double dref[COLS], dtol[COLS];
    for (size_t c = 0; c < COLS; c++)
        alpha[c] = 0.01f * (float)(c % 9) - 0.02f;
    TOOL_TRY(nnact_tensor_create(ctx, 1, COLS, &ta), goto fail);
    TOOL_TRY(nnact_tensor_create(ctx, 1, COLS, &tda), goto fail);
    TOOL_TRY(nnact_tensor_write(ta, alpha), goto fail);
    TOOL_TRY(nnact_prelu_forward(ctx, tx, ta, ty), goto fail);
    TOOL_TRY(nnact_tensor_read(ty, y), goto fail);
    ref_prelu_forward(x, ROWS, COLS, alpha, COLS, ref);
    for (size_t i = 0; i < N; i++)
        tol[i] = 4e-6L * fabsl(ref[i]) + FLT_MIN;
    compare(&t, "prelu forward", y, ref, tol, x);
    TOOL_TRY(nnact_prelu_backward(ctx, tx, ta, tdy, tdx, tda), goto fail);
    TOOL_TRY(nnact_tensor_read(tdx, dx), goto fail);
    TOOL_TRY(nnact_tensor_read(tda, dalpha), goto fail);
    ref_prelu_backward(x, dy, ROWS, COLS, alpha, COLS, ref, dref, dtol);
    for (size_t i = 0; i < N; i++)
        tol[i] = 4e-6L * fabsl(ref[i]) + 1e-7L * fabsl((long double)dy[i]) + FLT_MIN;
    compare(&t, "prelu backward dx", dx, ref, tol, x);
    size_t bad = 0;
    char detail[160] = "";
    for (size_t c = 0; c < COLS; c++)
        if (!ref_matches(dalpha[c], dref[c], dtol[c] + FLT_MIN) && bad++ == 0)
            snprintf(detail, sizeof detail, "[%zu] got %.9g want %.9Lg", c,
                     (double)dalpha[c], dref[c]);
    report(&t, "prelu backward dalpha", bad, COLS, detail);
    selftest_layers(ctx, &t);
    make_inputs(x, dy);
    for (size_t i = 0; i < N; i++) /* finite rows for softmax */
        x[i] = isfinite(x[i]) ? fmodf(x[i], 50.0f) : -INFINITY;
    selftest_f16(ctx, &t, x, dy, f16_ops);

    int aborted = 0;
    if (0) {
fail:
        aborted = 1; /* a call failed: counted as one more failure */
    }
    nnact_tensor_destroy(ta);
    nnact_tensor_destroy(tda);
    nnact_tensor_destroy(tx);
    nnact_tensor_destroy(ty);
    nnact_tensor_destroy(tdy);
    nnact_tensor_destroy(tdx);
    nnact_ctx_destroy(ctx);
    printf("selftest: %d passed, %d failed\n", t.passed, t.failed + aborted);
    return t.failed + aborted ? 1 : 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: nnact-info [--device SEL] [--selftest [--f16 OPS]]\n"
               "  Lists OpenCL platforms and devices and marks the selected one.\n"
               "  --device SEL  selector (overrides NNACT_DEVICE), e.g. gpu,cpu or 0:1\n"
               "  --selftest    run every kernel once against the host reference;\n"
               "                exit status 1 on any mismatch\n"
               "  --f16 OPS     which activations the selftest also runs on F16 tensors:\n"
               "                all (default), none, or names, e.g. relu,softmax (each F16\n"
               "                kernel is one more build: ~1 min apiece on Mesa's llvmpipe)\n");
}

int main(int argc, char **argv)
{
    const char *selector = NULL, *f16_ops = "all";
    int do_selftest = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            selector = argv[++i];
        } else if (!strncmp(argv[i], "--device=", 9)) {
            selector = argv[i] + 9;
        } else if (!strcmp(argv[i], "--f16") && i + 1 < argc) {
            f16_ops = argv[++i];
        } else if (!strcmp(argv[i], "--selftest")) {
            do_selftest = 1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "nnact-info: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    int rc = list_devices(selector);
    if (do_selftest) {
        printf("\n");
        rc = selftest(selector, f16_ops);
    }
    return rc;
}
