/* nnact-bench: times every operation of the library on the selected device.
 * Each repetition runs a float16 copy kernel and then the operation, so
 * every figure comes with the copy bandwidth measured beside it (machines
 * drift; ratios taken side by side are what we compare). Device times come
 * from OpenCL profiling markers around the operation, wall times from the
 * host clock around operation + clFinish. Built only on the public API. */
#define _POSIX_C_SOURCE 200809L
#include <nnact.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef NNACT_BENCH_OPENBLAS
#include <cblas.h>
#endif
#ifdef NNACT_BENCH_ONEDNN
#include "bench_onednn.h"
#endif
#include "bench_accuracy.h"
#include "tool.h"

/* A failed library call: nnact-bench stops (tool.h's TOOL_TRY, exit(1)). */
void tool_report(const char *call, nnact_status st)
{
    fprintf(stderr, "nnact-bench: %s: %s: %s\n", call, nnact_status_string(st),
            nnact_last_error());
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ---- the bench's own kernels: the copy reference and an empty kernel ---- */

static const char *bench_src =
    "__kernel void copy16(__global const float16 *a, __global float16 *b)\n"
    "{ size_t i = get_global_id(0); b[i] = a[i]; }\n"
    "__kernel void empty(__global float *a) { }\n"
    /* The least a relu can be: the library's argument list and work-item
     * shape with no library code around the enqueue. Separates what the
     * library adds from what the device charges for a small kernel. */
    "__kernel void bare_relu(__global const float *x, ulong xo, __global float *y,\n"
    "                        ulong yo, ulong n, float a, float b)\n"
    "{ size_t i = get_global_id(0) * 16; if (i + 16 > n) return;\n"
    "  float16 v = vload16(0, x + xo + i); vstore16(select(v, (float16)0, v < 0), 0, y + yo + i); }\n";

typedef struct bench {
    nnact_ctx *ctx;
    cl_context clctx;
    cl_command_queue q;
    cl_program prog;
    cl_kernel copy, empty, bare_relu;
    cl_mem ca, cb;   /* copy buffers */
    size_t copy_n;   /* floats copied */
    int reps;
    bool json;
    bool vs_onednn; /* --vs onednn: oneDNN beside each op */
    /* --dtype: storage types the activations and softmax run in, and the
     * one filled() creates now; ratio_base: the F32 median of the op just
     * reported, for the F16/F32 ratio. */
    bool dtype_f32, dtype_f16;
    nnact_dtype dtype;
    double ratio_base, f32_fwd, f32_bwd;
    const char *device_name;
    /* Device timestamps not believable (Mesa 22.3's rusticl: success with
     * start 2, end 3; timer resolution 0): "device" columns are wall-clock
     * times of the op + clFinish instead, and a note says so. */
    bool wall_clock;
    size_t timer_resolution; /* CL_DEVICE_PROFILING_TIMER_RESOLUTION, ns */
} bench;

/* No copy or library operation takes less device time than this. */
#define PLAUSIBLE_MIN_NS 100

static void use_wall_clock(bench *b, const char *why)
{
    if (b->wall_clock)
        return;
    b->wall_clock = true;
    if (b->json)
        printf("{\"note\":\"device profiling times implausible (%s): wall-clock times "
               "from here on\"}\n", why);
    else
        printf("note: device profiling times are implausible here (%s); the device "
               "columns\n      are wall-clock times of op + clFinish from here on\n", why);
    fflush(stdout);
}

/* An OpenCL call of the bench's own (device lookup, its kernels, events). */
static void cl_or_exit(cl_int e, const char *what)
{
    if (e != CL_SUCCESS) {
        fprintf(stderr, "nnact-bench: %s failed (%d)\n", what, (int)e);
        exit(1);
    }
}


static void bench_init(bench *b, const char *selector)
{
    nnact_device_info info;
    TOOL_TRY(nnact_device_select(selector, &info), exit(1));
    /* Find the cl_device_id behind the selection and make a profiling queue. */
    cl_uint np = 0;
    cl_or_exit(clGetPlatformIDs(0, NULL, &np), "clGetPlatformIDs");
    cl_platform_id *plats = calloc(np, sizeof *plats);
    cl_or_exit(clGetPlatformIDs(np, plats, NULL), "clGetPlatformIDs");
    cl_uint nd = 0;
    cl_or_exit(clGetDeviceIDs(plats[info.platform_index], CL_DEVICE_TYPE_ALL, 0, NULL, &nd),
             "clGetDeviceIDs");
    cl_device_id *devs = calloc(nd, sizeof *devs);
    cl_or_exit(clGetDeviceIDs(plats[info.platform_index], CL_DEVICE_TYPE_ALL, nd, devs, NULL),
             "clGetDeviceIDs");
    cl_device_id dev = devs[info.device_index];
    cl_int err;
    b->clctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    cl_or_exit(err, "clCreateContext");
    b->q = clCreateCommandQueue(b->clctx, dev, CL_QUEUE_PROFILING_ENABLE, &err);
    cl_or_exit(err, "clCreateCommandQueue");
    b->timer_resolution = 1;
    clGetDeviceInfo(dev, CL_DEVICE_PROFILING_TIMER_RESOLUTION, sizeof b->timer_resolution,
                    &b->timer_resolution, NULL);
    TOOL_TRY(nnact_ctx_create_from_queue(&b->ctx, b->q), exit(1));
    b->device_name = nnact_ctx_device(b->ctx)->device_name;
    b->prog = clCreateProgramWithSource(b->clctx, 1, &bench_src, NULL, &err);
    cl_or_exit(err, "clCreateProgramWithSource");
    cl_or_exit(clBuildProgram(b->prog, 1, &dev, "", NULL, NULL), "clBuildProgram");
    b->copy = clCreateKernel(b->prog, "copy16", &err);
    cl_or_exit(err, "clCreateKernel(copy16)");
    b->empty = clCreateKernel(b->prog, "empty", &err);
    cl_or_exit(err, "clCreateKernel(empty)");
    b->bare_relu = clCreateKernel(b->prog, "bare_relu", &err);
    cl_or_exit(err, "clCreateKernel(bare_relu)");
    free(plats);
    free(devs);
}

static void copy_buffers(bench *b, size_t n)
{
    n = (n + 15) / 16 * 16;
    if (n == b->copy_n)
        return;
    if (b->ca)
        clReleaseMemObject(b->ca), clReleaseMemObject(b->cb);
    cl_int err;
    b->ca = clCreateBuffer(b->clctx, CL_MEM_READ_WRITE, n * 4, NULL, &err);
    cl_or_exit(err, "clCreateBuffer");
    b->cb = clCreateBuffer(b->clctx, CL_MEM_READ_WRITE, n * 4, NULL, &err);
    cl_or_exit(err, "clCreateBuffer");
    float zero = 0;
    cl_or_exit(clEnqueueFillBuffer(b->q, b->ca, &zero, 4, 0, n * 4, 0, NULL, NULL), "fill");
    cl_or_exit(clSetKernelArg(b->copy, 0, sizeof b->ca, &b->ca), "arg");
    cl_or_exit(clSetKernelArg(b->copy, 1, sizeof b->cb, &b->cb), "arg");
    b->copy_n = n;
}

/* Device seconds between two markers, or wall (the host's time for the
 * same commands) when the device's times are not believable. */
static double event_seconds(bench *b, cl_event a, cl_event z, double wall)
{
    cl_ulong t0 = 0, t1 = 0;
    clWaitForEvents(1, &z);
    cl_int e0 = clGetEventProfilingInfo(a, CL_PROFILING_COMMAND_END, sizeof t0, &t0, NULL);
    cl_int e1 = clGetEventProfilingInfo(z, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
    if (!b->wall_clock && (e0 != CL_SUCCESS || e1 != CL_SUCCESS || t1 < t0 ||
                           t1 - t0 < PLAUSIBLE_MIN_NS)) {
        char why[128];
        snprintf(why, sizeof why, "marker ends %llu and %llu ns, status %d/%d",
                 (unsigned long long)t0, (unsigned long long)t1, (int)e0, (int)e1);
        use_wall_clock(b, why);
    }
    return b->wall_clock ? wall : (double)(t1 - t0) * 1e-9;
}

/* Device seconds of one copy of copy_n floats (read + write). */
static double run_copy(bench *b)
{
    size_t global = b->copy_n / 16, local = 64;
    while (global % local)
        local /= 2;
    cl_event before, after;
    clFinish(b->q);
    double w0 = now();
    cl_or_exit(clEnqueueMarkerWithWaitList(b->q, 0, NULL, &before), "marker");
    cl_or_exit(clEnqueueNDRangeKernel(b->q, b->copy, 1, NULL, &global, &local, 0, NULL, NULL),
             "copy");
    cl_or_exit(clEnqueueMarkerWithWaitList(b->q, 0, NULL, &after), "marker");
    clFinish(b->q);
    double t = event_seconds(b, before, after, now() - w0);
    clReleaseEvent(before);
    clReleaseEvent(after);
    return t;
}

typedef void (*op_fn)(bench *b, void *state);

typedef struct result {
    double dev_med, dev_min, dev_max, wall_med, copy_gbs;
    /* --vs onednn: oneDNN's median seconds for its best variant (0: none) */
    double ref_med;
    const char *ref_variant, *ref_none; /* variant name / why there is none */
    double yard_med; /* oneDNN's gelu_erf on the same data (0: not run) */
} result;

/* What oneDNN runs beside an op, or NULL with why_none set; yard: its
 * gelu_erf in the same direction on the same data, beside the ops whose
 * formula needs a transcendental function (the compute-bound ones, whose
 * yardstick is gelu_erf's speed rather than the copy's), or NULL. */
typedef struct ref_op {
    void *op;
    const char *why_none;
    void *yard;
} ref_op;

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

/* Runs op (after warm-up) reps times, each after a copy of bytes/8 floats
 * and, with --vs onednn, right before every variant of oneDNN's
 * counterpart (ref), so that both see the same minute of the machine. */
static result measure_vs(bench *b, op_fn op, void *state, double bytes, ref_op *ref)
{
#ifdef NNACT_BENCH_ONEDNN
    onednn_op *ro = ref ? ref->op : NULL, *yo = ref ? ref->yard : NULL;
    int nvar = ro ? onednn_variants(ro) : 0;
#else
    int nvar = 0;
#endif
    double *rt[2] = {NULL, NULL}, *yt = calloc((size_t)b->reps, sizeof(double));
    for (int v = 0; v < nvar; v++)
        rt[v] = calloc((size_t)b->reps, sizeof(double));
    size_t copy_floats = (size_t)(bytes / 8.0);
    if (copy_floats < (1u << 20))
        copy_floats = 1u << 20;
    copy_buffers(b, copy_floats);
    for (int w = 0; w < 3; w++) {
        op(b, state);
        run_copy(b);
#ifdef NNACT_BENCH_ONEDNN
        for (int v = 0; v < nvar; v++)
            onednn_run(ro, v);
        if (yo)
            onednn_run(yo, 0);
#endif
    }
    clFinish(b->q);
    int n = b->reps;
    double *dev = calloc((size_t)n, sizeof *dev), *wall = calloc((size_t)n, sizeof *wall),
           *cp = calloc((size_t)n, sizeof *cp);
    for (int r = 0; r < n; r++) {
        cp[r] = (double)b->copy_n * 8.0 / run_copy(b) * 1e-9;
        cl_event before, after;
        clFinish(b->q);
        double t0 = now();
        cl_or_exit(clEnqueueMarkerWithWaitList(b->q, 0, NULL, &before), "marker");
        op(b, state);
        cl_or_exit(clEnqueueMarkerWithWaitList(b->q, 0, NULL, &after), "marker");
        clFinish(b->q);
        wall[r] = now() - t0;
        dev[r] = event_seconds(b, before, after, wall[r]);
        clReleaseEvent(before);
        clReleaseEvent(after);
#ifdef NNACT_BENCH_ONEDNN
        for (int v = 0; v < nvar; v++)
            rt[v][r] = onednn_run(ro, v);
        if (yo)
            yt[r] = onednn_run(yo, 0);
#endif
    }
    result res;
    res.dev_med = median(dev, n);
    res.dev_min = dev[0];
    res.dev_max = dev[n - 1];
    res.wall_med = median(wall, n);
    res.copy_gbs = median(cp, n);
    res.ref_med = 0;
    res.ref_variant = NULL;
    res.ref_none = ref ? ref->why_none : NULL;
    res.yard_med = yt[0] > 0 ? median(yt, n) : 0;
    free(yt);
    /* oneDNN's best variant (src- or dst-based backward) by median */
    for (int v = 0; v < nvar; v++) {
        double m = median(rt[v], n);
        if (res.ref_med == 0 || m < res.ref_med) {
            res.ref_med = m;
#ifdef NNACT_BENCH_ONEDNN
            res.ref_variant = onednn_variant_name(ro, v);
#endif
        }
        free(rt[v]);
    }
    free(dev), free(wall), free(cp);
    return res;
}

static result measure(bench *b, op_fn op, void *state, double bytes)
{
    return measure_vs(b, op, state, bytes, NULL);
}

static void report(bench *b, const char *op, size_t rows, size_t cols, double bytes,
                   double flops, result r)
{
    double gbs = bytes / r.dev_med * 1e-9;
    if (b->json) {
        printf("{\"op\":\"%s\",\"rows\":%zu,\"cols\":%zu,\"reps\":%d,\"device\":\"%s\","
               "\"device_ms_median\":%.4f,\"device_ms_min\":%.4f,\"device_ms_max\":%.4f,"
               "\"wall_ms_median\":%.4f,\"bytes\":%.0f,\"gb_s\":%.3f,\"copy_gb_s\":%.3f,"
               "\"fraction_of_copy\":%.3f", op, rows, cols, b->reps, b->device_name,
               r.dev_med * 1e3, r.dev_min * 1e3, r.dev_max * 1e3, r.wall_med * 1e3, bytes,
               gbs, r.copy_gbs, gbs / r.copy_gbs);
        if (flops > 0)
            printf(",\"gflop_s\":%.2f", flops / r.dev_med * 1e-9);
        if (b->dtype_f16)
            printf(",\"dtype\":\"%s\"", nnact_dtype_name(b->dtype));
        if (b->dtype == NNACT_F16 && b->ratio_base > 0)
            printf(",\"ratio_f16_f32\":%.3f", r.dev_med / b->ratio_base);
        if (b->vs_onednn && r.ref_med > 0)
            printf(",\"onednn_ms_median\":%.4f,\"onednn_variant\":\"%s\","
                   "\"ratio_onednn\":%.3f", r.ref_med * 1e3, r.ref_variant,
                   r.ref_med / r.dev_med);
        else if (b->vs_onednn)
            printf(",\"ratio_onednn\":null,\"onednn_none\":\"%s\"",
                   r.ref_none ? r.ref_none : "not compared");
        if (r.yard_med > 0)
            printf(",\"onednn_gelu_erf_ms_median\":%.4f,\"ratio_gelu_erf\":%.3f",
                   r.yard_med * 1e3, r.yard_med / r.dev_med);
        printf("}\n");
    } else {
        char shape[48];
        snprintf(shape, sizeof shape, "%zux%zu", rows, cols);
        printf("%-24s %-12s %9.3f %9.3f %9.3f %9.3f %8.2f %8.2f %6.2f", op, shape,
               r.dev_med * 1e3, r.dev_min * 1e3, r.dev_max * 1e3, r.wall_med * 1e3, gbs,
               r.copy_gbs, gbs / r.copy_gbs);
        if (b->vs_onednn && r.ref_med > 0)
            printf(" %9.3f %7.2f  %s", r.ref_med * 1e3, r.ref_med / r.dev_med,
                   r.ref_variant);
        else if (b->vs_onednn)
            printf(" %9s %7s", "\u2014", "\u2014");
        if (r.yard_med > 0)
            printf("  gelu_erf %.2f", r.yard_med / r.dev_med);
        if (flops > 0)
            printf("  %.1f GFLOP/s", flops / r.dev_med * 1e-9);
        if (b->dtype == NNACT_F16 && b->ratio_base > 0)
            printf("  f16/f32 %.2f", r.dev_med / b->ratio_base);
        printf("\n");
    }
    fflush(stdout);
}

/* ---- operations ---- */

typedef struct op_state {
    nnact_act act;
    nnact_loss loss;
    nnact_optim opt;
    nnact_tensor *a, *b, *c, *d, *e, *f, *g, *h;
    nnact_transpose ta, tb;
} op_state;

static void op_act_fwd(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_act_forward(b->ctx, &s->act, s->a, s->b), exit(1));
}
static void op_act_bwd(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_act_backward(b->ctx, &s->act, s->a, s->b, s->c, s->d), exit(1));
}
static void op_prelu_fwd(bench *b, void *s_)
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
static void op_optim(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_optim_step(b->ctx, &s->opt, 10, s->a, s->b, s->c, s->d), exit(1));
}
static void op_gemm(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_gemm(b->ctx, s->ta, s->tb, 1.0f, s->a, s->b, 0.0f, s->c), exit(1));
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

