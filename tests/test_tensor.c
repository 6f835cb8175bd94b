/* Tensors and contexts: host round trips, zero-sized tensors, views of an
 * application's cl_mem at odd element offsets (operations must not touch
 * anything outside the view), and adopting an application's own OpenCL
 * context and queue. */
#include "testutil.h"

#include <stdbool.h>
#include <stdio.h>

/* ---- helpers ------------------------------------------------------------ */

/* The cl_context behind an nnact context. */
static cl_context cl_ctx_of(const nnact_ctx *ctx)
{
    cl_context c = NULL;
    ck_assert_int_eq(clGetCommandQueueInfo(nnact_ctx_queue(ctx), CL_QUEUE_CONTEXT,
                                           sizeof c, &c, NULL), CL_SUCCESS);
    return c;
}

static cl_device_id cl_device_of(const nnact_ctx *ctx)
{
    cl_device_id d = NULL;
    ck_assert_int_eq(clGetCommandQueueInfo(nnact_ctx_queue(ctx), CL_QUEUE_DEVICE,
                                           sizeof d, &d, NULL), CL_SUCCESS);
    return d;
}

/* A non-NULL value that a failing constructor must overwrite with NULL. */
static char junk;
#define JUNK ((void *)&junk)

static bool same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* |got - want| within a loose relative bound: this suite checks placement,
 * not accuracy (the act/softmax/prelu suites do that). */
static void expect_close(float got, double want, const char *what, size_t i)
{
    double tol = 1e-5 * fabs(want) + 1e-6;
    ck_assert_msg(fabs((double)got - want) <= tol, "%s[%zu]: got %.9g, expected %.9g",
                  what, i, (double)got, want);
}

/* An application buffer of SENTINEL floats with a rows x cols view at an
 * element offset, followed by a tail of sentinels. */
#define SENTINEL (-12345.5f)
enum { TAIL = 19 };

typedef struct view {
    cl_mem buf;
    size_t off, n, total;
    nnact_tensor *t;
} view;

