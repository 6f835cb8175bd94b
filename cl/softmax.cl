/* Row-wise softmax with temperature T, compiled once per storage type
 * (F16 kernels get the suffix _h; program.c). The work-group form: one
 * group per row. Each item walks the row with stride local_size (coalesced
 * on GPUs, vectorised across items by pocl), keeps a compensated sum, and
 * the group combines by a tree: rows of any length stay within a few ulp,
 * and results are deterministic. */

/* y = exp((x - max)/T) / sum. A -inf entry gives 0; an all -inf row gives
 * zeros; a NaN or +inf anywhere in the row gives NaN throughout. */
__kernel void SFX(softmax_fwd)(__global const ST *x, ulong xo,
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
        const float fill = bad ? NAN : 0.0f;
        for (ulong j = lid; j < cols; j += ls)
            S_ST(fill, yr, j);
        return;
    }

    /* y may alias x: each item reads x[j] before it writes y[j], and only
     * ever touches its own j. Float32 storage keeps e in y between the
     * passes; half storage recomputes it (a stored half e would round
     * twice). */
    ksum k = {0.0f, 0.0f};
    for (ulong j = lid; j < cols; j += ls) {
        float e = exp((S_LD(xr, j) - m) / temperature);
#if !S_HALF
        S_ST(e, yr, j);
#endif
        k = ksum_add(k, e);
    }
    const float sum = group_sum(k.s, scratch);
    for (ulong j = lid; j < cols; j += ls) {
#if S_HALF
        S_ST(exp((S_LD(xr, j) - m) / temperature) / sum, yr, j);
#else
        S_ST(S_LD(yr, j) / sum, yr, j);
#endif
    }
}

/* dx = y * (dy - sum_row(y * dy)) / T: the vector-Jacobian product in
 * O(cols) per row. dx may alias dy (each item rereads its own elements). */
__kernel void SFX(softmax_bwd)(__global const ST *y, ulong yo,
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
        k = ksum_add(k, S_LD(yr, j) * S_LD(gr, j));
    const float s = group_sum(k.s, scratch);
    for (ulong j = lid; j < cols; j += ls)
        S_ST((S_LD(yr, j) * (S_LD(gr, j) - s)) / temperature, dr, j);
}

/* The same two operations with one work-item per row, VW floats at a time
 * and no barriers: the fast form on CPU devices, where work-group barriers
 * are expensive. Per-lane compensated sums (one Kahan step per 4 vectors)
 * keep long rows accurate. A NaN or +inf in a row with a finite max makes
 * its sum NaN and so every output NaN; only rows whose max is -inf need a
 * separate look (all NaN / -inf), off the hot path. The final pass stores
 * from the output's 64-byte boundaries so that it can stream (stream != 0,
 * chosen by the host for tensors larger than the cache).
 * With an exact fma() on a device without hardware FMA (Mesa 22.3's
 * llvmpipe) this kernel took 14 min to compile: common.cl's FMA uses mad()
 * there. llvmpipe still runs it ~5x slower than softmax_fwd, so the host
 * gives such devices the work-group form (context.c nnact_row_kernels_suit). */
