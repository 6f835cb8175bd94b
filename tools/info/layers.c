/* nnact-info --selftest's layer checks: SGEMM (every transpose), dense
 * forward and backward, two losses and an Adam step on small random data,
 * against double host arithmetic. */
#include "selftest.h"

#include "reference.h"
#include "tool.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The layer checks' data: small random x (B x I), weights w (I x O), a
 * bias, a gradient dy and labels, on the host and the device, and what the
 * checks read back. Static (in selftest_layers): too large for the stack
 * of a small thread. */
enum { B = 9, I = 13, O = 7 };
typedef struct layer_data {
    float x[B * I], w[I * O], bias[O], dy[B * O], y[B * O], z[B * O], dw[I * O], db[O],
        dx[B * I], g[B * O], lab[B];
    double ref[B * I + I * O], mag[B * I + I * O];
    nnact_tensor *X, *W, *Bt, *Z, *Y, *DY, *DW, *DB, *DX, *L, *C, *M1, *M2;
} layer_data;

static bool layers_setup(nnact_ctx *ctx, layer_data *d)
{
    unsigned s = 99;
    for (size_t i = 0; i < B * I; i++)
        s = s * 1103515245u + 12345u, d->x[i] = (float)((s >> 9) % 2001) / 1000.0f - 1.0f;
    for (size_t i = 0; i < I * O; i++)
        s = s * 1103515245u + 12345u, d->w[i] = (float)((s >> 9) % 2001) / 2000.0f - 0.5f;
    for (size_t i = 0; i < O; i++)
        d->bias[i] = 0.1f * (float)i - 0.3f;
    for (size_t i = 0; i < B * O; i++)
        s = s * 1103515245u + 12345u, d->dy[i] = (float)((s >> 9) % 2001) / 1000.0f - 1.0f;
    for (size_t i = 0; i < B; i++)
        d->lab[i] = (float)(i % O);
    TOOL_TRY(nnact_tensor_create(ctx, B, I, &d->X), return false);
    TOOL_TRY(nnact_tensor_create(ctx, I, O, &d->W), return false);
    TOOL_TRY(nnact_tensor_create(ctx, 1, O, &d->Bt), return false);
    TOOL_TRY(nnact_tensor_create(ctx, B, O, &d->Z), return false);
    TOOL_TRY(nnact_tensor_create(ctx, B, O, &d->Y), return false);
    TOOL_TRY(nnact_tensor_create(ctx, B, O, &d->DY), return false);
    TOOL_TRY(nnact_tensor_create(ctx, I, O, &d->DW), return false);
    TOOL_TRY(nnact_tensor_create(ctx, 1, O, &d->DB), return false);
    TOOL_TRY(nnact_tensor_create(ctx, B, I, &d->DX), return false);
    TOOL_TRY(nnact_tensor_create(ctx, B, 1, &d->L), return false);
    TOOL_TRY(nnact_tensor_write(d->X, d->x), return false);
    TOOL_TRY(nnact_tensor_write(d->W, d->w), return false);
    TOOL_TRY(nnact_tensor_write(d->Bt, d->bias), return false);
    TOOL_TRY(nnact_tensor_write(d->DY, d->dy), return false);
    TOOL_TRY(nnact_tensor_write(d->L, d->lab), return false);
    return true;
}

