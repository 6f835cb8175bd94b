/* Learnable PReLU: alpha is one shared slope (alpha_stride 0) or one per
 * column (alpha_stride 1). Work-item i handles VW consecutive columns of one
 * row, so a per-column alpha is a vector load, not a modulo per element. */

inline vfloat alpha_part(__global const float *alpha, ulong ao, uint per_column, ulong c0,
                         uint count)
{
    return per_column ? load_part(alpha + ao, c0, count) : (vfloat)(alpha[ao]);
}

__kernel void prelu_fwd(__global const float *x, ulong xo,
                        __global const float *alpha, ulong ao, uint per_column,
                        __global float *y, ulong yo, ulong rows, ulong cols)
{
    const ulong chunks = (cols + VW - 1) / VW, i = get_global_id(0);
    if (i >= rows * chunks)
        return;
    const ulong row = i / chunks, c0 = (i - row * chunks) * VW;
    const uint count = (uint)min((ulong)VW, cols - c0);
    const ulong base = row * cols + c0;
    vfloat v = load_part(x + xo, base, count);
    vfloat a = alpha_part(alpha, ao, per_column, c0, count);
    store_part(select(a * v, v, v > 0.0f), y + yo, base, count);
}

__kernel void prelu_bwd(__global const float *x, ulong xo,
                        __global const float *alpha, ulong ao, uint per_column,
                        __global const float *dy, ulong dyo,
                        __global float *dx, ulong dxo, ulong rows, ulong cols)
{
    const ulong chunks = (cols + VW - 1) / VW, i = get_global_id(0);
    if (i >= rows * chunks)
        return;
    const ulong row = i / chunks, c0 = (i - row * chunks) * VW;
    const uint count = (uint)min((ulong)VW, cols - c0);
    const ulong base = row * cols + c0;
    vfloat v = load_part(x + xo, base, count);
    vfloat g = load_part(dy + dyo, base, count);
    vfloat a = alpha_part(alpha, ao, per_column, c0, count);
    store_part(select(select(a * g, g, v > 0.0f), v, isnan(v)), dx + dxo, base, count);
}

/* dalpha = sum of dy*x where x <= 0 (NaN x included, so it propagates).
 * Work-item i walks VW adjacent columns down the rows in order, with one
 * compensated sum per column. Per column it writes dalpha directly; shared,
 * prelu_dalpha_total then adds the per-column sums. Fixed order throughout,
 * so the result is deterministic. */
__kernel void prelu_dalpha(__global const float *x, ulong xo,
                           __global const float *dy, ulong dyo,
                           __global float *out, ulong oo, ulong rows, ulong cols)
{
    const ulong c0 = get_global_id(0) * VW;
    if (c0 >= cols)
        return;
    const uint count = (uint)min((ulong)VW, cols - c0);
    vksum k = {VZERO, VZERO};
    for (ulong r = 0; r < rows; r++) {
        vfloat v = load_part(x + xo, r * cols + c0, count);
        vfloat g = load_part(dy + dyo, r * cols + c0, count);
        k = vksum_add(k, select(g * v, VZERO, v > 0.0f));
    }
    store_part(k.s, out + oo, c0, count);
}

/* dalpha[0] = sum of the cols per-column sums, pairwise in a fixed order. */
__kernel void prelu_dalpha_total(__global const float *partial, ulong po, ulong cols,
                                 __global float *dalpha, ulong dao)
{
    if (get_global_id(0) != 0)
        return;
    ksum k = {0.0f, 0.0f};
    for (ulong c = 0; c < cols; c++)
        k = ksum_add(k, partial[po + c]);
    dalpha[dao] = k.s;
}
