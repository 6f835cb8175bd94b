/* oneDNN (2.x C API) beside nnact-bench's operations: see bench_onednn.h.
 * Every primitive runs on host buffers that hold the same data as our
 * tensors; the backward dst-based variants get dst from oneDNN's own
 * forward, so each variant computes what it would in training. Threads:
 * the OpenMP runtime of Debian's build, sized by OMP_NUM_THREADS (set by
 * nnact-bench before oneDNN loads). */
#define _POSIX_C_SOURCE 200809L
#include "bench_onednn.h"

#include <oneapi/dnnl/dnnl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct onednn_op {
    int nvar;
    const char *names[2];
    dnnl_primitive_t prim[2];
    int nargs[2];
    dnnl_exec_arg_t args[2][4];
    dnnl_memory_t mems[8];
    int nmems;
    float *bufs[5];
};

static dnnl_engine_t engine;
static dnnl_stream_t stream;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static bool init(void)
{
    if (stream)
        return true;
    return dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success &&
           dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) == dnnl_success;
}

static float *copy_of(const float *src, size_t n)
{
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    if (p && src)
        memcpy(p, src, n * sizeof(float));
    else if (p)
        memset(p, 0, n * sizeof(float)); /* touch every page before timing */
    return p;
}

static dnnl_memory_t mem(onednn_op *op, const dnnl_memory_desc_t *md, float *p)
{
    dnnl_memory_t m = NULL;
    if (dnnl_memory_create(&m, md, engine, p) != dnnl_success)
        return NULL;
    op->mems[op->nmems++] = m;
    return m;
}

static bool make_prim(dnnl_primitive_t *prim, dnnl_primitive_desc_t *pd_out, const void *desc,
                      const_dnnl_primitive_desc_t hint)
{
    dnnl_primitive_desc_t pd;
    if (dnnl_primitive_desc_create(&pd, desc, NULL, engine, hint) != dnnl_success)
        return false;
    bool ok = dnnl_primitive_create(prim, pd) == dnnl_success;
    if (pd_out && ok)
        *pd_out = pd;
    else
        dnnl_primitive_desc_destroy(pd);
    return ok;
}

static void set_args(onednn_op *op, int v, int n, const int *kinds, dnnl_memory_t *mems)
{
    op->nargs[v] = n;
    for (int i = 0; i < n; i++)
        op->args[v][i] = (dnnl_exec_arg_t){kinds[i], mems[i]};
}

/* Our activation -> oneDNN algorithm (src-based), its dst-based backward
 * (0: none), alpha, beta. */
typedef struct { dnnl_alg_kind_t alg, alg_dst; float alpha, beta; } mapping;

static bool map_act(const char *act, float a, float b, mapping *m, const char **why)
{
    *m = (mapping){dnnl_alg_kind_undef, dnnl_alg_kind_undef, 0.0f, 0.0f};
    if (!strcmp(act, "identity"))
        *m = (mapping){dnnl_eltwise_linear, dnnl_alg_kind_undef, 1.0f, 0.0f};
    else if (!strcmp(act, "sigmoid"))
        *m = (mapping){dnnl_eltwise_logistic, dnnl_eltwise_logistic_use_dst_for_bwd, 0, 0};
    else if (!strcmp(act, "tanh"))
        *m = (mapping){dnnl_eltwise_tanh, dnnl_eltwise_tanh_use_dst_for_bwd, 0, 0};
    else if (!strcmp(act, "relu") || !strcmp(act, "leaky_relu") || !strcmp(act, "prelu"))
        *m = (mapping){dnnl_eltwise_relu, dnnl_eltwise_relu_use_dst_for_bwd,
                       strcmp(act, "relu") ? a : 0.0f, 0};
    else if (!strcmp(act, "swish"))
        *m = (mapping){dnnl_eltwise_swish, dnnl_alg_kind_undef, b, 0};
    else if (!strcmp(act, "elu"))
        *m = (mapping){dnnl_eltwise_elu, a >= 0 ? dnnl_eltwise_elu_use_dst_for_bwd
                                                : dnnl_alg_kind_undef, a, 0};
    else if (!strcmp(act, "gelu"))
        *m = (mapping){dnnl_eltwise_gelu_erf, dnnl_alg_kind_undef, 0, 0};
    else if (!strcmp(act, "gelu_tanh"))
        *m = (mapping){dnnl_eltwise_gelu_tanh, dnnl_alg_kind_undef, 0, 0};
    else if (!strcmp(act, "softplus") && b == 1.0f) /* 2.6's soft_relu has no beta */
        *m = (mapping){dnnl_eltwise_soft_relu, dnnl_alg_kind_undef, 0, 0};
    else if (!strcmp(act, "mish"))
        *m = (mapping){dnnl_eltwise_mish, dnnl_alg_kind_undef, 0, 0};
    else if (!strcmp(act, "hardswish"))
        *m = (mapping){dnnl_eltwise_hardswish, dnnl_alg_kind_undef, 0, 0};
    else if (!strcmp(act, "relu6"))
        *m = (mapping){dnnl_eltwise_clip_v2, dnnl_eltwise_clip_v2_use_dst_for_bwd, 0, 6};
    else if (!strcmp(act, "hardtanh"))
        *m = (mapping){dnnl_eltwise_clip_v2, dnnl_eltwise_clip_v2_use_dst_for_bwd, a, b};
    if (m->alg == dnnl_alg_kind_undef) {
        *why = "no oneDNN 2.6 eltwise algorithm";
        return false;
    }
    return true;
}

