/* Losses against an independent long-double host reference written from the
 * table in nnact.h (never from the kernels): every kind with dense targets
 * and with integer labels, temperatures 0.5/1/2.5, shapes 1x1, 7x3, 129x10,
 * 1000x10, 257x1 and a 1x100000 row; the loss value, the accuracy and the
 * gradient, each against the reference; determinism; loss-only and
 * gradient-only calls; extreme logits and probabilities of exactly 0 and 1;
 * views at odd offsets; bad labels, shapes, parameters and names. The
 * reference gradient is itself checked against central finite differences
 * of the reference loss (|fd - g| <= 1e-7 |g| + 1e-10 max|g|), so the
 * documented gradient and the documented loss agree. Gradients are
 * NaN-poisoned before every call, so an element a kernel skips shows up.
 *
 * Bars: loss |got - ref| <= 1e-5 |ref|; accuracy exact (a count of rows);
 * gradient elementwise
 *     |got - ref| <= 4e-6 |ref| + 2 FLT_EPSILON mag + 4 FLT_MIN
 * where the documented gradient is (a - t) scale (a = p, q, sigmoid(z),
 * softmax(z/T)) and mag = (|a| + |t|) scale: a few float ulp of the element,
 * plus four ulp of the operands of its final subtraction, which is all that
 * float rounding of a can become after cancellation with t. For softmax_cce
 * mag also holds softmax |z - max z| / T^2 (exp at a float-rounded argument,
 * |z - max z| / T reaches 40 in the 1x100000 row), and 4 FLT_MIN allows a
 * softmax that underflows in float. Observed worst: 0.31 of the bar. (The
 * bar 4e-6 |ref| + 1e-7 max|ref| also passes, with no margin: softmax_cce at
 * T = 0.5 has elements with softmax ~ 0.9998 and t = 1 whose error is 1.6 ulp
 * of 1, 0.96 of that bar.)
 *
 * The clip of BCE/CCE is to [eps, fl(1 - eps)]: q is a float32, and for eps
 * = 1e-7 the float nearest 1 - eps is 1 - 2^-23 (as in Keras), so p = 1 with
 * t = 0 costs -log(2^-23) = 15.94, not -log(1e-7) = 16.12. */
#include "testutil.h"

#include <float.h>
#include <stdio.h>

typedef long double ld;

#define LOSS_REL 1e-5L
#define GRAD_REL 4e-6L
#define GRAD_OPS (2.0L * FLT_EPSILON)
#define GRAD_UNDERFLOW (4.0L * FLT_MIN)

/* ck_assert_msg for per-element loops: Check sends a message down its pipe
 * at every ck_assert, which costs more than the test itself. */
/* ---- Reference ------------------------------------------------------------ */

typedef struct problem {
    nnact_loss loss;
    const float *t; /* rows x cols, or rows x 1 labels */
    int labels;
    size_t rows, cols;
} problem;

static int per_element(nnact_loss_kind k)
{
    return k == NNACT_LOSS_MSE || k == NNACT_LOSS_BCE || k == NNACT_LOSS_BCE_LOGITS;
}

static int on_logits(nnact_loss_kind k)
{
    return k == NNACT_LOSS_BCE_LOGITS || k == NNACT_LOSS_SOFTMAX_CCE;
}

/* The number the summed loss is divided by: batch*k or batch. */
static ld count_of(const problem *pb)
{
    return per_element(pb->loss.kind) ? (ld)pb->rows * (ld)pb->cols : (ld)pb->rows;
}

static ld target_at(const problem *pb, size_t r, size_t j)
{
    if (pb->labels)
        return (size_t)pb->t[r] == j ? 1.0L : 0.0L;
    return pb->t[r * pb->cols + j];
}

/* clip(p, eps, 1 - eps): q is a float32, and the upper bound is the float
 * nearest 1 - eps (for eps = 1e-7 that is 1 - 2^-23, not 1 - 1e-7). */
static ld clip(ld p, float eps)
{
    const ld lo = eps, hi = (float)(1.0 - (double)eps);
    return p < lo ? lo : p > hi ? hi : p;
}

static ld softplus(ld z) { return z > 0 ? z + log1pl(expl(-z)) : log1pl(expl(z)); }

/* The row's summed loss (before the mean) at predictions p[0..cols), and in
 * g (may be NULL) its documented gradient, also before the mean; in m (may
 * be NULL) the size of what the gradient's final subtraction "model term -
 * target" subtracts, |a| + |t|, scaled like the gradient: float rounding of
 * the model term a is magnified by cancellation only up to that. */
static ld ref_row(const problem *pb, size_t r, const ld *p, ld *g, ld *m)
{
    const size_t C = pb->cols;
    const float eps = pb->loss.epsilon;
    ld sum = 0;
    switch (pb->loss.kind) {
    case NNACT_LOSS_MSE:
        for (size_t j = 0; j < C; j++) {
            ld t = target_at(pb, r, j), d = p[j] - t;
            sum += d * d;
            if (g)
                g[j] = 2 * d;
            if (m)
                m[j] = 2 * (fabsl(p[j]) + fabsl(t));
        }
        break;
    case NNACT_LOSS_BCE:
        for (size_t j = 0; j < C; j++) {
            ld t = target_at(pb, r, j), q = clip(p[j], eps);
            sum -= t * logl(q) + (1 - t) * logl(1 - q);
            if (g)
                g[j] = (q - t) / (q * (1 - q));
            if (m)
                m[j] = (q + fabsl(t)) / (q * (1 - q));
        }
        break;
    case NNACT_LOSS_BCE_LOGITS:
        /* -[t log s(z) + (1-t) log(1 - s(z))] = softplus(z) - t z */
        for (size_t j = 0; j < C; j++) {
            ld t = target_at(pb, r, j);
            sum += softplus(p[j]) - t * p[j];
            if (g)
                g[j] = 1 / (1 + expl(-p[j])) - t;
            if (m)
                m[j] = 1 / (1 + expl(-p[j])) + fabsl(t);
        }
        break;
    case NNACT_LOSS_CCE:
        for (size_t j = 0; j < C; j++) {
            ld t = target_at(pb, r, j), q = clip(p[j], eps);
            if (t != 0)
                sum -= t * logl(q);
            if (g)
                g[j] = t != 0 ? -t / q : 0;
            if (m)
                m[j] = fabsl(t) / q;
        }
        break;
    case NNACT_LOSS_SOFTMAX_CCE: {
        const ld T = pb->loss.temperature;
        ld mx = -INFINITY, se = 0;
        for (size_t j = 0; j < C; j++)
            mx = fmaxl(mx, p[j] / T);
        for (size_t j = 0; j < C; j++)
            se += expl(p[j] / T - mx);
        const ld lse = mx + logl(se); /* log sum exp(z/T) */
        for (size_t j = 0; j < C; j++) {
            ld t = target_at(pb, r, j), logsm = p[j] / T - lse;
            sum -= t * logsm;
            if (g)
                g[j] = (expl(logsm) - t) / T;
            /* plus exp's sensitivity to its argument (z - max z) / T, which
             * a float evaluation rounds */
            if (m)
                m[j] = (expl(logsm) * (1 + fabsl(p[j] / T - mx)) + fabsl(t)) / T;
        }
        break;
    }
    case NNACT_LOSS_NLL:
        /* on log-probabilities p: -sum t p, gradient -t */
        for (size_t j = 0; j < C; j++) {
            ld t = target_at(pb, r, j);
            if (t != 0)
                sum -= t * p[j];
            if (g)
                g[j] = -t;
            if (m)
                m[j] = fabsl(t);
        }
        break;
    default:
        ck_abort_msg("bad kind");
    }
    return sum;
}