INLINE void SFX(softmax_fwd_rows_t)(__global const ST *x, ulong xo,
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

    const float m = SFX(row_max_scan)(xr, cols); /* fmax skips NaN; the sum catches it */
    ulong j;
    if (m == -INFINITY) {
        /* Every entry is -inf or NaN (fmax skipped those): zeros for a fully
         * masked row, NaN if any entry is NaN. Only such rows pay this pass;
         * it reads the whole row before writing, since y may alias x. */
        const vfloat fill = SFX(row_has_nan)(xr, cols) ? (vfloat)(NAN) : VZERO;
        for (ulong j = 0; j < cols; j += VW)
            SFX(store_part)(fill, yr, j, (uint)min((ulong)VW, cols - j));
        return;
    }

    /* y may alias x: every element is read before it is written. */
#define SHIFTED(v) (unit_t ? (v) - m : ((v) - m) / temperature)
    vksum k = {VZERO, VZERO};
    for (j = 0; j + 4 * VW <= full; j += 4 * VW) {
        vfloat e0 = exp_nonpos(SHIFTED(S_VLOAD(xr + j)));
        vfloat e1 = exp_nonpos(SHIFTED(S_VLOAD(xr + j + VW)));
        vfloat e2 = exp_nonpos(SHIFTED(S_VLOAD(xr + j + 2 * VW)));
        vfloat e3 = exp_nonpos(SHIFTED(S_VLOAD(xr + j + 3 * VW)));
#if !S_HALF /* half storage recomputes e in the last pass */
        S_VSTORE(e0, yr + j);
        S_VSTORE(e1, yr + j + VW);
        S_VSTORE(e2, yr + j + 2 * VW);
        S_VSTORE(e3, yr + j + 3 * VW);
#endif
        k = vksum_add_bounded(k, (e0 + e1) + (e2 + e3));
    }
    for (; j < full; j += VW) {
        vfloat e = exp_nonpos(SHIFTED(S_VLOAD(xr + j)));
#if !S_HALF
        S_VSTORE(e, yr + j);
#endif
        k = vksum_add_bounded(k, e);
    }
    if (tail) { /* padded lanes: exp(-inf) = 0 */
        vfloat e = exp_nonpos(SHIFTED(SFX(load_fill)(xr, full, tail, -INFINITY)));
#if !S_HALF
        SFX(store_part)(e, yr, full, tail);
#endif
        k = vksum_add_bounded(k, e);
    }

    /* e * (1/sum): two roundings (<= 1 ulp), far inside the 4e-6 bar, and
     * a multiply instead of a division per element. E_PART/E_FULL: the e
     * of the first pass, kept in y (float32) or recomputed from x (half). */
#if S_HALF
#define E_PART(at, count) exp_nonpos(SHIFTED(SFX(load_part)(xr, (at), (count))))
#define E_FULL(at) exp_nonpos(SHIFTED(S_VLOAD(xr + (at))))
#else
#define E_PART(at, count) SFX(load_part)(yr, (at), (count))
#define E_FULL(at) S_VLOAD(yr + (at))
#endif
    const float inv = 1.0f / vsum_lanes(k.s);
    const uint head = SFX(head_to_align)(yr, cols);
    const ulong body = head + (cols - head) / VW * VW;
    if (head)
        SFX(store_part)(E_PART(0, head) * inv, yr, 0, head);
    /* float32: plain stores, since the first pass brought these lines into
     * the cache and streaming stores over cached lines measured slower
     * (softmax.fwd 0.74-0.84 of oneDNN's time with NNACT_STREAM=1, 0.97-1.13
     * with 0; nnact-bench --vs onednn, 4096x1000, alternated). Half storage
     * never touched them: it streams. */
    for (j = head; j < body; j += VW) {
        PREFETCH(xr + cols + j); /* the next row's first pass */
        if (!S_HALF || !stream) /* written by the next row's second pass */
            PREFETCH_W(yr + cols + j);
        SFX(store_aligned)(E_FULL(j) * inv, yr + j, S_HALF ? stream : 0);
    }
    if (body < cols)
        SFX(store_part)(E_PART(body, (uint)(cols - body)) * inv, yr, body,
                        (uint)(cols - body));
#undef E_PART
#undef E_FULL
#undef SHIFTED
}
/* unit_t is a constant in each inlined copy: T = 1 pays no division
 * (a select of both forms computed the division for every element). */
__kernel void SFX(softmax_fwd_rows)(__global const ST *x, ulong xo,
                               __global ST *y, ulong yo,
                               ulong rows, ulong cols, float temperature, uint stream)
{
    if (temperature == 1.0f)
        SFX(softmax_fwd_rows_t)(x, xo, y, yo, rows, cols, temperature, stream, true);
    else
        SFX(softmax_fwd_rows_t)(x, xo, y, yo, rows, cols, temperature, stream, false);
}