onednn_op *onednn_eltwise(const char *act, float alpha, float beta, bool backward,
                          size_t n, const float *x, const float *dy, const char **why)
{
    mapping m;
    if (!map_act(act, alpha, beta, &m, why))
        return NULL;
    if (!init()) {
        *why = "no oneDNN CPU engine";
        return NULL;
    }
    onednn_op *op = calloc(1, sizeof *op);
    dnnl_memory_desc_t md;
    dnnl_dims_t dims = {(dnnl_dim_t)n};
    dnnl_memory_desc_init_by_tag(&md, 1, dims, dnnl_f32, dnnl_a);
    float *src = op->bufs[0] = copy_of(x, n), *dst = op->bufs[1] = copy_of(NULL, n);
    dnnl_memory_t msrc = mem(op, &md, src), mdst = mem(op, &md, dst);
    dnnl_eltwise_desc_t fd;
    dnnl_primitive_desc_t fpd = NULL;
    dnnl_primitive_t fwd = NULL;
    bool ok = dnnl_eltwise_forward_desc_init(&fd, dnnl_forward_training, m.alg, &md, m.alpha,
                                             m.beta) == dnnl_success &&
              make_prim(&fwd, &fpd, &fd, NULL);
    if (ok && !backward) {
        op->nvar = 1;
        op->names[0] = "fwd";
        op->prim[0] = fwd;
        set_args(op, 0, 2, (int[]){DNNL_ARG_SRC, DNNL_ARG_DST}, (dnnl_memory_t[]){msrc, mdst});
    } else if (ok) {
        /* dst = forward(src), for the dst-based variant */
        dnnl_exec_arg_t fa[] = {{DNNL_ARG_SRC, msrc}, {DNNL_ARG_DST, mdst}};
        ok = dnnl_primitive_execute(fwd, stream, 2, fa) == dnnl_success &&
             dnnl_stream_wait(stream) == dnnl_success;
        dnnl_primitive_destroy(fwd);
        float *g = op->bufs[2] = copy_of(dy, n), *gx = op->bufs[3] = copy_of(NULL, n);
        dnnl_memory_t mg = mem(op, &md, g), mgx = mem(op, &md, gx);
        dnnl_alg_kind_t algs[2] = {m.alg, m.alg_dst};
        for (int v = 0; ok && v < 2 && algs[v] != dnnl_alg_kind_undef; v++) {
            dnnl_eltwise_desc_t bd, hd;
            dnnl_primitive_desc_t hpd = NULL;
            dnnl_primitive_t hint = NULL;
            /* each variant needs its own forward as the hint */
            ok = dnnl_eltwise_forward_desc_init(&hd, dnnl_forward_training, algs[v], &md,
                                                m.alpha, m.beta) == dnnl_success &&
                 make_prim(&hint, &hpd, &hd, NULL) &&
                 dnnl_eltwise_backward_desc_init(&bd, algs[v], &md, &md, m.alpha, m.beta) ==
                     dnnl_success &&
                 make_prim(&op->prim[v], NULL, &bd, hpd);
            if (hint)
                dnnl_primitive_destroy(hint);
            if (hpd)
                dnnl_primitive_desc_destroy(hpd);
            if (!ok)
                break;
            op->names[v] = v ? "dst-based" : "src-based";
            set_args(op, v, 3, (int[]){v ? DNNL_ARG_DST : DNNL_ARG_SRC, DNNL_ARG_DIFF_DST,
                                       DNNL_ARG_DIFF_SRC},
                     (dnnl_memory_t[]){v ? mdst : msrc, mg, mgx});
            op->nvar = v + 1;
        }
    }
    if (fpd)
        dnnl_primitive_desc_destroy(fpd);
    if (!ok || !op->nvar) {
        *why = "oneDNN refused the primitive";
        onednn_free(op);
        return NULL;
    }
    return op;
}

