/* nnact-bench's harness: the clock, the device and profiling queue, the
 * bench's own kernels, and the measurement every figure goes through. Each
 * repetition runs a float16 copy kernel and then the operation, so every
 * figure comes with the copy bandwidth measured beside it (machines drift;
 * ratios taken side by side are what we compare). Device times come from
 * OpenCL profiling markers around the operation, wall times from the host
 * clock around operation + clFinish. */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef NNACT_BENCH_ONEDNN
#include "bench_onednn.h"
#endif
#include "tool.h"

double bench_now(void)
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

double bench_median(double *v, int n)
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
    "  float16 v = vload16(0, x + xo + i);\n"
    "  vstore16(select(v, (float16)0, v < 0), 0, y + yo + i); }\n";

/* No copy or library operation takes less device time than this. */
#define PLAUSIBLE_MIN_NS 100

void bench_use_wall_clock(bench *b, const char *why)
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

void bench_cl_check(cl_int e, const char *what)
{
    if (e != CL_SUCCESS) {
        fprintf(stderr, "nnact-bench: %s failed (%d)\n", what, (int)e);
        exit(1);
    }
}

void bench_init(bench *b, const char *selector)
{
    nnact_device_info info;
    TOOL_TRY(nnact_device_select(selector, &info), exit(1));
    /* Find the cl_device_id behind the selection and make a profiling queue. */
    cl_uint np = 0;
    bench_cl_check(clGetPlatformIDs(0, NULL, &np), "clGetPlatformIDs");
    cl_platform_id *plats = calloc(np, sizeof *plats);
    bench_cl_check(clGetPlatformIDs(np, plats, NULL), "clGetPlatformIDs");
    cl_uint nd = 0;
    bench_cl_check(clGetDeviceIDs(plats[info.platform_index], CL_DEVICE_TYPE_ALL, 0, NULL,
                                  &nd), "clGetDeviceIDs");
    cl_device_id *devs = calloc(nd, sizeof *devs);
    bench_cl_check(clGetDeviceIDs(plats[info.platform_index], CL_DEVICE_TYPE_ALL, nd, devs,
                                  NULL), "clGetDeviceIDs");
    cl_device_id dev = devs[info.device_index];
    cl_int err;
    b->clctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    bench_cl_check(err, "clCreateContext");
    b->q = clCreateCommandQueue(b->clctx, dev, CL_QUEUE_PROFILING_ENABLE, &err);
    bench_cl_check(err, "clCreateCommandQueue");
    b->timer_resolution = 1;
    clGetDeviceInfo(dev, CL_DEVICE_PROFILING_TIMER_RESOLUTION, sizeof b->timer_resolution,
                    &b->timer_resolution, NULL);
    TOOL_TRY(nnact_ctx_create_from_queue(&b->ctx, b->q), exit(1));
    b->device_name = nnact_ctx_device(b->ctx)->device_name;
    b->prog = clCreateProgramWithSource(b->clctx, 1, &bench_src, NULL, &err);
    bench_cl_check(err, "clCreateProgramWithSource");
    bench_cl_check(clBuildProgram(b->prog, 1, &dev, "", NULL, NULL), "clBuildProgram");
    b->copy = clCreateKernel(b->prog, "copy16", &err);
    bench_cl_check(err, "clCreateKernel(copy16)");
    b->empty = clCreateKernel(b->prog, "empty", &err);
    bench_cl_check(err, "clCreateKernel(empty)");
    b->bare_relu = clCreateKernel(b->prog, "bare_relu", &err);
    bench_cl_check(err, "clCreateKernel(bare_relu)");
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
    bench_cl_check(err, "clCreateBuffer");
    b->cb = clCreateBuffer(b->clctx, CL_MEM_READ_WRITE, n * 4, NULL, &err);
    bench_cl_check(err, "clCreateBuffer");
    float zero = 0;
    bench_cl_check(clEnqueueFillBuffer(b->q, b->ca, &zero, 4, 0, n * 4, 0, NULL, NULL), "fill");
    bench_cl_check(clSetKernelArg(b->copy, 0, sizeof b->ca, &b->ca), "arg");
    bench_cl_check(clSetKernelArg(b->copy, 1, sizeof b->cb, &b->cb), "arg");
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
        bench_use_wall_clock(b, why);
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
    double w0 = bench_now();
    bench_cl_check(clEnqueueMarkerWithWaitList(b->q, 0, NULL, &before), "marker");
    bench_cl_check(clEnqueueNDRangeKernel(b->q, b->copy, 1, NULL, &global, &local, 0, NULL,
                                          NULL), "copy");
    bench_cl_check(clEnqueueMarkerWithWaitList(b->q, 0, NULL, &after), "marker");
    clFinish(b->q);
    double t = event_seconds(b, before, after, bench_now() - w0);
    clReleaseEvent(before);
    clReleaseEvent(after);
    return t;
}

/* Runs op (after warm-up) reps times, each after a copy of bytes/8 floats
 * and, with --vs onednn, right before every variant of oneDNN's
 * counterpart (ref), so that both see the same minute of the machine. */
result bench_measure_vs(bench *b, op_fn op, void *state, double bytes, ref_op *ref)
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
        double t0 = bench_now();
        bench_cl_check(clEnqueueMarkerWithWaitList(b->q, 0, NULL, &before), "marker");
        op(b, state);
        bench_cl_check(clEnqueueMarkerWithWaitList(b->q, 0, NULL, &after), "marker");
        clFinish(b->q);
        wall[r] = bench_now() - t0;
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
    res.dev_med = bench_median(dev, n);
    res.dev_min = dev[0];
    res.dev_max = dev[n - 1];
    res.wall_med = bench_median(wall, n);
    res.copy_gbs = bench_median(cp, n);
    res.ref_med = 0;
    res.ref_variant = NULL;
    res.ref_none = ref ? ref->why_none : NULL;
    res.yard_med = yt[0] > 0 ? bench_median(yt, n) : 0;
    free(yt);
    /* oneDNN's best variant (src- or dst-based backward) by median */
    for (int v = 0; v < nvar; v++) {
        double m = bench_median(rt[v], n);
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

result bench_measure(bench *b, op_fn op, void *state, double bytes)
{
    return bench_measure_vs(b, op, state, bytes, NULL);
}

void bench_report(bench *b, const char *op, size_t rows, size_t cols, double bytes,
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

/* A token matches its group, "all", or the start of a name ("relu" also
 * selects relu6). */
bool bench_wanted(const char *ops, const char *group, const char *name)
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
