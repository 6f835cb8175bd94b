/* Multi-layer perceptron: dense layers with their caches, the training step
 * (forward, loss, backward, optimizer) and evaluation, all on the device. */
#include "mlp_internal.h"

#include <math.h>
#include <stdlib.h>

void nnact_mlp_destroy(nnact_mlp *mlp)
{
    if (!mlp)
        return;
    for (size_t i = 0; mlp->layers && i < mlp->depth; i++) {
        mlp_layer *L = &mlp->layers[i];
        nnact_tensor *all[] = {L->W, L->b, L->dW, L->db, L->s1W, L->s1b, L->s2W, L->s2b,
                               L->z, L->y, L->dy};
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
            nnact_tensor_destroy(all[k]);
    }
    if (mlp->flag_read) { /* the read writes into mlp: let it finish */
        clWaitForEvents(1, &mlp->flag_read);
        clReleaseEvent(mlp->flag_read);
    }
    nnact_tensor_destroy(mlp->flag);
    free(mlp->layers);
    free(mlp->sizes);
    free(mlp);
}

nnact_status nnact_mlp_alloc(nnact_ctx *ctx, const size_t *sizes, size_t n_sizes,
                             const nnact_act *acts, nnact_mlp **out)
{
    const char *fn = "nnact_mlp_create";
    nnact_mlp *m = calloc(1, sizeof *m);
    if (!m)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    m->ctx = ctx;
    m->depth = n_sizes - 1;
    m->storage = NNACT_F32;
    m->scale = 65536.0f;
    m->growth_interval = 2000;
    m->sizes = malloc(n_sizes * sizeof *m->sizes);
    m->layers = calloc(m->depth, sizeof *m->layers);
    if (!m->sizes || !m->layers) {
        nnact_mlp_destroy(m);
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    for (size_t i = 0; i < n_sizes; i++)
        m->sizes[i] = sizes[i];
    nnact_status st = NNACT_OK;
    for (size_t i = 0; i < m->depth && st == NNACT_OK; i++) {
        mlp_layer *L = &m->layers[i];
        L->act = acts[i];
        size_t in = sizes[i], outn = sizes[i + 1];
        if ((st = nnact_tensor_create(ctx, in, outn, &L->W)) == NNACT_OK &&
            (st = nnact_tensor_create(ctx, 1, outn, &L->b)) == NNACT_OK &&
            (st = nnact_tensor_create(ctx, in, outn, &L->dW)) == NNACT_OK)
            st = nnact_tensor_create(ctx, 1, outn, &L->db);
    }
    if (st != NNACT_OK) {
        nnact_mlp_destroy(m);
        return st;
    }
    *out = m;
    return NNACT_OK;
}

/* splitmix64: a tiny, well-mixed generator, identical on every host. */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static bool relu_like(nnact_act_kind k)
{
    return k == NNACT_ACT_RELU || k == NNACT_ACT_LEAKY_RELU || k == NNACT_ACT_PRELU;
}

nnact_status nnact_mlp_begin(nnact_ctx *ctx, nnact_mlp **out, const char *fn)
{
    if (!out)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: out is NULL", fn);
    *out = NULL;
    return nnact_check_ctx(ctx, fn);
}

nnact_status nnact_mlp_create(nnact_ctx *ctx, const size_t *sizes, size_t n_sizes,
                              const char *const *acts, uint64_t seed, nnact_mlp **out)
{
    const char *fn = "nnact_mlp_create";
    nnact_status st = nnact_mlp_begin(ctx, out, fn);
    if (st != NNACT_OK)
        return st;
    if (!sizes || !acts)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL", fn,
                          sizes ? "acts" : "sizes");
    if (n_sizes < 2)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: need at least 2 sizes (input and "
                          "output), got %zu", fn, n_sizes);
    nnact_act *a = calloc(n_sizes - 1, sizeof *a);
    if (!a)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    for (size_t i = 0; i < n_sizes && st == NNACT_OK; i++)
        if (sizes[i] == 0)
            st = nnact_fail(NNACT_ERR_INVALID_ARG, "%s: sizes[%zu] is 0", fn, i);
    for (size_t i = 0; i + 1 < n_sizes && st == NNACT_OK; i++)
        if (!acts[i] || nnact_act_from_name(acts[i], &a[i]) != NNACT_OK)
            st = nnact_fail(NNACT_ERR_INVALID_ARG, "%s: acts[%zu] %s%s%s is not an "
                            "activation name", fn, i, acts[i] ? "'" : "",
                            acts[i] ? acts[i] : "(NULL)", acts[i] ? "'" : "");
    nnact_mlp *m = NULL;
    if (st == NNACT_OK)
        st = nnact_mlp_alloc(ctx, sizes, n_sizes, a, &m);
    free(a);
    if (st != NNACT_OK)
        return st;

    uint64_t state = seed;
    for (size_t i = 0; i < m->depth && st == NNACT_OK; i++) {
        mlp_layer *L = &m->layers[i];
        size_t in = sizes[i], on = sizes[i + 1];
        double fan = relu_like(L->act.kind) ? (double)in : (double)(in + on);
        double limit = sqrt(6.0 / fan);
        float *w = malloc(in * on * sizeof *w);
        if (!w) {
            st = nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
            break;
        }
        for (size_t k = 0; k < in * on; k++) {
            double u = (double)(splitmix64(&state) >> 11) * 0x1.0p-53; /* [0, 1) */
            w[k] = (float)((2.0 * u - 1.0) * limit);
        }
        st = nnact_tensor_write(L->W, w);
        free(w);
        if (st == NNACT_OK)
            st = nnact_tensor_fill(L->b, 0.0f);
    }
    if (st != NNACT_OK) {
        nnact_mlp_destroy(m);
        return st;
    }
    *out = m;
    return NNACT_OK;
}

