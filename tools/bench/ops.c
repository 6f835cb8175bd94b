/* nnact-bench's operations: each family of the library's operations (the
 * activations and the softmax family in each storage type, PReLU, the
 * losses, the optimizers, a dense layer) on pseudo-random tensors, measured
 * and reported by the harness. Built only on the public API. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef NNACT_BENCH_ONEDNN
#include "bench_onednn.h"
#endif
#include "tool.h"

void bench_op_act_fwd(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_act_forward(b->ctx, &s->act, s->a, s->b), exit(1));
}
void bench_op_act_bwd(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_act_backward(b->ctx, &s->act, s->a, s->b, s->c, s->d), exit(1));
}
void bench_op_prelu_fwd(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_prelu_forward(b->ctx, s->a, s->e, s->b), exit(1));
}
static void op_prelu_bwd(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_prelu_backward(b->ctx, s->a, s->e, s->c, s->d, s->f), exit(1));
}
static void op_loss(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_loss_eval(b->ctx, &s->loss, s->a, s->b, NULL, NULL, s->d), exit(1));
}
void bench_op_optim(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_optim_step(b->ctx, &s->opt, 10, s->a, s->b, s->c, s->d), exit(1));
}
static void op_dense_fwd(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_dense_forward(b->ctx, s->a, s->b, s->c, &s->act, s->d, s->e), exit(1));
}
static void op_dense_bwd(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_dense_backward(b->ctx, s->a, s->b, &s->act, s->d, s->e, s->e, s->f,
                                  s->g, s->h), exit(1));
}

nnact_tensor *bench_filled_host(bench *b, size_t r, size_t c, float lo, float hi,
                                unsigned seed, float **host)
{
    nnact_tensor *t;
    TOOL_TRY(nnact_tensor_create_typed(b->ctx, r, c, b->dtype, &t), exit(1));
    size_t n = r * c;
    float *h = malloc((n ? n : 1) * sizeof *h);
    unsigned s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        h[i] = lo + (hi - lo) * (float)(s >> 8) / 16777216.0f;
    }
    TOOL_TRY(nnact_tensor_write(t, h), exit(1));
    if (host)
        *host = h;
    else
        free(h);
    return t;
}

nnact_tensor *bench_filled(bench *b, size_t r, size_t c, float lo, float hi,
                           unsigned seed)
{
    return bench_filled_host(b, r, c, lo, hi, seed, NULL);
}

/* The activations whose formula needs exp, erf or tanh: compute-bound on a
 * CPU device, so that the copy kernel is no yardstick for them; they are
 * timed beside oneDNN's gelu_erf instead (issue 11's target). */
static bool transcendental(nnact_act_kind k)
{
    switch (k) {
    case NNACT_ACT_SIGMOID: case NNACT_ACT_TANH: case NNACT_ACT_SWISH: case NNACT_ACT_ELU:
    case NNACT_ACT_SELU: case NNACT_ACT_CELU: case NNACT_ACT_GELU: case NNACT_ACT_GELU_TANH:
    case NNACT_ACT_SOFTPLUS: case NNACT_ACT_MISH:
        return true;
    default:
        return false;
    }
}

/* oneDNN's counterpart of activation `an` (row-wise: softmax family). */
#ifdef NNACT_BENCH_ONEDNN
static void ref_free(ref_op *r)
{
    onednn_free(r->op);
    onednn_free(r->yard);
    r->op = r->yard = NULL;
}
#else
static void ref_free(ref_op *r) { (void)r; }
#endif

static ref_op make_ref(bench *b, const nnact_act *act, const char *an, bool row_wise,
                       bool backward, size_t r, size_t c, const float *x, const float *dy)
{
    ref_op ref = {NULL, NULL, NULL};
    if (!b->vs_onednn)
        return ref;
#ifdef NNACT_BENCH_ONEDNN
    if (row_wise && act->alpha != 1.0f)
        ref.why_none = "oneDNN's softmax has no temperature";
    else if (row_wise)
        ref.op = onednn_softmax(act->kind == NNACT_ACT_LOG_SOFTMAX, backward, r, c, x, dy,
                                &ref.why_none);
    else
        ref.op = onednn_eltwise(an, act->alpha, act->beta, backward, r * c, x, dy,
                                &ref.why_none);
    const char *why;
    if (!row_wise && transcendental(act->kind))
        ref.yard = onednn_eltwise("gelu", 0.0f, 0.0f, backward, r * c, x, dy, &why);
#else
    (void)act, (void)an, (void)row_wise, (void)backward, (void)r, (void)c, (void)x, (void)dy;
#endif
    return ref;
}