/* SGEMM, all four transposes, on x (B x I) and a b of each shape. */
static bool layers_gemm(nnact_ctx *ctx, tally *t, layer_data *d)
{
    for (int tr = 0; tr < 4; tr++) {
        int ta = tr / 2, tb = tr % 2;
        /* op(a) = x or x^T(as I x B stored transposed: use x itself) */
        size_t m = ta ? I : B, k = ta ? B : I;
        const float *a = d->x;
        const float *bm = tb ? d->dw : d->w; /* for tb: a (O x k) matrix */
        float bt[O * I]; /* n x k with k up to I */
        size_t n = O;
        if (tb) { /* b stored n x k */
            for (size_t i = 0; i < n * k; i++)
                bt[i] = (float)((i * 7) % 11) / 10.0f - 0.5f;
            bm = bt;
        } else if (ta) { /* b stored k x n with k = B */
            bm = d->dy;
        }
        nnact_tensor *Bm = NULL;
        bool ok = false;
        TOOL_TRY(nnact_tensor_create(ctx, tb ? n : k, tb ? k : n, &Bm), goto next);
        TOOL_TRY(nnact_tensor_write(Bm, bm), goto next);
        TOOL_TRY(nnact_tensor_create(ctx, m, n, &d->C), goto next);
        TOOL_TRY(nnact_gemm(ctx, (nnact_transpose)ta, (nnact_transpose)tb, 1.0f, d->X, Bm,
                            0.0f, d->C), goto next);
        float got[I * O];
        TOOL_TRY(nnact_tensor_read(d->C, got), goto next);
        ref_gemm(ta, tb, a, B, I, bm, tb ? n : k, tb ? k : n, d->ref, d->mag);
        char op[48];
        snprintf(op, sizeof op, "sgemm %c%c", ta ? 'T' : 'N', tb ? 'T' : 'N');
        selftest_compare_d(t, op, got, d->ref, d->mag, m * n, 1e-5);
        ok = true;
next:
        nnact_tensor_destroy(Bm);
        nnact_tensor_destroy(d->C);
        d->C = NULL;
        if (!ok)
            return false;
    }
    return true;
}

/* dense: z = x w + b, y = relu(z); backward with dy. */
static bool layers_dense(nnact_ctx *ctx, tally *t, layer_data *d)
{
    double *ref = d->ref, *mag = d->mag;
    const float *z = d->z;
    nnact_act relu = {NNACT_ACT_RELU, 0, 0};
    TOOL_TRY(nnact_dense_forward(ctx, d->X, d->W, d->Bt, &relu, d->Z, d->Y), return false);
    TOOL_TRY(nnact_tensor_read(d->Z, d->z), return false);
    TOOL_TRY(nnact_tensor_read(d->Y, d->y), return false);
    ref_gemm(0, 0, d->x, B, I, d->w, I, O, ref, mag);
    for (size_t i = 0; i < B * O; i++)
        ref[i] += d->bias[i % O], mag[i] += fabs(d->bias[i % O]);
    selftest_compare_d(t, "dense forward z", z, ref, mag, B * O, 1e-5);
    for (size_t i = 0; i < B * O; i++)
        ref[i] = z[i] > 0 ? z[i] : 0, mag[i] = fabs(z[i]);
    selftest_compare_d(t, "dense forward relu", d->y, ref, mag, B * O, 1e-6);
    TOOL_TRY(nnact_dense_backward(ctx, d->X, d->W, &relu, d->Z, d->Y, d->DY, d->DW, d->DB,
                                  d->DX), return false);
    TOOL_TRY(nnact_tensor_read(d->DW, d->dw), return false);
    TOOL_TRY(nnact_tensor_read(d->DB, d->db), return false);
    TOOL_TRY(nnact_tensor_read(d->DX, d->dx), return false);
    float *g = d->g;
    for (size_t i = 0; i < B * O; i++)
        g[i] = z[i] > 0 ? d->dy[i] : 0.0f;
    ref_gemm(1, 0, d->x, B, I, g, B, O, ref, mag);
    selftest_compare_d(t, "dense backward dW", d->dw, ref, mag, I * O, 1e-5);
    ref_gemm(0, 1, g, B, O, d->w, I, O, ref, mag);
    selftest_compare_d(t, "dense backward dx", d->dx, ref, mag, B * I, 1e-5);
    for (size_t j = 0; j < O; j++) {
        ref[j] = 0, mag[j] = 0;
        for (size_t r = 0; r < B; r++)
            ref[j] += g[r * O + j], mag[j] += fabs(g[r * O + j]);
    }
    selftest_compare_d(t, "dense backward db", d->db, ref, mag, O, 1e-5);
    return true;
}

/* softmax_cce's loss and gradient on y with the labels, in double. */
static double ref_softmax_cce(const layer_data *d, double *ref, double *mag)
{
    const float *y = d->y;
    double want = 0;
    for (size_t r = 0; r < B; r++) {
        const size_t label = (size_t)d->lab[r];
        double mx = -INFINITY, se = 0;
        for (size_t j = 0; j < O; j++)
            mx = fmax(mx, y[r * O + j]);
        for (size_t j = 0; j < O; j++)
            se += exp(y[r * O + j] - mx);
        want += (log(se) - (y[r * O + label] - mx)) / B;
        for (size_t j = 0; j < O; j++)
            ref[r * O + j] = (exp(y[r * O + j] - mx) / se - (j == label)) / B,
                        mag[r * O + j] = 1.0 / B;
    }
    return want;
}