/* A tensor of pseudo-random values in [lo, hi); *host (if asked) gets a
 * malloc'd copy of them for oneDNN. */
static nnact_tensor *filled_host(bench *b, size_t r, size_t c, float lo, float hi,
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

static nnact_tensor *filled(bench *b, size_t r, size_t c, float lo, float hi, unsigned seed)
{
    return filled_host(b, r, c, lo, hi, seed, NULL);
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

static void free_state(op_state *s)
{
    nnact_tensor *all[] = {s->a, s->b, s->c, s->d, s->e, s->f, s->g, s->h};
    for (size_t i = 0; i < 8; i++)
        nnact_tensor_destroy(all[i]);
    memset(s, 0, sizeof *s);
}

/* --op tokens select ops by group ("act", "softmax", ...) or name prefix. */
static bool wanted(const char *ops, const char *group, const char *name)
{
    if (!ops)
        return true;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", ops);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
        if (!strcmp(t, "all") || !strcmp(t, group) || !strncmp(name, t, strlen(t)))
            return true;
    return false;
}

/* wanted() for bench_accuracy: arg is the --op list. */
static bool wanted_act(const char *name, void *ops) { return wanted(ops, "act", name); }

static void bench_elementwise(bench *b, const char *ops, size_t rows, size_t cols,
                              bool softmax)
{
    double n = (double)rows * (double)cols;
    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        const bool row_wise = k == NNACT_ACT_SOFTMAX || k == NNACT_ACT_LOG_SOFTMAX;
        if (row_wise != softmax)
            continue;
        const char *an = nnact_act_name((nnact_act_kind)k);
        char fname[64], bname[64];
        snprintf(fname, sizeof fname, "%s.fwd", an);
        snprintf(bname, sizeof bname, "%s.bwd", an);
        const char *group = row_wise ? "softmax" : "act";
        bool f = wanted(ops, group, fname), bw = wanted(ops, group, bname);
        if (!f && !bw)
            continue;
        for (int d = 0; d < 2; d++) {
        if (!(d ? b->dtype_f16 : b->dtype_f32))
            continue;
        b->dtype = d ? NNACT_F16 : NNACT_F32;
        const double es = d ? 2 : 4; /* bytes per element */
        if (d) {
            snprintf(fname, sizeof fname, "%s.fwd.f16", an);
            snprintf(bname, sizeof bname, "%s.bwd.f16", an);
        }
        double base_f = 0, base_b = 0;
        size_t r = rows, c = cols;
        op_state s = {0};
        TOOL_TRY(nnact_act_from_name(an, &s.act), exit(1));
        float *hx = NULL, *hdy = NULL;
        s.a = filled_host(b, r, c, -8, 8, 1, &hx);
        /* y: probabilities, or log-probabilities for log_softmax */
        s.b = k == NNACT_ACT_LOG_SOFTMAX ? filled(b, r, c, -10, 0, 2) : filled(b, r, c, 0, 1, 2);
        s.c = filled_host(b, r, c, -1, 1, 3, &hdy);
        s.d = filled(b, r, c, 0, 0, 4);
        if (f) {
            ref_op ref = make_ref(b, &s.act, an, row_wise, false, r, c, hx, hdy);
            b->ratio_base = d ? b->f32_fwd : 0;
            result res = measure_vs(b, op_act_fwd, &s, 2 * es * n, &ref);
            report(b, fname, r, c, 2 * es * n, 0, res);
            if (!d)
                b->f32_fwd = res.dev_med;
            ref_free(&ref);
        }
        if (bw) {
            double bytes = (k == NNACT_ACT_IDENTITY ? 2 : 3) * es * n;
            ref_op ref = make_ref(b, &s.act, an, row_wise, true, r, c, hx, hdy);
            b->ratio_base = d ? b->f32_bwd : 0;
            result res = measure_vs(b, op_act_bwd, &s, bytes, &ref);
            report(b, bname, r, c, bytes, 0, res);
            if (!d)
                b->f32_bwd = res.dev_med;
            ref_free(&ref);
        }
        (void)base_f, (void)base_b;
        free(hx), free(hdy);
        free_state(&s);
        }
        b->dtype = NNACT_F32;
        b->ratio_base = 0;
        b->f32_fwd = b->f32_bwd = 0;
    }
}

static void bench_prelu(bench *b, const char *ops, size_t rows, size_t cols)
{
    if (!wanted(ops, "prelu", "prelu.fwd") && !wanted(ops, "prelu", "prelu.bwd"))
        return;
    double n = (double)rows * (double)cols;
    op_state s = {0};
    s.a = filled(b, rows, cols, -8, 8, 1);
    s.b = filled(b, rows, cols, 0, 0, 2);
    s.c = filled(b, rows, cols, -1, 1, 3);
    s.d = filled(b, rows, cols, 0, 0, 4);
    s.e = filled(b, 1, cols, 0, 0.3f, 5);
    s.f = filled(b, 1, cols, 0, 0, 6);
    if (wanted(ops, "prelu", "prelu.fwd"))
        report(b, "prelu.fwd (1xcols)", rows, cols, 8 * n, 0, measure(b, op_prelu_fwd, &s, 8 * n));
    if (wanted(ops, "prelu", "prelu.bwd"))
        report(b, "prelu.bwd+dalpha", rows, cols, 12 * n, 0,
               measure(b, op_prelu_bwd, &s, 12 * n));
    free_state(&s);
}

static void bench_losses(bench *b, const char *ops, size_t rows, size_t cols)
{
    double n = (double)rows * (double)cols;
    for (int k = 0; k < NNACT_LOSS_COUNT; k++) {
        char name[64];
        snprintf(name, sizeof name, "loss.%s", nnact_loss_name((nnact_loss_kind)k));
        if (!wanted(ops, "loss", name))
            continue;
        op_state s = {0};
        TOOL_TRY(nnact_loss_from_name(nnact_loss_name((nnact_loss_kind)k), &s.loss), exit(1));
        s.a = filled(b, rows, cols, 0.01f, 0.99f, 1);
        s.b = filled(b, rows, cols, 0, 1, 2);
        s.d = filled(b, rows, cols, 0, 0, 3);
        report(b, name, rows, cols, 12 * n, 0, measure(b, op_loss, &s, 12 * n));
        free_state(&s);
    }
}

static void bench_optims(bench *b, const char *ops, size_t rows, size_t cols)
{
    static const char *names[] = {"sgd", "momentum", "adam", "adamw"};
    static const double per_elem[] = {12, 20, 28, 28};
    double n = (double)rows * (double)cols;
    for (size_t i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "optim.%s", names[i]);
        if (!wanted(ops, "optim", name))
            continue;
        op_state s = {0};
        TOOL_TRY(nnact_optim_from_name(names[i], &s.opt), exit(1));
        s.a = filled(b, rows, cols, -1, 1, 1);
        s.b = filled(b, rows, cols, -1, 1, 2);
        s.c = filled(b, rows, cols, 0, 0, 3);
        s.d = filled(b, rows, cols, 0, 0, 4);
        report(b, name, rows, cols, per_elem[i] * n, 0,
               measure(b, op_optim, &s, per_elem[i] * n));
        if (!strcmp(names[i], "adam")) {
            /* Pixels that are almost always 0 leave Adam's first moments
             * decaying into subnormals: time that state too. */
            nnact_tensor_destroy(s.b);
            nnact_tensor_destroy(s.c);
            s.b = filled(b, rows, cols, 0, 0, 2);
            s.c = filled(b, rows, cols, 1e-39f, 2e-39f, 3);
            report(b, "optim.adam subnormal m", rows, cols, per_elem[i] * n, 0,
                   measure(b, op_optim, &s, per_elem[i] * n));
        }
        free_state(&s);
    }
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
    s.a = ta ? filled(b, k, m, -1, 1, 1) : filled(b, m, k, -1, 1, 1);
    s.b = tb ? filled(b, n, k, -1, 1, 2) : filled(b, k, n, -1, 1, 2);
    s.c = filled(b, m, n, 0, 0, 3);
    char name[64];
    snprintf(name, sizeof name, "sgemm %c%c k=%zu", ta ? 'T' : 'N', tb ? 'T' : 'N', k);
    double bytes = 4.0 * ((double)m * k + (double)k * n + (double)m * n);
    result r = measure(b, op_gemm, &s, bytes);
    report(b, name, m, n, bytes, 2.0 * m * n * k, r);
#ifdef NNACT_BENCH_OPENBLAS
    /* OpenBLAS on the same shape and cores, right after, same repetitions */
    float *ha = calloc(m * k, 4), *hb = calloc(k * n, 4), *hc = calloc(m * n, 4);
    double *t = calloc((size_t)b->reps, sizeof *t);
    for (size_t i = 0; i < m * k; i++)
        ha[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < k * n; i++)
        hb[i] = (float)(i % 5) * 0.1f;
    for (int rep = -3; rep < b->reps; rep++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    (int)m, (int)n, (int)k, 1.0f, ha, ta ? (int)m : (int)k, hb,
                    tb ? (int)k : (int)n, 0.0f, hc, (int)n);
        if (rep >= 0)
            t[rep] = now() - t0;
    }
    double blas = median(t, b->reps), gf = 2.0 * m * n * k / blas * 1e-9;
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
    free_state(&s);
}