/* dx = y * (dy - sum_row(y * dy)) / T for one row; dx may alias y or dy. */
INLINE void SFX(softmax_bwd_row)(__global const ST *y, ulong yo,
                               __global const ST *dy, ulong dyo,
                               __global ST *dx, ulong dxo,
                               ulong row, ulong cols, float temperature, uint stream,
                                 const bool unit_t)
{
    __global const ST *yr = y + yo + row * cols;
    __global const ST *gr = dy + dyo + row * cols;
    __global ST *dr = dx + dxo + row * cols;
    const ulong full = cols / VW * VW;
    const uint tail = (uint)(cols - full);

    vksum k = {VZERO, VZERO};
    ulong j = 0;
    for (; j + 4 * VW <= full; j += 4 * VW) {
        vfloat p0 = S_VLOAD(yr + j) * S_VLOAD(gr + j);
        vfloat p1 = S_VLOAD(yr + j + VW) * S_VLOAD(gr + j + VW);
        vfloat p2 = S_VLOAD(yr + j + 2 * VW) * S_VLOAD(gr + j + 2 * VW);
        vfloat p3 = S_VLOAD(yr + j + 3 * VW) * S_VLOAD(gr + j + 3 * VW);
        k = vksum_add(k, (p0 + p1) + (p2 + p3));
    }
    for (; j < full; j += VW)
        k = vksum_add(k, S_VLOAD(yr + j) * S_VLOAD(gr + j));
    if (tail)
        k = vksum_add(k, SFX(load_part)(yr, full, tail) * SFX(load_part)(gr, full, tail));
    const float s = vsum_lanes(k.s);

#define DX(yv, gv) (unit_t ? (yv) * ((gv) - s) : ((yv) * ((gv) - s)) / temperature)
    const uint head = SFX(head_to_align)(dr, cols);
    const ulong body = head + (cols - head) / VW * VW;
    if (head)
        SFX(store_part)(DX(SFX(load_part)(yr, 0, head), SFX(load_part)(gr, 0, head)), dr, 0, head);
    for (j = head; j < body; j += VW) {
        PREFETCH(yr + cols + j); /* the next row's first pass */
        PREFETCH(gr + cols + j);
        if (!stream) /* a streamed line is never read for ownership */
            PREFETCH_W(dr + cols + j);
        SFX(store_aligned)(DX(S_VLOAD(yr + j), S_VLOAD(gr + j)), dr + j, stream);
    }
    if (body < cols)
        SFX(store_part)(DX(SFX(load_part)(yr, body, (uint)(cols - body)),
                      SFX(load_part)(gr, body, (uint)(cols - body))),
                   dr, body, (uint)(cols - body));
#undef DX
}
/* unit_t is a constant in each inlined copy: T = 1 pays no division
 * (a select of both forms computed the division for every element). */
/* One work-item per `per_item` consecutive rows, the argument every row
 * kernel's backward form takes (log_softmax.cl; the host passes 1 here). */
INLINE void SFX(softmax_bwd_rows_t)(__global const ST *y, ulong yo,
                                    __global const ST *dy, ulong dyo,
                                    __global ST *dx, ulong dxo,
                                    ulong rows, ulong cols, float temperature, uint stream,
                                    uint per_item, const bool unit_t)
{
    const ulong first = get_global_id(0) * per_item;
    const ulong last = min(first + per_item, rows);
    for (ulong r = first; r < last; r++)
        SFX(softmax_bwd_row)(y, yo, dy, dyo, dx, dxo, r, cols, temperature, stream, unit_t);
}

__kernel void SFX(softmax_bwd_rows)(__global const ST *y, ulong yo,
                               __global const ST *dy, ulong dyo,
                               __global ST *dx, ulong dxo,
                               ulong rows, ulong cols, float temperature, uint stream,
                               uint per_item)
{
    if (temperature == 1.0f)
        SFX(softmax_bwd_rows_t)(y, yo, dy, dyo, dx, dxo, rows, cols, temperature, stream,
                                per_item, true);
    else
        SFX(softmax_bwd_rows_t)(y, yo, dy, dyo, dx, dxo, rows, cols, temperature, stream,
                                per_item, false);
}
