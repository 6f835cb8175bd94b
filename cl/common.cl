/* Shared by every kernel family: strict IEEE float32, 64-bit element
 * offsets passed as arguments (tensor views may start at any element), and
 * Kahan accumulation for the reductions so that long rows stay accurate. */

/* Elementwise kernels handle VW floats per work-item. */
#define VW 16
typedef float16 vfloat;
#define VLOAD(i, p) vload16((i), (p))
#define VSTORE(v, i, p) vstore16((v), (i), (p))
#define VZERO ((vfloat)(0.0f))

/* Compensated sum: the running error c keeps a long sum within a few ulp. */
typedef struct { float s, c; } ksum;

inline ksum ksum_add(ksum k, float v)
{
    float y = v - k.c;
    float t = k.s + y;
    /* Once the sum overflows, compensation would turn inf into NaN. */
    k.c = isfinite(t) ? (t - k.s) - y : 0.0f;
    k.s = t;
    return k;
}

/* Tree reduction over a power-of-two work-group; every item gets the sum. */
inline float group_sum(float v, __local float *scratch)
{
    const uint lid = get_local_id(0), n = get_local_size(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint w = n / 2; w > 0; w /= 2) {
        if (lid < w)
            scratch[lid] += scratch[lid + w];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

inline float group_max(float v, __local float *scratch)
{
    const uint lid = get_local_id(0), n = get_local_size(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint w = n / 2; w > 0; w /= 2) {
        if (lid < w)
            scratch[lid] = fmax(scratch[lid], scratch[lid + w]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

/* Loads a full vector or, for the ragged tail, the valid part padded with 0. */
inline vfloat load_part(__global const float *p, ulong base, uint count)
{
    if (count == VW)
        return VLOAD(0, p + base);
    float tmp[VW];
    for (uint k = 0; k < VW; k++)
        tmp[k] = k < count ? p[base + k] : 0.0f;
    return VLOAD(0, tmp);
}

inline void store_part(vfloat v, __global float *p, ulong base, uint count)
{
    if (count == VW) {
        VSTORE(v, 0, p + base);
        return;
    }
    float tmp[VW];
    VSTORE(v, 0, tmp);
    for (uint k = 0; k < count; k++)
        p[base + k] = tmp[k];
}

/* Vector compensated sum: one Kahan accumulator per lane. */
typedef struct { vfloat s, c; } vksum;

inline vksum vksum_add(vksum k, vfloat v)
{
    vfloat y = v - k.c;
    vfloat t = k.s + y;
    k.c = select((t - k.s) - y, VZERO, isinf(t) || isnan(t));
    k.s = t;
    return k;
}

/* Sum of a vector's lanes, pairwise (deterministic, a few ulp). */
inline float vsum_lanes(vfloat v)
{
    float8 a = v.lo + v.hi;
    float4 b = a.lo + a.hi;
    float2 c = b.lo + b.hi;
    return c.x + c.y;
}

/* Like load_part, padding the missing lanes with fill instead of 0. */
inline vfloat load_fill(__global const float *p, ulong base, uint count, float fill)
{
    if (count == VW)
        return VLOAD(0, p + base);
    float tmp[VW];
    for (uint k = 0; k < VW; k++)
        tmp[k] = k < count ? p[base + k] : fill;
    return VLOAD(0, tmp);
}