static void bench_dense(bench *b, const char *ops)
{
    const size_t B = 128, in = 784, out = 256;
    if (!wanted(ops, "dense", "dense.fwd") && !wanted(ops, "dense", "dense.bwd"))
        return;
    op_state s = {0};
    TOOL_TRY(nnact_act_from_name("relu", &s.act), exit(1));
    s.a = filled(b, B, in, 0, 1, 1);
    s.b = filled(b, in, out, -0.05f, 0.05f, 2);
    s.c = filled(b, 1, out, -0.1f, 0.1f, 3);
    s.d = filled(b, B, out, 0, 0, 4);
    s.e = filled(b, B, out, 0, 0, 5);
    s.f = filled(b, in, out, 0, 0, 6);
    s.g = filled(b, 1, out, 0, 0, 7);
    s.h = filled(b, B, in, 0, 0, 8);
    double fb = 4.0 * (B * in + in * out + out + 2 * B * out);
    if (wanted(ops, "dense", "dense.fwd"))
        report(b, "dense.fwd relu", B, out, fb, 2.0 * B * in * out,
               measure(b, op_dense_fwd, &s, fb));
    if (wanted(ops, "dense", "dense.bwd"))
        report(b, "dense.bwd relu", B, out, 2 * fb, 4.0 * B * in * out,
               measure(b, op_dense_bwd, &s, 2 * fb));
    free_state(&s);
}

