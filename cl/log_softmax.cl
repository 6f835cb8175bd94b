/* Row-wise log-softmax with temperature T and its O(cols) vector-Jacobian
 * product, in the two forms of softmax.cl: a work-group per row (GPUs) and
 * a work-item per row walking VW elements at a time (CPU devices); compiled
 * once per storage type like softmax.cl (F16 kernels: suffix _h).
 *   forward:  z = (x - max)/T, y = z - log sum e^z
 *   backward: dx = (dy - e^y sum_row dy) / T
 * Rules (as softmax): a -inf entry gives -inf, an all -inf row -inf
 * throughout, a NaN or +inf anywhere in the row NaN throughout. Computing
 * z - log sum directly keeps the digits log(softmax) loses for small
 * probabilities (log of an underflowed 0 would be -inf). */

/* The helpers below are compiled once; the kernels after them once per
 * storage type (storage_f32.cl, storage_f16.cl). */
#ifndef NNACT_LOG_SOFTMAX_HELPERS
#define NNACT_LOG_SOFTMAX_HELPERS

/* e^y for the backward pass: y <= 0 for any log-softmax output; a larger y
 * (not one) is capped where e^y overflows anyway, so the fast exp never
 * sees an argument outside its range. NaN stays NaN. */
INLINE vfloat exp_logprob(vfloat y)
{
    return exp_nonpos(select(y, (vfloat)(89.0f), y > 89.0f));
}

/* Error-free pairwise addition of vector halves: hi + lo carries the exact
 * sum of the inputs' hi + lo (up to the final rounding of the lo parts). */
#define TWO_SUM_HALVES(T, h, l, H, L)                                     \
    do {                                                                  \
        T a_ = (h).lo, b_ = (h).hi, t_ = a_ + b_, bb_ = t_ - a_;          \
        (L) = ((l).lo + (l).hi) + ((a_ - (t_ - bb_)) + (b_ - bb_));       \
        (H) = t_;                                                         \
    } while (0)

/* The lanes of a compensated vector sum added with their compensations,
 * compensated too: the row's sum is near 1 (the max's term is exactly 1),
 * and a plain pairwise add of 16 lanes could cost it 2 ulp of 1, all of
 * which lands in y = z - log(sum) for every entry. Once per row, in vector
 * halves (a lane-by-lane Kahan loop here cost log_softmax forward ~10 %).
 * The terms are <= 1 each, so nothing overflows. */
INLINE float vksum_total(vksum k)
{
    float8 h8, l8;
    float4 h4, l4;
    float2 h2, l2;
    TWO_SUM_HALVES(float8, k.s, -k.c, h8, l8);
    TWO_SUM_HALVES(float4, h8, l8, h4, l4);
    TWO_SUM_HALVES(float2, h4, l4, h2, l2);
    const float a = h2.x, b = h2.y, t = a + b, bb = t - a;
    return t + ((l2.x + l2.y) + ((a - (t - bb)) + (b - bb)));
}

/* The same for the work-group form: a tree of error-free additions (the
 * local buffer holds 2 floats per item), each item's Kahan sum s - c. */