size_t nnact_mlp_depth(const nnact_mlp *mlp) { return mlp ? mlp->depth : 0; }
size_t nnact_mlp_size(const nnact_mlp *mlp, size_t i)
{
    return mlp && i <= mlp->depth ? mlp->sizes[i] : 0;
}
const nnact_act *nnact_mlp_act(const nnact_mlp *mlp, size_t layer)
{
    return mlp && layer < mlp->depth ? &mlp->layers[layer].act : NULL;
}

#define LAYER_GETTER(name, field)                                        \
    nnact_tensor *name(nnact_mlp *mlp, size_t layer)                     \
    {                                                                    \
        return mlp && layer < mlp->depth ? mlp->layers[layer].field : NULL; \
    }
LAYER_GETTER(nnact_mlp_weights, W)
LAYER_GETTER(nnact_mlp_bias, b)
LAYER_GETTER(nnact_mlp_weights_grad, dW)
LAYER_GETTER(nnact_mlp_bias_grad, db)
#undef LAYER_GETTER

/* Shapes z, y and dy of every layer for a batch of rows (kept while the
 * batch size stays the same). */
/* Frees every layer's batch-sized tensors (reallocated for the next batch). */
static void drop_caches(nnact_mlp *m)
{
    for (size_t i = 0; i < m->depth; i++) {
        mlp_layer *L = &m->layers[i];
        nnact_tensor_destroy(L->z);
        nnact_tensor_destroy(L->y);
        nnact_tensor_destroy(L->dy);
        L->z = L->y = L->dy = NULL;
    }
}

static nnact_status ensure_caches(nnact_mlp *m, size_t rows)
{
    if (m->cache_rows == rows && m->layers[0].y)
        return NNACT_OK;
    nnact_status st = NNACT_OK;
    drop_caches(m);
    m->cache_rows = 0;
    for (size_t i = 0; i < m->depth && st == NNACT_OK; i++) {
        mlp_layer *L = &m->layers[i];
        size_t c = m->sizes[i + 1];
        const nnact_dtype d = m->storage;
        if ((st = nnact_tensor_create_typed(m->ctx, rows, c, d, &L->z)) == NNACT_OK &&
            (st = nnact_tensor_create_typed(m->ctx, rows, c, d, &L->y)) == NNACT_OK)
            st = nnact_tensor_create_typed(m->ctx, rows, c, d, &L->dy);
    }
    if (st == NNACT_OK)
        m->cache_rows = rows;
    return st;
}