/* ---- host cost of small operations ---- */

/* Best-of-rounds seconds per enqueue of op, count enqueues back to back and
 * one clFinish per round. */
static double per_enqueue(bench *b, op_fn op, void *state, int count, int rounds)
{
    op(b, state); /* compile and warm */
    clFinish(b->q);
    double best = INFINITY;
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (int i = 0; i < count; i++)
            op(b, state);
        clFinish(b->q);
        double t = (now() - t0) / count;
        best = t < best ? t : best;
    }
    return best;
}

static void op_empty(bench *b, void *s_)
{
    (void)s_;
    size_t global = 64, local = 64;
    cl_or_exit(clEnqueueNDRangeKernel(b->q, b->empty, 1, NULL, &global, &local, 0, NULL, NULL),
             "empty");
}

/* 64x64 floats: 256 items of 16 in one group, as nnact_act_forward on CPUs. */
static void op_bare_relu(bench *b, void *s_)
{
    (void)s_;
    size_t global = 256, local = 256;
    cl_or_exit(clEnqueueNDRangeKernel(b->q, b->bare_relu, 1, NULL, &global, &local, 0, NULL,
                                    NULL), "bare_relu");
}

static void op_softmax_fwd(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_softmax_forward(b->ctx, 1.0f, s->a, s->b), exit(1));
}