/* Losses on y (the dense output): mse against dy, softmax_cce with labels. */
static bool layers_losses(nnact_ctx *ctx, tally *t, layer_data *d)
{
    double *ref = d->ref, *mag = d->mag;
    nnact_loss mse, sce;
    float lv;
    TOOL_TRY(nnact_loss_from_name("mse", &mse), return false);
    TOOL_TRY(nnact_loss_from_name("softmax_cce", &sce), return false);
    TOOL_TRY(nnact_loss_eval(ctx, &mse, d->Y, d->DY, &lv, NULL, d->Z), return false);
    TOOL_TRY(nnact_tensor_read(d->Z, d->g), return false);
    double want = 0, wmag = 0;
    for (size_t i = 0; i < B * O; i++) {
        double e = (double)d->y[i] - d->dy[i];
        want += e * e / (B * O), wmag += e * e / (B * O);
        ref[i] = 2 * e / (B * O), mag[i] = fabs(ref[i]) + 1e-7;
    }
    selftest_compare_d(t, "loss mse", &lv, &want, &wmag, 1, 1e-5);
    selftest_compare_d(t, "loss mse gradient", d->g, ref, mag, B * O, 1e-5);
    TOOL_TRY(nnact_loss_eval(ctx, &sce, d->Y, d->L, &lv, NULL, d->Z), return false);
    TOOL_TRY(nnact_tensor_read(d->Z, d->g), return false);
    want = ref_softmax_cce(d, ref, mag);
    wmag = fabs(want);
    selftest_compare_d(t, "loss softmax_cce", &lv, &want, &wmag, 1, 1e-5);
    selftest_compare_d(t, "loss softmax_cce gradient", d->g, ref, mag, B * O, 1e-5);
    return true;
}

/* One Adam step on w with the gradient dw, from zero moments. */
static bool layers_adam(nnact_ctx *ctx, tally *t, layer_data *d)
{
    nnact_optim adam;
    TOOL_TRY(nnact_optim_from_name("adam", &adam), return false);
    TOOL_TRY(nnact_tensor_create(ctx, I, O, &d->M1), return false);
    TOOL_TRY(nnact_tensor_create(ctx, I, O, &d->M2), return false);
    TOOL_TRY(nnact_tensor_fill(d->M1, 0.0f), return false);
    TOOL_TRY(nnact_tensor_fill(d->M2, 0.0f), return false);
    TOOL_TRY(nnact_optim_step(ctx, &adam, 1, d->W, d->DW, d->M1, d->M2), return false);
    float wn[I * O];
    TOOL_TRY(nnact_tensor_read(d->W, wn), return false);
    for (size_t i = 0; i < I * O; i++) {
        double gi = d->dw[i], m = 0.1 * gi, v = 0.001 * gi * gi;
        double mh = m / (1 - 0.9), vh = v / (1 - 0.999);
        d->ref[i] = d->w[i] - 1e-3 * mh / (sqrt(vh) + 1e-8);
        d->mag[i] = fabs(d->w[i]) + 1e-3;
    }
    selftest_compare_d(t, "adam step", wn, d->ref, d->mag, I * O, 1e-6);
    return true;
}

/* SGEMM (every transpose), dense forward and backward, two losses and an
 * Adam step on small random data, against double host arithmetic. A call
 * that fails counts as one failure and ends the layer checks. */
int selftest_layers(nnact_ctx *ctx, tally *t)
{
    static layer_data d;
    memset(&d, 0, sizeof d);
    int ok = layers_setup(ctx, &d) && layers_gemm(ctx, t, &d) && layers_dense(ctx, t, &d) &&
             layers_losses(ctx, t, &d) && layers_adam(ctx, t, &d);
    if (!ok)
        t->failed++;
    nnact_tensor *all[] = {d.X, d.W, d.Bt, d.Z, d.Y, d.DY, d.DW, d.DB, d.DX, d.L, d.C, d.M1,
                           d.M2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
    return ok;
}
