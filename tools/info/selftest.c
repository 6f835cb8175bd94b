/* nnact-info --selftest: the activations, the softmax family and PReLU on
 * edge inputs against the long-double reference (src/support/reference.h),
 * then the layer and F16 checks, on one context. */
#include "selftest.h"

#include "reference.h"
#include "tool.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void selftest_report(tally *t, const char *op, size_t bad, size_t n, const char *detail)
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

/* The edge values first (signed zeros, subnormals, the float limits, the
 * infinities, where exp over- and underflows), then pseudo-random ones at
 * three scales. */
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
    selftest_report(t, op, bad, N, detail);
}

void selftest_compare_d(tally *t, const char *op, const float *got, const double *want,
                        const double *scale, size_t n, double rel)
{
    size_t bad = 0;
    char detail[160] = "";
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - want[i]) <= rel * scale[i] + 1e-30) && bad++ == 0)
            snprintf(detail, sizeof detail, "[%zu] got %.9g want %.9g", i, (double)got[i],
                     want[i]);
    selftest_report(t, op, bad, n, detail);
}

/* The activation checks' data: inputs, outputs and the reference (static
 * in selftest: too large for a small thread's stack) and the tensors. */
typedef struct act_data {
    float x[N], y[N], dy[N], dx[N];
    long double ref[N], tol[N];
    nnact_tensor *tx, *ty, *tdy, *tdx, *ta, *tda;
} act_data;

/* The edge inputs and gradients, on the host and in x and dy tensors. */
static bool acts_setup(nnact_ctx *ctx, act_data *d)
{
    make_inputs(d->x, d->dy);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &d->tx), return false);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &d->ty), return false);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &d->tdy), return false);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &d->tdx), return false);
    TOOL_TRY(nnact_tensor_write(d->tx, d->x), return false);
    TOOL_TRY(nnact_tensor_write(d->tdy, d->dy), return false);
    return true;
}

/* Each elementwise activation forward and backward on the edge inputs. */
static bool selftest_acts(nnact_ctx *ctx, tally *t, act_data *d)
{
    nnact_tensor *tx = d->tx, *ty = d->ty, *tdy = d->tdy, *tdx = d->tdx;
    float *x = d->x, *y = d->y, *dy = d->dy, *dx = d->dx;
    long double *ref = d->ref, *tol = d->tol;
    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        if (k == NNACT_ACT_SOFTMAX || k == NNACT_ACT_LOG_SOFTMAX)
            continue;
        nnact_act act;
        TOOL_TRY(nnact_act_from_name(nnact_act_name((nnact_act_kind)k), &act), return false);
        char op[64];
        TOOL_TRY(nnact_act_forward(ctx, &act, tx, ty), return false);
        TOOL_TRY(nnact_tensor_read(ty, y), return false);
        for (size_t i = 0; i < N; i++) {
            ref[i] = ref_act_forward(&act, x[i]);
            tol[i] = ref_act_forward_tol(&act, x[i]);
        }
        snprintf(op, sizeof op, "%s forward", nnact_act_name(act.kind));
        compare(t, op, y, ref, tol, x);

        TOOL_TRY(nnact_act_backward(ctx, &act, tx, ty, tdy, tdx), return false);
        TOOL_TRY(nnact_tensor_read(tdx, dx), return false);
        for (size_t i = 0; i < N; i++) {
            ref[i] = ref_act_backward(&act, x[i], y[i], dy[i]);
            tol[i] = ref_act_backward_tol(&act, x[i], y[i], dy[i]);
        }
        snprintf(op, sizeof op, "%s backward", nnact_act_name(act.kind));
        compare(t, op, dx, ref, tol, x);
    }
    return true;
}

/* Softmax and log-softmax, forward and backward, at temperature 1.5, on
 * finite inputs (the edge rows are covered by the test suite). */
static bool selftest_rows(nnact_ctx *ctx, tally *t, act_data *d)
{
    nnact_tensor *tx = d->tx, *ty = d->ty, *tdy = d->tdy, *tdx = d->tdx;
    float *x = d->x, *y = d->y, *dy = d->dy, *dx = d->dx;
    long double *ref = d->ref, *tol = d->tol;
    for (size_t i = 0; i < N; i++)
        x[i] = isfinite(x[i]) ? fmodf(x[i], 50.0f) : -INFINITY;
    TOOL_TRY(nnact_tensor_write(tx, x), return false);
    TOOL_TRY(nnact_softmax_forward(ctx, 1.5f, tx, ty), return false);
    TOOL_TRY(nnact_tensor_read(ty, y), return false);
    ref_softmax_forward(x, ROWS, COLS, 1.5f, ref, tol);
    compare(t, "softmax forward", y, ref, tol, x);
    TOOL_TRY(nnact_softmax_backward(ctx, 1.5f, ty, tdy, tdx), return false);
    TOOL_TRY(nnact_tensor_read(tdx, dx), return false);
    ref_softmax_backward(y, dy, ROWS, COLS, 1.5f, ref, tol);
    compare(t, "softmax backward", dx, ref, tol, y);
    TOOL_TRY(nnact_log_softmax_forward(ctx, 1.5f, tx, ty), return false);
    TOOL_TRY(nnact_tensor_read(ty, y), return false);
    ref_log_softmax_forward(x, ROWS, COLS, 1.5f, ref, tol);
    compare(t, "log_softmax forward", y, ref, tol, x);
    TOOL_TRY(nnact_log_softmax_backward(ctx, 1.5f, ty, tdy, tdx), return false);
    TOOL_TRY(nnact_tensor_read(tdx, dx), return false);
    ref_log_softmax_backward(y, dy, ROWS, COLS, 1.5f, ref, tol);
    compare(t, "log_softmax backward", dx, ref, tol, y);
    return true;
}

