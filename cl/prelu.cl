/* Learnable PReLU: alpha is one shared slope (alpha_stride 0) or one per
 * column (alpha_stride 1). Work-item i handles VW consecutive columns of one
 * row, so a per-column alpha is a vector load, not a modulo per element.
 * The formulas are leaky ReLU's (slope_fwd/slope_bwd, common.cl). */

INLINE vfloat alpha_part(__global const float *alpha, ulong ao, uint per_column, ulong c0,
                         uint count)
{
    return per_column ? load_part(alpha + ao, c0, count) : (vfloat)(alpha[ao]);
}

__kernel void prelu_fwd(__global const float *x, ulong xo,
                        __global const float *alpha, ulong ao, uint per_column,
                        __global float *y, ulong yo, ulong rows, ulong cols, uint stream)
{
    const ulong chunks = (cols + VW - 1) / VW, i = get_global_id(0);
    if (i >= rows * chunks)
        return;
    const ulong row = i / chunks, c0 = (i - row * chunks) * VW;
    const uint count = (uint)min((ulong)VW, cols - c0);
    const ulong base = row * cols + c0;
    vfloat v = load_part(x + xo, base, count);
    vfloat a = alpha_part(alpha, ao, per_column, c0, count);
    store_part_stream(slope_fwd(v, a), y + yo, base, count, stream);
}

__kernel void prelu_bwd(__global const float *x, ulong xo,
                        __global const float *alpha, ulong ao, uint per_column,
                        __global const float *dy, ulong dyo,
                        __global float *dx, ulong dxo, ulong rows, ulong cols,
                        uint stream)
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
    store_part_stream(slope_bwd(v, g, a), dx + dxo, base, count, stream);
}

/* dx and dalpha in one pass over x and dy. dalpha = sum of dy*x where
 * x <= 0 (NaN x included, so it propagates). Work-item i owns VW adjacent
 * columns of one block of block_rows rows: it writes dx there (when
 * write_dx) and its block's compensated per-column sums to
 * partial[block * cols + c]; prelu_dalpha_blocks adds the blocks. Blocks
 * keep every core busy and the reads sequential, where one work-item per
 * column walking all rows ran at 0.17 of copy bandwidth. Fixed order
 * throughout, so the result is deterministic. dx may alias x or dy: each
 * element is read before it is written, by its own work-item only. */
__kernel void prelu_bwd_dalpha(__global const float *x, ulong xo,
                               __global const float *alpha, ulong ao, uint per_column,
                               __global const float *dy, ulong dyo,
                               __global float *dx, ulong dxo, uint write_dx,
                               __global float *partial, ulong rows, ulong cols,
                               ulong block_rows, uint stream)
{
    const ulong chunks = (cols + VW - 1) / VW, i = get_global_id(0);
    const ulong blocks = (rows + block_rows - 1) / block_rows;
    if (i >= blocks * chunks)
        return;
    const ulong b = i / chunks, c0 = (i - b * chunks) * VW;
    const uint count = (uint)min((ulong)VW, cols - c0);
    const vfloat a = alpha_part(alpha, ao, per_column, c0, count);
    const ulong r1 = min(rows, (b + 1) * block_rows);
    vksum k = {VZERO, VZERO};
    for (ulong r = b * block_rows; r < r1; r++) {
        const ulong base = r * cols + c0;
        vfloat v = load_part(x + xo, base, count);
        vfloat g = load_part(dy + dyo, base, count);
        k = vksum_add(k, select(g * v, VZERO, v > 0.0f));
        if (write_dx)
            store_part_stream(slope_bwd(v, g, a), dx + dxo, base, count, stream);
    }
    store_part(k.s, partial, b * cols + c0, count);
}

/* out[c] = sum over the blocks of partial[block * cols + c], in order. */
__kernel void prelu_dalpha_blocks(__global const float *partial, ulong blocks, ulong cols,
                                  __global float *out, ulong oo)
{
    const ulong c0 = get_global_id(0) * VW;
    if (c0 >= cols)
        return;
    const uint count = (uint)min((ulong)VW, cols - c0);
    vksum k = {VZERO, VZERO};
    for (ulong b = 0; b < blocks; b++)
        k = vksum_add(k, load_part(partial, b * cols + c0, count));
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
