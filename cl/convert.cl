/* Conversions between float32 and F16 storage: the widening path that lets
 * every float32 kernel serve F16 tensors (src/tensor/dtype.c), and the narrowing
 * that rounds a float32 result once, to nearest even, into an F16 output.
 * VW elements per work-item; views may start at any element. */

__kernel void widen_f16(__global const half *src, ulong so, __global float *dst, ulong dso,
                        ulong n)
{
    const ulong base = get_global_id(0) * VW;
    if (base >= n)
        return;
    const uint count = (uint)min((ulong)VW, n - base);
    store_part(load_part_h(src + so, base, count), dst + dso, base, count);
}

__kernel void narrow_f16(__global const float *src, ulong so, __global half *dst, ulong dso,
                         ulong n)
{
    const ulong base = get_global_id(0) * VW;
    if (base >= n)
        return;
    const uint count = (uint)min((ulong)VW, n - base);
    store_part_h(load_part(src + so, base, count), dst + dso, base, count);
}

/* Loss scaling (mlp.c): the n floats at p are multiplied by inv (1/scale,
 * a power of 2: exact) in place, and flag[0] becomes nonzero when any of
 * them is inf or NaN (an atomic or: only items that find one write). */
__kernel void scale_check(__global float *p, ulong po, ulong n, float inv,
                          __global uint *flag)
{
    const ulong base = get_global_id(0) * VW;
    if (base >= n)
        return;
    const uint count = (uint)min((ulong)VW, n - base);
    vfloat v = load_part(p + po, base, count);
    if (any(isinf(v) || isnan(v)))
        atomic_or(flag, 1u);
    store_part(v * inv, p + po, base, count);
}