/* Mean loss, mean gradient and its operand size (grad, mag may be NULL) at
 * float predictions. */
static ld ref_eval(const problem *pb, const float *pred, ld *grad, ld *mag)
{
    const size_t R = pb->rows, C = pb->cols;
    const ld n = count_of(pb);
    ld *p = tu_xmalloc(C * sizeof *p), total = 0;
    for (size_t r = 0; r < R; r++) {
        for (size_t j = 0; j < C; j++)
            p[j] = pred[r * C + j];
        total += ref_row(pb, r, p, grad ? grad + r * C : NULL, mag ? mag + r * C : NULL);
    }
    for (size_t i = 0; i < R * C; i++) {
        if (grad)
            grad[i] /= n;
        if (mag)
            mag[i] /= n;
    }
    free(p);
    return R && C ? total / n : 0;
}

static size_t argmax_first(const float *v, size_t n)
{
    size_t b = 0;
    for (size_t j = 1; j < n; j++)
        if (v[j] > v[b])
            b = j;
    return b;
}

/* Fraction of rows whose prediction is right, as the library reports it. */
static float ref_accuracy(const problem *pb, const float *pred)
{
    const size_t R = pb->rows, C = pb->cols;
    size_t ok = 0;
    for (size_t r = 0; r < R; r++) {
        if (C == 1) {
            float thr = pb->loss.kind == NNACT_LOSS_NLL ? logf(0.5f)
                        : on_logits(pb->loss.kind)     ? 0.0f
                                                       : 0.5f;
            ok += (pred[r] > thr) == (pb->t[r] > 0.5f);
        } else {
            size_t want = pb->labels ? (size_t)pb->t[r] : argmax_first(pb->t + r * C, C);
            ok += argmax_first(pred + r * C, C) == want;
        }
    }
    return R ? (float)((double)ok / (double)R) : 0.0f;
}

/* The reference gradient against central differences of the reference loss,
 * row by row (only the row's own loss moves). Clipping is never active in
 * the inputs this is used on, and dense CCE targets sum to exactly 1, so
 * the documented gradient is the derivative. */
static void check_fd(const char *what, const problem *pb, const float *pred, const ld *grad)
{
    /* The bar below needs long double's 64-bit mantissa; valgrind computes
     * long double in double precision, where only the device checks run. */
    volatile ld one = 1.0L, eps = LDBL_EPSILON;
    if (one + eps == one) {
        static int told;
        if (!told++)
            printf("long double has no extended precision here (valgrind?): finite "
                   "difference checks skipped\n");
        return;
    }
    const size_t R = pb->rows, C = pb->cols;
    const ld n = count_of(pb), h = 1e-6L;
    ld *p = tu_xmalloc(C * sizeof *p), mx = 0;
    for (size_t i = 0; i < R * C; i++)
        mx = fmaxl(mx, fabsl(grad[i]));
    for (size_t r = 0; r < R; r++) {
        for (size_t j = 0; j < C; j++)
            p[j] = pred[r * C + j];
        /* every element of short rows; a spread of 64 in long ones */
        size_t stride = C > 64 ? C / 64 : 1;
        for (size_t j = r % stride; j < C; j += stride) {
            ld keep = p[j];
            p[j] = keep + h;
            ld up = ref_row(pb, r, p, NULL, NULL);
            p[j] = keep - h;
            ld down = ref_row(pb, r, p, NULL, NULL);
            p[j] = keep;
            ld fd = (up - down) / (2 * h) / n, g = grad[r * C + j];
            TU_EXPECT(fabsl(fd - g) <= 1e-7L * fabsl(g) + 1e-10L * mx,
                   "%s: reference gradient [%zu,%zu] = %.12Lg but finite "
                   "differences give %.12Lg", what, r, j, g, fd);
        }
    }
    free(p);
}

/* ---- Comparisons ----------------------------------------------------------- */

static void expect_value(const char *what, float got, ld ref)
{
    ck_assert_msg(isfinite(got), "%s: loss %g is not finite", what, (double)got);
    ck_assert_msg(fabsl((ld)got - ref) <= LOSS_REL * fabsl(ref),
                  "%s: loss %.9g, want %.12Lg (rel err %.3Lg)", what, (double)got, ref,
                  fabsl((ld)got - ref) / fabsl(ref));
}

static void expect_grad(const char *what, const float *got, const ld *ref, const ld *mag,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ld tol = GRAD_REL * fabsl(ref[i]) + GRAD_OPS * mag[i] + GRAD_UNDERFLOW;
        TU_EXPECT(fabsl((ld)got[i] - ref[i]) <= tol,
               "%s: grad[%zu] = %.9g, want %.12Lg (err %.3Lg, tol %.3Lg)", what, i,
               (double)got[i], ref[i], fabsl((ld)got[i] - ref[i]), tol);
    }
}

/* Everything one problem promises: value, accuracy and gradient against the
 * reference; a second evaluation bit-identical; loss only (grad NULL) and
 * gradient only (value and accuracy NULL) giving the same bits. */
static void run_problem(const char *what, const problem *pb, const float *pred, int fd)
{
    const size_t R = pb->rows, C = pb->cols, n = R * C;
    ld *gref = tu_xmalloc(n * sizeof *gref), *mag = tu_xmalloc(n * sizeof *mag);
    const ld vref = ref_eval(pb, pred, gref, mag);
    const float aref = ref_accuracy(pb, pred);
    if (fd)
        check_fd(what, pb, pred, gref);

    nnact_tensor *P = tu_tensor(R, C, pred), *T = tu_tensor(R, pb->labels ? 1 : C, pb->t),
                 *G = tu_tensor(R, C, NULL);
    float v1 = NAN, a1 = NAN, v2 = NAN, a2 = NAN, v3 = NAN, a3 = NAN;
    TU_OK(nnact_loss_eval(tu_ctx, &pb->loss, P, T, &v1, &a1, G));
    float *g1 = tu_read(G);
    expect_value(what, v1, vref);
    ck_assert_msg(a1 == aref, "%s: accuracy %.9g, want %.9g", what, (double)a1, (double)aref);
    expect_grad(what, g1, gref, mag, n);

    tu_poison(G);
    TU_OK(nnact_loss_eval(tu_ctx, &pb->loss, P, T, &v2, &a2, G));
    float *g2 = tu_read(G);
    ck_assert_msg(!memcmp(&v1, &v2, sizeof v1) && !memcmp(&a1, &a2, sizeof a1),
                  "%s: second evaluation differs: loss %.9g vs %.9g, accuracy %g vs %g",
                  what, (double)v1, (double)v2, (double)a1, (double)a2);
    ck_assert_msg(!memcmp(g1, g2, n * sizeof *g1), "%s: second gradient differs", what);

    TU_OK(nnact_loss_eval(tu_ctx, &pb->loss, P, T, &v3, &a3, NULL));
    ck_assert_msg(!memcmp(&v1, &v3, sizeof v1) && !memcmp(&a1, &a3, sizeof a1),
                  "%s: loss without gradient differs: %.9g vs %.9g", what, (double)v3,
                  (double)v1);
    tu_poison(G);
    TU_OK(nnact_loss_eval(tu_ctx, &pb->loss, P, T, NULL, NULL, G));
    free(g2);
    g2 = tu_read(G);
    ck_assert_msg(!memcmp(g1, g2, n * sizeof *g1), "%s: gradient-only call differs", what);
    /* value alone, accuracy alone */
    v3 = a3 = NAN;
    TU_OK(nnact_loss_eval(tu_ctx, &pb->loss, P, T, &v3, NULL, NULL));
    TU_OK(nnact_loss_eval(tu_ctx, &pb->loss, P, T, NULL, &a3, NULL));
    ck_assert_msg(!memcmp(&v1, &v3, sizeof v1) && !memcmp(&a1, &a3, sizeof a1),
                  "%s: value-only/accuracy-only calls differ", what);

    free(gref), free(mag), free(g1), free(g2);
    nnact_tensor_destroy(P), nnact_tensor_destroy(T), nnact_tensor_destroy(G);
}