static nnact_status check_input(nnact_mlp *m, const nnact_tensor *x, const char *fn)
{
    if (!m)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: mlp is NULL", fn);
    nnact_status st = nnact_check_tensor(m->ctx, x, fn, "x");
    if (st != NNACT_OK)
        return st;
    if (x->cols != m->sizes[0])
        return nnact_fail(NNACT_ERR_SHAPE, "%s: x is %zux%zu but the network takes %zu "
                          "inputs", fn, x->rows, x->cols, m->sizes[0]);
    return NNACT_OK;
}

/* The last layer's softmax is folded into the loss when the loss is a
 * cross-entropy: softmax-CCE on the logits is stable and its gradient is
 * simply (p - onehot)/N. */
static bool fused_softmax(const nnact_mlp *m, const nnact_loss *loss)
{
    return loss && m->layers[m->depth - 1].act.kind == NNACT_ACT_SOFTMAX &&
           (loss->kind == NNACT_LOSS_CCE || loss->kind == NNACT_LOSS_SOFTMAX_CCE);
}

/* Runs every layer on x; with fuse, the last layer stops at its logits z. */
static nnact_status run_forward(nnact_mlp *m, const nnact_tensor *x, bool fuse)
{
    const nnact_tensor *in = x;
    for (size_t i = 0; i < m->depth; i++) {
        mlp_layer *L = &m->layers[i];
        bool last = i + 1 == m->depth;
        nnact_status st = (last && fuse)
            ? nnact_dense_forward(m->ctx, in, L->W, L->b, NULL, NULL, L->z)
            : nnact_dense_forward(m->ctx, in, L->W, L->b, &L->act, L->z, L->y);
        if (st != NNACT_OK)
            return st;
        in = L->y;
    }
    return NNACT_OK;
}

nnact_status nnact_mlp_forward(nnact_mlp *mlp, const nnact_tensor *x, nnact_tensor *y)
{
    const char *fn = "nnact_mlp_forward";
    nnact_status st;
    if ((st = check_input(mlp, x, fn)) != NNACT_OK ||
        (st = nnact_check_tensor(mlp->ctx, y, fn, "y")) != NNACT_OK)
        return st;
    if (y->rows != x->rows || y->cols != mlp->sizes[mlp->depth])
        return nnact_fail(NNACT_ERR_SHAPE, "%s: y is %zux%zu but must be %zux%zu", fn,
                          y->rows, y->cols, x->rows, mlp->sizes[mlp->depth]);
    if ((st = ensure_caches(mlp, x->rows)) != NNACT_OK ||
        (st = run_forward(mlp, x, false)) != NNACT_OK)
        return st;
    /* Copy the last activation out (the caches are reused by later calls). */
    if (!nnact_numel(y))
        return NNACT_OK;
    const nnact_tensor *last = mlp->layers[mlp->depth - 1].y;
    return nnact_convert(mlp->ctx, last, y); /* a copy, or a conversion between dtypes */
}

/* Forward plus loss; with grad, the loss gradient lands in the last dy. */
static nnact_status forward_loss(nnact_mlp *m, const nnact_tensor *x,
                                 const nnact_tensor *target, const nnact_loss *loss,
                                 bool grad, float *value, float *accuracy,
                                 nnact_tensor *sums, const char *fn)
{
    nnact_status st;
    if ((st = check_input(m, x, fn)) != NNACT_OK ||
        (st = nnact_check_tensor(m->ctx, target, fn, "target")) != NNACT_OK)
        return st;
    if (!loss)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: loss is NULL", fn);
    bool fuse = fused_softmax(m, loss);
    if ((st = ensure_caches(m, x->rows)) != NNACT_OK ||
        (st = run_forward(m, x, fuse)) != NNACT_OK)
        return st;
    mlp_layer *last = &m->layers[m->depth - 1];
    nnact_loss l = *loss;
    if (fuse) {
        l.kind = NNACT_LOSS_SOFTMAX_CCE;
        l.temperature = last->act.alpha;
    }
    const float gscale = grad && m->storage == NNACT_F16 ? m->scale : 1.0f;
    if (sums)
        return nnact_loss_accumulate_scaled(m->ctx, &l, fuse ? last->z : last->y, target,
                                            sums, grad ? last->dy : NULL, gscale);
    return nnact_loss_run(m->ctx, &l, fuse ? last->z : last->y, target, value, accuracy,
                          grad ? last->dy : NULL, NULL, gscale, fn);
}

