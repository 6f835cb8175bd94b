/* Every operation of the library once, at small odd shapes (ragged vector
 * tails, offsets into a larger buffer through row views are not needed
 * here: the suites cover them). Made for kernel checkers: CI runs it under
 * `oclgrind --data-races` with both row-kernel forms (NNACT_ROW_KERNELS=0
 * and 1), where the full suites would take hours. Correctness is the
 * suites' and the selftest's job; this checks that every call succeeds and
 * every output is finite on finite inputs. Exit status 1 on any failure. */
#include <nnact.h>

#include "name_list.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { B = 5, K = 19, N = 7 }; /* batch, inputs, outputs: none a multiple of 16 */

static int failures, calls;

#define TRY(call)                                                                   \
    do {                                                                            \
        calls++;                                                                    \
        nnact_status st_ = (call);                                                  \
        if (st_ != NNACT_OK) {                                                      \
            fprintf(stderr, "ops-small: %s: %s: %s\n", #call,                      \
                    nnact_status_string(st_), nnact_last_error());                  \
            failures++;                                                             \
        }                                                                           \
    } while (0)

static void fill(float *v, size_t n, float scale, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = scale * ((float)(seed >> 8) / 16777216.0f - 0.5f);
    }
}

static nnact_tensor *tensor(nnact_ctx *ctx, size_t rows, size_t cols, float scale,
                            unsigned seed)
{
    nnact_tensor *t = NULL;
    float *h = malloc(rows * cols * sizeof *h);
    TRY(nnact_tensor_create(ctx, rows, cols, &t));
    if (t && h) {
        fill(h, rows * cols, scale, seed);
        TRY(nnact_tensor_write(t, h));
    }
    free(h);
    return t;
}

/* Reads t back and counts a failure if any element is not finite. */
static void expect_finite(const nnact_tensor *t, const char *what)
{
    size_t n = nnact_tensor_rows(t) * nnact_tensor_cols(t);
    float *h = malloc(n * sizeof *h);
    if (!h)
        return;
    TRY(nnact_tensor_read(t, h));
    for (size_t i = 0; i < n; i++)
        if (!isfinite(h[i])) {
            fprintf(stderr, "ops-small: %s: element %zu is %g\n", what, i, (double)h[i]);
            failures++;
            break;
        }
    free(h);
}

static void activations(nnact_ctx *ctx)
{
    nnact_tensor *x = tensor(ctx, B, K, 8.0f, 1), *dy = tensor(ctx, B, K, 2.0f, 2);
    nnact_tensor *y = tensor(ctx, B, K, 0.0f, 0), *dx = tensor(ctx, B, K, 0.0f, 0);
    nnact_tensor *alpha = tensor(ctx, 1, K, 0.5f, 3), *dalpha = tensor(ctx, 1, K, 0.0f, 0);
    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        nnact_act act;
        TRY(nnact_act_from_name(nnact_act_name((nnact_act_kind)k), &act));
        TRY(nnact_act_forward(ctx, &act, x, y));
        expect_finite(y, nnact_act_name(act.kind));
        TRY(nnact_act_backward(ctx, &act, x, y, dy, dx));
        expect_finite(dx, nnact_act_name(act.kind));
    }
    TRY(nnact_softmax_forward(ctx, 0.7f, x, y));
    TRY(nnact_softmax_backward(ctx, 0.7f, y, dy, dx));
    expect_finite(dx, "softmax T=0.7");
    TRY(nnact_prelu_forward(ctx, x, alpha, y));
    TRY(nnact_prelu_backward(ctx, x, alpha, dy, dx, dalpha));
    expect_finite(dalpha, "learnable prelu dalpha");
    nnact_tensor *all[] = {x, dy, y, dx, alpha, dalpha};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
}