/* ---- Inputs ---------------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static float uni(float lo, float hi) /* [lo, hi] */
{
    return lo + (hi - lo) * (float)((double)(rnd() >> 11) / 9007199254740992.0);
}

/* A probability distribution summing to exactly 1: 64 units of 1/64 dealt to
 * random columns (some columns get none). */
static void distribution(float *t, size_t cols)
{
    memset(t, 0, cols * sizeof *t);
    for (int u = 0; u < 64; u++)
        t[rnd() % cols] += 1.0f / 64;
}

/* Predictions and targets for a kind: probabilities in [0.02, 0.98] for BCE
 * and CCE (no clipping), logits for the others. Every third row's largest
 * prediction is moved to the target's argmax, so accuracy is neither 0 nor 1. */
static void make_inputs(nnact_loss_kind kind, int labels, size_t R, size_t C, float *pred,
                        float *t)
{
    const int prob = kind == NNACT_LOSS_BCE || kind == NNACT_LOSS_CCE;
    for (size_t i = 0; i < R * C; i++)
        pred[i] = prob                     ? uni(0.02f, 0.98f)
                  : kind == NNACT_LOSS_MSE ? uni(-1.5f, 1.5f)
                  : kind == NNACT_LOSS_NLL ? uni(-8.0f, 0.0f) /* log-probabilities */
                                           : uni(-5.0f, 5.0f);
    for (size_t r = 0; r < R; r++) {
        if (labels)
            t[r] = (float)(rnd() % C);
        else if (kind == NNACT_LOSS_CCE || kind == NNACT_LOSS_SOFTMAX_CCE ||
                 kind == NNACT_LOSS_NLL)
            distribution(t + r * C, C);
        else
            for (size_t j = 0; j < C; j++)
                t[r * C + j] = kind == NNACT_LOSS_MSE ? uni(-1.0f, 1.0f) : uni(0.0f, 1.0f);
        if (C > 1 && r % 3 == 0) {
            size_t want = labels ? (size_t)t[r] : argmax_first(t + r * C, C);
            size_t have = argmax_first(pred + r * C, C);
            float tmp = pred[r * C + want];
            pred[r * C + want] = pred[r * C + have];
            pred[r * C + have] = tmp;
        }
    }
}

/* 257x1: one column, where accuracy is a threshold (0.5, or 0 on logits) */
static const size_t dense_shapes[][2] = {{1, 1}, {7, 3}, {129, 10}, {1000, 10}, {257, 1}};
static const size_t label_shapes[][2] = {{1, 5}, {7, 3}, {129, 10}, {1000, 10}};
static const float temperatures[] = {0.5f, 1.0f, 2.5f};

/* _i = 2 * kind + labels */
START_TEST(random_problems)
{
    const nnact_loss_kind kind = (nnact_loss_kind)(_i / 2);
    const int labels = _i % 2;
    rng_state = 0x1234567u + (uint64_t)_i;
    const size_t n_shapes = labels ? sizeof label_shapes / sizeof label_shapes[0]
                                   : sizeof dense_shapes / sizeof dense_shapes[0];
    for (size_t s = 0; s < n_shapes; s++) {
        const size_t R = labels ? label_shapes[s][0] : dense_shapes[s][0];
        const size_t C = labels ? label_shapes[s][1] : dense_shapes[s][1];
        int nt = kind == NNACT_LOSS_SOFTMAX_CCE ? 3 : 1;
        for (int ti = 0; ti < nt; ti++) {
            problem pb = {{kind, 0, 0}, NULL, labels, R, C};
            TU_OK(nnact_loss_from_name(nnact_loss_name(kind), &pb.loss));
            if (kind == NNACT_LOSS_SOFTMAX_CCE)
                pb.loss.temperature = temperatures[ti];
            float *pred = tu_xmalloc(R * C * sizeof *pred), *t = tu_xmalloc(R * C * sizeof *t);
            make_inputs(kind, labels, R, C, pred, t);
            pb.t = t;
            char what[128];
            snprintf(what, sizeof what, "%s %s %zux%zu T=%g", nnact_loss_name(kind),
                     labels ? "labels" : "dense", R, C, (double)pb.loss.temperature);
            run_problem(what, &pb, pred, 1);
            free(pred), free(t);
        }
    }
}
END_TEST

/* Labels and their one-hot dense targets are the same problem. */
START_TEST(labels_equal_one_hot)
{
    const nnact_loss_kind kind = (nnact_loss_kind)_i;
    const size_t R = 129, C = 10;
    rng_state = 99 + (uint64_t)_i;
    float *pred = tu_xmalloc(R * C * 4), *lab = tu_xmalloc(R * 4), *hot = tu_xmalloc(R * C * 4);
    make_inputs(kind, 1, R, C, pred, lab);
    memset(hot, 0, R * C * 4);
    for (size_t r = 0; r < R; r++)
        hot[r * C + (size_t)lab[r]] = 1.0f;
    nnact_loss l;
    TU_OK(nnact_loss_from_name(nnact_loss_name(kind), &l));
    nnact_tensor *P = tu_tensor(R, C, pred), *L = tu_tensor(R, 1, lab),
                 *H = tu_tensor(R, C, hot), *G1 = tu_tensor(R, C, NULL),
                 *G2 = tu_tensor(R, C, NULL);
    float v1, v2, a1, a2;
    TU_OK(nnact_loss_eval(tu_ctx, &l, P, L, &v1, &a1, G1));
    TU_OK(nnact_loss_eval(tu_ctx, &l, P, H, &v2, &a2, G2));
    float *g1 = tu_read(G1), *g2 = tu_read(G2);
    ck_assert_msg(fabsf(v1 - v2) <= 1e-6f * fabsf(v2), "%s: labels %.9g, one-hot %.9g",
                  nnact_loss_name(kind), (double)v1, (double)v2);
    ck_assert_msg(a1 == a2, "%s: accuracy labels %g, one-hot %g", nnact_loss_name(kind),
                  (double)a1, (double)a2);
    for (size_t i = 0; i < R * C; i++)
        TU_EXPECT(fabsf(g1[i] - g2[i]) <= 1e-6f * fabsf(g2[i]),
               "%s: grad[%zu] labels %.9g, one-hot %.9g", nnact_loss_name(kind), i,
               (double)g1[i], (double)g2[i]);
    free(pred), free(lab), free(hot), free(g1), free(g2);
    nnact_tensor_destroy(P), nnact_tensor_destroy(L), nnact_tensor_destroy(H);
    nnact_tensor_destroy(G1), nnact_tensor_destroy(G2);
}
END_TEST

