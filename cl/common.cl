/* Shared by every kernel family: strict IEEE float32, 64-bit element
 * offsets passed as arguments (tensor views may start at any element), and
 * Kahan accumulation for the reductions so that long rows stay accurate.
 * What touches memory (partial loads and stores, row scans, aligned and
 * streaming stores) is in storage.cl, written once for float32 and half. */

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

/* Kernels never call fma() directly for that reason. Where a formula needs
 * the exact rounding error of a product (error-free transformations:
 * a*b = p + PROD_ERR(a, b, p)), a device without FMA gets Dekker's product
 * on Veltkamp halves instead (exact while the products do not overflow
 * or underflow; the callers' operands are below 1e3): 17 operations. */
#ifdef NNACT_NO_HW_FMA
#define VELTKAMP_HI(a) ((4097.0f * (a)) - ((4097.0f * (a)) - (a)))
INLINE vfloat prod_err(vfloat a, vfloat b, vfloat p)
{
    const vfloat ah = VELTKAMP_HI(a), al = a - ah, bh = VELTKAMP_HI(b), bl = b - bh;
    return (((ah * bh - p) + ah * bl) + al * bh) + al * bl;
}
#define PROD_ERR(a, b, p) prod_err((a), (b), (p))
#else
#define PROD_ERR(a, b, p) fma((a), (b), -(p))
#endif

/* Asks for the cache line at p ahead of its use (a hint: never faults,
 * even past the end of a buffer). A CPU's hardware prefetchers stop at
 * every 4 KiB page, about one row of 1000 floats, so the one-row-per-item
 * kernels ask for the next row's lines while they write this one (softmax
 * backward, 4096x1000 on the AVX-512 Xeon: 0.83 of the time without,
 * tools/bench-ab.sh, 5 rounds). OpenCL's prefetch() is ambiguous for half
 * pointers on pocl; without the builtin, or where the host did not define
 * NNACT_CPU_PREFETCH (src/device/traits.c: pocl on a CPU only; rusticl's
 * SPIR-V translator and Oclgrind reject the intrinsic), this is nothing. */
#if defined(NNACT_CPU_PREFETCH) && defined(__has_builtin)
#if __has_builtin(__builtin_prefetch)
#define PREFETCH(p) __builtin_prefetch((p))
#define PREFETCH_W(p) __builtin_prefetch((p), 1) /* to be written: owned early */
#endif
#endif
#ifndef PREFETCH
#define PREFETCH(p) ((void)0)
#define PREFETCH_W(p) ((void)0)
#endif

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
 * ln 2 and 1 + r + r^2 P(r), P of degree 3 fitted here for minimal relative
 * error on |r| <= ln2/2 (1.05e-7; 1.9e-7 in float32 Horner -- about 2 ulp,
 * 20x inside the 4e-6 bars; Cephes' degree 7 spent two more FMAs for 1.3
 * ulp). exp_reduced returns that value for e^r and, in *t, 1.5 * 2^23 + n
 * (n = round(a / ln 2), by the shifter trick: rint() is scalarised), whose
 * low 9 bits are n's, so that 2^n is an add and a shift of t's bits. */
INLINE vfloat exp_reduced(vfloat a, vfloat *t)
{
    const vfloat shifter = (vfloat)(12582912.0f);
    *t = FMA(a, (vfloat)(1.44269504088896341f), shifter);
    vfloat n = *t - shifter;
    vfloat r = FMA(n, (vfloat)(-0.693145751953125f), a);  /* ln 2, high part */
    r = FMA(n, (vfloat)(-1.428606765330187045e-06f), r);  /* ln 2, low part */
    vfloat p = (vfloat)(8.3124889061e-3f);
    p = FMA(p, r, (vfloat)(4.1890323162e-2f));
    p = FMA(p, r, (vfloat)(1.6667115688e-1f));
    p = FMA(p, r, (vfloat)(4.9999231100e-1f));
    return FMA(p, r * r, r + 1.0f);
}

/* Subnormal results kept (2^n applied as 2^(n+24) 2^-24), NaN stays NaN,
 * -inf gives 0. Softmax 4096x1000 on pocl: 1.13 ms with exp(), 1.06 with
 * this. */
INLINE vfloat exp_nonpos(vfloat a)
{
    a = select(a, (vfloat)(-104.0f), a < -104.0f); /* below: 0 after rounding */
    vfloat t, p = exp_reduced(a, &t);
    /* n + 24 >= -126 keeps the first factor normal down to a = -104, and
     * the product rounds once, into the subnormals where it must:
     * (bits + 151) << 23 is (n + 151) << 23. */
    return (p * as_float16((as_int16(t) + 151) << 23)) * 0x1p-24f;
}

/* exp_nonpos for callers that need it only down to a = -87 (normal
 * results: tanh's e = exp(-2|x|) matters only above 2^-26): 2^n applied
 * directly, no clamp, two operations fewer. Below -87 the result is
 * meaningless and the caller must select it away (NaN stays NaN). */
INLINE vfloat exp_nonpos_normal(vfloat a)
{
    vfloat t, p = exp_reduced(a, &t);
    return p * as_float16((as_int16(t) + 127) << 23);
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
