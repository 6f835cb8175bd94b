/* Optimizer steps against an independent double-precision host reference
 * written from the PyTorch definitions (never from the kernels):
 *   SGD:   g' = g + wd p; v = mu v + g'; step = nesterov ? g' + mu v : v
 *          (mu = 0: step = g'); p -= lr step
 *   Adam:  g' = g + wd p; m = b1 m + (1-b1) g'; s = b2 s + (1-b2) g'^2;
 *          p -= lr (m / (1 - b1^t)) / (sqrt(s / (1 - b2^t)) + eps)
 *   AdamW: p -= lr wd p; then Adam with g (no L2 term).
 * Each case runs 20 steps on shapes 1x1, 3x7 and 257x129 (ragged vector
 * tails) with a new random gradient every step, states zeroed with
 * nnact_tensor_fill; parameters and states are compared after every step
 * twice:
 *
 * - against one reference step taken from the device's own float state:
 *   param |got - ref| <= 1e-5 |ref| + 1e-6 lr; states (v, m, s) <= 1e-5 |ref|
 *   + 1e-6 G, G the largest |g'| (v, m) or g'^2 (s) of the step. One step
 *   rounds p (half an ulp, 6e-8 |p|) and its update carries a few ulp of lr.
 *   Observed worst: 0.23 of the bar (an element near 0: 2.4e-7 lr).
 * - against the whole trajectory run in double from the same start, with
 *   the same bar plus FLT_EPSILON times the sum over the steps so far of
 *   (|p| + lr) (states: |state| + G): each step may add two ulp of what it
 *   rounds. Without that term the trajectory bar fails where p crosses 0
 *   (e.g. err 1.7e-7 at p = 1.5e-3, lr 0.1, step 19: earlier roundings at
 *   |p| ~ 1 are carried along), which is float arithmetic, not a bug.
 *   Observed worst: 0.30 of the bar.
 *
 * Also: views at odd offsets of one buffer, lr 0, step 2^64-1, empty
 * tensors, every argument error, the presets by name, nnact_tensor_fill. */
#include "testutil.h"

#include <float.h>
#include <stdio.h>

#define STEPS 20
#define P_REL 1e-5
#define P_ABS 1e-6 /* times lr */
#define S_REL 1e-5
#define S_ABS 1e-6 /* times the state's input scale */

/* ck_assert_msg for per-element loops: Check sends a message down its pipe
 * at every ck_assert, which costs more than the test itself. */
typedef struct ocase {
    const char *what;
    nnact_optim opt;
    int null_state; /* SGD without momentum: state1 NULL (else NaN-poisoned) */
} ocase;

#define SGD(lr_, mu_, nest_, wd_)                                                  \
    {.kind = NNACT_OPTIM_SGD, .lr = (lr_), .momentum = (mu_), .nesterov = (nest_), \
     .weight_decay = (wd_)}
#define ADAM(k_, lr_, b1_, b2_, eps_, wd_)                                         \
    {.kind = (k_), .lr = (lr_), .beta1 = (b1_), .beta2 = (b2_), .eps = (eps_),     \
     .weight_decay = (wd_)}