static void bench_overhead(bench *b, const char *ops)
{
    if (!wanted(ops, "overhead", "overhead"))
        return;
    const int count = 2000;
    cl_mem dummy;
    cl_int err;
    dummy = clCreateBuffer(b->clctx, CL_MEM_READ_WRITE, 256, NULL, &err);
    cl_or_exit(err, "clCreateBuffer");
    cl_or_exit(clSetKernelArg(b->empty, 0, sizeof dummy, &dummy), "arg");
    double raw = per_enqueue(b, op_empty, NULL, count, 5);
    op_state s = {0};
    s.a = filled(b, 64, 64, -4, 4, 1);
    s.b = filled(b, 64, 64, 0, 1, 2);
    s.c = filled(b, 64, 64, -1, 1, 3);
    s.d = filled(b, 64, 64, 0, 0, 4);
    s.e = filled(b, 1, 64, 0, 0.2f, 5);
    s.f = filled(b, 1, 64, 0, 0, 6);
    TOOL_TRY(nnact_optim_from_name("adam", &s.opt), exit(1));
    cl_mem xb = nnact_tensor_buffer(s.a), yb = nnact_tensor_buffer(s.d);
    cl_ulong zero = 0, n = 64 * 64;
    float fzero = 0;
    cl_or_exit(clSetKernelArg(b->bare_relu, 0, sizeof xb, &xb), "arg");
    cl_or_exit(clSetKernelArg(b->bare_relu, 1, sizeof zero, &zero), "arg");
    cl_or_exit(clSetKernelArg(b->bare_relu, 2, sizeof yb, &yb), "arg");
    cl_or_exit(clSetKernelArg(b->bare_relu, 3, sizeof zero, &zero), "arg");
    cl_or_exit(clSetKernelArg(b->bare_relu, 4, sizeof n, &n), "arg");
    cl_or_exit(clSetKernelArg(b->bare_relu, 5, sizeof fzero, &fzero), "arg");
    cl_or_exit(clSetKernelArg(b->bare_relu, 6, sizeof fzero, &fzero), "arg");
    struct { const char *name; op_fn fn; } list[] = {
        {"bare_relu_kernel", op_bare_relu}, {"relu.fwd", op_act_fwd}, {"sigmoid.bwd", op_act_bwd},
        {"softmax.fwd", op_softmax_fwd}, {"prelu.fwd", op_prelu_fwd},
        {"optim.adam", op_optim},
    };
    if (!b->json)
        printf("\nHost cost, 64x64, %d enqueues back to back, one clFinish (best of 5):\n"
               "%-24s %10s %8s\n%-24s %10.2f %8.2f\n", count, "op", "us/op", "x raw",
               "empty kernel (raw)", raw * 1e6, 1.0);
    else
        printf("{\"op\":\"overhead.empty_kernel\",\"us_per_op\":%.3f}\n", raw * 1e6);
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        if (!strcmp(list[i].name, "relu.fwd") || !strcmp(list[i].name, "sigmoid.bwd"))
            TOOL_TRY(nnact_act_from_name(list[i].name[0] == 'r' ? "relu" : "sigmoid", &s.act),
                     exit(1));
        /* the empty kernel and the op alternate, so the ratio is side by side */
        double t = INFINITY, r = INFINITY;
        for (int round = 0; round < 5; round++) {
            double tr = per_enqueue(b, op_empty, NULL, count, 1);
            double to = per_enqueue(b, list[i].fn, &s, count, 1);
            r = tr < r ? tr : r;
            t = to < t ? to : t;
        }
        raw = r;
        if (b->json)
            printf("{\"op\":\"overhead.%s\",\"rows\":64,\"cols\":64,\"us_per_op\":%.3f,"
                   "\"empty_us\":%.3f,\"ratio_to_empty\":%.3f}\n", list[i].name, t * 1e6,
                   raw * 1e6, t / raw);
        else
            printf("%-24s %10.2f %8.2f   (empty kernel beside it %.2f us)\n", list[i].name,
                   t * 1e6, t / raw, raw * 1e6);
    }
    free_state(&s);
    clReleaseMemObject(dummy);
}