static void layers(nnact_ctx *ctx)
{
    nnact_tensor *x = tensor(ctx, B, K, 2.0f, 4), *W = tensor(ctx, K, N, 0.5f, 5);
    nnact_tensor *b = tensor(ctx, 1, N, 0.5f, 6), *z = tensor(ctx, B, N, 0.0f, 0);
    nnact_tensor *y = tensor(ctx, B, N, 0.0f, 0), *dy = tensor(ctx, B, N, 1.0f, 7);
    nnact_tensor *dW = tensor(ctx, K, N, 0.0f, 0), *db = tensor(ctx, 1, N, 0.0f, 0);
    nnact_tensor *dx = tensor(ctx, B, K, 0.0f, 0), *xt = tensor(ctx, K, B, 1.0f, 8);
    nnact_tensor *wt = tensor(ctx, N, K, 1.0f, 9);
    /* SGEMM in the three transpositions the MLP uses. */
    TRY(nnact_gemm(ctx, NNACT_NO_TRANS, NNACT_NO_TRANS, 1.0f, x, W, 0.0f, z));
    TRY(nnact_gemm(ctx, NNACT_TRANS, NNACT_NO_TRANS, 1.0f, xt, W, 0.5f, z));
    TRY(nnact_gemm(ctx, NNACT_NO_TRANS, NNACT_TRANS, 1.0f, x, wt, 1.0f, z));
    expect_finite(z, "sgemm");
    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        nnact_act act;
        TRY(nnact_act_from_name(nnact_act_name((nnact_act_kind)k), &act));
        TRY(nnact_dense_forward(ctx, x, W, b, &act, z, y));
        expect_finite(y, "dense forward");
        TRY(nnact_dense_backward(ctx, x, W, &act, z, y, dy, dW, db, dx));
        expect_finite(dW, "dense backward dW");
        expect_finite(db, "dense backward db");
    }
    nnact_tensor *all[] = {x, W, b, z, y, dy, dW, db, dx, xt, wt};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
}

static void losses(nnact_ctx *ctx)
{
    nnact_tensor *pred = tensor(ctx, B, N, 0.0f, 0), *logits = tensor(ctx, B, N, 4.0f, 10);
    nnact_tensor *target = tensor(ctx, B, N, 0.0f, 0), *labels = tensor(ctx, B, 1, 0.0f, 0);
    nnact_tensor *grad = tensor(ctx, B, N, 0.0f, 0);
    float p[B * N], t[B * N] = {0}, l[B];
    fill(p, B * N, 0.98f, 11);
    for (size_t i = 0; i < B * N; i++)
        p[i] = p[i] + 0.5f; /* probabilities in (0.01, 0.99) */
    for (size_t r = 0; r < B; r++) {
        l[r] = (float)((r * 3) % N);
        t[r * N + (size_t)l[r]] = 1.0f;
    }
    TRY(nnact_tensor_write(pred, p));
    TRY(nnact_tensor_write(target, t));
    TRY(nnact_tensor_write(labels, l));
    for (int k = 0; k < NNACT_LOSS_COUNT; k++) {
        nnact_loss loss;
        TRY(nnact_loss_from_name(nnact_loss_name((nnact_loss_kind)k), &loss));
        const nnact_tensor *in = k == NNACT_LOSS_BCE_LOGITS || k == NNACT_LOSS_SOFTMAX_CCE
                                     ? logits : pred;
        float value = NAN, acc = NAN;
        TRY(nnact_loss_eval(ctx, &loss, in, target, &value, &acc, grad));
        expect_finite(grad, nnact_loss_name(loss.kind));
        if (!isfinite(value) || !isfinite(acc)) {
            fprintf(stderr, "ops-small: %s: loss %g accuracy %g\n",
                    nnact_loss_name(loss.kind), (double)value, (double)acc);
            failures++;
        }
        TRY(nnact_loss_eval(ctx, &loss, in, target, &value, NULL, NULL)); /* no gradient */
        if (k == NNACT_LOSS_CCE || k == NNACT_LOSS_SOFTMAX_CCE)
            TRY(nnact_loss_eval(ctx, &loss, in, labels, &value, &acc, grad)); /* sparse */
    }
    nnact_tensor *all[] = {pred, logits, target, labels, grad};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
}

