/* The memory side of the kernels for one storage type (ST, SFX, S_* from
 * storage_f32.cl or storage_f16.cl): partial loads and stores, row scans,
 * aligned and streaming stores. Compiled once per instantiation, so the
 * float32 helpers keep their names (load_part, ...) and the F16 ones get
 * _h (load_part_h, ...); values are float32 vectors either way. */

/* Loads a full vector or, for the ragged tail, the valid part padded with 0. */
INLINE vfloat SFX(load_part)(__global const ST *p, ulong base, uint count)
{
    if (count == VW)
        return S_VLOAD(p + base);
    float tmp[VW];
    for (uint k = 0; k < VW; k++)
        tmp[k] = 0.0f;
    /* A loop bounded by count, not a select: pocl's vload_half may be
     * hoisted out of a conditional and read past the buffer. */
    for (uint k = 0; k < count; k++)
        tmp[k] = S_LD(p, base + k);
    return VLOAD(0, tmp);
}

INLINE void SFX(store_part)(vfloat v, __global ST *p, ulong base, uint count)
{
    if (count == VW) {
        S_VSTORE(v, p + base);
        return;
    }
    float tmp[VW];
    VSTORE(v, 0, tmp);
    for (uint k = 0; k < count; k++)
        S_ST(tmp[k], p, base + k);
}

/* Like load_part, padding the missing lanes with fill instead of 0. */
INLINE vfloat SFX(load_fill)(__global const ST *p, ulong base, uint count, float fill)
{
    if (count == VW)
        return S_VLOAD(p + base);
    float tmp[VW];
    for (uint k = 0; k < VW; k++)
        tmp[k] = fill;
    for (uint k = 0; k < count; k++)
        tmp[k] = S_LD(p, base + k);
    return VLOAD(0, tmp);
}

/* The work-group form's row scan: the row's maximum, and in *bad whether it
 * holds a NaN or +inf (which make a softmax row NaN throughout). Every item
 * of the group walks the row with stride local_size. */
INLINE float SFX(group_row_max)(__global const ST *xr, ulong cols, __local float *scratch,
                                bool *bad)
{
    const uint lid = get_local_id(0), ls = get_local_size(0);
    float m = -INFINITY;
    int b = 0;
    for (ulong j = lid; j < cols; j += ls) {
        float v = S_LD(xr, j);
        b |= isnan(v) || v == INFINITY;
        m = fmax(m, v);
    }
    m = group_max(m, scratch);
    *bad = group_max(b ? 1.0f : 0.0f, scratch) > 0.0f;
    return m;
}

/* The maximum of one row of cols elements for the one-row-per-item kernels.
 * Four running maxima: one would chain every load on fmax's latency. fmax
 * skips NaN: a row whose maximum is -inf may still hold NaN (all NaN, or NaN
 * among -inf), which row_has_nan tells on that rare path. */
INLINE float SFX(row_max_scan)(__global const ST *xr, ulong cols)
{
    const ulong full = cols / VW * VW;
    const uint tail = (uint)(cols - full);
    vfloat vm = (vfloat)(-INFINITY), vm1 = vm, vm2 = vm, vm3 = vm;
    ulong j = 0;
    for (; j + 4 * VW <= full; j += 4 * VW) {
        vm = fmax(vm, S_VLOAD(xr + j));
        vm1 = fmax(vm1, S_VLOAD(xr + j + VW));
        vm2 = fmax(vm2, S_VLOAD(xr + j + 2 * VW));
        vm3 = fmax(vm3, S_VLOAD(xr + j + 3 * VW));
    }
    for (; j < full; j += VW)
        vm = fmax(vm, S_VLOAD(xr + j));
    if (tail)
        vm = fmax(vm, SFX(load_fill)(xr, full, tail, -INFINITY));
    vm = fmax(fmax(vm, vm1), fmax(vm2, vm3));
    float8 m8 = fmax(vm.lo, vm.hi);
    float4 m4 = fmax(m8.lo, m8.hi);
    float2 m2 = fmax(m4.lo, m4.hi);
    return fmax(m2.x, m2.y);
}

INLINE bool SFX(row_has_nan)(__global const ST *xr, ulong cols)
{
    int16 nan_seen = (int16)(0);
    for (ulong j = 0; j < cols; j += VW)
        nan_seen |= isnan(SFX(load_fill)(xr, j, (uint)min((ulong)VW, cols - j), 0.0f));
    return any(nan_seen);
}

/* Stores VW elements at p, aligned to their size (64 bytes for float32,
 * 32 for half),
 * bypassing the caches when stream is set: a large output nobody reads soon
 * then costs no read-for-ownership (measured 20 % faster for softmax
 * backward at 16 MB per tensor on pocl). Halves are rounded by
 * vstore_half16_rte into a register first (the builtin stores whole
 * registers); the in-register conversion of storage_f16.cl was 1.5x slower
 * there than not streaming (identity, relu at 16M halves). */
#ifndef NNACT_HAVE_NT_STORE
#if defined(__has_builtin)
#if __has_builtin(__builtin_nontemporal_store)
#define NNACT_HAVE_NT_STORE 1
#endif
#endif
#endif
INLINE void SFX(store_aligned)(vfloat v, __global ST *p, uint stream)
{
#ifdef NNACT_HAVE_NT_STORE
    if (stream) {
#if S_HALF
        ushort16 bits; /* aligned: pocl's vstore_half16 needs it */
        vstore_half16_rte(v, 0, (__private half *)&bits);
        __builtin_nontemporal_store(bits, (__global ushort16 *)p);
#else
        __builtin_nontemporal_store(v, (__global vfloat *)p);
#endif
        return;
    }
#endif
    S_VSTORE(v, p);
}

/* store_part where a vector need not sit on an aligned boundary (PReLU's
 * row chunks; act.cl's head item, which may hold a full vector of halves
 * that is not, and its partial items): a full vector that does sit on one
 * -- every one when cols is a multiple of VW and the view starts on one --
 * streams when stream is set; the rest are plain stores. */
INLINE void SFX(store_part_stream)(vfloat v, __global ST *p, ulong base, uint count,
                                   uint stream)
{
    if (stream && count == VW && ((size_t)(p + base) & (VW * S_SIZE - 1)) == 0)
        SFX(store_aligned)(v, p + base, 1);
    else
        SFX(store_part)(v, p, base, count);
}

/* Elements before p reaches a boundary of one full vector's bytes (64 for
 * float32, 32 for half), at most n: always fewer than VW. */
INLINE uint SFX(head_to_align)(__global const ST *p, ulong n)
{
    const size_t a = VW * S_SIZE;
    return (uint)min(n, (ulong)(((a - ((size_t)p & (a - 1))) & (a - 1)) / S_SIZE));
}
