/* What the parts of nnact-bench share: the bench (device, queue, its own
 * kernels, the options every measurement reads), one measurement's result,
 * and the state an operation runs on. harness.c measures and reports;
 * ops.c, gemm.c, overhead.c and startup.c each time one family; cli.c
 * parses the options and runs them in order. */
#ifndef NNACT_BENCH_H
#define NNACT_BENCH_H

#include <nnact.h>

#include <stdbool.h>
#include <stddef.h>

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

/* One operation, enqueued once on b's queue (state: what it runs on). */
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

/* The tensors and descriptors an operation of ops.c runs on; which of a..h
 * each one reads is in its op_* function. */
typedef struct op_state {
    nnact_act act;
    nnact_loss loss;
    nnact_optim opt;
    nnact_tensor *a, *b, *c, *d, *e, *f, *g, *h;
    nnact_transpose ta, tb;
} op_state;

/* ---- harness.c: clocks, the device, the copy reference, measuring ---- */

double bench_now(void);          /* monotonic seconds */
double bench_median(double *v, int n); /* sorts v */

/* An OpenCL call of the bench's own (device lookup, its kernels, events):
 * on failure, says which and exits 1. */
void bench_cl_check(cl_int e, const char *what);

/* Opens the selected device with a profiling queue, the library's context
 * on it and the bench's own kernels; exits on failure. */
void bench_init(bench *b, const char *selector);

/* From here on, "device" times are wall-clock ones (prints why, once). */
void bench_use_wall_clock(bench *b, const char *why);

/* Runs op (after warm-up) reps times, each after a copy of bytes/8 floats
 * and, with --vs onednn, right before every variant of oneDNN's
 * counterpart (ref, may be NULL), so that both see the same minute of the
 * machine. */
result bench_measure_vs(bench *b, op_fn op, void *state, double bytes, ref_op *ref);
result bench_measure(bench *b, op_fn op, void *state, double bytes);

/* One line of the table, or one JSON object, for op on rows x cols that
 * moves bytes (and does flops, when > 0). */
void bench_report(bench *b, const char *op, size_t rows, size_t cols, double bytes,
                  double flops, result r);

/* --op tokens select ops by group ("act", "softmax", ...) or name prefix. */
bool bench_wanted(const char *ops, const char *group, const char *name);

/* ---- ops.c: the library's operations, one family a function ---- */

/* A tensor of b->dtype with pseudo-random values in [lo, hi); *host (if
 * asked) gets a malloc'd copy of them for oneDNN. */
nnact_tensor *bench_filled_host(bench *b, size_t r, size_t c, float lo, float hi,
                                unsigned seed, float **host);
nnact_tensor *bench_filled(bench *b, size_t r, size_t c, float lo, float hi, unsigned seed);
void bench_state_free(op_state *s); /* destroys a..h, zeroes s */

/* The op_fn of the operations the overhead table reuses. */
void bench_op_act_fwd(bench *b, void *state);   /* act on a -> b */
void bench_op_act_bwd(bench *b, void *state);   /* act on a, b, c -> d */
void bench_op_prelu_fwd(bench *b, void *state); /* a, slopes e -> b */
void bench_op_optim(bench *b, void *state);     /* opt on a, b, c, d */

/* Elementwise activations (softmax: false) or the softmax family (true). */
void bench_elementwise(bench *b, const char *ops, size_t rows, size_t cols, bool softmax);
void bench_prelu(bench *b, const char *ops, size_t rows, size_t cols);
void bench_losses(bench *b, const char *ops, size_t rows, size_t cols);
void bench_optims(bench *b, const char *ops, size_t rows, size_t cols);
void bench_dense(bench *b, const char *ops);

/* ---- gemm.c, overhead.c, startup.c ---- */

/* --gemm's one shape ("MxNxK[:TT]"), else the MLP's shapes when "sgemm" is
 * wanted. Returns 0, or 2 after a message when the shape does not parse. */
int bench_gemm(bench *b, const char *ops, const char *shape);

/* Host cost of small operations beside an empty kernel's. */
void bench_overhead(bench *b, const char *ops);

/* A fresh process to its first activation result, warm and cold caches;
 * bench_startup_child is what that process runs (--startup-child). */
void bench_startup(bench *b, const char *ops, const char *selector);
int bench_startup_child(const char *selector);

#endif