static view view_make(size_t off, size_t rows, size_t cols, const float *vals)
{
    view v = {NULL, off, rows * cols, off + rows * cols + TAIL, NULL};
    float *h = malloc(v.total * sizeof *h);
    ck_assert_ptr_nonnull(h);
    for (size_t i = 0; i < v.total; i++)
        h[i] = SENTINEL;
    if (vals)
        memcpy(h + off, vals, v.n * sizeof *h);
    cl_int err;
    v.buf = clCreateBuffer(cl_ctx_of(tu_ctx), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                           v.total * sizeof *h, h, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    free(h);
    TU_OK(nnact_tensor_wrap(tu_ctx, v.buf, off, rows, cols, &v.t));
    ck_assert_ptr_eq(nnact_tensor_buffer(v.t), v.buf);
    ck_assert_uint_eq(nnact_tensor_offset(v.t), off);
    ck_assert_uint_eq(nnact_tensor_rows(v.t), rows);
    ck_assert_uint_eq(nnact_tensor_cols(v.t), cols);
    return v;
}

/* The whole buffer, after the work enqueued so far (in-order queue). */
static float *buffer_read(cl_mem buf, size_t total)
{
    float *h = malloc(total * sizeof *h);
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(clEnqueueReadBuffer(nnact_ctx_queue(tu_ctx), buf, CL_TRUE, 0,
                                         total * sizeof *h, h, 0, NULL, NULL),
                     CL_SUCCESS);
    return h;
}

/* Reads the view's elements into out (n floats) and checks that every float
 * outside the view still holds the sentinel. */
static void view_check(const view *v, float *out, const char *what)
{
    float *h = buffer_read(v->buf, v->total);
    for (size_t i = 0; i < v->total; i++)
        if (i < v->off || i >= v->off + v->n)
            ck_assert_msg(same_bits(h[i], SENTINEL),
                          "%s: element %zu of the buffer, outside the view [%zu, %zu), "
                          "was overwritten with %g", what, i, v->off, v->off + v->n,
                          (double)h[i]);
    if (out)
        memcpy(out, h + v->off, v->n * sizeof *out);
    free(h);
}

static void view_free(view *v)
{
    nnact_tensor_destroy(v->t);
    clReleaseMemObject(v->buf);
    memset(v, 0, sizeof *v);
}

/* ---- round trip -------------------------------------------------------- */

START_TEST(round_trip)
{
    static const size_t shapes[][2] = {{1, 1}, {3, 7}, {1, 1000}, {257, 3}, {64, 64}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t rows = shapes[s][0], cols = shapes[s][1], n = rows * cols;
        float *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
        ck_assert(in && out);
        tu_random(in, n, 100.0f, s + 1);
        /* Special values survive bit for bit. */
        const float special[] = {-0.0f, INFINITY, -INFINITY, NAN, 1e-45f, -3.4e38f};
        for (size_t i = 0; i < sizeof special / sizeof special[0] && i < n; i++)
            in[n - 1 - i] = special[i];
        nnact_tensor *t = NULL;
        TU_OK(nnact_tensor_create(tu_ctx, rows, cols, &t));
        ck_assert_uint_eq(nnact_tensor_rows(t), rows);
        ck_assert_uint_eq(nnact_tensor_cols(t), cols);
        ck_assert_uint_eq(nnact_tensor_offset(t), 0);
        ck_assert_ptr_nonnull(nnact_tensor_buffer(t));
        TU_OK(nnact_tensor_write(t, in));
        memset(out, 0xA5, n * sizeof *out);
        TU_OK(nnact_tensor_read(t, out));
        ck_assert_msg(memcmp(in, out, n * sizeof *in) == 0,
                      "%zux%zu: read back differs from what was written", rows, cols);
        /* A second write replaces the contents. */
        for (size_t i = 0; i < n; i++)
            in[i] = (float)i - 0.5f;
        TU_OK(nnact_tensor_write(t, in));
        TU_OK(nnact_tensor_read(t, out));
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(same_bits(out[i], in[i]), "%zux%zu: second write, [%zu] is %g, "
                          "expected %g", rows, cols, i, (double)out[i], (double)in[i]);
        nnact_tensor_destroy(t);
        free(in);
        free(out);
    }
}
END_TEST

START_TEST(tensors_are_independent)
{
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {-1, -2, -3, -4, -5, -6}, out[6];
    nnact_tensor *ta = tu_tensor(2, 3, a), *tb = tu_tensor(3, 2, b);
    TU_OK(nnact_tensor_read(ta, out));
    ck_assert_msg(memcmp(out, a, sizeof a) == 0, "tensor a was changed by tensor b");
    TU_OK(nnact_tensor_read(tb, out));
    ck_assert_msg(memcmp(out, b, sizeof b) == 0, "tensor b does not hold its data");
    nnact_tensor_destroy(ta);
    nnact_tensor_destroy(tb);
}
END_TEST

/* ---- zero-sized tensors ------------------------------------------------ */

static const size_t zero_shapes[][2] = {{0, 5}, {5, 0}, {0, 0}};

START_TEST(zero_sized_ops)
{
    size_t rows = zero_shapes[_i][0], cols = zero_shapes[_i][1];
    nnact_tensor *x = NULL, *y = NULL, *dy = NULL, *dx = NULL;
    TU_OK(nnact_tensor_create(tu_ctx, rows, cols, &x));
    TU_OK(nnact_tensor_create(tu_ctx, rows, cols, &y));
    TU_OK(nnact_tensor_create(tu_ctx, rows, cols, &dy));
    TU_OK(nnact_tensor_create(tu_ctx, rows, cols, &dx));
    ck_assert_uint_eq(nnact_tensor_rows(x), rows);
    ck_assert_uint_eq(nnact_tensor_cols(x), cols);
    /* Copies move nothing; the host pointer may be NULL and is not touched. */
    float host[4] = {7, 7, 7, 7};
    TU_OK(nnact_tensor_write(x, NULL));
    TU_OK(nnact_tensor_read(x, NULL));
    TU_OK(nnact_tensor_write(x, host));
    TU_OK(nnact_tensor_read(x, host));
    ck_assert_msg(host[0] == 7 && host[3] == 7, "reading a %zux%zu tensor wrote to host",
                  rows, cols);

    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        nnact_act a;
        TU_OK(nnact_act_from_name(nnact_act_name((nnact_act_kind)k), &a));
        TU_OK(nnact_act_forward(tu_ctx, &a, x, y));
        TU_OK(nnact_act_forward(tu_ctx, &a, x, x));
        TU_OK(nnact_act_backward(tu_ctx, &a, x, y, dy, dx));
    }
    TU_OK(nnact_softmax_forward(tu_ctx, 1.0f, x, y));
    TU_OK(nnact_softmax_backward(tu_ctx, 1.0f, y, dy, dx));

    /* PReLU: a shared slope, and a per-column slope of 1 x cols. */
    float one = 0.25f;
    nnact_tensor *a1 = tu_tensor(1, 1, &one), *ac = NULL, *dac = NULL;
    nnact_tensor *da1 = tu_tensor(1, 1, NULL);
    TU_OK(nnact_prelu_forward(tu_ctx, x, a1, y));
    TU_OK(nnact_prelu_backward(tu_ctx, x, a1, dy, dx, NULL));
    TU_OK(nnact_prelu_backward(tu_ctx, x, a1, dy, dx, da1));
    float d1 = 1.0f;
    TU_OK(nnact_tensor_read(da1, &d1));
    ck_assert_msg(same_bits(d1, 0.0f), "shared dalpha over %zux%zu x should be +0, got %g",
                  rows, cols, (double)d1);
    nnact_tensor_destroy(da1);
    TU_OK(nnact_tensor_create(tu_ctx, 1, cols, &ac));
    TU_OK(nnact_tensor_create(tu_ctx, 1, cols, &dac));
    if (cols) {
        tu_poison(ac);
        tu_poison(dac);
    }
    TU_OK(nnact_prelu_forward(tu_ctx, x, ac, y));
    TU_OK(nnact_prelu_backward(tu_ctx, x, ac, dy, dx, dac));
    /* dalpha is a sum over no elements: zero. */
    if (cols) {
        float *da = tu_read(dac);
        for (size_t c = 0; c < cols; c++)
            ck_assert_msg(same_bits(da[c], 0.0f), "dalpha[%zu] over %zux%zu x should be "
                          "+0, got %g", c, rows, cols, (double)da[c]);
        free(da);
    }
    TU_OK(nnact_ctx_finish(tu_ctx));
    nnact_tensor_destroy(a1);
    nnact_tensor_destroy(ac);
    nnact_tensor_destroy(dac);
    nnact_tensor_destroy(x);
    nnact_tensor_destroy(y);
    nnact_tensor_destroy(dy);
    nnact_tensor_destroy(dx);
}
END_TEST