/* Dynamic loss scaling without a wait per step. After an F16 backprop
 * one pass per gradient flags inf/NaN and divides by the scale (exact: a
 * power of 2; an inf stays inf; convert.cl scale_check), and the flag
 * is read back without blocking. nnact_mlp_apply passes the flag to the
 * optimizer kernels, which skip the step on the device when it is set. The
 * host learns the outcome at the next backprop (resolve_scaler: by then the
 * read is usually done) and keeps the books: a skipped step does not count,
 * the scale halves; growth_interval good steps double it. */
static nnact_status resolve_scaler(nnact_mlp *m)
{
    if (!m->flag_read)
        return NNACT_OK;
    cl_int err = clWaitForEvents(1, &m->flag_read);
    clReleaseEvent(m->flag_read);
    m->flag_read = NULL;
    if (err != CL_SUCCESS)
        return nnact_fail_cl(err, "loss scaling: reading the inf/NaN flag");
    if (m->flag_host) {
        if (m->applied) {
            m->skipped++;
            if (m->step)
                m->step--; /* the device skipped it */
        }
        m->good_steps = 0;
        if (m->scale > 1.0f)
            m->scale *= 0.5f;
    } else if (m->applied && ++m->good_steps >= m->growth_interval) {
        m->good_steps = 0;
        if (m->scale < 0x1p100f) /* never toward inf */
            m->scale *= 2.0f;
    }
    return NNACT_OK;
}

/* Flags inf/NaN in every gradient on the device, multiplying them by inv,
 * and starts the flag's read. */
static nnact_status flag_gradients(nnact_mlp *m, float inv)
{
    nnact_status st = NNACT_OK;
    if (!m->flag)
        st = nnact_tensor_create(m->ctx, 1, 1, &m->flag);
    if (st == NNACT_OK)
        st = nnact_tensor_fill(m->flag, 0.0f); /* all-zero bits: uint 0 */
    for (size_t i = 0; i < m->depth && st == NNACT_OK; i++) {
        nnact_tensor *g[] = {m->layers[i].dW, m->layers[i].db};
        for (size_t k = 0; k < 2 && st == NNACT_OK; k++) {
            cl_ulong go = g[k]->offset, n = nnact_numel(g[k]);
            nnact_arg args[] = {NNACT_ARG(g[k]->buf), NNACT_ARG(go), NNACT_ARG(n),
                                NNACT_ARG(inv), NNACT_ARG(m->flag->buf)};
            if (n)
                st = nnact_launch(m->ctx, NNACT_K_scale_check, NNACT_F32,
                                  nnact_elementwise_items(n), m->ctx->elem_local,
                                  sizeof args / sizeof args[0], args);
        }
    }
    if (st != NNACT_OK)
        return st;
    cl_int err = clEnqueueReadBuffer(m->ctx->queue, m->flag->buf, CL_FALSE, 0,
                                     sizeof m->flag_host, &m->flag_host, 0, NULL,
                                     &m->flag_read);
    if (err != CL_SUCCESS) {
        m->flag_read = NULL;
        return nnact_fail_cl(err, "loss scaling: reading the inf/NaN flag");
    }
    m->applied = false;
    return NNACT_OK;
}

static nnact_status unscale_gradients(nnact_mlp *m)
{
    return flag_gradients(m, 1.0f / m->scale);
}

nnact_status nnact_mlp_reflag_gradients(nnact_mlp *m)
{
    if (m->storage != NNACT_F16)
        return NNACT_OK;
    nnact_status st = NNACT_OK;
    if (m->flag_read && !m->applied) {
        /* This replica's own verdict on gradients now replaced: dropped
         * unread, so the books count only the reduced gradients' flag. */
        cl_int err = clWaitForEvents(1, &m->flag_read);
        clReleaseEvent(m->flag_read);
        m->flag_read = NULL;
        if (err != CL_SUCCESS)
            return nnact_fail_cl(err, "loss scaling: reading the inf/NaN flag");
    } else {
        st = resolve_scaler(m); /* an applied step's outcome still counts */
    }
    return st == NNACT_OK ? flag_gradients(m, 1.0f) : st; /* x1: exact */
}