static void optimizers(nnact_ctx *ctx)
{
    const char *names[] = {"sgd", "momentum", "nesterov", "adam", "adamw"};
    nnact_tensor *p = tensor(ctx, K, N, 1.0f, 12), *g = tensor(ctx, K, N, 1.0f, 13);
    nnact_tensor *s1 = tensor(ctx, K, N, 0.0f, 0), *s2 = tensor(ctx, K, N, 0.0f, 0);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        nnact_optim opt;
        TRY(nnact_optim_from_name(names[i], &opt));
        TRY(nnact_tensor_fill(s1, 0.0f));
        TRY(nnact_tensor_fill(s2, 0.0f));
        for (uint64_t step = 1; step <= 2; step++)
            TRY(nnact_optim_step(ctx, &opt, step, p, g, s1, s2));
        expect_finite(p, names[i]);
    }
    nnact_tensor *all[] = {p, g, s1, s2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
}

/* F16 storage: the native half kernels (every activation, softmax and
 * log-softmax, both directions), the widening and narrowing kernels of
 * mixed calls, and the float32 stand-ins of prelu, gemm, dense, losses and
 * the optimizer's gradient. */
static nnact_tensor *htensor(nnact_ctx *ctx, size_t rows, size_t cols, float scale,
                             unsigned seed)
{
    nnact_tensor *t = NULL;
    float *h = malloc(rows * cols * sizeof *h);
    TRY(nnact_tensor_create_typed(ctx, rows, cols, NNACT_F16, &t));
    if (t && h) {
        fill(h, rows * cols, scale, seed);
        TRY(nnact_tensor_write(t, h));
    }
    free(h);
    return t;
}

/* OPS_SMALL_F16: the activations to run on F16 tensors, comma-separated
 * (default: every one). Each is one more kernel build, ~1 min apiece on
 * Mesa's llvmpipe, so .ci/run's rusticl runs name a few. */
static bool f16_wanted(const char *name)
{
    const char *ops = getenv("OPS_SMALL_F16");
    return !ops || !*ops || name_in_list(ops, name);
}