static const ocase cases[] = {
    {"sgd", SGD(0.1f, 0.0f, 0, 0.0f), 1},
    {"sgd, state1 given but unused", SGD(0.1f, 0.0f, 0, 0.0f), 0},
    {"sgd wd", SGD(0.05f, 0.0f, 0, 0.01f), 1},
    {"sgd nesterov flag without momentum", SGD(0.05f, 0.0f, 1, 0.1f), 1},
    {"momentum 0.9", SGD(0.1f, 0.9f, 0, 0.0f), 0},
    {"momentum 0.9 wd", SGD(0.02f, 0.9f, 0, 0.1f), 0},
    {"nesterov 0.9", SGD(0.1f, 0.9f, 1, 0.0f), 0},
    {"nesterov 0.5 wd", SGD(0.03f, 0.5f, 1, 0.05f), 0},
    {"adam", ADAM(NNACT_OPTIM_ADAM, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f), 0},
    {"adam l2", ADAM(NNACT_OPTIM_ADAM, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f), 0},
    {"adam betas 0.5/0.9 eps 1e-3", ADAM(NNACT_OPTIM_ADAM, 0.05f, 0.5f, 0.9f, 1e-3f, 0.01f), 0},
    {"adam betas 0", ADAM(NNACT_OPTIM_ADAM, 0.01f, 0.0f, 0.0f, 1e-8f, 0.0f), 0},
    {"adamw", ADAM(NNACT_OPTIM_ADAMW, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f), 0},
    {"adamw strong decay", ADAM(NNACT_OPTIM_ADAMW, 0.01f, 0.8f, 0.99f, 1e-6f, 0.5f), 0},
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

static const size_t shapes[][2] = {{1, 1}, {3, 7}, {257, 129}};

/* ---- Reference ------------------------------------------------------------ */

typedef struct ref_state {
    double *p, *s1, *s2;
    double g1max, g2max; /* largest |g'| and g'^2 seen (state bars) */
} ref_state;

/* One step of the reference at step number t on n elements. */
static void ref_step(const nnact_optim *o, uint64_t t, ref_state *r, const float *g, size_t n)
{
    const double lr = o->lr, wd = o->weight_decay;
    for (size_t i = 0; i < n; i++) {
        double p = r->p[i];
        if (o->kind == NNACT_OPTIM_SGD) {
            double gd = (double)g[i] + wd * p, step = gd;
            r->g1max = fmax(r->g1max, fabs(gd));
            if (o->momentum != 0.0f) {
                r->s1[i] = (double)o->momentum * r->s1[i] + gd;
                step = o->nesterov ? gd + (double)o->momentum * r->s1[i] : r->s1[i];
            }
            r->p[i] = p - lr * step;
        } else {
            const double b1 = o->beta1, b2 = o->beta2;
            double gd = g[i];
            if (o->kind == NNACT_OPTIM_ADAMW)
                p -= lr * wd * p; /* decoupled */
            else
                gd += wd * p; /* L2 */
            r->g1max = fmax(r->g1max, fabs(gd));
            r->g2max = fmax(r->g2max, gd * gd);
            r->s1[i] = b1 * r->s1[i] + (1 - b1) * gd;
            r->s2[i] = b2 * r->s2[i] + (1 - b2) * gd * gd;
            double mhat = r->s1[i] / (1 - pow(b1, (double)t));
            double shat = r->s2[i] / (1 - pow(b2, (double)t));
            r->p[i] = p - lr * mhat / (sqrt(shat) + (double)o->eps);
        }
    }
}

static void expect_close(const char *what, const char *name, uint64_t t, const float *got,
                         const double *ref, size_t n, double rel, double abs_)
{
    for (size_t i = 0; i < n; i++) {
        double tol = rel * fabs(ref[i]) + abs_;
        TU_EXPECT(fabs((double)got[i] - ref[i]) <= tol,
               "%s, step %llu: %s[%zu] = %.9g, want %.12g (err %.3g, tol %.3g)", what,
               (unsigned long long)t, name, i, (double)got[i], ref[i],
               fabs((double)got[i] - ref[i]), tol);
    }
}

static void expect_trajectory(const char *what, const char *name, uint64_t t,
                              const float *got, const double *ref, const double *tol,
                              size_t n)
{
    for (size_t i = 0; i < n; i++)
        TU_EXPECT(fabs((double)got[i] - ref[i]) <= tol[i],
               "%s, trajectory to step %llu: %s[%zu] = %.9g, want %.12g (err %.3g, "
               "tol %.3g)", what, (unsigned long long)t, name, i, (double)got[i],
               ref[i], fabs((double)got[i] - ref[i]), tol[i]);
}

/* ---- Steps against the reference ------------------------------------------ */

/* _i = case */
START_TEST(steps_match_reference)
{
    const ocase *c = &cases[_i];
    const nnact_optim *o = &c->opt;
    const int sgd = o->kind == NNACT_OPTIM_SGD, uses_v = sgd && o->momentum != 0.0f;
    const double lr = o->lr;
    for (size_t sh = 0; sh < 3; sh++) {
        const size_t R = shapes[sh][0], C = shapes[sh][1], n = R * C;
        char what[128];
        snprintf(what, sizeof what, "%s on %zux%zu", c->what, R, C);
        float *g = tu_xmalloc(n * 4), *pd = tu_xmalloc(n * 4), *s1d = tu_xmalloc(n * 4),
              *s2d = tu_xmalloc(n * 4);
        tu_random(pd, n, 1.0f, 1000 + (uint64_t)(_i * 10) + sh);
        memset(s1d, 0, n * 4);
        memset(s2d, 0, n * 4);
        /* loc: one step from the device's own float state; trj: the whole
         * trajectory in double; acc: sums of |trj| over the steps taken. */
        ref_state loc = {tu_xmalloc(n * 8), tu_xmalloc(n * 8), tu_xmalloc(n * 8), 0, 0};
        ref_state trj = {tu_xmalloc(n * 8), tu_xmalloc(n * 8), tu_xmalloc(n * 8), 0, 0};
        double *acc = tu_xmalloc(3 * n * 8), *tol = tu_xmalloc(3 * n * 8);
        for (size_t i = 0; i < n; i++)
            trj.p[i] = pd[i], trj.s1[i] = 0, trj.s2[i] = 0;
        memset(acc, 0, 3 * n * 8);

        nnact_tensor *P = tu_tensor(R, C, pd), *G = tu_tensor(R, C, NULL);
        nnact_tensor *S1 = NULL, *S2 = NULL;
        if (!sgd || !c->null_state)
            S1 = tu_tensor(R, C, NULL); /* NaN: zeroed below if used */
        if (!sgd)
            S2 = tu_tensor(R, C, NULL);
        if (!sgd || uses_v)
            TU_OK(nnact_tensor_fill(S1, 0.0f));
        if (S2)
            TU_OK(nnact_tensor_fill(S2, 0.0f));

        for (uint64_t t = 1; t <= STEPS; t++) {
            tu_random(g, n, 1.0f, 77 + t * 1000 + (uint64_t)_i * 100000 + sh);
            TU_OK(nnact_tensor_write(G, g));
            TU_OK(nnact_optim_step(tu_ctx, o, t, P, G, S1, S2));
            for (size_t i = 0; i < n; i++)
                loc.p[i] = pd[i], loc.s1[i] = s1d[i], loc.s2[i] = s2d[i];
            loc.g1max = loc.g2max = 0;
            ref_step(o, t, &loc, g, n);
            ref_step(o, t, &trj, g, n);
            TU_OK(nnact_tensor_read(P, pd));
            if (!sgd || uses_v) {
                TU_OK(nnact_tensor_read(S1, s1d));
            } else if (S1) {
                TU_OK(nnact_tensor_read(S1, s1d)); /* unused: still the NaN it was */
                for (size_t i = 0; i < n; i++)
                    TU_EXPECT(isnan(s1d[i]), "%s: unused state1[%zu] written (%g)", what,
                           i, (double)s1d[i]);
                memset(s1d, 0, n * 4);
            }
            if (S2)
                TU_OK(nnact_tensor_read(S2, s2d));
            /* this step */
            expect_close(what, "param", t, pd, loc.p, n, P_REL, P_ABS * lr);
            if (!sgd || uses_v)
                expect_close(what, sgd ? "velocity" : "m", t, s1d, loc.s1, n, S_REL,
                             S_ABS * loc.g1max);
            if (S2)
                expect_close(what, "s", t, s2d, loc.s2, n, S_REL, S_ABS * loc.g2max);
            /* the trajectory so far */
            for (size_t i = 0; i < n; i++) {
                acc[i] += fabs(trj.p[i]) + lr;
                acc[n + i] += fabs(trj.s1[i]) + trj.g1max;
                acc[2 * n + i] += fabs(trj.s2[i]) + trj.g2max;
                tol[i] = P_REL * fabs(trj.p[i]) + P_ABS * lr + FLT_EPSILON * acc[i];
                tol[n + i] = S_REL * fabs(trj.s1[i]) + S_ABS * trj.g1max +
                             FLT_EPSILON * acc[n + i];
                tol[2 * n + i] = S_REL * fabs(trj.s2[i]) + S_ABS * trj.g2max +
                                 FLT_EPSILON * acc[2 * n + i];
            }
            expect_trajectory(what, "param", t, pd, trj.p, tol, n);
            if (!sgd || uses_v)
                expect_trajectory(what, sgd ? "velocity" : "m", t, s1d, trj.s1, tol + n, n);
            if (S2)
                expect_trajectory(what, "s", t, s2d, trj.s2, tol + 2 * n, n);
        }
        /* the gradient is read, never written */
        float *gafter = tu_read(G);
        ck_assert_msg(!memcmp(g, gafter, n * 4), "%s: grad modified", what);
        free(gafter);
        free(g), free(pd), free(s1d), free(s2d), free(acc), free(tol);
        free(loc.p), free(loc.s1), free(loc.s2), free(trj.p), free(trj.s1), free(trj.s2);
        nnact_tensor_destroy(P), nnact_tensor_destroy(G);
        nnact_tensor_destroy(S1), nnact_tensor_destroy(S2);
    }
}
END_TEST

/* Views at odd offsets of one buffer (param, grad and states interleaved
 * with guard elements): the right elements move, no other. */
START_TEST(views_at_offsets)
{
    const size_t n = 37, off[4] = {1, 1 + n + 3, 2 * n + 9, 3 * n + 14};
    const size_t total = 4 * n + 20;
    cl_context clctx;
    ck_assert_int_eq(clGetCommandQueueInfo(nnact_ctx_queue(tu_ctx), CL_QUEUE_CONTEXT,
                                           sizeof clctx, &clctx, NULL), CL_SUCCESS);
    for (int k = 0; k < 3; k++) {
        nnact_optim o;
        TU_OK(nnact_optim_from_name(k == 0 ? "nesterov" : k == 1 ? "adam" : "adamw", &o));
        o.weight_decay = 0.05f;
        cl_int err;
        cl_mem buf = clCreateBuffer(clctx, CL_MEM_READ_WRITE, total * 4, NULL, &err);
        ck_assert_int_eq(err, CL_SUCCESS);
        float *host = tu_xmalloc(total * 4), *g = tu_xmalloc(n * 4);
        for (size_t i = 0; i < total; i++)
            host[i] = 99.0f;
        tu_random(host + off[0], n, 1.0f, 5 + (uint64_t)k);
        for (size_t i = 0; i < n; i++)
            host[off[2] + i] = host[off[3] + i] = 0.0f;
        nnact_tensor *all, *V[4];
        TU_OK(nnact_tensor_wrap(tu_ctx, buf, 0, 1, total, &all));
        TU_OK(nnact_tensor_write(all, host));
        for (int v = 0; v < 4; v++)
            TU_OK(nnact_tensor_wrap(tu_ctx, buf, off[v], 1, n, &V[v]));
        ref_state r = {tu_xmalloc(n * 8), tu_xmalloc(n * 8), tu_xmalloc(n * 8), 0, 0};
        for (size_t i = 0; i < n; i++)
            r.p[i] = host[off[0] + i], r.s1[i] = r.s2[i] = 0;
        for (uint64_t t = 1; t <= 5; t++) {
            tu_random(g, n, 1.0f, 50 + t);
            TU_OK(nnact_tensor_write(V[1], g));
            memcpy(host + off[1], g, n * 4);
            TU_OK(nnact_optim_step(tu_ctx, &o, t, V[0], V[1], V[2], V[3]));
            ref_step(&o, t, &r, g, n);
        }
        float *after = tu_read(all);
        expect_close("view", "param", 5, after + off[0], r.p, n, P_REL, P_ABS * o.lr);
        expect_close("view", "state1", 5, after + off[2], r.s1, n, S_REL, S_ABS * r.g1max);
        if (k)
            expect_close("view", "state2", 5, after + off[3], r.s2, n, S_REL, S_ABS * r.g2max);
        for (size_t i = 0; i < total; i++) {
            int inside = 0;
            for (int v = 0; v < 4; v++)
                inside |= i >= off[v] && i < off[v] + n;
            if (!inside)
                TU_EXPECT(after[i] == 99.0f, "%s: guard element %zu became %g",
                       nnact_optim_name(o.kind), i, (double)after[i]);
        }
        for (size_t i = 0; i < n; i++) /* grad intact; sgd's state2 unused */
            TU_EXPECT(after[off[1] + i] == g[i] && (k || after[off[3] + i] == 0.0f),
                   "grad or unused state2 changed at %zu", i);
        free(host), free(g), free(after), free(r.p), free(r.s1), free(r.s2);
        for (int v = 0; v < 4; v++)
            nnact_tensor_destroy(V[v]);
        nnact_tensor_destroy(all);
        clReleaseMemObject(buf);
    }
}
END_TEST

/* lr 0 leaves the parameters bit-identical; a huge step count (bias
 * corrections ~1) still matches; an empty tensor is a no-op. */
START_TEST(special_steps)
{
    const size_t n = 21;
    float p0[21], g[21];
    tu_random(p0, n, 1.0f, 3);
    tu_random(g, n, 1.0f, 4);
    static const char *names[] = {"sgd", "momentum", "nesterov", "adam", "adamw"};
    for (int k = 0; k < 5; k++) {
        nnact_optim o;
        TU_OK(nnact_optim_from_name(names[k], &o));
        o.lr = 0.0f;
        o.weight_decay = 0.3f;
        nnact_tensor *P = tu_tensor(3, 7, p0), *G = tu_tensor(3, 7, g),
                     *S1 = tu_tensor(3, 7, NULL), *S2 = tu_tensor(3, 7, NULL);
        TU_OK(nnact_tensor_fill(S1, 0.0f));
        TU_OK(nnact_tensor_fill(S2, 0.0f));
        TU_OK(nnact_optim_step(tu_ctx, &o, 1, P, G, S1, S2));
        float *pg = tu_read(P);
        ck_assert_msg(!memcmp(pg, p0, sizeof p0), "%s with lr 0 moved the parameters",
                      names[k]);
        free(pg);

        /* step 2^64 - 1: 1 - beta^t is 1 */
        TU_OK(nnact_optim_from_name(names[k], &o));
        TU_OK(nnact_tensor_write(P, p0));
        TU_OK(nnact_tensor_fill(S1, 0.0f));
        TU_OK(nnact_tensor_fill(S2, 0.0f));
        ref_state r = {tu_xmalloc(n * 8), tu_xmalloc(n * 8), tu_xmalloc(n * 8), 0, 0};
        for (size_t i = 0; i < n; i++)
            r.p[i] = p0[i], r.s1[i] = r.s2[i] = 0;
        TU_OK(nnact_optim_step(tu_ctx, &o, UINT64_MAX, P, G, S1, S2));
        ref_step(&o, UINT64_MAX, &r, g, n);
        pg = tu_read(P);
        expect_close(names[k], "param", UINT64_MAX, pg, r.p, n, P_REL, P_ABS * o.lr);
        free(pg), free(r.p), free(r.s1), free(r.s2);
        nnact_tensor_destroy(P), nnact_tensor_destroy(G);
        nnact_tensor_destroy(S1), nnact_tensor_destroy(S2);

        nnact_tensor *E = tu_tensor(0, 5, NULL), *F = tu_tensor(0, 5, NULL),
                     *E1 = tu_tensor(0, 5, NULL), *E2 = tu_tensor(0, 5, NULL);
        TU_OK(nnact_optim_step(tu_ctx, &o, 1, E, F, E1, E2));
        nnact_tensor_destroy(E), nnact_tensor_destroy(F);
        nnact_tensor_destroy(E1), nnact_tensor_destroy(E2);
    }
}
END_TEST

/* ---- Errors ---------------------------------------------------------------- */

START_TEST(errors)
{
    float p0[21];
    tu_random(p0, 21, 1.0f, 9);
    nnact_tensor *P = tu_tensor(3, 7, p0), *G = tu_tensor(3, 7, p0),
                 *S1 = tu_tensor(3, 7, NULL), *S2 = tu_tensor(3, 7, NULL),
                 *B36 = tu_tensor(3, 6, NULL), *B73 = tu_tensor(7, 3, NULL);
    TU_OK(nnact_tensor_fill(S1, 0.0f));
    TU_OK(nnact_tensor_fill(S2, 0.0f));
    nnact_optim sgd, mom, adam, adamw, o;
    TU_OK(nnact_optim_from_name("sgd", &sgd));
    TU_OK(nnact_optim_from_name("momentum", &mom));
    TU_OK(nnact_optim_from_name("adam", &adam));
    TU_OK(nnact_optim_from_name("adamw", &adamw));

    /* NULL arguments */
    TU_FAILS(nnact_optim_step(NULL, &sgd, 1, P, G, S1, S2), NNACT_ERR_INVALID_ARG, "ctx");
    TU_FAILS(nnact_optim_step(tu_ctx, NULL, 1, P, G, S1, S2), NNACT_ERR_INVALID_ARG,
             "opt is NULL");
    TU_FAILS(nnact_optim_step(tu_ctx, &sgd, 1, NULL, G, S1, S2), NNACT_ERR_INVALID_ARG,
             "param is NULL");
    TU_FAILS(nnact_optim_step(tu_ctx, &sgd, 1, P, NULL, S1, S2), NNACT_ERR_INVALID_ARG,
             "grad is NULL");
    /* missing states, named */
    TU_FAILS(nnact_optim_step(tu_ctx, &mom, 1, P, G, NULL, S2), NNACT_ERR_INVALID_ARG,
             "state1");
    TU_FAILS(nnact_optim_step(tu_ctx, &adam, 1, P, G, NULL, S2), NNACT_ERR_INVALID_ARG,
             "state1");
    TU_FAILS(nnact_optim_step(tu_ctx, &adam, 1, P, G, S1, NULL), NNACT_ERR_INVALID_ARG,
             "state2");
    TU_FAILS(nnact_optim_step(tu_ctx, &adamw, 1, P, G, S1, NULL), NNACT_ERR_INVALID_ARG,
             "state2");
    /* step 0 for Adam(W) */
    TU_FAILS(nnact_optim_step(tu_ctx, &adam, 0, P, G, S1, S2), NNACT_ERR_INVALID_ARG, "step");
    TU_FAILS(nnact_optim_step(tu_ctx, &adamw, 0, P, G, S1, S2), NNACT_ERR_INVALID_ARG, "step");
    /* kind */
    o = sgd;
    o.kind = NNACT_OPTIM_COUNT;
    TU_FAILS(nnact_optim_step(tu_ctx, &o, 1, P, G, S1, S2), NNACT_ERR_INVALID_ARG, "kind");
    o.kind = (nnact_optim_kind)-1;
    TU_FAILS(nnact_optim_step(tu_ctx, &o, 1, P, G, S1, S2), NNACT_ERR_INVALID_ARG, "kind");

    /* hyper-parameters, for each kind where they apply */
    const nnact_optim *all[] = {&sgd, &mom, &adam, &adamw};
    static const float bad_lr[] = {-1e-3f, -1e-30f, NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 4; k++) {
        for (size_t i = 0; i < sizeof bad_lr / sizeof bad_lr[0]; i++) {
            o = *all[k];
            o.lr = bad_lr[i];
            TU_FAILS(nnact_optim_step(tu_ctx, &o, 1, P, G, S1, S2), NNACT_ERR_INVALID_ARG,
                     "lr");
        }
        static const float bad_wd[] = {NAN, INFINITY, -INFINITY};
        for (size_t i = 0; i < 3; i++) {
            o = *all[k];
            o.weight_decay = bad_wd[i];
            TU_FAILS(nnact_optim_step(tu_ctx, &o, 1, P, G, S1, S2), NNACT_ERR_INVALID_ARG,
                     "weight_decay");
        }
    }
    static const float bad_unit[] = {1.0f, 1.5f, -0.1f, -1e-30f, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad_unit / sizeof bad_unit[0]; i++) {
        o = mom;
        o.momentum = bad_unit[i];
        TU_FAILS(nnact_optim_step(tu_ctx, &o, 1, P, G, S1, S2), NNACT_ERR_INVALID_ARG,
                 "momentum");
        for (int k = 2; k < 4; k++) {
            o = *all[k];
            o.beta1 = bad_unit[i];
            TU_FAILS(nnact_optim_step(tu_ctx, &o, 1, P, G, S1, S2), NNACT_ERR_INVALID_ARG,
                     "beta");
            o = *all[k];
            o.beta2 = bad_unit[i];
            TU_FAILS(nnact_optim_step(tu_ctx, &o, 1, P, G, S1, S2), NNACT_ERR_INVALID_ARG,
                     "beta");
        }
    }
    static const float bad_eps[] = {0.0f, -0.0f, -1e-8f, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad_eps / sizeof bad_eps[0]; i++)
        for (int k = 2; k < 4; k++) {
            o = *all[k];
            o.eps = bad_eps[i];
            TU_FAILS(nnact_optim_step(tu_ctx, &o, 1, P, G, S1, S2), NNACT_ERR_INVALID_ARG,
                     "eps");
        }

    /* shapes */
    for (int k = 0; k < 4; k++) {
        TU_FAILS(nnact_optim_step(tu_ctx, all[k], 1, P, B36, S1, S2), NNACT_ERR_SHAPE, "3x6");
        TU_FAILS(nnact_optim_step(tu_ctx, all[k], 1, P, B73, S1, S2), NNACT_ERR_SHAPE, "7x3");
    }
    TU_FAILS(nnact_optim_step(tu_ctx, &mom, 1, P, G, B36, S2), NNACT_ERR_SHAPE, "state1");
    TU_FAILS(nnact_optim_step(tu_ctx, &adam, 1, P, G, B73, S2), NNACT_ERR_SHAPE, "state1");
    TU_FAILS(nnact_optim_step(tu_ctx, &adam, 1, P, G, S1, B36), NNACT_ERR_SHAPE, "state2");
    TU_FAILS(nnact_optim_step(tu_ctx, &adamw, 1, P, G, S1, B73), NNACT_ERR_SHAPE, "state2");

    /* no failed call touched anything */
    float *pg = tu_read(P), *s1 = tu_read(S1), *s2 = tu_read(S2);
    ck_assert_msg(!memcmp(pg, p0, sizeof p0), "a failed step changed the parameters");
    for (int i = 0; i < 21; i++)
        TU_EXPECT(s1[i] == 0.0f && s2[i] == 0.0f, "a failed step changed a state");
    free(pg), free(s1), free(s2);

    /* the edges that are allowed: lr 0, betas/momentum 0, tiny eps, SGD step 0,
     * SGD without momentum and no states */
    o = mom;
    o.momentum = 0.0f;
    TU_OK(nnact_optim_step(tu_ctx, &o, 0, P, G, NULL, NULL));
    o = adam;
    o.lr = 0.0f, o.beta1 = 0.0f, o.beta2 = 0.0f, o.eps = FLT_MIN;
    TU_OK(nnact_optim_step(tu_ctx, &o, 1, P, G, S1, S2));
    o = mom;
    o.momentum = 0.99999994f; /* largest float below 1 */
    TU_OK(nnact_optim_step(tu_ctx, &o, 1, P, G, S1, NULL));

    nnact_tensor_destroy(P), nnact_tensor_destroy(G), nnact_tensor_destroy(S1);
    nnact_tensor_destroy(S2), nnact_tensor_destroy(B36), nnact_tensor_destroy(B73);
}
END_TEST

/* ---- Names and presets ------------------------------------------------------ */

static void expect_optim(const char *name, const nnact_optim *got, const nnact_optim *want)
{
    ck_assert_msg(got->kind == want->kind && got->lr == want->lr &&
                      got->momentum == want->momentum && got->nesterov == want->nesterov &&
                      got->beta1 == want->beta1 && got->beta2 == want->beta2 &&
                      got->eps == want->eps && got->weight_decay == want->weight_decay,
                  "%s: kind %d lr %g momentum %g nesterov %d betas %g %g eps %g wd %g", name,
                  (int)got->kind, (double)got->lr, (double)got->momentum, got->nesterov,
                  (double)got->beta1, (double)got->beta2, (double)got->eps,
                  (double)got->weight_decay);
}

START_TEST(names_and_presets)
{
    static const struct { const char *name; nnact_optim want; } presets[] = {
        {"sgd", SGD(0.01f, 0.0f, 0, 0.0f)},
        {"momentum", SGD(0.01f, 0.9f, 0, 0.0f)},
        {"nesterov", SGD(0.01f, 0.9f, 1, 0.0f)},
        {"adam", ADAM(NNACT_OPTIM_ADAM, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f)},
        {"adamw", ADAM(NNACT_OPTIM_ADAMW, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f)},
        {"SGD", SGD(0.01f, 0.0f, 0, 0.0f)},
        {"Momentum", SGD(0.01f, 0.9f, 0, 0.0f)},
        {"NESTEROV", SGD(0.01f, 0.9f, 1, 0.0f)},
        {"Adam", ADAM(NNACT_OPTIM_ADAM, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f)},
        {"AdamW", ADAM(NNACT_OPTIM_ADAMW, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f)},
        {"ADAMW", ADAM(NNACT_OPTIM_ADAMW, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f)},
    };
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        nnact_optim o;
        memset(&o, 0x5a, sizeof o);
        TU_OK(nnact_optim_from_name(presets[i].name, &o));
        expect_optim(presets[i].name, &o, &presets[i].want);
    }
    for (int k = 0; k < NNACT_OPTIM_COUNT; k++) {
        const char *n = nnact_optim_name((nnact_optim_kind)k);
        ck_assert_ptr_nonnull(n);
        nnact_optim o;
        TU_OK(nnact_optim_from_name(n, &o));
        ck_assert_int_eq(o.kind, k);
    }
    ck_assert_ptr_null(nnact_optim_name(NNACT_OPTIM_COUNT));
    ck_assert_ptr_null(nnact_optim_name((nnact_optim_kind)-1));
    static const char *unknown[] = {"", "rmsprop", "sgd ", " sgd", "sg", "sgdx", "ada",
                                    "adamx", "adam_w", "adam-w", "nesterov_momentum"};
    nnact_optim o;
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        TU_FAILS(nnact_optim_from_name(unknown[i], &o), NNACT_ERR_INVALID_ARG, "unknown");
    TU_FAILS(nnact_optim_from_name(NULL, &o), NNACT_ERR_INVALID_ARG, "name");
    TU_FAILS(nnact_optim_from_name("adam", NULL), NNACT_ERR_INVALID_ARG, "out");
}
END_TEST