nnact_status nnact_mlp_set_storage(nnact_mlp *mlp, nnact_dtype dtype)
{
    const char *fn = "nnact_mlp_set_storage";
    if (!mlp)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: mlp is NULL", fn);
    nnact_status st = nnact_check_dtype(dtype, fn);
    if (st == NNACT_OK)
        st = resolve_scaler(mlp);
    if (st != NNACT_OK || dtype == mlp->storage)
        return st;
    mlp->storage = dtype;
    mlp->cache_rows = 0; /* reshaped in the new type at the next batch */
    drop_caches(mlp);
    return NNACT_OK;
}

nnact_dtype nnact_mlp_storage(const nnact_mlp *mlp) { return mlp ? mlp->storage : NNACT_F32; }

nnact_status nnact_mlp_set_loss_scaling(nnact_mlp *mlp, float init_scale,
                                        unsigned growth_interval)
{
    const char *fn = "nnact_mlp_set_loss_scaling";
    if (!mlp)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: mlp is NULL", fn);
    if (!(isfinite(init_scale) && init_scale >= 1.0f) || growth_interval == 0)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: need a finite scale >= 1 and a "
                          "growth interval >= 1 (got %g, %u)", fn, (double)init_scale,
                          growth_interval);
    nnact_status st = resolve_scaler(mlp); /* a pending outcome belongs to before */
    mlp->scale = init_scale;
    mlp->growth_interval = growth_interval;
    mlp->good_steps = 0;
    mlp->skipped = 0;
    return st;
}

/* The getters take the last step's outcome into account (a short wait). */
float nnact_mlp_loss_scale(const nnact_mlp *mlp)
{
    if (!mlp || mlp->storage != NNACT_F16)
        return 1.0f;
    resolve_scaler((nnact_mlp *)mlp);
    return mlp->scale;
}

uint64_t nnact_mlp_skipped_steps(const nnact_mlp *mlp)
{
    if (!mlp)
        return 0;
    resolve_scaler((nnact_mlp *)mlp);
    return mlp->skipped;
}

/* Forward, loss (read back, or added to sums) and every layer's gradients. */
static nnact_status backprop(nnact_mlp *mlp, const nnact_tensor *x, const nnact_tensor *target,
                             const nnact_loss *loss, float *loss_value, float *accuracy,
                             nnact_tensor *sums, const char *fn)
{
    nnact_status st = mlp ? resolve_scaler(mlp) : NNACT_OK; /* the scale of this step */
    if (st == NNACT_OK)
        st = forward_loss(mlp, x, target, loss, true, loss_value, accuracy, sums, fn);
    bool fuse = st == NNACT_OK && fused_softmax(mlp, loss);
    for (size_t i = mlp ? mlp->depth : 0; i-- > 0 && st == NNACT_OK;) {
        mlp_layer *L = &mlp->layers[i];
        const nnact_tensor *in = i ? mlp->layers[i - 1].y : x;
        nnact_tensor *dx = i ? mlp->layers[i - 1].dy : NULL;
        bool skip_act = fuse && i + 1 == mlp->depth; /* gradient is already w.r.t. z */
        st = nnact_dense_backward(mlp->ctx, in, L->W, skip_act ? NULL : &L->act, L->z,
                                  L->y, L->dy, L->dW, L->db, dx);
    }
    if (st == NNACT_OK && mlp->storage == NNACT_F16)
        st = unscale_gradients(mlp);
    return st;
}

nnact_status nnact_mlp_backprop(nnact_mlp *mlp, const nnact_tensor *x,
                                const nnact_tensor *target, const nnact_loss *loss,
                                float *loss_value, float *accuracy)
{
    return backprop(mlp, x, target, loss, loss_value, accuracy, NULL, "nnact_mlp_backprop");
}

