/* Shared by every kernel family: strict IEEE float32, 64-bit element
 * offsets passed as arguments (tensor views may start at any element), and
 * Kahan accumulation for the reductions so that long rows stay accurate. */

/* fma() is exact, and where the device has no hardware FMA (CL_FP_FMA
 * absent from CL_DEVICE_SINGLE_FP_CONFIG: Mesa's llvmpipe, Oclgrind) the
 * compiler emulates it in software, lane by lane: rusticl (Mesa 22.3) took
 * 78 s to compile one float16 exp_nonpos and 14 min for softmax_fwd_rows.
 * There the host defines NNACT_NO_HW_FMA (context.c) and FMA is mad(): a
 * multiply and an add, each correctly rounded in the full profile -- one
 * more rounding, well inside the tolerances the tests hold us to. */
#ifdef NNACT_NO_HW_FMA
#define FMA(a, b, c) mad((a), (b), (c))
#else
#define FMA(a, b, c) fma((a), (b), (c))
#endif

/* Helpers are forced inline: pocl's inliner left the larger formulas
 * (expm1, tanh, softplus, gelu's tail) as calls taking and returning
 * float16 through the stack, once per work-item. */
#define INLINE inline __attribute__((always_inline))

/* Elementwise kernels handle VW floats per work-item. */
#define VW 16
typedef float16 vfloat;
#define VLOAD(i, p) vload16((i), (p))
#define VSTORE(v, i, p) vstore16((v), (i), (p))
#define VZERO ((vfloat)(0.0f))

/* Compensated sum: the running error c keeps a long sum within a few ulp. */
typedef struct { float s, c; } ksum;

INLINE ksum ksum_add(ksum k, float v)
{
    float y = v - k.c;
    float t = k.s + y;
    /* Once the sum overflows, compensation would turn inf into NaN. */
    k.c = isfinite(t) ? (t - k.s) - y : 0.0f;
    k.s = t;
    return k;
}

/* Tree reduction over a power-of-two work-group; every item gets the sum. */
INLINE float group_sum(float v, __local float *scratch)
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

INLINE float group_max(float v, __local float *scratch)
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

/* The work-group form's row scan: the row's maximum, and in *bad whether it
 * holds a NaN or +inf (which make a softmax row NaN throughout). Every item
 * of the group walks the row with stride local_size. */
INLINE float group_row_max(__global const float *xr, ulong cols, __local float *scratch,
                           bool *bad)
{
    const uint lid = get_local_id(0), ls = get_local_size(0);
    float m = -INFINITY;
    int b = 0;
    for (ulong j = lid; j < cols; j += ls) {
        float v = xr[j];
        b |= isnan(v) || v == INFINITY;
        m = fmax(m, v);
    }
    m = group_max(m, scratch);
    *bad = group_max(b ? 1.0f : 0.0f, scratch) > 0.0f;
    return m;
}

/* Loads a full vector or, for the ragged tail, the valid part padded with 0. */
INLINE vfloat load_part(__global const float *p, ulong base, uint count)
{
    if (count == VW)
        return VLOAD(0, p + base);
    float tmp[VW];
    for (uint k = 0; k < VW; k++)
        tmp[k] = k < count ? p[base + k] : 0.0f;
    return VLOAD(0, tmp);
}

INLINE void store_part(vfloat v, __global float *p, ulong base, uint count)
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

INLINE vksum vksum_add(vksum k, vfloat v)
{
    vfloat y = v - k.c;
    vfloat t = k.s + y;
    k.c = select((t - k.s) - y, VZERO, isinf(t) || isnan(t));
    k.s = t;
    return k;
}

/* Sum of a vector's lanes, pairwise (deterministic, a few ulp). */
INLINE float vsum_lanes(vfloat v)
{
    float8 a = v.lo + v.hi;
    float4 b = a.lo + a.hi;
    float2 c = b.lo + b.hi;
    return c.x + c.y;
}

/* Like load_part, padding the missing lanes with fill instead of 0. */
INLINE vfloat load_fill(__global const float *p, ulong base, uint count, float fill)
{
    if (count == VW)
        return VLOAD(0, p + base);
    float tmp[VW];
    for (uint k = 0; k < VW; k++)
        tmp[k] = k < count ? p[base + k] : fill;
    return VLOAD(0, tmp);
}

/* The maximum of one row of cols floats for the one-row-per-item kernels.
 * Four running maxima: one would chain every load on fmax's latency. fmax
 * skips NaN: a row whose maximum is -inf may still hold NaN (all NaN, or NaN
 * among -inf), which row_has_nan tells on that rare path. */
INLINE float row_max_scan(__global const float *xr, ulong cols)
{
    const ulong full = cols / VW * VW;
    const uint tail = (uint)(cols - full);
    vfloat vm = (vfloat)(-INFINITY), vm1 = vm, vm2 = vm, vm3 = vm;
    ulong j = 0;
    for (; j + 4 * VW <= full; j += 4 * VW) {
        vm = fmax(vm, VLOAD(0, xr + j));
        vm1 = fmax(vm1, VLOAD(0, xr + j + VW));
        vm2 = fmax(vm2, VLOAD(0, xr + j + 2 * VW));
        vm3 = fmax(vm3, VLOAD(0, xr + j + 3 * VW));
    }
    for (; j < full; j += VW)
        vm = fmax(vm, VLOAD(0, xr + j));
    if (tail)
        vm = fmax(vm, load_fill(xr, full, tail, -INFINITY));
    vm = fmax(fmax(vm, vm1), fmax(vm2, vm3));
    float8 m8 = fmax(vm.lo, vm.hi);
    float4 m4 = fmax(m8.lo, m8.hi);
    float2 m2 = fmax(m4.lo, m4.hi);
    return fmax(m2.x, m2.y);
}

