/* Learnable PReLU: alpha is one shared slope (alpha_stride 0) or one per
 * column (alpha_stride 1). */

__kernel void prelu_fwd(__global const float *x, ulong xo,
                        __global const float *alpha, ulong ao, uint alpha_stride,
                        __global float *y, ulong yo, ulong n, ulong cols)
{
    const ulong i = get_global_id(0);
    if (i >= n)
        return;
    const float v = x[xo + i];
    const float a = alpha[ao + (alpha_stride ? i % cols : 0)];
    y[yo + i] = v > 0.0f ? v : a * v;
}

__kernel void prelu_bwd(__global const float *x, ulong xo,
                        __global const float *alpha, ulong ao, uint alpha_stride,
                        __global const float *dy, ulong dyo,
                        __global float *dx, ulong dxo, ulong n, ulong cols)
{
    const ulong i = get_global_id(0);
    if (i >= n)
        return;
    const float v = x[xo + i];
    const float a = alpha[ao + (alpha_stride ? i % cols : 0)];
    const float g = dy[dyo + i];
    dx[dxo + i] = isnan(v) ? v : (v > 0.0f ? g : a * g);
}

/* dalpha = sum of dy*x where x <= 0 (NaN x included, so it propagates).
 * Per column: group c sums column c over the rows. Shared: one group sums
 * every element. Fixed order, so the result is deterministic. */
__kernel void prelu_dalpha(__global const float *x, ulong xo,
                           __global const float *dy, ulong dyo,
                           __global float *dalpha, ulong dao, uint per_column,
                           ulong rows, ulong cols, __local float *scratch)
{
    const ulong c = get_group_id(0);
    const uint lid = get_local_id(0), ls = get_local_size(0);
    const ulong count = per_column ? rows : rows * cols;
    const ulong stride = per_column ? cols : 1;
    ksum k = {0.0f, 0.0f};
    for (ulong r = lid; r < count; r += ls) {
        const ulong i = (per_column ? c : 0) + r * stride;
        const float v = x[xo + i];
        if (!(v > 0.0f))
            k = ksum_add(k, dy[dyo + i] * v);
    }
    const float s = group_sum(k.s, scratch);
    if (lid == 0)
        dalpha[dao + c] = s;
}