void bench_state_free(op_state *s)
{
    nnact_tensor *all[] = {s->a, s->b, s->c, s->d, s->e, s->f, s->g, s->h};
    for (size_t i = 0; i < 8; i++)
        nnact_tensor_destroy(all[i]);
    memset(s, 0, sizeof *s);
}

/* Activation k (named an) forward and/or backward in storage type F16 (d)
 * or F32; the F32 medians are kept for the F16 rows' ratio. */
static void time_act(bench *b, int k, const char *an, bool row_wise, bool f, bool bw,
                     size_t r, size_t c, int d)
{
    const double n = (double)r * (double)c;
    b->dtype = d ? NNACT_F16 : NNACT_F32;
    const double es = d ? 2 : 4; /* bytes per element */
    char fname[64], bname[64];
    snprintf(fname, sizeof fname, d ? "%s.fwd.f16" : "%s.fwd", an);
    snprintf(bname, sizeof bname, d ? "%s.bwd.f16" : "%s.bwd", an);
    op_state s = {0};
    TOOL_TRY(nnact_act_from_name(an, &s.act), exit(1));
    float *hx = NULL, *hdy = NULL;
    s.a = bench_filled_host(b, r, c, -8, 8, 1, &hx);
    /* y: probabilities, or log-probabilities for log_softmax */
    s.b = k == NNACT_ACT_LOG_SOFTMAX ? bench_filled(b, r, c, -10, 0, 2)
                                     : bench_filled(b, r, c, 0, 1, 2);
    s.c = bench_filled_host(b, r, c, -1, 1, 3, &hdy);
    s.d = bench_filled(b, r, c, 0, 0, 4);
    if (f) {
        ref_op ref = make_ref(b, &s.act, an, row_wise, false, r, c, hx, hdy);
        b->ratio_base = d ? b->f32_fwd : 0;
        result res = bench_measure_vs(b, bench_op_act_fwd, &s, 2 * es * n, &ref);
        bench_report(b, fname, r, c, 2 * es * n, 0, res);
        if (!d)
            b->f32_fwd = res.dev_med;
        ref_free(&ref);
    }
    if (bw) {
        double bytes = (k == NNACT_ACT_IDENTITY ? 2 : 3) * es * n;
        ref_op ref = make_ref(b, &s.act, an, row_wise, true, r, c, hx, hdy);
        b->ratio_base = d ? b->f32_bwd : 0;
        result res = bench_measure_vs(b, bench_op_act_bwd, &s, bytes, &ref);
        bench_report(b, bname, r, c, bytes, 0, res);
        if (!d)
            b->f32_bwd = res.dev_med;
        ref_free(&ref);
    }
    free(hx), free(hdy);
    bench_state_free(&s);
}

void bench_elementwise(bench *b, const char *ops, size_t rows, size_t cols, bool softmax)
{
    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        const bool row_wise = k == NNACT_ACT_SOFTMAX || k == NNACT_ACT_LOG_SOFTMAX;
        if (row_wise != softmax)
            continue;
        const char *an = nnact_act_name((nnact_act_kind)k);
        char fname[64], bname[64];
        snprintf(fname, sizeof fname, "%s.fwd", an);
        snprintf(bname, sizeof bname, "%s.bwd", an);
        const char *group = row_wise ? "softmax" : "act";
        bool f = bench_wanted(ops, group, fname), bw = bench_wanted(ops, group, bname);
        if (!f && !bw)
            continue;
        for (int d = 0; d < 2; d++)
            if (d ? b->dtype_f16 : b->dtype_f32)
                time_act(b, k, an, row_wise, f, bw, rows, cols, d);
        b->dtype = NNACT_F32;
        b->ratio_base = 0;
        b->f32_fwd = b->f32_bwd = 0;
    }
}

void bench_prelu(bench *b, const char *ops, size_t rows, size_t cols)
{
    if (!bench_wanted(ops, "prelu", "prelu.fwd") && !bench_wanted(ops, "prelu", "prelu.bwd"))
        return;
    double n = (double)rows * (double)cols;
    op_state s = {0};
    s.a = bench_filled(b, rows, cols, -8, 8, 1);
    s.b = bench_filled(b, rows, cols, 0, 0, 2);
    s.c = bench_filled(b, rows, cols, -1, 1, 3);
    s.d = bench_filled(b, rows, cols, 0, 0, 4);
    s.e = bench_filled(b, 1, cols, 0, 0.3f, 5);
    s.f = bench_filled(b, 1, cols, 0, 0, 6);
    if (bench_wanted(ops, "prelu", "prelu.fwd"))
        bench_report(b, "prelu.fwd (1xcols)", rows, cols, 8 * n, 0,
                     bench_measure(b, bench_op_prelu_fwd, &s, 8 * n));
    if (bench_wanted(ops, "prelu", "prelu.bwd"))
        bench_report(b, "prelu.bwd+dalpha", rows, cols, 12 * n, 0,
                     bench_measure(b, op_prelu_bwd, &s, 12 * n));
    bench_state_free(&s);
}

