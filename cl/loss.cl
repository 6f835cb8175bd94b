/* Losses. Each kernel handles rows in one of two forms, chosen by the host:
 * a work-item per row (per_item = 1; CPU devices, no barriers) or a
 * work-group per row (per_item = 0; GPUs, reductions in local memory). In
 * both, a row is walked in VW-wide chunks and each loss's element formula
 * is written once below as a vector function. A kernel writes the row's
 * loss, whether its prediction is correct, a bad-label mark, and (when
 * asked) the row's gradient; loss_reduce then sums rows in a fixed order.
 * Targets are dense (rows x cols) or labels (rows x 1, integer values); a
 * bad label is counted, never used as an index. */

#define LANES ((int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))

/* ---- element formulas: loss contribution and gradient (before scaling) ---- */

INLINE vfloat clip_p(vfloat p, float eps)
{
    return select(clamp(p, eps, 1.0f - eps), p, isnan(p)); /* NaN stays NaN */
}

/* (p - t)^2; 2 (p - t) */
INLINE vfloat mse_elem(vfloat p, vfloat t, float eps, vfloat *g)
{
    vfloat d = p - t;
    *g = 2.0f * d;
    return d * d;
}

/* -[t log q + (1-t) log(1-q)], q = clip(p); (q - t) / (q (1 - q)) */
INLINE vfloat bce_elem(vfloat p, vfloat t, float eps, vfloat *g)
{
    vfloat q = clip_p(p, eps);
    *g = (q - t) / (q * (1.0f - q));
    return -(t * log(q) + (1.0f - t) * log1p(-q));
}

/* on logits z: max(z,0) - z t + log1p(e^-|z|); sigmoid(z) - t */
INLINE vfloat bce_logits_elem(vfloat z, vfloat t, float eps, vfloat *g)
{
    vfloat e = exp(-fabs(z));
    vfloat s = select(e / (1.0f + e), 1.0f / (1.0f + e), z >= 0.0f);
    *g = select(s - t, z, isnan(z));
    return fmax(z, 0.0f) - z * t + log1p(e);
}

/* -t log clip(p) (0 where t = 0); -t / clip(p) */
INLINE vfloat cce_elem(vfloat p, vfloat t, float eps, vfloat *g)
{
    vfloat q = clip_p(p, eps);
    const int16 on = t != 0.0f;
    *g = select(select(VZERO, q, isnan(q)), -t / q, on);
    return select(VZERO, -t * log(q), on | isnan(q));
}

/* on log-probabilities p: -t p (0 where t = 0, also for p = -inf: a masked
 * class); -t. A NaN p stays NaN in both. */
INLINE vfloat nll_elem(vfloat p, vfloat t, float eps, vfloat *g)
{
    const int16 on = t != 0.0f;
    *g = select(select(VZERO, p, isnan(p)), -t, on);
    return select(VZERO, -t * p, on | isnan(p));
}

/* ---- row plumbing shared by every loss ---- */

typedef struct row_ctx {
    __global const float *pr, *tr;
    __global float *gr;
    ulong cols, label, start, step; /* chunk walk: c0 = start, start+step, ... */
    uint labels, per_item;
    int bad;
} row_ctx;

/* The row this item works on (rows form may run past the end: false). */
INLINE bool row_setup(row_ctx *rc, __global const float *p, ulong po,
                      __global const float *t, ulong to, uint labels,
                      __global float *g, ulong go, ulong rows, ulong cols, uint per_item,
                      ulong *row)
{
    *row = per_item ? get_global_id(0) : get_group_id(0);
    if (*row >= rows)
        return false;
    rc->pr = p + po + *row * cols;
    rc->tr = t + to + *row * (labels ? 1 : cols);
    rc->gr = g + go + *row * cols;
    rc->cols = cols;
    rc->labels = labels;
    rc->per_item = per_item;
    rc->start = per_item ? 0 : get_local_id(0) * VW;
    rc->step = per_item ? VW : get_local_size(0) * VW;
    const float v = rc->tr[0];
    rc->label = (labels && v >= 0.0f && v < (float)cols && v == floor(v)) ? (ulong)v : cols;
    rc->bad = labels && rc->label >= cols;
    return true;
}

INLINE uint chunk_count(const row_ctx *rc, ulong c0) { return (uint)min((ulong)VW, rc->cols - c0); }

/* The target chunk: dense values or the one-hot of the label. */
INLINE vfloat target_chunk(const row_ctx *rc, ulong c0, uint n)
{
    if (!rc->labels)
        return load_part(rc->tr, c0, n);
    const long d = (long)rc->label - (long)c0; /* the label's lane, if here */
    const int16 hit = (d >= 0 && d < VW) ? LANES == (int)d : (int16)(0);
    return select(VZERO, (vfloat)(1.0f), hit);
}