/* Learnable PReLU, per-column slopes: forward, backward dx and dalpha. */
static bool selftest_prelu(nnact_ctx *ctx, tally *t, act_data *d)
{
    nnact_tensor *tx = d->tx, *ty = d->ty, *tdy = d->tdy, *tdx = d->tdx;
    float *x = d->x, *y = d->y, *dy = d->dy, *dx = d->dx;
    long double *ref = d->ref, *tol = d->tol;
    float alpha[COLS], dalpha[COLS];
    long double dref[COLS], dtol[COLS];
    for (size_t c = 0; c < COLS; c++)
        alpha[c] = 0.01f * (float)(c % 9) - 0.02f;
    TOOL_TRY(nnact_tensor_create(ctx, 1, COLS, &d->ta), return false);
    TOOL_TRY(nnact_tensor_create(ctx, 1, COLS, &d->tda), return false);
    nnact_tensor *ta = d->ta, *tda = d->tda;
    TOOL_TRY(nnact_tensor_write(ta, alpha), return false);
    TOOL_TRY(nnact_prelu_forward(ctx, tx, ta, ty), return false);
    TOOL_TRY(nnact_tensor_read(ty, y), return false);
    ref_prelu_forward(x, ROWS, COLS, alpha, COLS, ref);
    for (size_t i = 0; i < N; i++)
        tol[i] = 4e-6L * fabsl(ref[i]) + FLT_MIN;
    compare(t, "prelu forward", y, ref, tol, x);
    TOOL_TRY(nnact_prelu_backward(ctx, tx, ta, tdy, tdx, tda), return false);
    TOOL_TRY(nnact_tensor_read(tdx, dx), return false);
    TOOL_TRY(nnact_tensor_read(tda, dalpha), return false);
    ref_prelu_backward(x, dy, ROWS, COLS, alpha, COLS, ref, dref, dtol);
    for (size_t i = 0; i < N; i++)
        tol[i] = 4e-6L * fabsl(ref[i]) + 1e-7L * fabsl((long double)dy[i]) + FLT_MIN;
    compare(t, "prelu backward dx", dx, ref, tol, x);
    size_t bad = 0;
    char detail[160] = "";
    for (size_t c = 0; c < COLS; c++)
        if (!ref_matches(dalpha[c], dref[c], dtol[c] + FLT_MIN) && bad++ == 0)
            snprintf(detail, sizeof detail, "[%zu] got %.9g want %.9Lg", c,
                     (double)dalpha[c], dref[c]);
    selftest_report(t, "prelu backward dalpha", bad, COLS, detail);
    return true;
}

/* Every check in turn on one context: the activations, softmax family and
 * PReLU (a failed call ends these and counts as one more failure), then
 * the layers, then F16 storage. */
static bool selftest_all(nnact_ctx *ctx, tally *t, const char *f16_ops)
{
    static act_data d;
    memset(&d, 0, sizeof d);
    bool ok = acts_setup(ctx, &d) && selftest_acts(ctx, t, &d) &&
              selftest_rows(ctx, t, &d) && selftest_prelu(ctx, t, &d);
    if (ok) {
        selftest_layers(ctx, t);
        make_inputs(d.x, d.dy);
        for (size_t i = 0; i < N; i++) /* finite rows for softmax */
            d.x[i] = isfinite(d.x[i]) ? fmodf(d.x[i], 50.0f) : -INFINITY;
        selftest_f16(ctx, t, d.x, d.dy, f16_ops);
    }
    nnact_tensor *all[] = {d.ta, d.tda, d.tx, d.ty, d.tdy, d.tdx};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
    return ok;
}

int selftest(const char *selector, const char *f16_ops)
{
    tally t = {0, 0};
    nnact_ctx *ctx = NULL;
    int aborted = 1; /* a failed call: counted as one more failure */
    TOOL_TRY(nnact_ctx_create(&ctx, selector), goto out);
    printf("Self-test on '%s' (%s)\n", nnact_ctx_device(ctx)->device_name,
           nnact_ctx_device(ctx)->platform_name);
    printf("CLBlast parameters: %s\n", nnact_ctx_tuning(ctx));
    aborted = !selftest_all(ctx, &t, f16_ops);
out:
    nnact_ctx_destroy(ctx);
    printf("selftest: %d passed, %d failed\n", t.passed, t.failed + aborted);
    return t.failed + aborted ? 1 : 0;
}