START_TEST(zero_sized_shapes_checked)
{
    nnact_tensor *t[3], *big = tu_tensor(2, 5, NULL);
    for (int i = 0; i < 3; i++)
        TU_OK(nnact_tensor_create(tu_ctx, zero_shapes[i][0], zero_shapes[i][1], &t[i]));
    nnact_act relu;
    TU_OK(nnact_act_from_name("relu", &relu));
    TU_FAILS(nnact_act_forward(tu_ctx, &relu, t[0], t[1]), NNACT_ERR_SHAPE, "0x5");
    ck_assert_msg(strstr(nnact_last_error(), "5x0"), "message should name 5x0: %s",
                  nnact_last_error());
    TU_FAILS(nnact_act_forward(tu_ctx, &relu, t[0], t[2]), NNACT_ERR_SHAPE, "0x0");
    TU_FAILS(nnact_act_forward(tu_ctx, &relu, t[1], big), NNACT_ERR_SHAPE, "2x5");
    TU_FAILS(nnact_act_backward(tu_ctx, &relu, t[0], NULL, t[0], t[1]), NNACT_ERR_SHAPE,
             "5x0");
    TU_FAILS(nnact_act_backward(tu_ctx, &relu, t[1], NULL, t[0], t[0]), NNACT_ERR_SHAPE,
             "5x0");
    TU_FAILS(nnact_softmax_forward(tu_ctx, 1.0f, t[2], t[0]), NNACT_ERR_SHAPE, "0x5");
    TU_FAILS(nnact_softmax_backward(tu_ctx, 1.0f, t[0], t[0], t[1]), NNACT_ERR_SHAPE,
             "5x0");
    /* ... and parameters are still checked. */
    TU_FAILS(nnact_softmax_forward(tu_ctx, 0.0f, t[0], t[0]), NNACT_ERR_INVALID_ARG,
             "temperature");
    nnact_act bad = {NNACT_ACT_LEAKY_RELU, NAN, 0.0f};
    TU_FAILS(nnact_act_forward(tu_ctx, &bad, t[0], t[0]), NNACT_ERR_INVALID_ARG,
             "not finite");
    /* PReLU slope shapes: 1x1 or 1xcols, even for empty x. */
    nnact_tensor *a2 = NULL, *a3 = NULL;
    TU_OK(nnact_tensor_create(tu_ctx, 2, 1, &a2));
    TU_OK(nnact_tensor_create(tu_ctx, 1, 3, &a3));
    TU_FAILS(nnact_prelu_forward(tu_ctx, t[0], a2, t[0]), NNACT_ERR_SHAPE, "alpha is 2x1");
    TU_FAILS(nnact_prelu_forward(tu_ctx, t[0], a3, t[0]), NNACT_ERR_SHAPE, "alpha is 1x3");
    TU_FAILS(nnact_prelu_backward(tu_ctx, t[1], t[2], t[1], t[1], NULL), NNACT_ERR_SHAPE,
             "alpha is 0x0");
    for (int i = 0; i < 3; i++)
        nnact_tensor_destroy(t[i]);
    nnact_tensor_destroy(a2);
    nnact_tensor_destroy(a3);
    nnact_tensor_destroy(big);
}
END_TEST

/* ---- views at odd offsets ---------------------------------------------- */

static const size_t view_offsets[] = {1, 3, 17};

/* Rows x cols views at an odd offset: forward, backward, in-place, softmax
 * and PReLU, each result checked and every buffer's outside left intact. */
