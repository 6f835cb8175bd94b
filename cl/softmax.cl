/* Row-wise softmax with temperature T, one work-group per row. Each item
 * walks the row with stride local_size (coalesced on GPUs, vectorised across
 * items by pocl), keeps a compensated sum, and the group combines by a tree:
 * rows of any length stay within a few ulp, and results are deterministic. */

/* y = exp((x - max)/T) / sum. A -inf entry gives 0; an all -inf row gives
 * zeros; a NaN or +inf anywhere in the row gives NaN throughout. */
__kernel void softmax_fwd(__global const float *x, ulong xo,
                          __global float *y, ulong yo,
                          ulong cols, float temperature,
                          __local float *scratch)
{
    const ulong row = get_group_id(0);
    const uint lid = get_local_id(0), ls = get_local_size(0);
    __global const float *xr = x + xo + row * cols;
    __global float *yr = y + yo + row * cols;

    float m = -INFINITY;
    int bad = 0;
    for (ulong j = lid; j < cols; j += ls) {
        float v = xr[j];
        bad |= isnan(v) || v == INFINITY;
        m = fmax(m, v);
    }
    m = group_max(m, scratch);
    bad = group_max(bad ? 1.0f : 0.0f, scratch) > 0.0f;

    if (bad || m == -INFINITY) {
        const float fill = bad ? NAN : 0.0f;
        for (ulong j = lid; j < cols; j += ls)
            yr[j] = fill;
        return;
    }

    /* y may alias x: each item reads x[j] before it writes y[j], and only
     * ever touches its own j. */
    ksum k = {0.0f, 0.0f};
    for (ulong j = lid; j < cols; j += ls) {
        float e = exp((xr[j] - m) / temperature);
        yr[j] = e;
        k = ksum_add(k, e);
    }
    const float sum = group_sum(k.s, scratch);
    for (ulong j = lid; j < cols; j += ls)
        yr[j] = yr[j] / sum;
}

/* dx = y * (dy - sum_row(y * dy)) / T: the vector-Jacobian product in
 * O(cols) per row. dx may alias dy (each item rereads its own elements). */
__kernel void softmax_bwd(__global const float *y, ulong yo,
                          __global const float *dy, ulong dyo,
                          __global float *dx, ulong dxo,
                          ulong cols, float temperature,
                          __local float *scratch)
{
    const ulong row = get_group_id(0);
    const uint lid = get_local_id(0), ls = get_local_size(0);
    __global const float *yr = y + yo + row * cols;
    __global const float *gr = dy + dyo + row * cols;
    __global float *dr = dx + dxo + row * cols;

    ksum k = {0.0f, 0.0f};
    for (ulong j = lid; j < cols; j += ls)
        k = ksum_add(k, yr[j] * gr[j]);
    const float s = group_sum(k.s, scratch);
    for (ulong j = lid; j < cols; j += ls)
        dr[j] = (yr[j] * (gr[j] - s)) / temperature;
}

/* The same two operations with one work-item per row, VW floats at a time
 * and no barriers: the fast form on CPU devices, where work-group barriers
 * are expensive. Per-lane compensated sums keep long rows accurate. */
__kernel void softmax_fwd_rows(__global const float *x, ulong xo,
                               __global float *y, ulong yo,
                               ulong rows, ulong cols, float temperature)
{
    const ulong row = get_global_id(0);
    if (row >= rows)
        return;
    __global const float *xr = x + xo + row * cols;
    __global float *yr = y + yo + row * cols;

    vfloat vm = (vfloat)(-INFINITY);
    int16 vbad = (int16)(0);
    for (ulong j = 0; j < cols; j += VW) {
        const uint n = (uint)min((ulong)VW, cols - j);
        vfloat v = load_fill(xr, j, n, -INFINITY);
        vbad |= isnan(v) | (v == INFINITY);
        vm = fmax(vm, v);
    }
    float8 m8 = fmax(vm.lo, vm.hi);
    float4 m4 = fmax(m8.lo, m8.hi);
    float2 m2 = fmax(m4.lo, m4.hi);
    const float m = fmax(m2.x, m2.y);
    if (any(vbad) || m == -INFINITY) {
        const vfloat fill = any(vbad) ? (vfloat)(NAN) : VZERO;
        for (ulong j = 0; j < cols; j += VW)
            store_part(fill, yr, j, (uint)min((ulong)VW, cols - j));
        return;
    }
    vksum k = {VZERO, VZERO};
    const bool unit_t = temperature == 1.0f; /* skip an exact division */
    for (ulong j = 0; j < cols; j += VW) {
        const uint n = (uint)min((ulong)VW, cols - j);
        /* padded lanes give exp(-inf) = 0 */
        vfloat a = load_fill(xr, j, n, -INFINITY) - m;
        vfloat e = exp(unit_t ? a : a / temperature);
        store_part(e, yr, j, n);
        k = vksum_add(k, e);
    }
    /* e * (1/sum): two roundings (<= 1 ulp), far inside the 4e-6 bar, and
     * a multiply instead of a division per element. */
    const float inv = 1.0f / vsum_lanes(k.s);
    for (ulong j = 0; j < cols; j += VW) {
        const uint n = (uint)min((ulong)VW, cols - j);
        store_part(load_part(yr, j, n) * inv, yr, j, n);
    }
}

__kernel void softmax_bwd_rows(__global const float *y, ulong yo,
                               __global const float *dy, ulong dyo,
                               __global float *dx, ulong dxo,
                               ulong rows, ulong cols, float temperature)
{
    const ulong row = get_global_id(0);
    if (row >= rows)
        return;
    __global const float *yr = y + yo + row * cols;
    __global const float *gr = dy + dyo + row * cols;
    __global float *dr = dx + dxo + row * cols;
    vksum k = {VZERO, VZERO};
    for (ulong j = 0; j < cols; j += VW) {
        const uint n = (uint)min((ulong)VW, cols - j);
        k = vksum_add(k, load_part(yr, j, n) * load_part(gr, j, n));
    }
    const float s = vsum_lanes(k.s);
    for (ulong j = 0; j < cols; j += VW) {
        const uint n = (uint)min((ulong)VW, cols - j);
        vfloat yv = load_part(yr, j, n);
        store_part((yv * (load_part(gr, j, n) - s)) / temperature, dr, j, n);
    }
}
