/* nnact-bench --op overhead: what the host pays per call for small
 * operations, 2000 enqueues back to back and one clFinish, each beside an
 * empty kernel timed in alternation with it. A bare relu kernel (the
 * library's argument list with no library code around the enqueue) is one
 * of them: it separates what the library adds from what the device charges
 * for a small kernel. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tool.h"

/* Best-of-rounds seconds per enqueue of op, count enqueues back to back and
 * one clFinish per round. */
static double per_enqueue(bench *b, op_fn op, void *state, int count, int rounds)
{
    op(b, state); /* compile and warm */
    clFinish(b->q);
    double best = INFINITY;
    for (int r = 0; r < rounds; r++) {
        double t0 = bench_now();
        for (int i = 0; i < count; i++)
            op(b, state);
        clFinish(b->q);
        double t = (bench_now() - t0) / count;
        best = t < best ? t : best;
    }
    return best;
}

static void op_empty(bench *b, void *s_)
{
    (void)s_;
    size_t global = 64, local = 64;
    bench_cl_check(clEnqueueNDRangeKernel(b->q, b->empty, 1, NULL, &global, &local, 0, NULL,
                                          NULL), "empty");
}

/* 64x64 floats: 256 items of 16 in one group, as nnact_act_forward on CPUs. */
static void op_bare_relu(bench *b, void *s_)
{
    (void)s_;
    size_t global = 256, local = 256;
    bench_cl_check(clEnqueueNDRangeKernel(b->q, b->bare_relu, 1, NULL, &global, &local, 0,
                                          NULL, NULL), "bare_relu");
}

static void op_softmax_fwd(bench *b, void *s_)
{
    op_state *s = s_;
    TOOL_TRY(nnact_softmax_forward(b->ctx, 1.0f, s->a, s->b), exit(1));
}

/* bare_relu's arguments, once: 64x64 floats of x into y, as the library
 * passes them (offsets, count, the two unused scalars). */
static void bare_relu_args(bench *b, nnact_tensor *x, nnact_tensor *y)
{
    cl_mem xb = nnact_tensor_buffer(x), yb = nnact_tensor_buffer(y);
    cl_ulong zero = 0, n = 64 * 64;
    float fzero = 0;
    bench_cl_check(clSetKernelArg(b->bare_relu, 0, sizeof xb, &xb), "arg");
    bench_cl_check(clSetKernelArg(b->bare_relu, 1, sizeof zero, &zero), "arg");
    bench_cl_check(clSetKernelArg(b->bare_relu, 2, sizeof yb, &yb), "arg");
    bench_cl_check(clSetKernelArg(b->bare_relu, 3, sizeof zero, &zero), "arg");
    bench_cl_check(clSetKernelArg(b->bare_relu, 4, sizeof n, &n), "arg");
    bench_cl_check(clSetKernelArg(b->bare_relu, 5, sizeof fzero, &fzero), "arg");
    bench_cl_check(clSetKernelArg(b->bare_relu, 6, sizeof fzero, &fzero), "arg");
}

void bench_overhead(bench *b, const char *ops)
{
    if (!bench_wanted(ops, "overhead", "overhead"))
        return;
    const int count = 2000;
    cl_mem dummy;
    cl_int err;
    dummy = clCreateBuffer(b->clctx, CL_MEM_READ_WRITE, 256, NULL, &err);
    bench_cl_check(err, "clCreateBuffer");
    bench_cl_check(clSetKernelArg(b->empty, 0, sizeof dummy, &dummy), "arg");
    double raw = per_enqueue(b, op_empty, NULL, count, 5);
    op_state s = {0};
    s.a = bench_filled(b, 64, 64, -4, 4, 1);
    s.b = bench_filled(b, 64, 64, 0, 1, 2);
    s.c = bench_filled(b, 64, 64, -1, 1, 3);
    s.d = bench_filled(b, 64, 64, 0, 0, 4);
    s.e = bench_filled(b, 1, 64, 0, 0.2f, 5);
    s.f = bench_filled(b, 1, 64, 0, 0, 6);
    TOOL_TRY(nnact_optim_from_name("adam", &s.opt), exit(1));
    bare_relu_args(b, s.a, s.d);
    struct { const char *name; op_fn fn; } list[] = {
        {"bare_relu_kernel", op_bare_relu}, {"relu.fwd", bench_op_act_fwd},
        {"sigmoid.bwd", bench_op_act_bwd}, {"softmax.fwd", op_softmax_fwd},
        {"prelu.fwd", bench_op_prelu_fwd}, {"optim.adam", bench_op_optim},
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
    bench_state_free(&s);
    clReleaseMemObject(dummy);
}