static void views_at(size_t off, size_t rows, size_t cols)
{
    const size_t n = rows * cols;
    float *xh = malloc(n * sizeof *xh), *dyh = malloc(n * sizeof *dyh);
    float *got = malloc(n * sizeof *got), *yh = malloc(n * sizeof *yh);
    float *alh = malloc(cols * sizeof *alh), *dal = malloc(cols * sizeof *dal);
    ck_assert(xh && dyh && got && yh && alh && dal);
    tu_random(xh, n, 3.0f, 10 + off);
    tu_random(dyh, n, 1.0f, 20 + off);
    for (size_t c = 0; c < cols; c++)
        alh[c] = 0.05f * (float)(c + 1);

    view x = view_make(off, rows, cols, xh), y = view_make(off + 2, rows, cols, NULL);
    view dy = view_make(off, rows, cols, dyh), dx = view_make(off + 4, rows, cols, NULL);
    view z = view_make(off, rows, cols, xh);
    view al = view_make(off, 1, cols, alh), da = view_make(off + 6, 1, cols, NULL);
    char what[64];

    /* sigmoid forward, tanh-style backward through y (needs y). */
    nnact_act sig, lrelu, relu;
    TU_OK(nnact_act_from_name("sigmoid", &sig));
    TU_OK(nnact_act_from_name("leaky_relu", &lrelu));
    TU_OK(nnact_act_from_name("relu", &relu));
    TU_OK(nnact_act_forward(tu_ctx, &sig, x.t, y.t));
    snprintf(what, sizeof what, "sigmoid y (offset %zu, %zux%zu)", off, rows, cols);
    view_check(&y, yh, what);
    for (size_t i = 0; i < n; i++)
        expect_close(yh[i], 1.0 / (1.0 + exp(-(double)xh[i])), what, i);
    TU_OK(nnact_act_backward(tu_ctx, &sig, NULL, y.t, dy.t, dx.t));
    snprintf(what, sizeof what, "sigmoid dx (offset %zu)", off);
    view_check(&dx, got, what);
    for (size_t i = 0; i < n; i++)
        expect_close(got[i], (double)dyh[i] * yh[i] * (1.0 - yh[i]), what, i);
    /* leaky relu backward through x (needs x). */
    TU_OK(nnact_act_backward(tu_ctx, &lrelu, x.t, NULL, dy.t, dx.t));
    snprintf(what, sizeof what, "leaky_relu dx (offset %zu)", off);
    view_check(&dx, got, what);
    for (size_t i = 0; i < n; i++)
        expect_close(got[i], xh[i] > 0 ? dyh[i] : 0.01 * dyh[i], what, i);
    /* In place. */
    TU_OK(nnact_act_forward(tu_ctx, &relu, z.t, z.t));
    snprintf(what, sizeof what, "in-place relu (offset %zu)", off);
    view_check(&z, got, what);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(same_bits(got[i], xh[i] < 0 ? 0.0f : xh[i]), "%s[%zu]: got %g for x "
                      "= %g", what, i, (double)got[i], (double)xh[i]);

    /* Softmax forward and backward. */
    TU_OK(nnact_softmax_forward(tu_ctx, 1.0f, x.t, y.t));
    snprintf(what, sizeof what, "softmax y (offset %zu, %zux%zu)", off, rows, cols);
    view_check(&y, yh, what);
    for (size_t r = 0; r < rows; r++) {
        double m = -INFINITY, s = 0;
        for (size_t c = 0; c < cols; c++)
            m = fmax(m, xh[r * cols + c]);
        for (size_t c = 0; c < cols; c++)
            s += exp(xh[r * cols + c] - m);
        for (size_t c = 0; c < cols; c++)
            expect_close(yh[r * cols + c], exp(xh[r * cols + c] - m) / s, what, r * cols + c);
    }
    TU_OK(nnact_softmax_backward(tu_ctx, 1.0f, y.t, dy.t, dx.t));
    snprintf(what, sizeof what, "softmax dx (offset %zu)", off);
    view_check(&dx, got, what);
    for (size_t r = 0; r < rows; r++) {
        double s = 0;
        for (size_t c = 0; c < cols; c++)
            s += (double)yh[r * cols + c] * dyh[r * cols + c];
        for (size_t c = 0; c < cols; c++) {
            size_t i = r * cols + c;
            double want = yh[i] * (dyh[i] - s);
            ck_assert_msg(fabs(got[i] - want) <= 1e-5 * (fabs(want) + fabs(yh[i])) + 1e-7,
                          "%s[%zu]: got %.9g, expected %.9g", what, i, (double)got[i], want);
        }
    }

    /* PReLU with a per-column slope and its gradient, all views. */
    TU_OK(nnact_prelu_forward(tu_ctx, x.t, al.t, y.t));
    snprintf(what, sizeof what, "prelu y (offset %zu)", off);
    view_check(&y, got, what);
    for (size_t i = 0; i < n; i++)
        expect_close(got[i], xh[i] > 0 ? xh[i] : (double)alh[i % cols] * xh[i], what, i);
    TU_OK(nnact_prelu_backward(tu_ctx, x.t, al.t, dy.t, dx.t, da.t));
    snprintf(what, sizeof what, "prelu dx (offset %zu)", off);
    view_check(&dx, got, what);
    for (size_t i = 0; i < n; i++)
        expect_close(got[i], xh[i] > 0 ? dyh[i] : (double)alh[i % cols] * dyh[i], what, i);
    snprintf(what, sizeof what, "prelu dalpha (offset %zu)", off + 6);
    view_check(&da, dal, what);
    for (size_t c = 0; c < cols; c++) {
        double s = 0, sa = 0;
        for (size_t r = 0; r < rows; r++)
            if (!(xh[r * cols + c] > 0)) {
                s += (double)dyh[r * cols + c] * xh[r * cols + c];
                sa += fabs((double)dyh[r * cols + c] * xh[r * cols + c]);
            }
        ck_assert_msg(fabs(dal[c] - s) <= 1e-5 * sa + 1e-7,
                      "%s[%zu]: got %.9g, expected %.9g", what, c, (double)dal[c], s);
    }

    /* Inputs were only read. */
    view_check(&x, got, "x after every operation");
    ck_assert_msg(memcmp(got, xh, n * sizeof *got) == 0, "x was modified (offset %zu)", off);
    view_check(&dy, got, "dy after every operation");
    ck_assert_msg(memcmp(got, dyh, n * sizeof *got) == 0, "dy was modified (offset %zu)",
                  off);
    view_check(&al, got, "alpha after every operation");

    view *all[] = {&x, &y, &dy, &dx, &z, &al, &da};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        view_free(all[i]);
    free(xh);
    free(dyh);
    free(got);
    free(yh);
    free(alh);
    free(dal);
}

START_TEST(wrap_views)
{
    size_t off = view_offsets[_i];
    views_at(off, 3, 7);   /* 21 elements: one ragged vector */
    views_at(off, 4, 37);  /* 148: several vectors and a ragged tail */
    views_at(off, 2, 300); /* rows longer than a reduction group */
}
END_TEST

/* Two views packed back to back in one buffer: writing one must not touch
 * its neighbour. */