static void storage_f16(nnact_ctx *ctx)
{
    nnact_tensor *x = htensor(ctx, B, K, 8.0f, 21), *dy = htensor(ctx, B, K, 2.0f, 22);
    nnact_tensor *y = htensor(ctx, B, K, 0.0f, 0), *dx = htensor(ctx, B, K, 0.0f, 0);
    nnact_tensor *y32 = tensor(ctx, B, K, 0.0f, 0), *alpha = tensor(ctx, 1, K, 0.5f, 23);
    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        nnact_act act;
        if (!f16_wanted(nnact_act_name((nnact_act_kind)k)))
            continue;
        TRY(nnact_act_from_name(nnact_act_name((nnact_act_kind)k), &act));
        TRY(nnact_act_forward(ctx, &act, x, y));
        expect_finite(y, "f16 forward");
        TRY(nnact_act_backward(ctx, &act, x, y, dy, dx));
        expect_finite(dx, "f16 backward");
    }
    nnact_act sw;
    TRY(nnact_act_from_name("swish", &sw));
    TRY(nnact_act_forward(ctx, &sw, x, y32)); /* mixed: widen, float32 kernel */
    TRY(nnact_act_forward(ctx, &sw, y32, y)); /* mixed: float32 kernel, narrow */
    TRY(nnact_softmax_forward(ctx, 0.7f, x, y32));
    TRY(nnact_softmax_backward(ctx, 0.7f, y32, dy, dx));
    expect_finite(dx, "mixed softmax");
    TRY(nnact_prelu_forward(ctx, x, alpha, y));
    TRY(nnact_prelu_backward(ctx, x, alpha, dy, dx, NULL));
    expect_finite(dx, "f16 prelu");
    TRY(nnact_tensor_fill(y, 0.25f));

    nnact_tensor *W = tensor(ctx, K, N, 0.5f, 24), *b = tensor(ctx, 1, N, 0.5f, 25);
    nnact_tensor *z = htensor(ctx, B, N, 0.0f, 0), *yo = htensor(ctx, B, N, 0.0f, 0);
    nnact_tensor *dyo = htensor(ctx, B, N, 1.0f, 26), *dW = tensor(ctx, K, N, 0.0f, 0);
    nnact_tensor *db = tensor(ctx, 1, N, 0.0f, 0), *labels = tensor(ctx, B, 1, 0.0f, 0);
    TRY(nnact_gemm(ctx, NNACT_NO_TRANS, NNACT_NO_TRANS, 1.0f, x, W, 0.0f, z));
    expect_finite(z, "f16 gemm");
    nnact_act relu;
    TRY(nnact_act_from_name("relu", &relu));
    TRY(nnact_dense_forward(ctx, x, W, b, &relu, z, yo));
    TRY(nnact_dense_backward(ctx, x, W, &relu, z, yo, dyo, dW, db, dx));
    expect_finite(dW, "f16 dense backward dW");
    float l[B];
    for (size_t r = 0; r < B; r++)
        l[r] = (float)((r * 3) % N);
    TRY(nnact_tensor_write(labels, l));
    nnact_loss loss;
    TRY(nnact_loss_from_name("softmax_cce", &loss));
    float value = NAN;
    TRY(nnact_loss_eval(ctx, &loss, yo, labels, &value, NULL, dyo));
    expect_finite(dyo, "f16 loss gradient");
    nnact_optim adam;
    TRY(nnact_optim_from_name("adam", &adam));
    nnact_tensor *g = htensor(ctx, K, N, 1.0f, 27), *s1 = tensor(ctx, K, N, 0.0f, 0),
                 *s2 = tensor(ctx, K, N, 0.0f, 0);
    TRY(nnact_optim_step(ctx, &adam, 1, W, g, s1, s2));
    expect_finite(W, "adam with an F16 gradient");
    nnact_tensor *all[] = {x, dy, y, dx, y32, alpha, W, b, z, yo, dyo, dW, db, labels, g, s1, s2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
}

int main(void)
{
    nnact_ctx *ctx = NULL;
    nnact_status st = nnact_ctx_create(&ctx, NULL);
    if (st != NNACT_OK) {
        fprintf(stderr, "ops-small: no context: %s\n", nnact_last_error());
        return 1;
    }
    const char *forms = getenv("NNACT_ROW_KERNELS");
    printf("ops-small on '%s' (%s), NNACT_ROW_KERNELS=%s\n",
           nnact_ctx_device(ctx)->device_name, nnact_ctx_device(ctx)->platform_name,
           forms ? forms : "(unset)");
    activations(ctx);
    layers(ctx);
    losses(ctx);
    optimizers(ctx);
    storage_f16(ctx);
    TRY(nnact_ctx_finish(ctx));
    /* With NNACT_PROFILE=1: the clock the profile believes, which
     * OPS_SMALL_EXPECT_CLOCK ("device" or "wall") checks. */
    const char *clock = nnact_ctx_profile_clock(ctx), *want = getenv("OPS_SMALL_EXPECT_CLOCK");
    if (clock) {
        nnact_profile_entry prof[16];
        size_t np = nnact_ctx_profile(ctx, prof, 16);
        printf("profile clock: %s\n", clock);
        for (size_t i = 0; i < np && i < 16; i++)
            printf("  %-28s %6llu calls %10.6f s\n", prof[i].name,
                   (unsigned long long)prof[i].calls, prof[i].seconds);
    }
    if (want && *want && (!clock || strncmp(clock, want, strlen(want)))) {
        fprintf(stderr, "ops-small: profile clock is '%s', expected '%s...'\n",
                clock ? clock : "(profiling off)", want);
        failures++;
    }
    /* Destroying the last context empties CLBlast's cache: the process then
     * exits cleanly under Oclgrind too. */
    nnact_ctx_destroy(ctx);
    printf("ops-small: %d calls, %d failures\n", calls, failures);
    return failures ? 1 : 0;
}