/* One row of 100000 logits: spread +-1e4 (exp underflows for all but the
 * top) and +-10 (a long compensated sum), labels and a dense distribution. */
START_TEST(softmax_cce_long_row)
{
    const size_t C = 100000;
    float *z = tu_xmalloc(C * 4), *t = tu_xmalloc(C * 4);
    for (int scale = 0; scale < 2; scale++)
        for (int labels = 0; labels < 2; labels++)
            for (int ti = 0; ti < 3; ti++) {
                rng_state = 777 + (uint64_t)(scale * 10 + labels * 3 + ti);
                float s = scale ? 1e4f : 10.0f;
                for (size_t j = 0; j < C; j++)
                    z[j] = uni(-s, s);
                z[rnd() % C] = s; /* the extremes themselves */
                z[rnd() % C] = -s;
                if (labels)
                    t[0] = (float)(rnd() % C);
                else
                    distribution(t, C);
                problem pb = {{NNACT_LOSS_SOFTMAX_CCE, 0, temperatures[ti]}, t, labels, 1, C};
                char what[96];
                snprintf(what, sizeof what, "softmax_cce 1x%zu logits +-%g %s T=%g", C,
                         (double)s, labels ? "label" : "dense", (double)temperatures[ti]);
                run_problem(what, &pb, z, 0);
            }
    free(z), free(t);
}
END_TEST

/* Logits of +-1000 (and other large values): finite loss and gradient. */
START_TEST(extreme_logits)
{
    static const float zb[] = {1000, -1000, 0, 1000, 1000, -1000, -1000, -1000, -1000,
                               100, -100, 20, -20, 1000, 88, 89, -1000, 1000};
    static const float tb[] = {0, 1, 0.5f, 1, 0, 0, 1, 0.3f, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0.7f};
    const size_t R = 6, C = 3;
    problem pb = {{NNACT_LOSS_BCE_LOGITS, 0, 0}, tb, 0, R, C};
    run_problem("bce_logits extreme", &pb, zb, 0);
    /* one column: the sign decides */
    problem p1 = {{NNACT_LOSS_BCE_LOGITS, 0, 0}, tb, 0, R * C, 1};
    run_problem("bce_logits extreme, one column", &p1, zb, 0);

    static const float lab[] = {1, 0, 2, 1, 0, 2};
    float hot[18] = {0};
    for (size_t r = 0; r < R; r++)
        hot[r * C + (size_t)lab[r]] = 1.0f;
    for (int ti = 0; ti < 3; ti++)
        for (int labels = 0; labels < 2; labels++) {
            problem ps = {{NNACT_LOSS_SOFTMAX_CCE, 0, temperatures[ti]}, labels ? lab : hot,
                          labels, R, C};
            char what[80];
            snprintf(what, sizeof what, "softmax_cce extreme %s T=%g",
                     labels ? "labels" : "one-hot", (double)temperatures[ti]);
            run_problem(what, &ps, zb, 0);
        }
}
END_TEST

/* Softmax-CCE shares softmax's row max, and the same rule holds: a row with
 * a NaN or +inf logit (all NaN, NaN among -inf, all +inf, one column of NaN)
 * gives a NaN loss and a NaN gradient throughout that row; the other rows'
 * gradients stay finite. Both kernel forms (the suite also runs with
 * NNACT_ROW_KERNELS=0), one-hot targets and labels, rows longer than a
 * work-group's share. */
START_TEST(softmax_cce_nan_rows)
{
    enum { R = 5 };
    static const size_t widths[] = {1, 3, 1000};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        const size_t C = widths[w], n = R * C;
        float *z = tu_xmalloc(n * sizeof *z), *hot = tu_xmalloc(n * sizeof *hot);
        float lab[R];
        for (size_t i = 0; i < n; i++)
            z[i] = (float)(i % 7) - 3.0f, hot[i] = 0.0f;
        for (size_t r = 0; r < R; r++) {
            lab[r] = (float)(r % C);
            hot[r * C + r % C] = 1.0f;
        }
        for (size_t j = 0; j < C; j++) {
            z[1 * C + j] = NAN;                                 /* all NaN */
            z[2 * C + j] = j == C / 2 ? NAN : -INFINITY;        /* NaN among -inf */
            z[3 * C + j] = INFINITY;                            /* all +inf */
        }
        for (int labels = 0; labels < 2; labels++) {
            const nnact_loss loss = {NNACT_LOSS_SOFTMAX_CCE, 0, 1.0f};
            nnact_tensor *P = tu_tensor(R, C, z), *T = tu_tensor(R, labels ? 1 : C,
                                                                  labels ? lab : hot),
                         *G = tu_tensor(R, C, NULL);
            float v = 0.0f;
            TU_OK(nnact_loss_eval(tu_ctx, &loss, P, T, &v, NULL, G));
            ck_assert_msg(isnan(v), "softmax_cce %dx%zu (%s) with NaN/+inf rows: loss %.9g, "
                          "want NaN", R, C, labels ? "labels" : "one-hot", (double)v);
            float *g = tu_read(G);
            for (size_t r = 0; r < R; r++)
                for (size_t j = 0; j < C; j++) {
                    const int want_nan = r >= 1 && r <= 3;
                    const float gv = g[r * C + j];
                    ck_assert_msg(want_nan ? isnan(gv) : isfinite(gv),
                                  "softmax_cce %dx%zu (%s): grad row %zu col %zu = %.9g, "
                                  "want %s", R, C, labels ? "labels" : "one-hot", r, j,
                                  (double)gv, want_nan ? "NaN" : "finite");
                }
            free(g);
            nnact_tensor_destroy(P), nnact_tensor_destroy(T), nnact_tensor_destroy(G);
        }
        free(z), free(hot);
    }
}
END_TEST

/* Probabilities of exactly 0 and 1: the clip keeps loss and gradient finite
 * (the gradient is the formula at the clipped q). */
