/* Losses, one work-group per row: each kernel writes the row's loss, whether
 * the row's prediction is correct, and (when asked) the row's gradient; then
 * loss_reduce sums the rows in a fixed order. Targets are either dense
 * (rows x cols) or labels (rows x 1, integer values). A bad label is
 * counted, never used as an index. */

/* Work-group argmax of a row (first index on ties); every item gets it. */
inline ulong group_argmax(__global const float *r, ulong cols, __local float *sv,
                          __local ulong *si)
{
    const uint lid = get_local_id(0), ls = get_local_size(0);
    /* Items past the row's end hold (-inf, cols) and so lose every tie. */
    float best = lid < cols ? r[lid] : -INFINITY;
    ulong bi = lid < cols ? lid : cols;
    for (ulong j = lid + ls; j < cols; j += ls)
        if (r[j] > best)
            best = r[j], bi = j;
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

/* Label of a row: its integer value, or cols when it is not a valid index. */
inline ulong row_label(__global const float *t, ulong cols)
{
    const float v = t[0];
    return (v >= 0.0f && v < (float)cols && v == floor(v)) ? (ulong)v : cols;
}

/* What every loss kernel shares: row pointers and the outputs. */
#define LOSS_ARGS                                                                   \
    __global const float *p, ulong po, __global const float *t, ulong to,           \
        uint labels, __global float *g, ulong go, uint has_grad, ulong cols,        \
        float param, float gscale, __global float *rowout, ulong rows,              \
        __local float *sv, __local ulong *si

#define LOSS_ROW_SETUP                                                              \
    const ulong row = get_group_id(0);                                              \
    const uint lid = get_local_id(0), ls = get_local_size(0);                      \
    __global const float *pr = p + po + row * cols;                                 \
    __global const float *tr = t + to + row * (labels ? 1 : cols);                 \
    __global float *gr = g + go + row * cols;                                       \
    const ulong label = labels ? row_label(tr, cols) : 0;                           \
    const int bad = labels && label >= cols;

/* Correct when the prediction's argmax is the label (or the target's argmax);
 * with one column, when both sides of 0.5 (threshold) agree. */
inline float row_correct(__global const float *pr, __global const float *tr, uint labels,
                         ulong label, ulong cols, float threshold, __local float *sv,
                         __local ulong *si)
{
    if (cols == 1)
        return ((pr[0] > threshold) == (labels ? label == 1 : tr[0] > 0.5f)) ? 1.0f : 0.0f;
    ulong a = group_argmax(pr, cols, sv, si);
    ulong b = labels ? label : group_argmax(tr, cols, sv, si);
    return a == b ? 1.0f : 0.0f;
}

/* Writes the row's loss and correctness (lid 0), or NaN and the bad mark. */
inline void finish_row(__global float *rowout, ulong rows, ulong row, float loss_sum,
                       float correct, int bad, __local float *sv)
{
    const float s = group_sum(loss_sum, sv);
    if (get_local_id(0) == 0) {
        rowout[row] = bad ? NAN : s;
        rowout[rows + row] = correct;
        rowout[2 * rows + row] = bad ? 1.0f : 0.0f;
    }
}

/* Target element j of a row: dense value or one-hot of the label. */
#define TARGET(j) (labels ? ((j) == label ? 1.0f : 0.0f) : tr[j])

/* mean over all elements of (p - t)^2; grad 2 (p - t) * gscale */
__kernel void loss_mse(LOSS_ARGS)
{
    LOSS_ROW_SETUP
    ksum k = {0.0f, 0.0f};
    for (ulong j = lid; j < cols; j += ls) {
        const float d = pr[j] - TARGET(j);
        k = ksum_add(k, d * d);
        if (has_grad)
            gr[j] = bad ? NAN : 2.0f * d * gscale;
    }
    const float c = row_correct(pr, tr, labels, label, cols, 0.5f, sv, si);
    finish_row(rowout, rows, row, k.s, c, bad, sv);
}

/* -[t log q + (1-t) log(1-q)], q = clip(p, eps, 1-eps); grad at q */
__kernel void loss_bce(LOSS_ARGS)
{
    LOSS_ROW_SETUP
    ksum k = {0.0f, 0.0f};
    for (ulong j = lid; j < cols; j += ls) {
        const float tv = TARGET(j);
        const float q = isnan(pr[j]) ? pr[j] : clamp(pr[j], param, 1.0f - param);
        k = ksum_add(k, -(tv * log(q) + (1.0f - tv) * log1p(-q)));
        if (has_grad)
            gr[j] = bad ? NAN : ((q - tv) / (q * (1.0f - q))) * gscale;
    }
    const float c = row_correct(pr, tr, labels, label, cols, 0.5f, sv, si);
    finish_row(rowout, rows, row, k.s, c, bad, sv);
}

/* On logits z: max(z,0) - z t + log1p(exp(-|z|)); grad (sigmoid(z) - t) */
__kernel void loss_bce_logits(LOSS_ARGS)
{
    LOSS_ROW_SETUP
    ksum k = {0.0f, 0.0f};
    for (ulong j = lid; j < cols; j += ls) {
        const float z = pr[j], tv = TARGET(j);
        const float e = exp(-fabs(z));
        k = ksum_add(k, fmax(z, 0.0f) - z * tv + log1p(e));
        const float s = z >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
        if (has_grad)
            gr[j] = bad ? NAN : (isnan(z) ? z : (s - tv) * gscale);
    }
    const float c = row_correct(pr, tr, labels, label, cols, 0.0f, sv, si);
    finish_row(rowout, rows, row, k.s, c, bad, sv);
}

/* Categorical cross-entropy on probabilities: -sum t log clip(p); the
 * gradient -t / clip(p) (0 where t is 0). */
__kernel void loss_cce(LOSS_ARGS)
{
    LOSS_ROW_SETUP
    ksum k = {0.0f, 0.0f};
    for (ulong j = lid; j < cols; j += ls) {
        const float tv = TARGET(j);
        const float q = isnan(pr[j]) ? pr[j] : clamp(pr[j], param, 1.0f - param);
        if (tv != 0.0f || isnan(q))
            k = ksum_add(k, -tv * log(q));
        if (has_grad)
            gr[j] = bad ? NAN : (tv != 0.0f ? (-tv / q) * gscale : (isnan(q) ? q : 0.0f));
    }
    const float c = row_correct(pr, tr, labels, label, cols, 0.5f, sv, si);
    finish_row(rowout, rows, row, k.s, c, bad, sv);
}

/* Softmax with temperature T fused with cross-entropy, on logits z:
 * loss = log sum exp((z - m)/T) - sum t (z - m)/T (targets summing to 1),
 * grad (softmax(z/T) - t) / T * gscale. */
__kernel void loss_softmax_cce(LOSS_ARGS)
{
    LOSS_ROW_SETUP
    const float T = param;
    float m = -INFINITY;
    for (ulong j = lid; j < cols; j += ls)
        m = fmax(m, pr[j]);
    m = group_max(m, sv);
    ksum se = {0.0f, 0.0f}, st = {0.0f, 0.0f}, ts = {0.0f, 0.0f};
    for (ulong j = lid; j < cols; j += ls) {
        const float a = (pr[j] - m) / T, tv = TARGET(j);
        se = ksum_add(se, exp(a));
        if (tv != 0.0f)
            st = ksum_add(st, tv * a);
        ts = ksum_add(ts, tv);
    }
    const float sum = group_sum(se.s, sv);
    const float tdot = group_sum(st.s, sv);
    const float tsum = group_sum(ts.s, sv);
    const float lse = log(sum);
    if (has_grad)
        for (ulong j = lid; j < cols; j += ls)
            gr[j] = bad ? NAN : ((exp((pr[j] - m) / T) / sum - TARGET(j)) / T) * gscale;
    const float c = row_correct(pr, tr, labels, label, cols, 0.0f, sv, si);
    /* Sum over the row, taken once: tsum * lse - tdot. */
    finish_row(rowout, rows, row, lid == 0 ? tsum * lse - tdot : 0.0f, c, bad, sv);
}

/* Sums rows' loss, correctness and bad marks in a fixed order (one group):
 * out[0] = loss sum, out[1] = correct rows, out[2] = bad rows. */
__kernel void loss_reduce(__global const float *rowout, ulong rows,
                          __global float *out, ulong oo, __local float *sv)
{
    const uint lid = get_local_id(0), ls = get_local_size(0);
    for (uint part = 0; part < 3; part++) {
        ksum k = {0.0f, 0.0f};
        for (ulong r = lid; r < rows; r += ls)
            k = ksum_add(k, rowout[part * rows + r]);
        const float s = group_sum(k.s, sv);
        if (lid == 0)
            out[oo + part] = s;
    }
}