void bench_losses(bench *b, const char *ops, size_t rows, size_t cols)
{
    double n = (double)rows * (double)cols;
    for (int k = 0; k < NNACT_LOSS_COUNT; k++) {
        char name[64];
        snprintf(name, sizeof name, "loss.%s", nnact_loss_name((nnact_loss_kind)k));
        if (!bench_wanted(ops, "loss", name))
            continue;
        op_state s = {0};
        TOOL_TRY(nnact_loss_from_name(nnact_loss_name((nnact_loss_kind)k), &s.loss), exit(1));
        s.a = bench_filled(b, rows, cols, 0.01f, 0.99f, 1);
        s.b = bench_filled(b, rows, cols, 0, 1, 2);
        s.d = bench_filled(b, rows, cols, 0, 0, 3);
        bench_report(b, name, rows, cols, 12 * n, 0, bench_measure(b, op_loss, &s, 12 * n));
        bench_state_free(&s);
    }
}

void bench_optims(bench *b, const char *ops, size_t rows, size_t cols)
{
    static const char *names[] = {"sgd", "momentum", "adam", "adamw"};
    static const double per_elem[] = {12, 20, 28, 28};
    double n = (double)rows * (double)cols;
    for (size_t i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "optim.%s", names[i]);
        if (!bench_wanted(ops, "optim", name))
            continue;
        op_state s = {0};
        TOOL_TRY(nnact_optim_from_name(names[i], &s.opt), exit(1));
        s.a = bench_filled(b, rows, cols, -1, 1, 1);
        s.b = bench_filled(b, rows, cols, -1, 1, 2);
        s.c = bench_filled(b, rows, cols, 0, 0, 3);
        s.d = bench_filled(b, rows, cols, 0, 0, 4);
        bench_report(b, name, rows, cols, per_elem[i] * n, 0,
                     bench_measure(b, bench_op_optim, &s, per_elem[i] * n));
        if (!strcmp(names[i], "adam")) {
            /* Pixels that are almost always 0 leave Adam's first moments
             * decaying into subnormals: time that state too. */
            nnact_tensor_destroy(s.b);
            nnact_tensor_destroy(s.c);
            s.b = bench_filled(b, rows, cols, 0, 0, 2);
            s.c = bench_filled(b, rows, cols, 1e-39f, 2e-39f, 3);
            bench_report(b, "optim.adam subnormal m", rows, cols, per_elem[i] * n, 0,
                         bench_measure(b, bench_op_optim, &s, per_elem[i] * n));
        }
        bench_state_free(&s);
    }
}

void bench_dense(bench *b, const char *ops)
{
    const size_t B = 128, in = 784, out = 256;
    if (!bench_wanted(ops, "dense", "dense.fwd") && !bench_wanted(ops, "dense", "dense.bwd"))
        return;
    op_state s = {0};
    TOOL_TRY(nnact_act_from_name("relu", &s.act), exit(1));
    s.a = bench_filled(b, B, in, 0, 1, 1);
    s.b = bench_filled(b, in, out, -0.05f, 0.05f, 2);
    s.c = bench_filled(b, 1, out, -0.1f, 0.1f, 3);
    s.d = bench_filled(b, B, out, 0, 0, 4);
    s.e = bench_filled(b, B, out, 0, 0, 5);
    s.f = bench_filled(b, in, out, 0, 0, 6);
    s.g = bench_filled(b, 1, out, 0, 0, 7);
    s.h = bench_filled(b, B, in, 0, 0, 8);
    double fb = 4.0 * (B * in + in * out + out + 2 * B * out);
    if (bench_wanted(ops, "dense", "dense.fwd"))
        bench_report(b, "dense.fwd relu", B, out, fb, 2.0 * B * in * out,
                     bench_measure(b, op_dense_fwd, &s, fb));
    if (bench_wanted(ops, "dense", "dense.bwd"))
        bench_report(b, "dense.bwd relu", B, out, 2 * fb, 4.0 * B * in * out,
                     bench_measure(b, op_dense_bwd, &s, 2 * fb));
    bench_state_free(&s);
}