START_TEST(clipped_probabilities)
{
    static const float pb_[] = {0, 1, 0, 1, 0.5f, 1e-12f, 1, 0, 0.3f, 1, 0, 0.5f};
    static const float tb[] = {0, 0, 1, 1, 0.3f, 1, 0.9f, 0.2f, 0, 1, 0, 1};
    static const float eps[] = {1e-7f, 0.1f, 1e-3f};
    for (int e = 0; e < 3; e++) {
        char what[80];
        problem pb = {{NNACT_LOSS_BCE, eps[e], 0}, tb, 0, 4, 3};
        snprintf(what, sizeof what, "bce at 0/1, eps %g", (double)eps[e]);
        run_problem(what, &pb, pb_, 0);
        problem p1 = {{NNACT_LOSS_BCE, eps[e], 0}, tb, 0, 12, 1};
        snprintf(what, sizeof what, "bce at 0/1, one column, eps %g", (double)eps[e]);
        run_problem(what, &p1, pb_, 0);
        /* CCE: one-hot targets and labels pointing at 0 and 1 */
        static const float lab[] = {0, 2, 1, 0};
        float hot[12] = {0};
        for (int r = 0; r < 4; r++)
            hot[r * 3 + (int)lab[r]] = 1.0f;
        problem pc = {{NNACT_LOSS_CCE, eps[e], 0}, hot, 0, 4, 3};
        snprintf(what, sizeof what, "cce at 0/1, eps %g", (double)eps[e]);
        run_problem(what, &pc, pb_, 0);
        problem pl = {{NNACT_LOSS_CCE, eps[e], 0}, lab, 1, 4, 3};
        snprintf(what, sizeof what, "sparse cce at 0/1, eps %g", (double)eps[e]);
        run_problem(what, &pl, pb_, 0);
    }
    /* The value itself: a label at p = 0 costs -log(1e-7). */
    float p0[2] = {0, 1}, l0[1] = {0}, v;
    nnact_tensor *P = tu_tensor(1, 2, p0), *L = tu_tensor(1, 1, l0);
    nnact_loss cce;
    TU_OK(nnact_loss_from_name("sparse_cce", &cce));
    TU_OK(nnact_loss_eval(tu_ctx, &cce, P, L, &v, NULL, NULL));
    ck_assert_msg(fabs(v - 16.1180954) < 1e-4, "sparse_cce at p = 0: %.9g", (double)v);
    nnact_tensor_destroy(P), nnact_tensor_destroy(L);
}
END_TEST

/* Tensors that are views at odd offsets of one buffer; the elements around
 * the gradient are left alone. */
