/* Storage prelude: IEEE binary16 tensors (NNACT_F16) without cl_khr_fp16:
 * half appears only as a pointer target. Kernel names get the suffix _h.
 * Vectors load with vload_half16 and store with vstore_half16_rte where the
 * address is 16-byte aligned, else move as ushort16 (vload16/vstore16 need
 * only 2-byte alignment) and convert in registers below: pocl 3.1 compiles
 * vload_half16 to an aligned 16-byte load (vmovdqa) and faulted on rows at
 * odd addresses, though its conversion (F16C) is twice as fast as ours
 * (relu on 16M halves: 9.1 vs 17-20 ms, the float32 relu 20 ms). Single
 * elements use the core vload_half / vstore_half_rte. */
#undef ST
#undef SFX
#undef S_HALF
#undef S_SIZE
#undef S_VLOAD
#undef S_VSTORE
#undef S_LD
#undef S_ST
#define ST half
#define SFX(name) name##_h
#define S_HALF 1
#define S_SIZE 2
#define S_VLOAD(p) half16_load(p)
#define S_VSTORE(v, p) half16_store((v), (p))
#define S_LD(p, i) vload_half((i), (p))
#define S_ST(v, p, i) vstore_half_rte((v), (i), (p))

#ifndef NNACT_HALF_BITS
#define NNACT_HALF_BITS
/* binary16 bits to float: exact (subnormals scaled by 2^-24, inf and NaN
 * keep their payload). */
INLINE vfloat half_bits_to_float(ushort16 h)
{
    const uint16 u = convert_uint16(h), em = u & 0x7fffu, sign = (u & 0x8000u) << 16;
    const vfloat normal = as_float16((em << 13) + (uint16)(112u << 23));
    const vfloat special = as_float16((em << 13) | (uint16)(0x7f800000u));
    const vfloat sub = convert_float16(em) * 0x1p-24f;
    vfloat r = select(normal, special, em >= 0x7c00u);
    r = select(r, sub, em < 0x400u);
    return as_float16(as_uint16(r) | sign);
}

/* float to binary16 bits, rounded to nearest even (as vstore_half_rte):
 * beyond the largest half +-inf, NaN a quiet NaN. The subnormal range rounds
 * by one float addition (0.5 aligns the units to 2^-24); the normal range
 * by adding 0xfff plus the lowest kept bit before the shift. */
INLINE ushort16 float_to_half_bits(vfloat v)
{
    const uint16 f0 = as_uint16(v), sign = f0 & 0x80000000u, f = f0 ^ sign;
    const uint16 big = select((uint16)(0x7c00u), (uint16)(0x7e00u) | ((f >> 13) & 0x3ffu),
                              f > 0x7f800000u);
    const uint16 small = as_uint16(as_float16(f) + 0.5f) - 0x3f000000u;
    const uint16 normal = (f + (uint16)(0xc8000fffu) + ((f >> 13) & 1u)) >> 13;
    uint16 o = select(normal, small, f < 0x38800000u);
    o = select(o, big, f >= 0x47800000u);
    return convert_ushort16(o | (sign >> 16));
}

INLINE vfloat half16_load(__global const half *p)
{
    if (((size_t)p & 15) == 0)
        return vload_half16(0, p);
    return half_bits_to_float(vload16(0, (__global const ushort *)p));
}

INLINE void half16_store(vfloat v, __global half *p)
{
    if (((size_t)p & 15) == 0)
        vstore_half16_rte(v, 0, p);
    else
        vstore16(float_to_half_bits(v), 0, (__global ushort *)p);
}
#endif
