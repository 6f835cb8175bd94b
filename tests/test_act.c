/* Elementwise activations on the device against the long-double reference:
 * forward and backward for every activation (defaults from
 * nnact_act_from_name and non-default parameters), random inputs at scales
 * 1, 10 and 100 on shapes 1x1, 3x7, 257x129, 1000x1000 and 0x5, in place and
 * not, a row of edge values crossed with edge gradients, and views at
 * offsets that misalign inputs and outputs. Also the name
 * table. Outputs are NaN-poisoned before each kernel, so a skipped element
 * shows up. */
#include "refcheck.h"

#include <float.h>
#include <stdio.h>

typedef struct act_case {
    const char *name; /* given to nnact_act_from_name */
    int set;          /* override the defaults with alpha/beta below */
    float alpha, beta;
} act_case;

static const act_case cases[] = {
    {"identity", 0, 0, 0},   {"sigmoid", 0, 0, 0},       {"tanh", 0, 0, 0},
    {"relu", 0, 0, 0},       {"leaky_relu", 0, 0, 0},    {"leaky_relu", 1, 0.2f, 0},
    {"prelu", 0, 0, 0},      {"prelu", 1, -0.3f, 0},     {"swish", 0, 0, 0},
    {"swish", 1, 0, 1.5f},   {"swish", 1, 0, 0.5f},
    {"elu", 0, 0, 0},        {"elu", 1, 0.5f, 0},        {"selu", 0, 0, 0},
    {"celu", 0, 0, 0},       {"celu", 1, 2.0f, 0},       {"celu", 1, -1.5f, 0},
    {"gelu", 0, 0, 0},       {"gelu_tanh", 0, 0, 0},     {"softplus", 0, 0, 0},
    {"softplus", 1, 0, 2.0f}, {"softplus", 1, 0, 0.3f},  {"mish", 0, 0, 0},
    {"softsign", 0, 0, 0},   {"hardsigmoid", 0, 0, 0},   {"hardswish", 0, 0, 0},
    {"relu6", 0, 0, 0},      {"hardtanh", 0, 0, 0},      {"hardtanh", 1, -0.5f, 2.0f},
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

static const size_t shapes[][2] = {{1, 1}, {3, 7}, {257, 129}, {1000, 1000}, {0, 5}};
#define N_SHAPES (int)(sizeof shapes / sizeof shapes[0])

static nnact_act make_act(int c)
{
    nnact_act a;
    TU_OK(nnact_act_from_name(cases[c].name, &a));
    if (cases[c].set) {
        a.alpha = cases[c].alpha;
        a.beta = cases[c].beta;
    }
    return a;
}

/* What the derivative reads (the API contract of nnact_act_backward). */
static int needs_y(nnact_act_kind k) { return k == NNACT_ACT_SIGMOID || k == NNACT_ACT_TANH; }
static int needs_x(nnact_act_kind k) { return k != NNACT_ACT_IDENTITY && !needs_y(k); }

static void label(char *buf, size_t cap, const nnact_act *a, const char *what, float scale)
{
    if (scale > 0)
        snprintf(buf, cap, "%s(alpha %g, beta %g) %s, random x at scale %g",
                 nnact_act_name(a->kind), (double)a->alpha, (double)a->beta, what,
                 (double)scale);
    else
        snprintf(buf, cap, "%s(alpha %g, beta %g) %s, edge values", nnact_act_name(a->kind),
                 (double)a->alpha, (double)a->beta, what);
}

/* Where a device without CL_FP_DENORM may have flushed x (xf[i] differs),
 * the reference at xf is accepted too. */
static void or_flushed(const nnact_act *a, int bwd, size_t n, const float *x,
                       const float *xf, const float *y, const float *dy, const float *got,
                       long double *ref, long double *tol)
{
    for (size_t i = 0; xf && i < n; i++) {
        if (memcmp(&x[i], &xf[i], sizeof x[i]) == 0 || ref_matches(got[i], ref[i], tol[i]))
            continue;
        ref[i] = bwd ? ref_act_backward(a, xf[i], y[i], dy[i]) : ref_act_forward(a, xf[i]);
        tol[i] = bwd ? ref_act_backward_tol(a, xf[i], y[i], dy[i])
                     : ref_act_forward_tol(a, xf[i]);
    }
}

/* Forward and backward of one activation on one input (random at scale, or
 * edge values for scale 0), out of place against the reference (the
 * backward reference takes the y the device produced), then in place (y
 * aliasing x, dx aliasing dy), which must give the same bits. The
 * out-of-place backward passes NULL for the input the derivative does not
 * read. xf: x with subnormals flushed, or NULL. */
static void check_act(const nnact_act *a, size_t rows, size_t cols, const float *x,
                      const float *dy, float scale, const float *xf)
{
    const size_t n = rows * cols;
    char op[160];
    long double *ref = tu_xmalloc(n * sizeof *ref), *tol = tu_xmalloc(n * sizeof *tol);

    nnact_tensor *tx = tu_tensor(rows, cols, x), *ty = tu_tensor(rows, cols, NULL);
    TU_OK(nnact_act_forward(tu_ctx, a, tx, ty));
    float *y = tu_read(ty);
    for (size_t i = 0; i < n; i++) {
        ref[i] = ref_act_forward(a, x[i]);
        tol[i] = ref_act_forward_tol(a, x[i]);
    }
    or_flushed(a, 0, n, x, xf, NULL, NULL, y, ref, tol);
    label(op, sizeof op, a, "forward", scale);
    rc_check(op, rows, cols, x, NULL, y, ref, tol);

    nnact_tensor *tdy = tu_tensor(rows, cols, dy), *tdx = tu_tensor(rows, cols, NULL);
    TU_OK(nnact_act_backward(tu_ctx, a, needs_x(a->kind) ? tx : NULL,
                             needs_y(a->kind) ? ty : NULL, tdy, tdx));
    float *dx = tu_read(tdx);
    for (size_t i = 0; i < n; i++) {
        ref[i] = ref_act_backward(a, x[i], y[i], dy[i]);
        tol[i] = ref_act_backward_tol(a, x[i], y[i], dy[i]);
    }
    or_flushed(a, 1, n, x, xf, y, dy, dx, ref, tol);
    label(op, sizeof op, a, "backward", scale);
    rc_check(op, rows, cols, needs_y(a->kind) ? y : x, dy, dx, ref, tol);

    /* In place: the input is the output. */
    nnact_tensor *txy = tu_tensor(rows, cols, x), *tx2 = tu_tensor(rows, cols, x);
    TU_OK(nnact_act_forward(tu_ctx, a, txy, txy));
    float *y2 = tu_read(txy);
    label(op, sizeof op, a, "forward in place vs out of place", scale);
    rc_same_bits(op, n, y, y2);
    nnact_tensor *tg = tu_tensor(rows, cols, dy);
    TU_OK(nnact_act_backward(tu_ctx, a, tx2, txy, tg, tg));
    float *dx2 = tu_read(tg);
    label(op, sizeof op, a, "backward in place vs out of place", scale);
    rc_same_bits(op, n, dx, dx2);

    nnact_tensor *all[] = {tx, ty, tdy, tdx, txy, tx2, tg};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
    free(y);
    free(dx);
    free(y2);
    free(dx2);
    free(ref);
    free(tol);
}

/* _i = case * N_SHAPES + shape; each runs scales 1, 10 and 100. */
START_TEST(random_inputs)
{
    const int c = _i / N_SHAPES, s = _i % N_SHAPES;
    const size_t rows = shapes[s][0], cols = shapes[s][1], n = rows * cols;
    const nnact_act a = make_act(c);
    float *x = tu_xmalloc(n * sizeof *x), *dy = tu_xmalloc(n * sizeof *dy);
    static const float scales[] = {1.0f, 10.0f, 100.0f};
    for (int k = 0; k < 3; k++) {
        tu_random(x, n, scales[k], 100u * (uint64_t)_i + (uint64_t)k);
        tu_random(dy, n, 1.0f, 100u * (uint64_t)_i + (uint64_t)k + 50u);
        check_act(&a, rows, cols, x, dy, scales[k], NULL);
    }
    free(x);
    free(dy);
}
END_TEST

/* ---- Edge values ---- */

static const float edge_x[] = {
    0.0f,     -0.0f,     1e-40f,    -1e-40f,  FLT_TRUE_MIN, -FLT_TRUE_MIN, FLT_MIN,
    -FLT_MIN, 1e-8f,     -1e-8f,    0.5f,     -1.278f,      1.0f,          -1.0f,
    15.0f,    -15.0f,    20.0f,     -20.0f,   88.0f,        -88.0f,        89.0f,
    -104.0f,  100.0f,    -100.0f,   1000.0f,  -1000.0f,     1e30f,         -1e30f,
    FLT_MAX,  -FLT_MAX,  INFINITY,  -INFINITY, NAN,
    /* the kinks and tails of the modern set */
    3.0f,     -3.0f,     6.0f,      -6.0f,    -1.5f,        -9.0f,         -6.45f,
    -10.5f,   -13.0f,    88.7f,     -88.7f,   1e4f,         -1e4f,         1e-30f,
    -1e-30f,  2.9999998f, -2.9999998f, 5.9999995f,
};
#define N_EX (sizeof edge_x / sizeof edge_x[0])
static const float edge_dy[] = {0.75f, -1.5f, 0.0f, -0.0f, NAN, INFINITY, -INFINITY,
                                FLT_MAX, -1e30f, 1e-40f};
#define N_EDY (sizeof edge_dy / sizeof edge_dy[0])

static int device_has_denormals(void)
{
    cl_device_id dev;
    cl_device_fp_config cfg = 0;
    ck_assert_int_eq(clGetCommandQueueInfo(nnact_ctx_queue(tu_ctx), CL_QUEUE_DEVICE,
                                           sizeof dev, &dev, NULL), CL_SUCCESS);
    ck_assert_int_eq(clGetDeviceInfo(dev, CL_DEVICE_SINGLE_FP_CONFIG, sizeof cfg, &cfg,
                                     NULL), CL_SUCCESS);
    return (cfg & CL_FP_DENORM) != 0;
}

/* Every edge x with every edge dy in one 1 x (N_EX*N_EDY) row, in place and
 * not; the reference bars, then exact values where the float result is
 * exactly representable. Without CL_FP_DENORM a subnormal x may act as 0. */
START_TEST(edge_values)
{
    const nnact_act a = make_act(_i);
    const size_t n = N_EX * N_EDY;
    float x[N_EX * N_EDY], dy[N_EX * N_EDY];
    for (size_t i = 0; i < n; i++) {
        x[i] = edge_x[i % N_EX];
        dy[i] = edge_dy[i / N_EX];
        /* An infinite dy times a derivative that is subnormal in float
         * (swish' at x = -104: -7e-44, from an exp that underflows to 0) is
         * inf * 0 in any float kernel; take the largest finite dy there. */
        long double d = needs_x(a.kind) ? fabsl(ref_act_derivative(&a, x[i])) : 1.0L;
        if (isinf(dy[i]) && d > 0 && d < FLT_MIN)
            dy[i] = copysignf(FLT_MAX, dy[i]);
    }
    const int denorm = device_has_denormals();
    float xf[N_EX * N_EDY];
    for (size_t i = 0; i < n; i++)
        xf[i] = fpclassify(x[i]) == FP_SUBNORMAL ? copysignf(0.0f, x[i]) : x[i];
    check_act(&a, 1, n, x, dy, 0.0f, denorm ? NULL : xf);

    /* Exact values, out of place. */
    nnact_tensor *tx = tu_tensor(1, n, x), *ty = tu_tensor(1, n, NULL);
    nnact_tensor *tdy = tu_tensor(1, n, dy), *tdx = tu_tensor(1, n, NULL);
    TU_OK(nnact_act_forward(tu_ctx, &a, tx, ty));
    TU_OK(nnact_act_backward(tu_ctx, &a, tx, ty, tdy, tdx));
    float *y = tu_read(ty), *dx = tu_read(tdx);
    for (size_t i = 0; i < n; i++) {
        const float xi = x[i], yi = y[i], gi = dy[i], di = dx[i];
        const char *nm = nnact_act_name(a.kind);
#define EXACT(cond, what)                                                              \
    if (!(cond))                                                                       \
    ck_abort_msg("%s(alpha %g, beta %g) 1x%zu [%zu]: x %.9g dy %.9g: y %.9g dx %.9g, " \
                 "want %s", nm, (double)a.alpha, (double)a.beta, n, i, (double)xi,     \
                 (double)gi, (double)yi, (double)di, what)
        const int gfin = isfinite(gi);
        switch (a.kind) {
        case NNACT_ACT_SIGMOID:
            if (xi == 1000.0f || xi == INFINITY)
                EXACT(yi == 1.0f, "y = 1");
            if (xi == -1000.0f || xi == -INFINITY)
                EXACT(yi == 0.0f, "y = 0");
            if (fabsf(xi) >= 1000.0f && gfin)
                EXACT(di == 0.0f, "dx = 0");
            break;
        case NNACT_ACT_TANH:
            /* tanh rounds to +-1 from |x| = 9.0109 on; saturated units have
             * zero gradient. */
            if (fabsf(xi) >= 0x1.205968p+3f)
                EXACT(yi == copysignf(1.0f, xi), "y = +-1");
            if (fabsf(xi) >= 0x1.205968p+3f && gfin)
                EXACT(di == 0.0f, "dx = 0");
            break;
        case NNACT_ACT_RELU:
            if (denorm && xi > 0.0f && fpclassify(xi) == FP_SUBNORMAL)
                EXACT(yi == xi && memcmp(&di, &gi, sizeof di) == 0, "y = x, dx = dy "
                      "(relu'(subnormal) = 1)");
            if (xi <= 0.0f && gfin)
                EXACT(yi == 0.0f && di == 0.0f, "y = 0, dx = 0");
            break;
        case NNACT_ACT_SWISH:
            if (xi == -1000.0f || xi == -INFINITY)
                EXACT(yi == 0.0f, "y = 0");
            if (xi == INFINITY)
                EXACT(yi == INFINITY, "y = inf");
            if ((xi == -1000.0f || xi == -INFINITY || xi == -FLT_MAX) && gfin)
                EXACT(di == 0.0f, "dx = 0 (swish' = 0)");
            if ((xi == FLT_MAX || xi == INFINITY) && gfin)
                EXACT(memcmp(&di, &gi, sizeof di) == 0, "dx = dy (swish' = 1)");
            break;
        case NNACT_ACT_GELU:
            if (xi == -9.0f) /* x Phi(x) = -1.01573e-18 (mpmath), not 0 */
                EXACT(fabsf(yi / -1.0157296e-18f - 1.0f) < 1e-5f, "y = -1.01573e-18");
            break;
        case NNACT_ACT_GELU_TANH:
            if (xi == -6.45f) /* -1.056876e-12 at the float -6.45 (mpmath) */
                EXACT(fabsf(yi / -1.0568761e-12f - 1.0f) < 1e-5f, "y = -1.056876e-12");
            break;
        case NNACT_ACT_SOFTPLUS:
            if (xi == FLT_MAX)
                EXACT(yi == FLT_MAX, "y = FLT_MAX (b x overflows)");
            if (xi == -INFINITY)
                EXACT(yi == 0.0f, "y = 0");
            break;
        case NNACT_ACT_HARDSWISH:
            if (xi == FLT_MAX || xi == 1e30f)
                EXACT(yi == xi, "y = x (x 6/6 overflows)");
            break;
        case NNACT_ACT_CELU:
            if (xi == -1e-30f && a.alpha == 1.0f)
                EXACT(yi == -1e-30f, "y = -1e-30");
            break;
        default:
            break;
        }
        if (isnan(xi) && a.kind != NNACT_ACT_IDENTITY)
            EXACT(isnan(yi) && isnan(di), "NaN y and dx");
#undef EXACT
    }
    nnact_tensor_destroy(tx);
    nnact_tensor_destroy(ty);
    nnact_tensor_destroy(tdy);
    nnact_tensor_destroy(tdx);
    free(y);
    free(dx);
}
END_TEST

/* ---- Views at any offset ---- */

/* The kernels store from the output's 64-byte boundaries (aligned, and
 * streaming when NNACT_STREAM=1 or the tensor is large): a head before the
 * first boundary, full vectors, an exact tail. Views of n floats at offsets
 * that put the boundary anywhere, inputs and outputs misaligned against each
 * other; every element against the reference, and nothing written around
 * the view. */
#define VIEW_PAD 19
static const float view_sentinel = 1234.5f;

typedef struct view { cl_mem buf; size_t off, n; nnact_tensor *t; } view;

static view view_make(size_t off, size_t n, const float *vals)
{
    view v = {NULL, off, n, NULL};
    const size_t total = off + n + VIEW_PAD;
    float *h = tu_xmalloc(total * sizeof *h);
    for (size_t i = 0; i < total; i++)
        h[i] = view_sentinel;
    if (vals)
        memcpy(h + off, vals, n * sizeof *h);
    else
        for (size_t i = 0; i < n; i++)
            h[off + i] = NAN;
    cl_context c = NULL;
    ck_assert_int_eq(clGetCommandQueueInfo(nnact_ctx_queue(tu_ctx), CL_QUEUE_CONTEXT,
                                           sizeof c, &c, NULL), CL_SUCCESS);
    cl_int err;
    v.buf = clCreateBuffer(c, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, total * sizeof *h, h,
                           &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    free(h);
    TU_OK(nnact_tensor_wrap(tu_ctx, v.buf, off, 1, n, &v.t));
    return v;
}

/* The view's elements; fails if anything around them changed. */
static float *view_read(const view *v, const char *what)
{
    const size_t total = v->off + v->n + VIEW_PAD;
    float *h = tu_xmalloc(total * sizeof *h);
    ck_assert_int_eq(clEnqueueReadBuffer(nnact_ctx_queue(tu_ctx), v->buf, CL_TRUE, 0,
                                         total * sizeof *h, h, 0, NULL, NULL), CL_SUCCESS);
    for (size_t i = 0; i < total; i++)
        TU_EXPECT(i >= v->off && i < v->off + v->n ? 1 : h[i] == view_sentinel,
                  "%s at offset %zu, n %zu: element %zu outside the view was written (%g)",
                  what, v->off, v->n, i, (double)h[i]);
    memmove(h, h + v->off, v->n * sizeof *h);
    return h;
}

static void view_free(view *v)
{
    nnact_tensor_destroy(v->t);
    clReleaseMemObject(v->buf);
}

static const size_t view_sizes[] = {1, 13, 16, 47, 1003};
static const size_t view_offsets[][4] = { /* x, y, dy, dx */
    {0, 3, 0, 0}, {5, 0, 1, 17}, {1, 17, 16, 9}, {16, 9, 13, 13}, {13, 13, 3, 2},
};

START_TEST(views_at_offsets)
{
    const nnact_act a = make_act(_i);
    const size_t no = sizeof view_offsets / sizeof view_offsets[0];
    for (size_t si = 0; si < sizeof view_sizes / sizeof view_sizes[0]; si++)
        for (size_t oi = 0; oi < no; oi++) {
            const size_t n = view_sizes[si], *off = view_offsets[oi];
            float *x = tu_xmalloc(n * sizeof *x), *dy = tu_xmalloc(n * sizeof *dy);
            long double *ref = tu_xmalloc(n * sizeof *ref), *tol = tu_xmalloc(n * sizeof *tol);
            tu_random(x, n, 10.0f, 7000u + 10u * si + oi);
            tu_random(dy, n, 1.0f, 8000u + 10u * si + oi);
            view vx = view_make(off[0], n, x), vy = view_make(off[1], n, NULL);
            view vdy = view_make(off[2], n, dy), vdx = view_make(off[3], n, NULL);
            char op[200];
            TU_OK(nnact_act_forward(tu_ctx, &a, vx.t, vy.t));
            float *y = view_read(&vy, "y");
            for (size_t i = 0; i < n; i++) {
                ref[i] = ref_act_forward(&a, x[i]);
                tol[i] = ref_act_forward_tol(&a, x[i]);
            }
            snprintf(op, sizeof op, "%s forward, 1x%zu view, x at %zu, y at %zu",
                     nnact_act_name(a.kind), n, off[0], off[1]);
            rc_check(op, 1, n, x, NULL, y, ref, tol);
            TU_OK(nnact_act_backward(tu_ctx, &a, vx.t, vy.t, vdy.t, vdx.t));
            float *dx = view_read(&vdx, "dx");
            for (size_t i = 0; i < n; i++) {
                ref[i] = ref_act_backward(&a, x[i], y[i], dy[i]);
                tol[i] = ref_act_backward_tol(&a, x[i], y[i], dy[i]);
            }
            snprintf(op, sizeof op, "%s backward, 1x%zu view, x at %zu, y at %zu, dy at "
                     "%zu, dx at %zu", nnact_act_name(a.kind), n, off[0], off[1], off[2],
                     off[3]);
            rc_check(op, 1, n, needs_y(a.kind) ? y : x, dy, dx, ref, tol);
            view *all[] = {&vx, &vy, &vdy, &vdx};
            for (size_t i = 0; i < 4; i++)
                view_free(all[i]);
            free(x), free(dy), free(y), free(dx), free(ref), free(tol);
        }
}
END_TEST

/* ---- Names ---- */

START_TEST(names_round_trip)
{
    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        const char *nm = nnact_act_name((nnact_act_kind)k);
        ck_assert_ptr_nonnull(nm);
        nnact_act a = {NNACT_ACT_COUNT, -1.0f, -1.0f};
        TU_OK(nnact_act_from_name(nm, &a));
        ck_assert_int_eq(a.kind, k);
        for (const char *p = nm; *p; p++)
            ck_assert_msg(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'),
                          "name '%s' not lowercase",
                          nm);
    }
    ck_assert_ptr_null(nnact_act_name(NNACT_ACT_COUNT));
    ck_assert_ptr_null(nnact_act_name((nnact_act_kind)-1));
    ck_assert_str_eq(nnact_act_name(NNACT_ACT_IDENTITY), "identity");
    ck_assert_str_eq(nnact_act_name(NNACT_ACT_LEAKY_RELU), "leaky_relu");
    ck_assert_str_eq(nnact_act_name(NNACT_ACT_SWISH), "swish");
    ck_assert_str_eq(nnact_act_name(NNACT_ACT_SOFTMAX), "softmax");
    ck_assert_str_eq(nnact_act_name(NNACT_ACT_GELU), "gelu");
    ck_assert_str_eq(nnact_act_name(NNACT_ACT_LOG_SOFTMAX), "log_softmax");
    /* the contract's numbering: new kinds appended, old ones unchanged */
    ck_assert_int_eq(NNACT_ACT_SOFTMAX, 7);
    ck_assert_int_eq(NNACT_ACT_ELU, 8);
    ck_assert_int_eq(NNACT_ACT_LOG_SOFTMAX, 20);
}
END_TEST

/* Bad parameters of the modern set: INVALID_ARG from forward, backward and
 * the dense layer, naming the parameter; the limits themselves pass. */
START_TEST(bad_parameters)
{
    nnact_tensor *x = tu_tensor(2, 3, NULL), *y = tu_tensor(2, 3, NULL);
    TU_OK(nnact_tensor_fill(x, 0.5f));
    static const struct { const char *name; float alpha, beta; const char *msg; } bad[] = {
        {"celu", 0.0f, 0, "alpha"},         {"celu", -0.0f, 0, "alpha"},
        {"softplus", 0, 0.0f, "beta"},      {"softplus", 0, -1.0f, "beta"},
        {"hardtanh", 1.0f, 1.0f, "alpha"},  {"hardtanh", 2.0f, -2.0f, "alpha"},
        {"elu", NAN, 0, "not finite"},      {"gelu", 0, INFINITY, "not finite"},
        {"log_softmax", 0.0f, 0, "temperature"}, {"log_softmax", -1.0f, 0, "temperature"},
        {"log_softmax", NAN, 0, ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nnact_act a;
        TU_OK(nnact_act_from_name(bad[i].name, &a));
        a.alpha = bad[i].alpha;
        a.beta = bad[i].beta;
        TU_FAILS(nnact_act_forward(tu_ctx, &a, x, y), NNACT_ERR_INVALID_ARG, bad[i].msg);
        TU_FAILS(nnact_act_backward(tu_ctx, &a, x, y, y, y), NNACT_ERR_INVALID_ARG,
                 bad[i].msg);
    }
    static const struct { const char *name; float alpha, beta; } good[] = {
        {"celu", 1e-30f, 0}, {"celu", -3.0f, 0}, {"softplus", 0, 1e-3f},
        {"hardtanh", -1.0f, -0.99999994f},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        nnact_act a;
        TU_OK(nnact_act_from_name(good[i].name, &a));
        a.alpha = good[i].alpha;
        a.beta = good[i].beta;
        TU_OK(nnact_act_forward(tu_ctx, &a, x, y));
        TU_OK(nnact_act_backward(tu_ctx, &a, x, y, y, y));
    }
    nnact_tensor_destroy(x);
    nnact_tensor_destroy(y);
}
END_TEST

START_TEST(names_defaults_and_aliases)
{
    static const struct { const char *name; nnact_act_kind kind; float alpha, beta; } t[] = {
        {"identity", NNACT_ACT_IDENTITY, 0, 0},     {"linear", NNACT_ACT_IDENTITY, 0, 0},
        {"sigmoid", NNACT_ACT_SIGMOID, 0, 0},       {"tanh", NNACT_ACT_TANH, 0, 0},
        {"relu", NNACT_ACT_RELU, 0, 0},             {"leaky_relu", NNACT_ACT_LEAKY_RELU, 0.01f, 0},
        {"prelu", NNACT_ACT_PRELU, 0.01f, 0},       {"swish", NNACT_ACT_SWISH, 0, 1.0f},
        {"silu", NNACT_ACT_SWISH, 0, 1.0f},         {"softmax", NNACT_ACT_SOFTMAX, 1.0f, 0},
        {"SiGmOiD", NNACT_ACT_SIGMOID, 0, 0},       {"Leaky-ReLU", NNACT_ACT_LEAKY_RELU, 0.01f, 0},
        {"LEAKY_RELU", NNACT_ACT_LEAKY_RELU, 0.01f, 0}, {"SiLU", NNACT_ACT_SWISH, 0, 1.0f},
        {"LINEAR", NNACT_ACT_IDENTITY, 0, 0},       {"Softmax", NNACT_ACT_SOFTMAX, 1.0f, 0},
        {"leaky-relu", NNACT_ACT_LEAKY_RELU, 0.01f, 0},
        {"elu", NNACT_ACT_ELU, 1.0f, 0},            {"selu", NNACT_ACT_SELU, 0, 0},
        {"celu", NNACT_ACT_CELU, 1.0f, 0},          {"gelu", NNACT_ACT_GELU, 0, 0},
        {"gelu_erf", NNACT_ACT_GELU, 0, 0},         {"GELU-Erf", NNACT_ACT_GELU, 0, 0},
        {"gelu_tanh", NNACT_ACT_GELU_TANH, 0, 0},   {"Gelu-Tanh", NNACT_ACT_GELU_TANH, 0, 0},
        {"softplus", NNACT_ACT_SOFTPLUS, 0, 1.0f},  {"mish", NNACT_ACT_MISH, 0, 0},
        {"softsign", NNACT_ACT_SOFTSIGN, 0, 0},     {"hardsigmoid", NNACT_ACT_HARDSIGMOID, 0, 0},
        {"hard_sigmoid", NNACT_ACT_HARDSIGMOID, 0, 0}, {"Hard-Sigmoid", NNACT_ACT_HARDSIGMOID, 0, 0},
        {"hardswish", NNACT_ACT_HARDSWISH, 0, 0},   {"hard_swish", NNACT_ACT_HARDSWISH, 0, 0},
        {"relu6", NNACT_ACT_RELU6, 0, 0},           {"ReLU6", NNACT_ACT_RELU6, 0, 0},
        {"hardtanh", NNACT_ACT_HARDTANH, -1.0f, 1.0f},
        {"log_softmax", NNACT_ACT_LOG_SOFTMAX, 1.0f, 0}, {"Log-Softmax", NNACT_ACT_LOG_SOFTMAX, 1.0f, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        nnact_act a = {NNACT_ACT_COUNT, -1.0f, -1.0f};
        TU_OK(nnact_act_from_name(t[i].name, &a));
        ck_assert_msg(a.kind == t[i].kind && a.alpha == t[i].alpha && a.beta == t[i].beta,
                      "'%s' -> kind %d alpha %g beta %g; want kind %d alpha %g beta %g",
                      t[i].name, (int)a.kind, (double)a.alpha, (double)a.beta,
                      (int)t[i].kind, (double)t[i].alpha, (double)t[i].beta);
    }
}
END_TEST

START_TEST(names_unknown)
{
    static const char *bad[] = {"gelu2", "", "relu7", "sigmoid ", " tanh", "soft max",
                                "hardswish_", "log-soft-max", "gelu_tanh_erf", "softplus1",
                                "leaky__relu", "swish2", "line\xc3\xa1r",
                                "a_name_much_longer_than_any_activation_name_there_is"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nnact_act a = {NNACT_ACT_RELU, 7.0f, 7.0f};
        TU_FAILS(nnact_act_from_name(bad[i], &a), NNACT_ERR_INVALID_ARG, "unknown activation");
    }
    nnact_act a;
    TU_FAILS(nnact_act_from_name(NULL, &a), NNACT_ERR_INVALID_ARG, "name");
    TU_FAILS(nnact_act_from_name("relu", NULL), NNACT_ERR_INVALID_ARG, "out");
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"device", TU_CONTEXT, 120, {{random_inputs, N_CASES * N_SHAPES},
            {edge_values, N_CASES}, {views_at_offsets, N_CASES}, {bad_parameters, 1}}},
        {"names", 0, 0, {{names_round_trip, 1}, {names_defaults_and_aliases, 1},
            {names_unknown, 1}}},
    };
    return tu_run_cases("act", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