START_TEST(adjacent_views)
{
    enum { ROWS = 3, COLS = 11, N = ROWS * COLS, OFF = 5 };
    const size_t total = OFF + 2 * N + TAIL;
    float *h = malloc(total * sizeof *h), xh[N], out[N];
    ck_assert_ptr_nonnull(h);
    for (size_t i = 0; i < total; i++)
        h[i] = SENTINEL;
    tu_random(xh, N, 2.0f, 99);
    memcpy(h + OFF, xh, sizeof xh);
    cl_int err;
    cl_mem buf = clCreateBuffer(cl_ctx_of(tu_ctx), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                                total * sizeof *h, h, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    nnact_tensor *x = NULL, *y = NULL;
    TU_OK(nnact_tensor_wrap(tu_ctx, buf, OFF, ROWS, COLS, &x));
    TU_OK(nnact_tensor_wrap(tu_ctx, buf, OFF + N, ROWS, COLS, &y));
    nnact_act sw;
    TU_OK(nnact_act_from_name("swish", &sw));
    TU_OK(nnact_act_forward(tu_ctx, &sw, x, y));
    TU_OK(nnact_softmax_forward(tu_ctx, 2.0f, y, y));
    float *after = buffer_read(buf, total);
    for (size_t i = 0; i < total; i++) {
        if (i >= OFF && i < OFF + N)
            ck_assert_msg(same_bits(after[i], xh[i - OFF]), "x[%zu] changed to %g",
                          i - OFF, (double)after[i]);
        else if (i < OFF || i >= OFF + 2 * N)
            ck_assert_msg(same_bits(after[i], SENTINEL), "buffer[%zu] outside both views "
                          "changed to %g", i, (double)after[i]);
    }
    TU_OK(nnact_tensor_read(y, out));
    for (size_t r = 0; r < ROWS; r++) {
        double s = 0;
        for (size_t c = 0; c < COLS; c++)
            s += out[r * COLS + c];
        ck_assert_msg(fabs(s - 1.0) < 1e-5, "softmax row %zu sums to %.9g", r, s);
    }
    /* nnact_tensor_write through a view writes only the view. */
    float ones[N];
    for (size_t i = 0; i < N; i++)
        ones[i] = 1.0f;
    TU_OK(nnact_tensor_write(y, ones));
    free(after);
    after = buffer_read(buf, total);
    for (size_t i = 0; i < total; i++) {
        float want = i < OFF ? SENTINEL : i < OFF + N ? xh[i - OFF]
                   : i < OFF + 2 * N ? 1.0f : SENTINEL;
        ck_assert_msg(same_bits(after[i], want), "after writing y, buffer[%zu] is %g, "
                      "expected %g", i, (double)after[i], (double)want);
    }
    free(after);
    free(h);
    nnact_tensor_destroy(x);
    nnact_tensor_destroy(y);
    clReleaseMemObject(buf);
}
END_TEST

/* Gathered rows are the source rows, bit for bit, in the order asked (with
 * repeats), for column counts around the vector width, from a source view at
 * an odd offset into a destination view: neighbours stay untouched. Many
 * gathers in a row (more than the host staging ring) keep their own indices. */
START_TEST(gather_rows)
{
    static const size_t widths[] = {1, 15, 16, 17, 40};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        const size_t cols = widths[w], srows = 37, drows = 9, OFF = 3;
        const size_t total = OFF + srows * cols + drows * cols + TAIL;
        float *h = tu_xmalloc(total * sizeof *h), *src = h + OFF;
        for (size_t i = 0; i < total; i++)
            h[i] = SENTINEL;
        tu_random(src, srows * cols, 3.0f, 7 + w);
        cl_int err;
        cl_mem buf = clCreateBuffer(cl_ctx_of(tu_ctx), CL_MEM_READ_WRITE |
                                    CL_MEM_COPY_HOST_PTR, total * sizeof *h, h, &err);
        ck_assert_int_eq(err, CL_SUCCESS);
        nnact_tensor *s = NULL, *d = NULL;
        TU_OK(nnact_tensor_wrap(tu_ctx, buf, OFF, srows, cols, &s));
        TU_OK(nnact_tensor_wrap(tu_ctx, buf, OFF + srows * cols, drows, cols, &d));
        size_t idx[20][9];
        for (int g = 0; g < 20; g++) { /* 20 gathers > the staging ring */
            for (size_t r = 0; r < drows; r++)
                idx[g][r] = (r * 7 + (size_t)g * 5 + (r == 4 ? 0 : 3)) % srows;
            TU_OK(nnact_tensor_gather_rows(d, s, idx[g]));
        }
        float *after = buffer_read(buf, total);
        for (size_t i = 0; i < total; i++) {
            size_t j = i - OFF - srows * cols;
            float want = i < OFF ? SENTINEL : i < OFF + srows * cols ? src[i - OFF]
                       : j < drows * cols ? src[idx[19][j / cols] * cols + j % cols]
                       : SENTINEL;
            TU_EXPECT(same_bits(after[i], want), "cols %zu: buffer[%zu] is %g, want %g",
                      cols, i, (double)after[i], (double)want);
        }
        free(after);
        free(h);
        nnact_tensor_destroy(s), nnact_tensor_destroy(d);
        clReleaseMemObject(buf);
    }
}
END_TEST

START_TEST(gather_rows_errors)
{
    nnact_tensor *s = tu_tensor(5, 4, NULL), *d = tu_tensor(2, 4, NULL),
                 *w = tu_tensor(2, 3, NULL), *e = tu_tensor(0, 4, NULL);
    size_t ok[2] = {4, 0}, bad[2] = {1, 5};
    TU_FAILS(nnact_tensor_gather_rows(NULL, s, ok), NNACT_ERR_INVALID_ARG, "dst is NULL");
    TU_FAILS(nnact_tensor_gather_rows(d, NULL, ok), NNACT_ERR_INVALID_ARG, "src is NULL");
    TU_FAILS(nnact_tensor_gather_rows(d, s, NULL), NNACT_ERR_INVALID_ARG, "rows is NULL");
    TU_FAILS(nnact_tensor_gather_rows(d, s, bad), NNACT_ERR_INVALID_ARG,
             "rows[1] = 5 but src has 5 rows");
    TU_FAILS(nnact_tensor_gather_rows(w, s, ok), NNACT_ERR_SHAPE, "columns");
    TU_OK(nnact_tensor_gather_rows(e, s, ok)); /* nothing to gather */
    nnact_ctx *other;
    TU_OK(nnact_ctx_create(&other, NULL));
    nnact_tensor *o;
    TU_OK(nnact_tensor_create(other, 5, 4, &o));
    TU_FAILS(nnact_tensor_gather_rows(d, o, ok), NNACT_ERR_INVALID_ARG, "another context");
    nnact_tensor_destroy(o);
    nnact_ctx_destroy(other);
    nnact_tensor_destroy(s), nnact_tensor_destroy(d), nnact_tensor_destroy(w);
    nnact_tensor_destroy(e);
}
END_TEST

