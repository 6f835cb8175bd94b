/* Row gather: dst row r = src row idx[r] (the host checked every index).
 * Work-item i copies VW consecutive columns of one destination row, so a
 * batch of rows moves at copy speed whatever their order in src. */
__kernel void gather_rows(__global const float *src, ulong so, __global const ulong *idx,
                          __global float *dst, ulong dso, ulong rows, ulong cols)
{
    const ulong chunks = (cols + VW - 1) / VW, i = get_global_id(0);
    if (i >= rows * chunks)
        return;
    const ulong row = i / chunks, c0 = (i - row * chunks) * VW;
    const uint count = (uint)min((ulong)VW, cols - c0);
    store_part(load_part(src + so, idx[row] * cols + c0, count), dst + dso,
               row * cols + c0, count);
}