INLINE bool row_has_nan(__global const float *xr, ulong cols)
{
    int16 nan_seen = (int16)(0);
    for (ulong j = 0; j < cols; j += VW)
        nan_seen |= isnan(load_fill(xr, j, (uint)min((ulong)VW, cols - j), 0.0f));
    return any(nan_seen);
}

/* vksum_add without the overflow guard, for sums that cannot overflow
 * (softmax's terms are <= 1): the guard's select cost softmax forward ~10 %
 * on pocl (min 1.00 vs 1.13-1.23 ms, nnact-bench --op softmax.fwd, 3 pairs).
 * A NaN term still makes the sum NaN, which softmax relies on. */
INLINE vksum vksum_add_bounded(vksum k, vfloat v)
{
    vfloat y = v - k.c;
    vfloat t = k.s + y;
    k.c = (t - k.s) - y;
    k.s = t;
    return k;
}

/* exp(a) for a <= 0 (softmax's shifted logits): Cody-Waite reduction by
 * ln 2 and a degree-7 minimax polynomial, <= 1.3 ulp over the normal range,
 * subnormal results kept (2^n applied in two halves), NaN stays NaN,
 * -inf gives 0. Softmax 4096x1000 on pocl: 1.13 ms with exp(), 1.06 with this. */
INLINE vfloat exp_nonpos(vfloat a)
{
    a = select(a, (vfloat)(-104.0f), a < -104.0f); /* below: 0 after rounding */
    /* n = round(a / ln 2) by the 1.5 * 2^23 trick: rint() is scalarised. */
    const vfloat shifter = (vfloat)(12582912.0f);
    vfloat t = FMA(a, (vfloat)(1.44269504088896341f), shifter);
    vfloat n = t - shifter;
    vfloat r = FMA(n, (vfloat)(-0.693145751953125f), a);  /* ln 2, high part */
    r = FMA(n, (vfloat)(-1.428606765330187045e-06f), r);  /* ln 2, low part */
    vfloat p = (vfloat)(1.9875691500e-4f);
    p = FMA(p, r, (vfloat)(1.3981999507e-3f));
    p = FMA(p, r, (vfloat)(8.3334519073e-3f));
    p = FMA(p, r, (vfloat)(4.1665795894e-2f));
    p = FMA(p, r, (vfloat)(1.6666665459e-1f));
    p = FMA(p, r, (vfloat)(5.0000001201e-1f));
    p = FMA(p, r * r, r + 1.0f);
    int16 ni = as_int16(t) - as_int(12582912.0f);
    int16 n1 = ni >> 1, n2 = ni - n1;
    return (p * as_float16((n1 + 127) << 23)) * as_float16((n2 + 127) << 23);
}

/* Stores VW floats at p, 64-byte aligned, bypassing the caches when stream
 * is set: a large output nobody reads soon then costs no read-for-ownership
 * (measured 20 % faster for softmax backward at 16 MB per tensor on pocl). */
#if defined(__has_builtin)
#if __has_builtin(__builtin_nontemporal_store)
#define NNACT_HAVE_NT_STORE 1
#endif
#endif
INLINE void store_aligned(vfloat v, __global float *p, uint stream)
{
#ifdef NNACT_HAVE_NT_STORE
    if (stream) {
        __builtin_nontemporal_store(v, (__global vfloat *)p);
        return;
    }
#endif
    VSTORE(v, 0, p);
}

/* store_part for layouts that are not laid out on the output's boundaries
 * (PReLU's row chunks): a full vector that happens to sit on a 64-byte
 * boundary -- every one when cols is a multiple of VW and the view starts
 * on one -- streams when stream is set; the rest are plain stores. */
INLINE void store_part_stream(vfloat v, __global float *p, ulong base, uint count,
                              uint stream)
{
    if (stream && count == VW && ((size_t)(p + base) & 63) == 0)
        store_aligned(v, p + base, 1);
    else
        store_part(v, p, base, count);
}

/* Elements before p reaches a 64-byte boundary, at most n. */
INLINE uint head_to_align(__global const float *p, ulong n)
{
    return (uint)min(n, (ulong)(((64 - ((size_t)p & 63)) & 63) / sizeof(float)));
}

/* A NaN x must reach dx even where the derivative would select a constant. */
INLINE vfloat keep_nan(vfloat x, vfloat r) { return select(r, x, isnan(x)); }

/* x > 0 ? x : a*x and its derivative with a slope per lane: leaky ReLU and
 * fixed PReLU (act_formulas.cl) and the learnable PReLU (prelu.cl). */
INLINE vfloat slope_fwd(vfloat x, vfloat a) { return select(a * x, x, x > 0.0f); }
INLINE vfloat slope_bwd(vfloat x, vfloat dy, vfloat a)
{
    return keep_nan(x, select(a * dy, dy, x > 0.0f));
}