START_TEST(views_at_offsets)
{
    const size_t R = 7, C = 5, n = R * C, po = 3, to = po + n + 1, go = to + n + 2;
    const size_t total = go + n + 4;
    cl_context clctx;
    ck_assert_int_eq(clGetCommandQueueInfo(nnact_ctx_queue(tu_ctx), CL_QUEUE_CONTEXT,
                                           sizeof clctx, &clctx, NULL), CL_SUCCESS);
    cl_int err;
    cl_mem buf = clCreateBuffer(clctx, CL_MEM_READ_WRITE, total * 4, NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    float *host = tu_xmalloc(total * 4);
    for (size_t i = 0; i < total; i++)
        host[i] = -12345.0f;
    rng_state = 4242;
    make_inputs(NNACT_LOSS_SOFTMAX_CCE, 0, R, C, host + po, host + to);
    nnact_tensor *all, *P, *T, *G;
    TU_OK(nnact_tensor_wrap(tu_ctx, buf, 0, 1, total, &all));
    TU_OK(nnact_tensor_write(all, host));
    TU_OK(nnact_tensor_wrap(tu_ctx, buf, po, R, C, &P));
    TU_OK(nnact_tensor_wrap(tu_ctx, buf, to, R, C, &T));
    TU_OK(nnact_tensor_wrap(tu_ctx, buf, go, R, C, &G));
    problem pb = {{NNACT_LOSS_SOFTMAX_CCE, 0, 1.5f}, host + to, 0, R, C};
    ld gref[35], mag[35];
    ld vref = ref_eval(&pb, host + po, gref, mag);
    float v, a;
    TU_OK(nnact_loss_eval(tu_ctx, &pb.loss, P, T, &v, &a, G));
    float *after = tu_read(all);
    expect_value("views", v, vref);
    ck_assert(a == ref_accuracy(&pb, host + po));
    expect_grad("views", after + go, gref, mag, n);
    for (size_t i = 0; i < total; i++)
        if (i < go || i >= go + n)
            TU_EXPECT(after[i] == host[i], "element %zu outside grad changed", i);
    free(host), free(after);
    nnact_tensor_destroy(P), nnact_tensor_destroy(T), nnact_tensor_destroy(G);
    nnact_tensor_destroy(all);
    clReleaseMemObject(buf);
}
END_TEST

/* The message names the row: "row 5", not followed by another digit. */
static void expect_row_named(size_t row, const char *what)
{
    char key[32];
    snprintf(key, sizeof key, "row %zu", row);
    const char *m = nnact_last_error(), *at = strstr(m, key);
    ck_assert_msg(at && !(at[strlen(key)] >= '0' && at[strlen(key)] <= '9'),
                  "%s: message '%s' does not name row %zu", what, m, row);
}

START_TEST(bad_labels)
{
    static const float bad[] = {-1.0f, 3.0f /* = k */, 2.5f, NAN, INFINITY, -0.5f, 1e10f,
                                -INFINITY, 3.0000002f};
    const size_t rows[] = {0, 5, 128};
    const size_t R = 129, C = 3;
    float *pred = tu_xmalloc(R * C * 4), *lab = tu_xmalloc(R * 4);
    tu_random(pred, R * C, 1.0f, 5);
    for (size_t k = 0; k < NNACT_LOSS_COUNT; k++) {
        nnact_loss l;
        TU_OK(nnact_loss_from_name(nnact_loss_name((nnact_loss_kind)k), &l));
        if (k == NNACT_LOSS_BCE || k == NNACT_LOSS_CCE)
            for (size_t i = 0; i < R * C; i++)
                pred[i] = fabsf(pred[i]) * 0.9f + 0.05f;
        for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
            for (size_t ri = 0; ri < 3; ri++) {
                for (size_t r = 0; r < R; r++)
                    lab[r] = (float)(r % C);
                lab[rows[ri]] = bad[b];
                if (ri == 1) /* a second bad row after the first */
                    lab[77] = bad[(b + 1) % (sizeof bad / sizeof bad[0])];
                nnact_tensor *P = tu_tensor(R, C, pred), *L = tu_tensor(R, 1, lab),
                             *G = tu_tensor(R, C, NULL);
                char what[96];
                snprintf(what, sizeof what, "%s label %g at row %zu",
                         nnact_loss_name((nnact_loss_kind)k), (double)bad[b], rows[ri]);
                float v = 0, a = 0;
                TU_FAILS(nnact_loss_eval(tu_ctx, &l, P, L, &v, &a, G), NNACT_ERR_INVALID_ARG,
                         "label");
                expect_row_named(rows[ri], what);
                TU_FAILS(nnact_loss_eval(tu_ctx, &l, P, L, NULL, NULL, G),
                         NNACT_ERR_INVALID_ARG, "label");
                expect_row_named(rows[ri], what);
                TU_FAILS(nnact_loss_eval(tu_ctx, &l, P, L, &v, NULL, NULL),
                         NNACT_ERR_INVALID_ARG, "label");
                expect_row_named(rows[ri], what);
                /* and the context goes on working */
                lab[rows[ri]] = 1.0f;
                lab[77] = 2.0f;
                TU_OK(nnact_tensor_write(L, lab));
                TU_OK(nnact_loss_eval(tu_ctx, &l, P, L, &v, &a, G));
                ck_assert_msg(isfinite(v), "%s: loss after repair %g", what, (double)v);
                nnact_tensor_destroy(P), nnact_tensor_destroy(L), nnact_tensor_destroy(G);
            }
    }
    free(pred), free(lab);
}
END_TEST

/* Sums added on the device over several batches give the mean that the
 * per-batch results give (weighted by each batch's divisor), the same
 * gradients bit for bit, and bad labels are counted, then reported. */
START_TEST(accumulate_matches_eval)
{
    const nnact_loss_kind kind = (nnact_loss_kind)(_i / 2);
    const int labels = _i % 2;
    static const size_t batch_rows[] = {7, 129, 1};
    const size_t C = 10;
    rng_state = 4242 + (uint64_t)_i;
    nnact_loss l;
    TU_OK(nnact_loss_from_name(nnact_loss_name(kind), &l));
    nnact_tensor *S = tu_tensor(1, NNACT_LOSS_SUMS, NULL);
    TU_OK(nnact_tensor_fill(S, 0.0f));
    double loss_sum = 0, count = 0, correct = 0, rows = 0;
    for (size_t b = 0; b < 3; b++) {
        const size_t R = batch_rows[b];
        float *pred = tu_xmalloc(R * C * 4), *t = tu_xmalloc(R * C * 4);
        make_inputs(kind, labels, R, C, pred, t);
        nnact_tensor *P = tu_tensor(R, C, pred), *T = tu_tensor(R, labels ? 1 : C, t),
                     *G1 = tu_tensor(R, C, NULL), *G2 = tu_tensor(R, C, NULL);
        float v, a;
        TU_OK(nnact_loss_eval(tu_ctx, &l, P, T, &v, &a, G1));
        TU_OK(nnact_loss_accumulate(tu_ctx, &l, P, T, S, G2));
        const double n = per_element(kind) ? (double)R * C : (double)R;
        loss_sum += (double)v * n, count += n, correct += (double)a * R, rows += R;
        float *g1 = tu_read(G1), *g2 = tu_read(G2);
        ck_assert_msg(!memcmp(g1, g2, R * C * 4), "%s: accumulate's gradient differs",
                      nnact_loss_name(kind));
        free(g1), free(g2), free(pred), free(t);
        nnact_tensor_destroy(P), nnact_tensor_destroy(T);
        nnact_tensor_destroy(G1), nnact_tensor_destroy(G2);
    }
    float v, a;
    TU_OK(nnact_loss_sums_read(S, &v, &a));
    ck_assert_msg(fabs(v - loss_sum / count) <= 1e-6 * fabs(loss_sum / count) + 1e-30,
                  "%s %s: mean %.9g, want %.9g", nnact_loss_name(kind),
                  labels ? "labels" : "dense", (double)v, loss_sum / count);
    ck_assert_msg(fabs(a - correct / rows) <= 1e-6, "accuracy %g, want %g", (double)a,
                  correct / rows);
    if (labels) { /* a bad label: counted on the device, reported at the read */
        float p[2 * 10] = {0}, lab[2] = {3.0f, 10.0f};
        nnact_tensor *P = tu_tensor(2, C, p), *T = tu_tensor(2, 1, lab);
        TU_OK(nnact_loss_accumulate(tu_ctx, &l, P, T, S, NULL));
        TU_FAILS(nnact_loss_sums_read(S, &v, &a), NNACT_ERR_INVALID_ARG, "1 label(s)");
        nnact_tensor_destroy(P), nnact_tensor_destroy(T);
    }
    nnact_tensor_destroy(S);
}
END_TEST

START_TEST(accumulate_errors)
{
    nnact_loss l;
    TU_OK(nnact_loss_from_name("mse", &l));
    nnact_tensor *P = tu_tensor(3, 2, NULL), *S = tu_tensor(1, NNACT_LOSS_SUMS, NULL),
                 *W = tu_tensor(1, 3, NULL);
    TU_FAILS(nnact_loss_accumulate(tu_ctx, &l, P, P, NULL, NULL), NNACT_ERR_INVALID_ARG,
             "sums is NULL");
    TU_FAILS(nnact_loss_accumulate(tu_ctx, &l, P, P, W, NULL), NNACT_ERR_SHAPE, "sums is 1x3");
    TU_FAILS(nnact_loss_accumulate(NULL, &l, P, P, S, NULL), NNACT_ERR_INVALID_ARG, "ctx");
    TU_FAILS(nnact_loss_sums_read(NULL, NULL, NULL), NNACT_ERR_INVALID_ARG, "sums is NULL");
    TU_FAILS(nnact_loss_sums_read(W, NULL, NULL), NNACT_ERR_SHAPE, "sums is 1x3");
    float v = -1, a = -1; /* nothing added yet: zeros, not 0/0 */
    TU_OK(nnact_tensor_fill(S, 0.0f));
    TU_OK(nnact_loss_sums_read(S, &v, &a));
    ck_assert(v == 0.0f && a == 0.0f);
    nnact_tensor_destroy(P), nnact_tensor_destroy(S), nnact_tensor_destroy(W);
}
END_TEST

START_TEST(shape_errors)
{
    nnact_loss l;
    TU_OK(nnact_loss_from_name("softmax_cce", &l));
    nnact_tensor *P = tu_tensor(7, 3, NULL), *T63 = tu_tensor(6, 3, NULL),
                 *T74 = tu_tensor(7, 4, NULL), *T72 = tu_tensor(7, 2, NULL),
                 *L61 = tu_tensor(6, 1, NULL), *G37 = tu_tensor(3, 7, NULL),
                 *G73 = tu_tensor(7, 3, NULL), *P71 = tu_tensor(7, 1, NULL),
                 *G71 = tu_tensor(7, 1, NULL);
    float v, a;
    TU_FAILS(nnact_loss_eval(tu_ctx, &l, P, T63, &v, &a, NULL), NNACT_ERR_SHAPE, "6x3");
    TU_FAILS(nnact_loss_eval(tu_ctx, &l, P, T74, &v, &a, NULL), NNACT_ERR_SHAPE, "7x4");
    TU_FAILS(nnact_loss_eval(tu_ctx, &l, P, T72, &v, &a, NULL), NNACT_ERR_SHAPE, "7x2");
    TU_FAILS(nnact_loss_eval(tu_ctx, &l, P, L61, &v, &a, NULL), NNACT_ERR_SHAPE, "6x1");
    TU_FAILS(nnact_loss_eval(tu_ctx, &l, P, T63, NULL, NULL, G73), NNACT_ERR_SHAPE, "6x3");
    TU_FAILS(nnact_loss_eval(tu_ctx, &l, P, G73, &v, &a, G37), NNACT_ERR_SHAPE, "3x7");
    TU_FAILS(nnact_loss_eval(tu_ctx, &l, P, G73, &v, &a, G71), NNACT_ERR_SHAPE, "7x1");
    TU_FAILS(nnact_loss_eval(tu_ctx, &l, P71, T72, &v, &a, NULL), NNACT_ERR_SHAPE, "7x2");
    TU_FAILS(nnact_loss_eval(tu_ctx, &l, P71, P, &v, &a, NULL), NNACT_ERR_SHAPE, "7x3");
    TU_FAILS(nnact_loss_eval(tu_ctx, &l, P71, G71, &v, &a, P), NNACT_ERR_SHAPE, "7x3");
    nnact_tensor *all[] = {P, T63, T74, T72, L61, G37, G73, P71, G71};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
}
END_TEST

START_TEST(parameter_errors)
{
    float p[6] = {0.2f, 0.3f, 0.5f, 0.1f, 0.1f, 0.8f}, lab[2] = {2, 0};
    nnact_tensor *P = tu_tensor(2, 3, p), *L = tu_tensor(2, 1, lab), *G = tu_tensor(2, 3, NULL);
    nnact_loss l = {NNACT_LOSS_CCE, 1e-7f, 0};
    float v;
    TU_FAILS(nnact_loss_eval(NULL, &l, P, L, &v, NULL, G), NNACT_ERR_INVALID_ARG, "ctx");
    TU_FAILS(nnact_loss_eval(tu_ctx, NULL, P, L, &v, NULL, G), NNACT_ERR_INVALID_ARG,
             "loss is NULL");
    TU_FAILS(nnact_loss_eval(tu_ctx, &l, NULL, L, &v, NULL, G), NNACT_ERR_INVALID_ARG,
             "pred is NULL");
    TU_FAILS(nnact_loss_eval(tu_ctx, &l, P, NULL, &v, NULL, G), NNACT_ERR_INVALID_ARG,
             "target is NULL");
    nnact_loss k = {NNACT_LOSS_COUNT, 0, 0};
    TU_FAILS(nnact_loss_eval(tu_ctx, &k, P, L, &v, NULL, G), NNACT_ERR_INVALID_ARG, "kind");
    k.kind = (nnact_loss_kind)-1;
    TU_FAILS(nnact_loss_eval(tu_ctx, &k, P, L, &v, NULL, G), NNACT_ERR_INVALID_ARG, "kind");
    k.kind = (nnact_loss_kind)1000;
    TU_FAILS(nnact_loss_eval(tu_ctx, &k, P, L, &v, NULL, G), NNACT_ERR_INVALID_ARG, "kind");

    static const float bad_eps[] = {-1e-7f, 0.5f, 0.7f, 1.0f, NAN, INFINITY, -INFINITY};
    for (int kind = NNACT_LOSS_BCE; kind <= NNACT_LOSS_CCE; kind += 2)
        for (size_t i = 0; i < sizeof bad_eps / sizeof bad_eps[0]; i++) {
            nnact_loss e = {(nnact_loss_kind)kind, bad_eps[i], 0};
            TU_FAILS(nnact_loss_eval(tu_ctx, &e, P, L, &v, NULL, G), NNACT_ERR_INVALID_ARG,
                     "epsilon");
        }
    /* the ends of [0, 0.5) that are allowed */
    nnact_loss e0 = {NNACT_LOSS_CCE, 0.0f, 0}, e1 = {NNACT_LOSS_BCE, 0.49999997f, 0};
    TU_OK(nnact_loss_eval(tu_ctx, &e0, P, L, &v, NULL, G));
    TU_OK(nnact_loss_eval(tu_ctx, &e1, P, L, &v, NULL, G));

    static const float bad_t[] = {0.0f, -0.0f, -1.0f, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad_t / sizeof bad_t[0]; i++) {
        nnact_loss s = {NNACT_LOSS_SOFTMAX_CCE, 0, bad_t[i]};
        TU_FAILS(nnact_loss_eval(tu_ctx, &s, P, L, &v, NULL, G), NNACT_ERR_INVALID_ARG,
                 "temperature");
    }
    nnact_loss s = {NNACT_LOSS_SOFTMAX_CCE, 0, 1e-3f};
    TU_OK(nnact_loss_eval(tu_ctx, &s, P, L, &v, NULL, G));
    nnact_tensor_destroy(P), nnact_tensor_destroy(L), nnact_tensor_destroy(G);
}
END_TEST

START_TEST(names)
{
    static const struct { const char *name; nnact_loss_kind kind; } known[] = {
        {"mse", NNACT_LOSS_MSE},
        {"mean_squared_error", NNACT_LOSS_MSE},
        {"bce", NNACT_LOSS_BCE},
        {"binary_crossentropy", NNACT_LOSS_BCE},
        {"bce_logits", NNACT_LOSS_BCE_LOGITS},
        {"cce", NNACT_LOSS_CCE},
        {"categorical_crossentropy", NNACT_LOSS_CCE},
        {"cross_entropy", NNACT_LOSS_CCE},
        {"sparse_cce", NNACT_LOSS_CCE},
        {"sparse_categorical_crossentropy", NNACT_LOSS_CCE},
        {"softmax_cce", NNACT_LOSS_SOFTMAX_CCE},
        {"nll", NNACT_LOSS_NLL},
        {"nll_loss", NNACT_LOSS_NLL},
        {"NLL-Loss", NNACT_LOSS_NLL},
        /* case and '-' */
        {"MSE", NNACT_LOSS_MSE},
        {"Bce-Logits", NNACT_LOSS_BCE_LOGITS},
        {"SPARSE-CCE", NNACT_LOSS_CCE},
        {"Softmax-CCE", NNACT_LOSS_SOFTMAX_CCE},
        {"Sparse-Categorical-CrossEntropy", NNACT_LOSS_CCE},
        {"cross-entropy", NNACT_LOSS_CCE},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        nnact_loss l = {NNACT_LOSS_COUNT, -1, -1};
        TU_OK(nnact_loss_from_name(known[i].name, &l));
        ck_assert_msg(l.kind == known[i].kind, "%s -> kind %d", known[i].name, (int)l.kind);
        float eps = l.kind == NNACT_LOSS_BCE || l.kind == NNACT_LOSS_CCE ? 1e-7f : 0.0f;
        float T = l.kind == NNACT_LOSS_SOFTMAX_CCE ? 1.0f : 0.0f;
        ck_assert_msg(l.epsilon == eps && l.temperature == T, "%s: epsilon %g temperature %g",
                      known[i].name, (double)l.epsilon, (double)l.temperature);
    }
    for (int k = 0; k < NNACT_LOSS_COUNT; k++) {
        const char *n = nnact_loss_name((nnact_loss_kind)k);
        ck_assert_ptr_nonnull(n);
        for (const char *c = n; *c; c++)
            ck_assert_msg(!(*c >= 'A' && *c <= 'Z'), "name %s not lowercase", n);
        nnact_loss l;
        TU_OK(nnact_loss_from_name(n, &l));
        ck_assert_int_eq(l.kind, k);
    }
    ck_assert_ptr_null(nnact_loss_name(NNACT_LOSS_COUNT));
    ck_assert_ptr_null(nnact_loss_name((nnact_loss_kind)-1));
    static const char *unknown[] = {"", "hinge", "mse ", " mse", "ms", "msee", "cce_sparse",
                                    "softmax", "bce__logits",
                                    "a_name_that_is_much_longer_than_any_known_loss_name"};
    nnact_loss l;
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        TU_FAILS(nnact_loss_from_name(unknown[i], &l), NNACT_ERR_INVALID_ARG, "unknown");
    TU_FAILS(nnact_loss_from_name(NULL, &l), NNACT_ERR_INVALID_ARG, "name");
    TU_FAILS(nnact_loss_from_name("mse", NULL), NNACT_ERR_INVALID_ARG, "out");
}
END_TEST

/* NLL on log-probabilities: a -inf entry where t = 0 adds 0 (a masked
 * class), where t != 0 the loss is +inf; a NaN anywhere in the row makes
 * the loss NaN (NaN in, NaN out); hand values; log_softmax then nll equals
 * softmax_cce on the same logits. */
START_TEST(nll_rules)
{
    nnact_loss l;
    TU_OK(nnact_loss_from_name("nll", &l));
    const float p[] = {-INFINITY, -0.5f, -2.0f, -1.0f, -INFINITY, -3.0f};
    const float lab[] = {1, 2}, hot[] = {0, 1, 0, 0, 0, 1};
    nnact_tensor *P = tu_tensor(2, 3, p), *L = tu_tensor(2, 1, lab), *H = tu_tensor(2, 3, hot),
                 *G = tu_tensor(2, 3, NULL);
    float v = NAN, a = NAN;
    TU_OK(nnact_loss_eval(tu_ctx, &l, P, L, &v, &a, G));
    ck_assert_msg(v == 1.75f, "nll: %.9g, want (0.5 + 3)/2", (double)v); /* exact */
    ck_assert_msg(a == 0.5f, "nll accuracy %g", (double)a); /* row 0 right, row 1 not */
    float *g = tu_read(G);
    const float want[] = {0, -0.5f, 0, 0, 0, -0.5f};
    for (int i = 0; i < 6; i++)
        ck_assert_msg(g[i] == want[i], "nll grad[%d] %g want %g", i, (double)g[i],
                      (double)want[i]);
    free(g);
    TU_OK(nnact_loss_eval(tu_ctx, &l, P, H, &v, NULL, NULL));
    ck_assert_msg(v == 1.75f, "nll one-hot: %.9g", (double)v);
    const float lab2[] = {0, 2};
    nnact_tensor_write(L, lab2);
    TU_OK(nnact_loss_eval(tu_ctx, &l, P, L, &v, NULL, NULL));
    ck_assert_msg(v == INFINITY, "nll at p = -inf for the label: %g, want inf", (double)v);
    const float pn[] = {NAN, -0.5f, -2.0f, -1.0f, -1.5f, -3.0f};
    nnact_tensor_write(P, pn);
    TU_OK(nnact_loss_eval(tu_ctx, &l, P, H, &v, NULL, G));
    ck_assert_msg(isnan(v), "nll with a NaN log-probability: %g, want NaN", (double)v);
    g = tu_read(G);
    ck_assert_msg(isnan(g[0]) && g[1] == -0.5f, "nll grad at NaN: %g %g", (double)g[0],
                  (double)g[1]);
    free(g);

    /* log_softmax + nll == softmax_cce, value and gradient through the chain */
    enum { R = 33, C = 10 };
    float z[R * C], lb[R];
    rng_state = 4242;
    for (int i = 0; i < R * C; i++)
        z[i] = uni(-6.0f, 6.0f);
    for (int r = 0; r < R; r++)
        lb[r] = (float)(rnd() % C);
    nnact_tensor *Z = tu_tensor(R, C, z), *Y = tu_tensor(R, C, NULL),
                 *LB = tu_tensor(R, 1, lb), *GY = tu_tensor(R, C, NULL),
                 *GZ = tu_tensor(R, C, NULL), *GS = tu_tensor(R, C, NULL);
    TU_OK(nnact_log_softmax_forward(tu_ctx, 1.0f, Z, Y));
    float v1, v2;
    TU_OK(nnact_loss_eval(tu_ctx, &l, Y, LB, &v1, NULL, GY));
    TU_OK(nnact_log_softmax_backward(tu_ctx, 1.0f, Y, GY, GZ));
    nnact_loss s;
    TU_OK(nnact_loss_from_name("softmax_cce", &s));
    TU_OK(nnact_loss_eval(tu_ctx, &s, Z, LB, &v2, NULL, GS));
    ck_assert_msg(fabsf(v1 - v2) <= 1e-6f * fabsf(v2), "log_softmax+nll %.9g vs "
                  "softmax_cce %.9g", (double)v1, (double)v2);
    float *g1 = tu_read(GZ), *g2 = tu_read(GS);
    for (int i = 0; i < R * C; i++)
        TU_EXPECT(fabsf(g1[i] - g2[i]) <= 1e-6f * fabsf(g2[i]) + 1e-9f,
                  "grad[%d]: log_softmax+nll %.9g, softmax_cce %.9g", i, (double)g1[i],
                  (double)g2[i]);
    free(g1), free(g2);
    nnact_tensor *all[] = {P, L, H, G, Z, Y, LB, GY, GZ, GS};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
}
END_TEST

/* Zero rows (dense and labels) and zero columns: loss 0, accuracy 0. */
START_TEST(zero_rows)
{
    static const size_t shapes[][3] = {{0, 10, 10}, {0, 10, 1}, {0, 1, 1}, {4, 0, 0}};
    for (size_t s = 0; s < 4; s++)
        for (int k = 0; k < NNACT_LOSS_COUNT; k++) {
            nnact_loss l;
            TU_OK(nnact_loss_from_name(nnact_loss_name((nnact_loss_kind)k), &l));
            nnact_tensor *P = tu_tensor(shapes[s][0], shapes[s][1], NULL),
                         *T = tu_tensor(shapes[s][0], shapes[s][2], NULL),
                         *G = tu_tensor(shapes[s][0], shapes[s][1], NULL);
            float v = NAN, a = NAN;
            TU_OK(nnact_loss_eval(tu_ctx, &l, P, T, &v, &a, G));
            ck_assert_msg(v == 0.0f && a == 0.0f, "%s %zux%zu: loss %g accuracy %g",
                          nnact_loss_name(l.kind), shapes[s][0], shapes[s][1], (double)v,
                          (double)a);
            TU_OK(nnact_loss_eval(tu_ctx, &l, P, T, NULL, NULL, NULL));
            nnact_tensor_destroy(P), nnact_tensor_destroy(T), nnact_tensor_destroy(G);
        }
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"values", TU_CONTEXT, 120, {{random_problems, 2 * NNACT_LOSS_COUNT},
            {labels_equal_one_hot, NNACT_LOSS_COUNT}, {softmax_cce_long_row, 1},
            {extreme_logits, 1}, {softmax_cce_nan_rows, 1}, {clipped_probabilities, 1},
            {views_at_offsets, 1}, {accumulate_matches_eval, 2 * NNACT_LOSS_COUNT},
            {nll_rules, 1}}},
        {"errors", TU_CONTEXT, 120, {{bad_labels, 1}, {shape_errors, 1}, {accumulate_errors, 1},
            {parameter_errors, 1}, {names, 1}, {zero_rows, 1}}},
    };
    return tu_run_cases("loss", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