/* ---- nnact_tensor_fill ------------------------------------------------------ */

START_TEST(tensor_fill)
{
    static const float values[] = {0.0f, -0.0f, 1.5f, -2.25e30f, FLT_MIN / 4, INFINITY, NAN};
    for (size_t s = 0; s < 3; s++) {
        const size_t R = shapes[s][0], C = shapes[s][1], n = R * C;
        nnact_tensor *T = tu_tensor(R, C, NULL);
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
            TU_OK(nnact_tensor_fill(T, values[v]));
            float *h = tu_read(T);
            for (size_t i = 0; i < n; i++)
                TU_EXPECT(!memcmp(&h[i], &values[v], 4), "fill %g: [%zu] = %g",
                       (double)values[v], i, (double)h[i]);
            free(h);
        }
        nnact_tensor_destroy(T);
    }
    /* a view: only its elements change */
    const size_t total = 50, off = 7, R = 3, C = 5;
    nnact_tensor *all = tu_tensor(1, total, NULL), *view;
    TU_OK(nnact_tensor_fill(all, 2.0f));
    TU_OK(nnact_tensor_wrap(tu_ctx, nnact_tensor_buffer(all), off, R, C, &view));
    TU_OK(nnact_tensor_fill(view, -3.0f));
    float *h = tu_read(all);
    for (size_t i = 0; i < total; i++) {
        float want = i >= off && i < off + R * C ? -3.0f : 2.0f;
        TU_EXPECT(h[i] == want, "view fill: [%zu] = %g, want %g", i, (double)h[i],
               (double)want);
    }
    free(h);
    nnact_tensor_destroy(view), nnact_tensor_destroy(all);
    nnact_tensor *E = tu_tensor(0, 4, NULL), *F = tu_tensor(4, 0, NULL);
    TU_OK(nnact_tensor_fill(E, 1.0f));
    TU_OK(nnact_tensor_fill(F, 1.0f));
    nnact_tensor_destroy(E), nnact_tensor_destroy(F);
    TU_FAILS(nnact_tensor_fill(NULL, 0.0f), NNACT_ERR_INVALID_ARG, "NULL");
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"steps", TU_CONTEXT, 120, {{steps_match_reference, N_CASES}, {views_at_offsets, 1},
            {special_steps, 1}}},
        {"api", TU_CONTEXT, 120, {{errors, 1}, {names_and_presets, 1}, {tensor_fill, 1}}},
    };
    return tu_run_cases("optim", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