INLINE float group_sum_compensated(ksum k, __local float *scratch)
{
    const uint lid = get_local_id(0), n = get_local_size(0);
    __local float *hi = scratch, *lo = scratch + n;
    hi[lid] = k.s;
    lo[lid] = -k.c;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint w = n / 2; w > 0; w /= 2) {
        if (lid < w) {
            const float a = hi[lid], b = hi[lid + w], t = a + b, bb = t - a;
            const float err = isfinite(t) ? (a - (t - bb)) + (b - bb) : 0.0f;
            hi[lid] = t;
            lo[lid] += lo[lid + w] + err;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = hi[0] + lo[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}
#endif /* NNACT_LOG_SOFTMAX_HELPERS */

__kernel void SFX(log_softmax_fwd)(__global const ST *x, ulong xo,
                              __global ST *y, ulong yo,
                              ulong cols, float temperature,
                              __local float *scratch)
{
    const ulong row = get_group_id(0);
    const uint lid = get_local_id(0), ls = get_local_size(0);
    __global const ST *xr = x + xo + row * cols;
    __global ST *yr = y + yo + row * cols;

    bool bad;
    const float m = SFX(group_row_max)(xr, cols, scratch, &bad);
    if (bad || m == -INFINITY) {
        const float fill = bad ? NAN : -INFINITY;
        for (ulong j = lid; j < cols; j += ls)
            S_ST(fill, yr, j);
        return;
    }

    ksum k = {0.0f, 0.0f};
    for (ulong j = lid; j < cols; j += ls)
        k = ksum_add(k, exp((S_LD(xr, j) - m) / temperature));
    const float lse = log(group_sum_compensated(k, scratch));
    /* y may alias x: each item reads its own x[j] before writing y[j]. */
    for (ulong j = lid; j < cols; j += ls)
        S_ST((S_LD(xr, j) - m) / temperature - lse, yr, j);
}

__kernel void SFX(log_softmax_bwd)(__global const ST *y, ulong yo,
                              __global const ST *dy, ulong dyo,
                              __global ST *dx, ulong dxo,
                              ulong cols, float temperature,
                              __local float *scratch)
{
    const ulong row = get_group_id(0);
    const uint lid = get_local_id(0), ls = get_local_size(0);
    __global const ST *yr = y + yo + row * cols;
    __global const ST *gr = dy + dyo + row * cols;
    __global ST *dr = dx + dxo + row * cols;

    ksum k = {0.0f, 0.0f};
    for (ulong j = lid; j < cols; j += ls)
        k = ksum_add(k, S_LD(gr, j));
    const float s = group_sum(k.s, scratch);
    for (ulong j = lid; j < cols; j += ls)
        S_ST((S_LD(gr, j) - exp(S_LD(yr, j)) * s) / temperature, dr, j);
}

/* One work-item per row, no barriers. fmax skips NaN, so a row whose max
 * is -inf may still hold NaN (all NaN, or NaN among -inf): that rare path
 * looks for it. Otherwise a NaN or +inf makes the sum NaN and so every
 * output; x is read three times and y written once (softmax writes twice). */
INLINE void SFX(log_softmax_fwd_rows_t)(__global const ST *x, ulong xo,
                                   __global ST *y, ulong yo,
                                   ulong rows, ulong cols, float temperature, uint stream,
                                        const bool unit_t)
{
    const ulong row = get_global_id(0);
    if (row >= rows)
        return;
    __global const ST *xr = x + xo + row * cols;
    __global ST *yr = y + yo + row * cols;
    const ulong full = cols / VW * VW;
    const uint tail = (uint)(cols - full);

    const float m = SFX(row_max_scan)(xr, cols);
    ulong j;
    if (m == -INFINITY) {
        const vfloat fill = SFX(row_has_nan)(xr, cols) ? (vfloat)(NAN) : (vfloat)(-INFINITY);
        for (j = 0; j < cols; j += VW)
            SFX(store_part)(fill, yr, j, (uint)min((ulong)VW, cols - j));
        return;
    }

#define SHIFTED(v) (unit_t ? (v) - m : ((v) - m) / temperature)
    /* Terms are <= 1 (the bounded Kahan step); a NaN term makes the sum NaN. */
    vksum k = {VZERO, VZERO};
    for (j = 0; j + 4 * VW <= full; j += 4 * VW) {
        vfloat e0 = exp_nonpos(SHIFTED(S_VLOAD(xr + j)));
        vfloat e1 = exp_nonpos(SHIFTED(S_VLOAD(xr + j + VW)));
        vfloat e2 = exp_nonpos(SHIFTED(S_VLOAD(xr + j + 2 * VW)));
        vfloat e3 = exp_nonpos(SHIFTED(S_VLOAD(xr + j + 3 * VW)));
        k = vksum_add_bounded(k, (e0 + e1) + (e2 + e3));
    }
    for (; j < full; j += VW)
        k = vksum_add_bounded(k, exp_nonpos(SHIFTED(S_VLOAD(xr + j))));
    if (tail) /* padded lanes: exp(-inf) = 0 */
        k = vksum_add_bounded(k, exp_nonpos(SHIFTED(SFX(load_fill)(xr, full, tail, -INFINITY))));
    const float lse = log(vksum_total(k));

    /* y may alias x: every element is read before it is written. */
    const uint head = SFX(head_to_align)(yr, cols);
    const ulong body = head + (cols - head) / VW * VW;
    if (head)
        SFX(store_part)(SHIFTED(SFX(load_part)(xr, 0, head)) - lse, yr, 0, head);
    for (j = head; j < body; j += VW) {
        PREFETCH(xr + cols + j); /* the next row's first pass */
        if (!stream) /* a streamed line is never read for ownership */
            PREFETCH_W(yr + cols + j);
        SFX(store_aligned)(SHIFTED(S_VLOAD(xr + j)) - lse, yr + j, stream);
    }
    if (body < cols)
        SFX(store_part)(SHIFTED(SFX(load_part)(xr, body, (uint)(cols - body))) - lse, yr, body,
                   (uint)(cols - body));
#undef SHIFTED
}
/* unit_t is a constant in each inlined copy: T = 1 pays no division
 * (a select of both forms computed the division for every element). */
__kernel void SFX(log_softmax_fwd_rows)(__global const ST *x, ulong xo,
                                   __global ST *y, ulong yo,
                                   ulong rows, ulong cols, float temperature, uint stream)
{
    if (temperature == 1.0f)
        SFX(log_softmax_fwd_rows_t)(x, xo, y, yo, rows, cols, temperature, stream, true);
    else
        SFX(log_softmax_fwd_rows_t)(x, xo, y, yo, rows, cols, temperature, stream, false);
}

/* Sum of a row of dy (compensated). */
INLINE float SFX(dy_row_sum)(__global const ST *gr, ulong cols)
{
    const ulong full = cols / VW * VW;
    const uint tail = (uint)(cols - full);
    vksum k = {VZERO, VZERO};
    ulong j = 0;
    for (; j + 4 * VW <= full; j += 4 * VW) {
        vfloat g0 = S_VLOAD(gr + j) + S_VLOAD(gr + j + VW);
        vfloat g1 = S_VLOAD(gr + j + 2 * VW) + S_VLOAD(gr + j + 3 * VW);
        k = vksum_add(k, g0 + g1);
    }
    for (; j < full; j += VW)
        k = vksum_add(k, S_VLOAD(gr + j));
    if (tail)
        k = vksum_add(k, SFX(load_part)(gr, full, tail));
    return vsum_lanes(k.s);
}

/* dx = (dy - e^y s) / T over one row, s = its sum of dy; while at it, the
 * sum of the next row's dy (gn; none: 0), so that this row's exps overlap
 * the next row's loads instead of following them. */
INLINE float SFX(log_softmax_bwd_row)(__global const ST *yr, __global const ST *gr,
                                      __global ST *dr, __global const ST *gn, ulong cols,
                                      float s, float temperature, uint stream,
                                      const bool unit_t)
{
#define DX(yv, gv) (unit_t ? (gv) - exp_logprob(yv) * s : ((gv) - exp_logprob(yv) * s) / temperature)
    const uint head = SFX(head_to_align)(dr, cols);
    const ulong body = head + (cols - head) / VW * VW;
    vksum k = {VZERO, VZERO};
    ulong j;
    if (head) {
        SFX(store_part)(DX(SFX(load_part)(yr, 0, head), SFX(load_part)(gr, 0, head)), dr, 0, head);
        if (gn)
            k = vksum_add(k, SFX(load_part)(gn, 0, head));
    }
    if (gn)
        for (j = head; j < body; j += VW) {
            PREFETCH(yr + cols + j); /* the next row's y, read with gn's sum */
            if (!stream)
                PREFETCH_W(dr + cols + j);
            k = vksum_add(k, S_VLOAD(gn + j));
            SFX(store_aligned)(DX(S_VLOAD(yr + j), S_VLOAD(gr + j)), dr + j, stream);
        }
    else
        for (j = head; j < body; j += VW)
            SFX(store_aligned)(DX(S_VLOAD(yr + j), S_VLOAD(gr + j)), dr + j, stream);
    if (body < cols) {
        const uint n = (uint)(cols - body);
        SFX(store_part)(DX(SFX(load_part)(yr, body, n), SFX(load_part)(gr, body, n)), dr, body, n);
        if (gn)
            k = vksum_add(k, SFX(load_part)(gn, body, n));
    }
#undef DX
    return vsum_lanes(k.s);
}

/* One work-item per `per_item` consecutive rows (the host's choice: 4
 * where there are rows enough to keep every core busy, else 1): the first
 * row's dy is summed alone, every later one while the previous row is
 * written, so that its exps overlap those loads (log-softmax backward at
 * 4096x1000 on pocl: 1.02-1.07 of softmax backward's time against
 * 1.08-1.23 one row per item). dx may alias y or dy (each row is read
 * before it is written; the next row is only read). */
INLINE void SFX(log_softmax_bwd_rows_t)(__global const ST *y, ulong yo,
                                   __global const ST *dy, ulong dyo,
                                   __global ST *dx, ulong dxo,
                                   ulong rows, ulong cols, float temperature, uint stream,
                                        uint per_item, const bool unit_t)
{
    const ulong first = get_global_id(0) * per_item;
    if (first >= rows)
        return;
    const ulong last = min(first + per_item, rows);
    float s = SFX(dy_row_sum)(dy + dyo + first * cols, cols);
    for (ulong r = first; r < last; r++) {
        __global const ST *gn = r + 1 < last ? dy + dyo + (r + 1) * cols : 0;
        s = SFX(log_softmax_bwd_row)(y + yo + r * cols, dy + dyo + r * cols, dx + dxo + r * cols,
                                     gn, cols, s, temperature, stream, unit_t);
    }
}
/* unit_t is a constant in each inlined copy: T = 1 pays no division
 * (a select of both forms computed the division for every element). */
__kernel void SFX(log_softmax_bwd_rows)(__global const ST *y, ulong yo,
                                   __global const ST *dy, ulong dyo,
                                   __global ST *dx, ulong dxo,
                                   ulong rows, ulong cols, float temperature, uint stream,
                                   uint per_item)
{
    if (temperature == 1.0f)
        SFX(log_softmax_bwd_rows_t)(y, yo, dy, dyo, dx, dxo, rows, cols, temperature, stream,
                                    per_item, true);
    else
        SFX(log_softmax_bwd_rows_t)(y, yo, dy, dyo, dx, dxo, rows, cols, temperature, stream,
                                    per_item, false);
}