/* ---- start-up: a fresh process to its first activation result ---- */

static int startup_child(const char *selector)
{
    nnact_ctx *ctx;
    nnact_tensor *x, *y;
    nnact_act relu = {NNACT_ACT_RELU, 0, 0};
    float h[64] = {0};
    if (nnact_ctx_create(&ctx, selector) || nnact_tensor_create(ctx, 8, 8, &x) ||
        nnact_tensor_create(ctx, 8, 8, &y) || nnact_tensor_write(x, h) ||
        nnact_act_forward(ctx, &relu, x, y) || nnact_tensor_read(y, h))
        return 1;
    nnact_tensor_destroy(x);
    nnact_tensor_destroy(y);
    nnact_ctx_destroy(ctx);
    return 0;
}

static double spawn_startup(const char *self, const char *selector, const char *cache)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        if (cache) {
            setenv("POCL_CACHE_DIR", cache, 1);
            setenv("HOME", cache, 1);
            setenv("XDG_CACHE_HOME", cache, 1);
            setenv("NNACT_CACHE_DIR", cache, 1);
        }
        execl(self, self, "--startup-child", selector ? selector : "", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    double t = now() - t0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : NAN;
}

static void bench_startup(bench *b, const char *ops, const char *selector)
{
    if (!wanted(ops, "startup", "startup"))
        return;
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return;
    self[len] = '\0';
    spawn_startup(self, selector, NULL); /* fill the caches */
    double warm[5];
    for (int i = 0; i < 5; i++)
        warm[i] = spawn_startup(self, selector, NULL);
    char tmpl[] = "/tmp/nnact-bench-cold-XXXXXX";
    char *dir = mkdtemp(tmpl);
    double cold = dir ? spawn_startup(self, selector, dir) : NAN;
    if (dir) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "nnact-bench: could not remove %s\n", dir);
    }
    double wm = median(warm, 5);
    if (b->json)
        printf("{\"op\":\"startup\",\"warm_ms_median\":%.1f,\"cold_ms\":%.1f}\n", wm * 1e3,
               cold * 1e3);
    else
        printf("\nStart-up, fresh process to first relu result: warm caches %.1f ms "
               "(median of 5), empty caches %.1f ms\n", wm * 1e3, cold * 1e3);
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: nnact-bench [--op LIST] [--size ROWSxCOLS] [--reps N] [--device SEL] [--json]\n"
        "  --op LIST     comma-separated groups or name prefixes: act, softmax, prelu,\n"
        "                dense, loss, optim, sgemm, overhead, startup, or e.g. relu,\n"
        "                sigmoid.bwd, loss.mse (default: all)\n"
        "  --size RxC    elementwise, prelu and optimizer tensors (default 4096x4096);\n"
        "                softmax and losses use RxC too when given, else 4096x1000\n"
        "  --gemm MxNxK[:TT]  an SGEMM shape instead of the MLP's (T/N for a and b)\n"
        "  --reps N      timed repetitions after 3 warm-up runs (default 20)\n"
        "  --json        one JSON object per measurement\n"
        "  --dtype f32|f16|f32,f16  storage of the activations and softmax (default\n"
        "                f32); with both, each F16 row also gives its time / F32's\n"
        "  --accuracy    instead of timing: every activation forward and backward on\n"
        "                inputs from 1e-38 to FLT_MAX, worst error in units of the\n"
        "                tests' bar (> 1 fails them); with --vs onednn oneDNN's too;\n"
        "                exits 1 if one of ours is outside its bar\n"
        "  --vs onednn   time oneDNN's eltwise/softmax primitive right after each\n"
        "                activation and report oneDNN's time / ours (built with\n"
        "                libdnnl-dev only; OMP_NUM_THREADS defaults to the CPUs online)\n"
        "Device times are from OpenCL profiling markers around each operation; each\n"
        "repetition first runs a float16 copy kernel whose bandwidth is reported\n"
        "beside it, and 'copy' is the operation's GB/s as a fraction of that copy's.\n");
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--startup-child"))
        return startup_child(argv[2][0] ? argv[2] : NULL);
    const char *ops = NULL, *selector = NULL, *gemm = NULL;
    bool accuracy = false;
    size_t rows = 4096, cols = 4096, srows = 4096, scols = 1000;
    bench b = {0};
    b.reps = 20;
    b.dtype_f32 = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) {
            b.json = true;
            continue;
        }
        if (!strcmp(a, "--accuracy")) {
            accuracy = true;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--op"))
            ops = v;
        else if (!strcmp(a, "--device"))
            selector = v;
        else if (!strcmp(a, "--gemm"))
            gemm = v;
        else if (!strcmp(a, "--vs")) {
            if (strcmp(v, "onednn")) {
                fprintf(stderr, "nnact-bench: --vs knows only 'onednn'\n");
                return 2;
            }
#ifndef NNACT_BENCH_ONEDNN
            fprintf(stderr, "nnact-bench: built without oneDNN (install libdnnl-dev and "
                            "reconfigure)\n");
            return 2;
#endif
            b.vs_onednn = true;
        }
        else if (!strcmp(a, "--reps"))
            b.reps = atoi(v) > 0 ? atoi(v) : 20;
        else if (!strcmp(a, "--dtype")) {
            b.dtype_f32 = strstr(v, "f32") != NULL;
            b.dtype_f16 = strstr(v, "f16") != NULL;
            if (!b.dtype_f32 && !b.dtype_f16) {
                fprintf(stderr, "nnact-bench: --dtype wants f32, f16 or f32,f16\n");
                return 2;
            }
        }
        else if (!strcmp(a, "--size")) {
            if (sscanf(v, "%zux%zu", &rows, &cols) != 2 || !rows || !cols) {
                fprintf(stderr, "nnact-bench: --size wants ROWSxCOLS, e.g. 4096x4096\n");
                return 2;
            }
            srows = rows, scols = cols;
        } else {
            fprintf(stderr, "nnact-bench: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
#ifdef NNACT_BENCH_ONEDNN
    /* oneDNN's OpenMP runtime reads its settings when it loads, before
     * main: set them and start again. Passive waiting, so that its idle
     * threads do not spin on the cores through our next kernel. */
    if (b.vs_onednn && !getenv("NNACT_BENCH_OMP_SET")) {
        char cpus[16];
        snprintf(cpus, sizeof cpus, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
        setenv("OMP_NUM_THREADS", cpus, 0);
        setenv("OMP_WAIT_POLICY", "passive", 0);
        setenv("NNACT_BENCH_OMP_SET", "1", 1);
        execv("/proc/self/exe", argv);
        fprintf(stderr, "nnact-bench: cannot restart itself: %s\n", strerror(errno));
        return 1;
    }
#endif
    bench_init(&b, selector);
    if (accuracy) {
        if (!b.json)
            printf("nnact-bench on '%s' (%s)%s%s\n", b.device_name,
                   nnact_ctx_device(b.ctx)->platform_name, b.vs_onednn ? " beside " : "",
#ifdef NNACT_BENCH_ONEDNN
                   b.vs_onednn ? onednn_describe() : ""
#else
                   ""
#endif
            );
        long out = bench_accuracy(b.ctx, wanted_act, (void *)ops, b.json, b.vs_onednn);
        nnact_ctx_destroy(b.ctx);
        return out ? 1 : 0;
    }
    if (!b.json) {
        printf("nnact-bench on '%s' (%s), %d reps; times in ms\n", b.device_name,
               nnact_ctx_device(b.ctx)->platform_name, b.reps);
#ifdef NNACT_BENCH_ONEDNN
        if (b.vs_onednn)
            printf("beside %s; 'vs' = oneDNN's time / ours\n", onednn_describe());
#endif
        printf("%-24s %-12s %9s %9s %9s %9s %8s %8s %6s%s\n", "op", "shape", "median", "min",
               "max", "wall", "GB/s", "copyGB/s", "copy",
               b.vs_onednn ? "  oneDNN ms      vs" : "");
    }
#ifdef NNACT_BENCH_ONEDNN
    if (b.json && b.vs_onednn)
        printf("{\"onednn\":\"%s\"}\n", onednn_describe());
#endif
    if (b.timer_resolution == 0)
        use_wall_clock(&b, "the device reports a profiling timer resolution of 0");
    bench_elementwise(&b, ops, rows, cols, false);
    /* softmax uses its own default shape unless --size was given */
    bench_elementwise(&b, ops, srows, scols, true);
    bench_prelu(&b, ops, rows, cols);
    bench_losses(&b, ops, srows, scols);
    bench_optims(&b, ops, rows, cols);
    bench_dense(&b, ops);
    if (gemm) {
        size_t m, n, k;
        char t[3] = "NN";
        if (sscanf(gemm, "%zux%zux%zu:%2s", &m, &n, &k, t) < 3) {
            fprintf(stderr, "nnact-bench: --gemm wants MxNxK[:TT]\n");
            return 2;
        }
        bench_gemm_shape(&b, m, n, k, t[0] == 'T', t[1] == 'T');
    } else if (wanted(ops, "sgemm", "sgemm")) {
        for (size_t i = 0; i < sizeof mlp_gemms / sizeof mlp_gemms[0]; i++)
            bench_gemm_shape(&b, mlp_gemms[i].m, mlp_gemms[i].n, mlp_gemms[i].k,
                             mlp_gemms[i].ta, mlp_gemms[i].tb);
    }
    bench_overhead(&b, ops);
    bench_startup(&b, ops, selector);
    nnact_ctx_destroy(b.ctx);
    return 0;
}