START_TEST(wrap_bounds)
{
    cl_int err;
    cl_mem buf = clCreateBuffer(cl_ctx_of(tu_ctx), CL_MEM_READ_WRITE, 10 * sizeof(float),
                                NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    nnact_tensor *t = NULL;
    /* Views that end exactly at the end, or are empty at the end, fit. */
    TU_OK(nnact_tensor_wrap(tu_ctx, buf, 0, 2, 5, &t));
    nnact_tensor_destroy(t);
    TU_OK(nnact_tensor_wrap(tu_ctx, buf, 3, 7, 1, &t));
    nnact_tensor_destroy(t);
    TU_OK(nnact_tensor_wrap(tu_ctx, buf, 9, 1, 1, &t));
    nnact_tensor_destroy(t);
    TU_OK(nnact_tensor_wrap(tu_ctx, buf, 10, 0, 0, &t));
    nnact_tensor_destroy(t);
    TU_OK(nnact_tensor_wrap(tu_ctx, buf, 10, 0, 4, &t));
    nnact_tensor_destroy(t);
    /* One element too far. */
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, 1, 2, 5, &t), NNACT_ERR_INVALID_ARG,
             "past the end");
    ck_assert_ptr_null(t);
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, 0, 1, 11, &t), NNACT_ERR_INVALID_ARG,
             "1x11");
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, 10, 1, 1, &t), NNACT_ERR_INVALID_ARG,
             "offset 10");
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, 11, 0, 0, &t), NNACT_ERR_INVALID_ARG,
             "past the end");
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, SIZE_MAX, 1, 1, &t), NNACT_ERR_INVALID_ARG,
             "past the end");
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, 2, SIZE_MAX / 16, 2, &t),
             NNACT_ERR_INVALID_ARG, "past the end");
    clReleaseMemObject(buf);

    /* A buffer whose size is not a multiple of a float: whole floats only. */
    buf = clCreateBuffer(cl_ctx_of(tu_ctx), CL_MEM_READ_WRITE, 10, NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    TU_OK(nnact_tensor_wrap(tu_ctx, buf, 0, 1, 2, &t));
    nnact_tensor_destroy(t);
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, 0, 1, 3, &t), NNACT_ERR_INVALID_ARG,
             "past the end");
    clReleaseMemObject(buf);
}
END_TEST

START_TEST(wrap_foreign_context)
{
    /* A raw cl_context on the same device, not the one of tu_ctx. */
    cl_device_id dev = cl_device_of(tu_ctx);
    cl_int err;
    cl_context other = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    cl_mem buf = clCreateBuffer(other, CL_MEM_READ_WRITE, 64 * sizeof(float), NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    nnact_tensor *t = NULL;
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, 0, 8, 8, &t), NNACT_ERR_INVALID_ARG,
             "another cl_context");
    ck_assert_ptr_null(t);
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, 0, 0, 0, &t), NNACT_ERR_INVALID_ARG,
             "another cl_context");
    clReleaseMemObject(buf);
    clReleaseContext(other);
}
END_TEST