static nnact_status ensure_state(nnact_mlp *m, const nnact_optim *opt)
{
    bool needs1 = opt->kind != NNACT_OPTIM_SGD || opt->momentum != 0.0f;
    bool needs2 = opt->kind != NNACT_OPTIM_SGD;
    if (m->have_state && m->state_kind == opt->kind &&
        (!needs1 || m->layers[0].s1W) && (!needs2 || m->layers[0].s2W))
        return NNACT_OK;
    nnact_status st = NNACT_OK;
    for (size_t i = 0; i < m->depth && st == NNACT_OK; i++) {
        mlp_layer *L = &m->layers[i];
        nnact_tensor **slots[] = {&L->s1W, &L->s1b, &L->s2W, &L->s2b};
        const nnact_tensor *shape[] = {L->W, L->b, L->W, L->b};
        for (size_t k = 0; k < 4 && st == NNACT_OK; k++) {
            nnact_tensor_destroy(*slots[k]);
            *slots[k] = NULL;
            if ((k < 2 && needs1) || (k >= 2 && needs2)) {
                st = nnact_tensor_create(m->ctx, shape[k]->rows, shape[k]->cols, slots[k]);
                if (st == NNACT_OK)
                    st = nnact_tensor_fill(*slots[k], 0.0f);
            }
        }
    }
    m->have_state = st == NNACT_OK;
    m->state_kind = opt->kind;
    m->step = 0;
    return st;
}

nnact_status nnact_mlp_apply(nnact_mlp *mlp, const nnact_optim *opt)
{
    const char *fn = "nnact_mlp_apply";
    if (!mlp || !opt)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL", fn, mlp ? "opt" : "mlp");
    if ((unsigned)opt->kind >= NNACT_OPTIM_COUNT)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: opt->kind %d is out of range", fn,
                          (int)opt->kind);
    nnact_status st = ensure_state(mlp, opt);
    /* F16: the optimizer kernels skip themselves if the gradients held
     * inf/NaN (resolve_scaler does the books). */
    cl_mem skip = mlp->storage == NNACT_F16 && mlp->flag ? mlp->flag->buf : NULL;
    uint64_t step = mlp->step + 1;
    for (size_t i = 0; i < mlp->depth && st == NNACT_OK; i++) {
        mlp_layer *L = &mlp->layers[i];
        st = nnact_optim_step_skip(mlp->ctx, opt, step, L->W, L->dW, L->s1W, L->s2W, skip);
        if (st == NNACT_OK)
            st = nnact_optim_step_skip(mlp->ctx, opt, step, L->b, L->db, L->s1b, L->s2b,
                                       skip);
    }
    if (st == NNACT_OK) {
        mlp->step = step;
        mlp->applied = true;
    }
    return st;
}

nnact_status nnact_mlp_train_step(nnact_mlp *mlp, const nnact_tensor *x,
                                  const nnact_tensor *target, const nnact_loss *loss,
                                  const nnact_optim *opt, float *loss_value, float *accuracy)
{
    nnact_status st = nnact_mlp_backprop(mlp, x, target, loss, loss_value, accuracy);
    return st == NNACT_OK ? nnact_mlp_apply(mlp, opt) : st;
}

nnact_status nnact_mlp_backprop_accumulate(nnact_mlp *mlp, const nnact_tensor *x,
                                           const nnact_tensor *target, const nnact_loss *loss,
                                           nnact_tensor *sums)
{
    const char *fn = "nnact_mlp_backprop_accumulate";
    if (!sums)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: sums is NULL", fn);
    return backprop(mlp, x, target, loss, NULL, NULL, sums, fn);
}

nnact_status nnact_mlp_train_step_accumulate(nnact_mlp *mlp, const nnact_tensor *x,
                                             const nnact_tensor *target,
                                             const nnact_loss *loss, const nnact_optim *opt,
                                             nnact_tensor *sums)
{
    const char *fn = "nnact_mlp_train_step_accumulate";
    if (!sums)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: sums is NULL", fn);
    nnact_status st = backprop(mlp, x, target, loss, NULL, NULL, sums, fn);
    return st == NNACT_OK ? nnact_mlp_apply(mlp, opt) : st;
}

nnact_status nnact_mlp_evaluate(nnact_mlp *mlp, const nnact_tensor *x,
                                const nnact_tensor *target, const nnact_loss *loss,
                                float *loss_value, float *accuracy)
{
    return forward_loss(mlp, x, target, loss, false, loss_value, accuracy, NULL,
                        "nnact_mlp_evaluate");
}
