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