/* The wrapped buffer is retained: the application may drop its reference. */
START_TEST(wrap_retains_buffer)
{
    float in[6] = {1, -2, 3, -4, 5, -6}, out[6];
    cl_int err;
    cl_mem buf = clCreateBuffer(cl_ctx_of(tu_ctx), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                                sizeof in, in, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    nnact_tensor *t = NULL;
    TU_OK(nnact_tensor_wrap(tu_ctx, buf, 1, 1, 5, &t));
    clReleaseMemObject(buf);
    nnact_act relu;
    TU_OK(nnact_act_from_name("relu", &relu));
    TU_OK(nnact_act_forward(tu_ctx, &relu, t, t));
    TU_OK(nnact_tensor_read(t, out));
    const float want[5] = {0, 3, 0, 5, 0};
    for (int i = 0; i < 5; i++)
        ck_assert_msg(out[i] == want[i], "relu view[%d] = %g, expected %g", i,
                      (double)out[i], (double)want[i]);
    nnact_tensor_destroy(t);
}
END_TEST

/* ---- the context ------------------------------------------------------- */

START_TEST(ctx_device_fields)
{
    const nnact_device_info *d = nnact_ctx_device(tu_ctx);
    ck_assert_ptr_nonnull(d);
    ck_assert_msg(d->device_name[0] && strcmp(d->device_name, "?"),
                  "device_name should be filled, got '%s'", d->device_name);
    ck_assert_msg(d->platform_name[0] && strcmp(d->platform_name, "?"),
                  "platform_name should be filled, got '%s'", d->platform_name);
    ck_assert_msg(!strncmp(d->platform_version, "OpenCL ", 7),
                  "platform_version should start with 'OpenCL ', got '%s'",
                  d->platform_version);
    ck_assert_msg(d->vendor[0], "vendor should be filled");
    ck_assert_msg(d->driver_version[0], "driver_version should be filled");
    ck_assert_msg(d->type != NNACT_DEVICE_OTHER, "type should be cpu, gpu or accelerator");
    ck_assert_msg(d->global_mem_bytes > 0, "global_mem_bytes should be > 0");
    ck_assert_msg(d->compute_units > 0, "compute_units should be > 0");
    ck_assert_msg(d->fp16 == 0 || d->fp16 == 1, "fp16 should be 0 or 1, got %d", d->fp16);
    ck_assert_msg(d->fp64 == 0 || d->fp64 == 1, "fp64 should be 0 or 1, got %d", d->fp64);
    ck_assert_msg(d->host_unified_memory == 0 || d->host_unified_memory == 1,
                  "host_unified_memory should be 0 or 1");
    /* It is the device nnact_device_select(NULL) picks, and the queue's. */
    nnact_device_info sel;
    TU_OK(nnact_device_select(NULL, &sel));
    ck_assert_str_eq(d->device_name, sel.device_name);
    ck_assert_uint_eq(d->platform_index, sel.platform_index);
    ck_assert_uint_eq(d->device_index, sel.device_index);
    char name[128] = "";
    ck_assert_int_eq(clGetDeviceInfo(cl_device_of(tu_ctx), CL_DEVICE_NAME, sizeof name,
                                     name, NULL), CL_SUCCESS);
    ck_assert_str_eq(d->device_name, name);
    /* The queue is in order. */
    cl_command_queue_properties qp = 0;
    ck_assert_int_eq(clGetCommandQueueInfo(nnact_ctx_queue(tu_ctx), CL_QUEUE_PROPERTIES,
                                           sizeof qp, &qp, NULL), CL_SUCCESS);
    ck_assert_msg(!(qp & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE),
                  "the context's queue should be in order");
}
END_TEST

START_TEST(ctx_finish)
{
    enum { N = 4096 };
    float *in = malloc(N * sizeof *in), *out = malloc(N * sizeof *out);
    ck_assert(in && out);
    tu_random(in, N, 5.0f, 3);
    nnact_tensor *x = tu_tensor(64, N / 64, in), *y = tu_tensor(64, N / 64, NULL);
    nnact_act t;
    TU_OK(nnact_act_from_name("tanh", &t));
    TU_OK(nnact_act_forward(tu_ctx, &t, x, y));
    TU_OK(nnact_ctx_finish(tu_ctx));
    /* After finish, a non-blocking read sees the result. */
    cl_event ev;
    ck_assert_int_eq(clEnqueueReadBuffer(nnact_ctx_queue(tu_ctx), nnact_tensor_buffer(y),
                                         CL_FALSE, 0, N * sizeof *out, out, 0, NULL, &ev),
                     CL_SUCCESS);
    ck_assert_int_eq(clWaitForEvents(1, &ev), CL_SUCCESS);
    clReleaseEvent(ev);
    for (size_t i = 0; i < N; i++)
        expect_close(out[i], tanh((double)in[i]), "tanh after finish", i);
    TU_OK(nnact_ctx_finish(tu_ctx)); /* nothing queued: returns at once */
    nnact_tensor_destroy(x);
    nnact_tensor_destroy(y);
    free(in);
    free(out);
}
END_TEST

/* ---- adopting the application's queue --------------------------------- */

/* The OpenCL device nnact_device_select(NULL) picks, found through the
 * platform/device listing as nnact_devices() numbers it. */
static cl_device_id app_device(cl_platform_id *platform, nnact_device_info *info)
{
    TU_OK(nnact_device_select(NULL, info));
    cl_uint np = 0;
    ck_assert_int_eq(clGetPlatformIDs(0, NULL, &np), CL_SUCCESS);
    ck_assert_uint_gt(np, info->platform_index);
    cl_platform_id *plats = calloc(np, sizeof *plats);
    ck_assert_ptr_nonnull(plats);
    ck_assert_int_eq(clGetPlatformIDs(np, plats, NULL), CL_SUCCESS);
    *platform = plats[info->platform_index];
    free(plats);
    cl_uint nd = 0;
    ck_assert_int_eq(clGetDeviceIDs(*platform, CL_DEVICE_TYPE_ALL, 0, NULL, &nd),
                     CL_SUCCESS);
    ck_assert_uint_gt(nd, info->device_index);
    cl_device_id *devs = calloc(nd, sizeof *devs);
    ck_assert_ptr_nonnull(devs);
    ck_assert_int_eq(clGetDeviceIDs(*platform, CL_DEVICE_TYPE_ALL, nd, devs, NULL),
                     CL_SUCCESS);
    cl_device_id dev = devs[info->device_index];
    free(devs);
    return dev;
}

START_TEST(adopt_app_queue)
{
    nnact_device_info info;
    cl_platform_id platform;
    cl_device_id dev = app_device(&platform, &info);
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)platform,
                                     0};
    cl_int err;
    cl_context app_ctx = clCreateContext(props, 1, &dev, NULL, NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    cl_command_queue q = clCreateCommandQueue(app_ctx, dev, 0, &err);
    ck_assert_int_eq(err, CL_SUCCESS);

    nnact_ctx *ctx = NULL;
    TU_OK(nnact_ctx_create_from_queue(&ctx, q));
    ck_assert_ptr_nonnull(ctx);
    ck_assert_ptr_eq(nnact_ctx_queue(ctx), q);
    const nnact_device_info *d = nnact_ctx_device(ctx);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->device_name, info.device_name);
    ck_assert_str_eq(d->platform_name, info.platform_name);
    ck_assert_str_eq(d->vendor, info.vendor);
    ck_assert_uint_eq(d->platform_index, info.platform_index);
    ck_assert_uint_eq(d->device_index, info.device_index);
    ck_assert_int_eq(d->type, info.type);
    ck_assert_uint_eq(d->global_mem_bytes, info.global_mem_bytes);
    ck_assert_uint_eq(d->compute_units, info.compute_units);

    /* The library works on the application's context, including views of
     * the application's buffers. */
    float in[8] = {-2, -1, 0, 1, 2, 3, -4, 5}, out[8];
    cl_mem app_buf = clCreateBuffer(app_ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                                    sizeof in, in, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    nnact_tensor *x = NULL, *y = NULL;
    TU_OK(nnact_tensor_wrap(ctx, app_buf, 1, 1, 7, &x));
    TU_OK(nnact_tensor_create(ctx, 1, 7, &y));
    nnact_act relu;
    TU_OK(nnact_act_from_name("relu", &relu));
    TU_OK(nnact_act_forward(ctx, &relu, x, y));
    TU_OK(nnact_tensor_read(y, out));
    for (int i = 0; i < 7; i++)
        ck_assert_msg(out[i] == (in[i + 1] < 0 ? 0.0f : in[i + 1]),
                      "relu on the adopted queue: [%d] = %g", i, (double)out[i]);
    TU_OK(nnact_act_forward(ctx, &relu, x, x)); /* leave work for destroy to wait on */
    nnact_tensor_destroy(x);
    nnact_tensor_destroy(y);
    nnact_ctx_destroy(ctx);

    /* The application's queue, context and buffer are still usable. */
    ck_assert_int_eq(clEnqueueReadBuffer(q, app_buf, CL_TRUE, 0, sizeof out, out, 0, NULL,
                                         NULL), CL_SUCCESS);
    ck_assert_msg(out[0] == in[0], "element before the view changed: %g", (double)out[0]);
    for (int i = 1; i < 8; i++)
        ck_assert_msg(out[i] == (in[i] < 0 ? 0.0f : in[i]), "app buffer[%d] = %g after "
                      "in-place relu", i, (double)out[i]);
    const float pattern[2] = {42.0f, -42.0f};
    cl_mem b2 = clCreateBuffer(app_ctx, CL_MEM_READ_WRITE, sizeof pattern, NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    ck_assert_int_eq(clEnqueueWriteBuffer(q, b2, CL_FALSE, 0, sizeof pattern, pattern, 0,
                                          NULL, NULL), CL_SUCCESS);
    float back[2] = {0, 0};
    ck_assert_int_eq(clEnqueueReadBuffer(q, b2, CL_FALSE, 0, sizeof back, back, 0, NULL,
                                         NULL), CL_SUCCESS);
    ck_assert_int_eq(clFinish(q), CL_SUCCESS);
    ck_assert_msg(back[0] == 42.0f && back[1] == -42.0f,
                  "the application's queue should still work after nnact_ctx_destroy");
    clReleaseMemObject(b2);
    clReleaseMemObject(app_buf);
    ck_assert_int_eq(clReleaseCommandQueue(q), CL_SUCCESS);
    ck_assert_int_eq(clReleaseContext(app_ctx), CL_SUCCESS);
}
END_TEST

START_TEST(adopt_rejects)
{
    nnact_ctx *ctx = JUNK;
    TU_FAILS(nnact_ctx_create_from_queue(&ctx, NULL), NNACT_ERR_INVALID_ARG,
             "queue is NULL");
    ck_assert_ptr_null(ctx);

    nnact_device_info info;
    cl_platform_id platform;
    cl_device_id dev = app_device(&platform, &info);
    cl_command_queue_properties supported = 0;
    ck_assert_int_eq(clGetDeviceInfo(dev, CL_DEVICE_QUEUE_PROPERTIES, sizeof supported,
                                     &supported, NULL), CL_SUCCESS);
    if (!(supported & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE)) {
        fprintf(stderr, "adopt_rejects: '%s' has no out-of-order queues; that case is "
                "skipped\n", info.device_name);
        return;
    }
    cl_int err;
    cl_context app_ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    cl_command_queue q = clCreateCommandQueue(app_ctx, dev,
                                              CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    ctx = JUNK;
    TU_FAILS(nnact_ctx_create_from_queue(&ctx, q), NNACT_ERR_UNSUPPORTED, "out-of-order");
    ck_assert_ptr_null(ctx);
    /* The rejected queue was not retained or released: still usable. */
    ck_assert_int_eq(clFinish(q), CL_SUCCESS);
    ck_assert_int_eq(clReleaseCommandQueue(q), CL_SUCCESS);
    ck_assert_int_eq(clReleaseContext(app_ctx), CL_SUCCESS);
}
END_TEST

/* Launches skip re-setting unchanged kernel arguments; a destroyed tensor's
 * buffer handle can come back for a new tensor, which must not be mistaken
 * for the old one. Create, use, destroy, repeatedly, with changing data.
 * (pocl reads arguments at enqueue, so this guards drivers that bind them at
 * clSetKernelArg; on pocl it checks the cache never serves stale scalars.) */
START_TEST(reused_buffer_handles)
{
    nnact_act relu = {NNACT_ACT_RELU, 0, 0};
    for (int round = 0; round < 40; round++) {
        size_t cols = (size_t)(round % 3) + 5;
        float x[3 * 7], y[3 * 7];
        for (size_t i = 0; i < 3 * cols; i++)
            x[i] = (float)((int)i - 6 + round);
        nnact_tensor *X = tu_tensor(3, cols, x), *Y = tu_tensor(3, cols, NULL);
        TU_OK(nnact_act_forward(tu_ctx, &relu, X, Y));
        TU_OK(nnact_tensor_read(Y, y));
        for (size_t i = 0; i < 3 * cols; i++)
            ck_assert_msg(y[i] == (x[i] > 0 ? x[i] : 0.0f), "round %d element %zu: %g", round,
                          i, (double)y[i]);
        nnact_tensor_destroy(X);
        nnact_tensor_destroy(Y);
    }
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"host", TU_CONTEXT, 0, {{round_trip, 1}, {tensors_are_independent, 1},
            {reused_buffer_handles, 1}, {gather_rows, 1}, {gather_rows_errors, 1}}},
        {"zero", TU_CONTEXT, 0, {{zero_sized_ops, 3}, {zero_sized_shapes_checked, 1}}},
        {"wrap", TU_CONTEXT, 0, {{wrap_views, sizeof view_offsets / sizeof view_offsets[0]},
            {adjacent_views, 1}, {wrap_bounds, 1}, {wrap_foreign_context, 1},
            {wrap_retains_buffer, 1}}},
        {"context", TU_CONTEXT, 0, {{ctx_device_fields, 1}, {ctx_finish, 1}}},
        /* These make their own OpenCL context and queue. */
        {"adopt", 0, 0, {{adopt_app_queue, 1}, {adopt_rejects, 1}}},
    };
    return tu_run_cases("tensor", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