INLINE float row_sum(const row_ctx *rc, float v, __local float *sv)
{
    return rc->per_item ? v : group_sum(v, sv);
}

INLINE float row_max(const row_ctx *rc, float v, __local float *sv)
{
    return rc->per_item ? v : group_max(v, sv);
}

INLINE float lanes_max(vfloat v)
{
    float8 a = fmax(v.lo, v.hi);
    float4 b = fmax(a.lo, a.hi);
    float2 c = fmax(b.lo, b.hi);
    return fmax(c.x, c.y);
}

/* Index of the row's largest value (the first on ties): this item's best
 * lane first, then across the group. */
INLINE ulong row_argmax(const row_ctx *rc, __global const float *r, __local float *sv,
                        __local ulong *si)
{
    float best = -INFINITY;
    ulong bi = rc->cols;
    for (ulong c0 = rc->start; c0 < rc->cols; c0 += rc->step) {
        const uint n = chunk_count(rc, c0);
        vfloat v = load_fill(r, c0, n, -INFINITY);
        const float m = lanes_max(v);
        if (m > best || bi == rc->cols) {
            for (uint k = 0; k < n; k++)
                if (r[c0 + k] == m) {
                    if (m > best || c0 + k < bi)
                        best = m, bi = c0 + k;
                    break;
                }
        }
    }
    if (rc->per_item)
        return bi;
    const uint lid = get_local_id(0), ls = get_local_size(0);
    sv[lid] = best;
    si[lid] = bi;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint w = ls / 2; w > 0; w /= 2) {
        if (lid < w && (sv[lid + w] > sv[lid] ||
                        (sv[lid + w] == sv[lid] && si[lid + w] < si[lid]))) {
            sv[lid] = sv[lid + w];
            si[lid] = si[lid + w];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    ulong r0 = si[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r0;
}

/* Correct: argmax of the prediction is the label (or the target's argmax);
 * with one column, both on the same side of the threshold. */
INLINE float row_correct(const row_ctx *rc, float threshold, __local float *sv,
                         __local ulong *si)
{
    if (rc->cols == 1)
        return ((rc->pr[0] > threshold) ==
                (rc->labels ? rc->label == 1 : rc->tr[0] > 0.5f)) ? 1.0f : 0.0f;
    ulong a = row_argmax(rc, rc->pr, sv, si);
    ulong b = rc->labels ? rc->label : row_argmax(rc, rc->tr, sv, si);
    return a == b ? 1.0f : 0.0f;
}

/* Stores the row's loss, correctness and bad mark (one writer per row). */
INLINE void finish_row(const row_ctx *rc, __global float *rowout, ulong rows, ulong row,
                       float loss_sum, float correct, __local float *sv)
{
    const float s = row_sum(rc, loss_sum, sv);
    if (rc->per_item || get_local_id(0) == 0) {
        rowout[row] = rc->bad ? NAN : s;
        rowout[rows + row] = correct;
        rowout[2 * rows + row] = rc->bad ? 1.0f : 0.0f;
    }
}

#define LOSS_ARGS                                                                   \
    __global const float *p, ulong po, __global const float *t, ulong to,           \
        uint labels, __global float *g, ulong go, uint has_grad, ulong cols,        \
        float param, float gscale, __global float *rowout, ulong rows,              \
        __local float *sv, __local ulong *si
#define LOSS_PASS p, po, t, to, labels, g, go, has_grad, cols, param, gscale, rowout, rows, sv, si

/* Two kernels per loss, name_rows and name_group: the form must be a
 * compile-time constant, since barriers under a run-time condition make
 * pocl's compiler duplicate code per barrier (it never finished on
 * softmax_cce). */
#define LOSS_FORMS(name)                                                            \
    __kernel void loss_##name##_rows(LOSS_ARGS) { loss_##name##_body(LOSS_PASS, 1); } \
    __kernel void loss_##name##_group(LOSS_ARGS) { loss_##name##_body(LOSS_PASS, 0); }

/* The elementwise losses: sum of elem() over the row, gradient elem' * gscale. */
#define ELEMENTWISE_LOSS(name, threshold)                                           \
    inline void loss_##name##_body(LOSS_ARGS, const uint per_item)                  \
    {                                                                               \
        row_ctx rc;                                                                 \
        ulong row;                                                                  \
        if (!row_setup(&rc, p, po, t, to, labels, g, go, rows, cols, per_item, &row)) \
            return;                                                                 \
        vksum k = {VZERO, VZERO};                                                   \
        for (ulong c0 = rc.start; c0 < cols; c0 += rc.step) {                       \
            const uint n = chunk_count(&rc, c0);                                    \
            vfloat gv, l = name##_elem(load_part(rc.pr, c0, n), target_chunk(&rc, c0, n), \
                                        param, &gv);                                \
            k = vksum_add(k, select(VZERO, l, LANES < (int)n));                     \
            if (has_grad)                                                           \
                store_part(rc.bad ? (vfloat)(NAN) : gv * gscale, rc.gr, c0, n);     \
        }                                                                           \
        const float c = row_correct(&rc, threshold, sv, si);                       \
        finish_row(&rc, rowout, rows, row, vsum_lanes(k.s), c, sv);                 \
    }                                                                               \
    LOSS_FORMS(name)

ELEMENTWISE_LOSS(mse, 0.5f)
ELEMENTWISE_LOSS(bce, 0.5f)
ELEMENTWISE_LOSS(bce_logits, 0.0f)
ELEMENTWISE_LOSS(cce, 0.5f)
/* one column: correct when the probability e^p is above 1/2 */
ELEMENTWISE_LOSS(nll, -0.693147181f)

/* Softmax with temperature T fused with cross-entropy, on logits z:
 * loss = tsum * log sum exp((z - m)/T) - sum t (z - m)/T, which is
 * -sum t log softmax(z/T) for any targets; grad (softmax - t) / T * gscale. */
INLINE void loss_softmax_cce_body(LOSS_ARGS, const uint per_item)
{
    row_ctx rc;
    ulong row;
    if (!row_setup(&rc, p, po, t, to, labels, g, go, rows, cols, per_item, &row))
        return;
    const float T = param;
    vfloat vm = (vfloat)(-INFINITY);
    for (ulong c0 = rc.start; c0 < cols; c0 += rc.step)
        vm = fmax(vm, load_fill(rc.pr, c0, chunk_count(&rc, c0), -INFINITY));
    const float m = row_max(&rc, lanes_max(vm), sv);
    vksum se = {VZERO, VZERO}, st = {VZERO, VZERO}, ts = {VZERO, VZERO};
    for (ulong c0 = rc.start; c0 < cols; c0 += rc.step) {
        const uint n = chunk_count(&rc, c0);
        /* padded lanes: z = -inf gives exp 0; their targets are 0 */
        vfloat a = (load_fill(rc.pr, c0, n, -INFINITY) - m) / T;
        vfloat tv = select(VZERO, target_chunk(&rc, c0, n), LANES < (int)n);
        se = vksum_add(se, exp(a));
        st = vksum_add(st, select(VZERO, tv * a, tv != 0.0f));
        ts = vksum_add(ts, tv);
    }
    const float sum = row_sum(&rc, vsum_lanes(se.s), sv);
    const float tdot = row_sum(&rc, vsum_lanes(st.s), sv);
    const float tsum = row_sum(&rc, vsum_lanes(ts.s), sv);
    if (has_grad)
        for (ulong c0 = rc.start; c0 < cols; c0 += rc.step) {
            const uint n = chunk_count(&rc, c0);
            vfloat pv = exp((load_part(rc.pr, c0, n) - m) / T) / sum;
            vfloat gv = ((pv - target_chunk(&rc, c0, n)) / T) * gscale;
            store_part(rc.bad ? (vfloat)(NAN) : gv, rc.gr, c0, n);
        }
    const float c = row_correct(&rc, 0.0f, sv, si);
    /* the row's total, counted once (finish_row sums over the group) */
    const bool first = rc.per_item || get_local_id(0) == 0;
    finish_row(&rc, rowout, rows, row, first ? tsum * log(sum) - tdot : 0.0f, c, sv);
}
LOSS_FORMS(softmax_cce)

/* Sums rows' loss, correctness and bad marks in a fixed order (one group):
 * out[0] = loss sum, out[1] = correct rows, out[2] = bad rows. With
 * accumulate, adds them to out instead, and count and rows to out[3], out[4]
 * (running sums over many batches, read once per epoch). */
__kernel void loss_reduce(__global const float *rowout, ulong rows,
                          __global float *out, ulong oo, __local float *sv,
                          uint accumulate, float count)
{
    const uint lid = get_local_id(0), ls = get_local_size(0);
    for (uint part = 0; part < 3; part++) {
        ksum k = {0.0f, 0.0f};
        for (ulong r = lid; r < rows; r += ls)
            k = ksum_add(k, rowout[part * rows + r]);
        const float s = group_sum(k.s, sv);
        if (lid == 0)
            out[oo + part] = accumulate ? out[oo + part] + s : s;
    }
    if (accumulate && lid == 0) {
        out[oo + 3] += count;
        out[oo + 4] += (float)rows;
    }
}