onednn_op *onednn_softmax(bool log, bool backward, size_t rows, size_t cols,
                          const float *x, const float *dy, const char **why)
{
    if (!init()) {
        *why = "no oneDNN CPU engine";
        return NULL;
    }
    const size_t n = rows * cols;
    const dnnl_alg_kind_t alg = log ? dnnl_softmax_log : dnnl_softmax_accurate;
    onednn_op *op = calloc(1, sizeof *op);
    dnnl_memory_desc_t md;
    dnnl_dims_t dims = {(dnnl_dim_t)rows, (dnnl_dim_t)cols};
    dnnl_memory_desc_init_by_tag(&md, 2, dims, dnnl_f32, dnnl_ab);
    float *src = op->bufs[0] = copy_of(x, n), *dst = op->bufs[1] = copy_of(NULL, n);
    dnnl_memory_t msrc = mem(op, &md, src), mdst = mem(op, &md, dst);
    dnnl_softmax_v2_desc_t fd, bd;
    dnnl_primitive_desc_t fpd = NULL;
    dnnl_primitive_t fwd = NULL;
    bool ok = dnnl_softmax_v2_forward_desc_init(&fd, dnnl_forward_training, alg, &md, &md, 1) ==
                  dnnl_success && make_prim(&fwd, &fpd, &fd, NULL);
    dnnl_exec_arg_t fa[] = {{DNNL_ARG_SRC, msrc}, {DNNL_ARG_DST, mdst}};
    if (ok && !backward) {
        op->prim[0] = fwd;
        op->names[0] = "fwd";
        set_args(op, 0, 2, (int[]){DNNL_ARG_SRC, DNNL_ARG_DST}, (dnnl_memory_t[]){msrc, mdst});
        op->nvar = 1;
    } else if (ok) {
        ok = dnnl_primitive_execute(fwd, stream, 2, fa) == dnnl_success &&
             dnnl_stream_wait(stream) == dnnl_success;
        dnnl_primitive_destroy(fwd);
        float *g = op->bufs[2] = copy_of(dy, n), *gx = op->bufs[3] = copy_of(NULL, n);
        dnnl_memory_t mg = mem(op, &md, g), mgx = mem(op, &md, gx);
        ok = ok && dnnl_softmax_v2_backward_desc_init(&bd, alg, &md, &md, &md, 1) ==
                       dnnl_success && make_prim(&op->prim[0], NULL, &bd, fpd);
        if (ok) {
            op->names[0] = "bwd";
            set_args(op, 0, 3, (int[]){DNNL_ARG_DST, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC},
                     (dnnl_memory_t[]){mdst, mg, mgx});
            op->nvar = 1;
        }
    }
    if (fpd)
        dnnl_primitive_desc_destroy(fpd);
    if (!ok) {
        *why = "oneDNN refused the primitive";
        onednn_free(op);
        return NULL;
    }
    return op;
}

int onednn_variants(const onednn_op *op) { return op->nvar; }

const char *onednn_variant_name(const onednn_op *op, int variant) { return op->names[variant]; }

double onednn_run(onednn_op *op, int v)
{
    double t0 = now();
    if (dnnl_primitive_execute(op->prim[v], stream, op->nargs[v], op->args[v]) != dnnl_success ||
        dnnl_stream_wait(stream) != dnnl_success) {
        fprintf(stderr, "nnact-bench: oneDNN primitive failed\n");
        exit(1);
    }
    return now() - t0;
}

const float *onednn_output(const onednn_op *op, int variant)
{
    (void)variant; /* every variant writes the same buffer */
    return op->bufs[3] ? op->bufs[3] : op->bufs[1];
}

void onednn_free(onednn_op *op)
{
    if (!op)
        return;
    for (int v = 0; v < 2; v++)
        if (op->prim[v])
            dnnl_primitive_destroy(op->prim[v]);
    for (int i = 0; i < op->nmems; i++)
        dnnl_memory_destroy(op->mems[i]);
    for (int i = 0; i < 5; i++)
        free(op->bufs[i]);
    free(op);
}

const char *onednn_describe(void)
{
    static char s[96];
    const dnnl_version_t *v = dnnl_version();
    const char *threads = getenv("OMP_NUM_THREADS");
    snprintf(s, sizeof s, "oneDNN %d.%d.%d (%s, OMP_NUM_THREADS=%s)", v->major, v->minor,
             v->patch, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other runtime",
             threads ? threads : "unset");
    return s;
}
