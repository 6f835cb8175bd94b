/* Dense-layer helpers around CLBlast's GEMM: the fused bias + activation
 * pass (one read and one write of the GEMM output per element; formulas
 * from act_formulas.cl) and the deterministic column sum for the bias
 * gradient. */

/* Work-item i handles VW consecutive columns of one row. keep_z: write the
 * pre-activation z + b back to z. */
#define DENSE_KERNELS(name, KIND, da, db, needs)                                   \
    __kernel void dense_##name##_fwd(__global float *z, ulong zo, uint keep_z,        \
                                     __global const float *b, ulong bo, uint has_b,  \
                                     __global float *y, ulong yo, ulong rows,       \
                                     ulong cols, float alpha, float beta)           \
    {                                                                               \
        const ulong chunks = (cols + VW - 1) / VW, i = get_global_id(0);            \
        if (i >= rows * chunks)                                                     \
            return;                                                                 \
        const ulong row = i / chunks, c0 = (i - row * chunks) * VW;                 \
        const uint count = (uint)min((ulong)VW, cols - c0);                        \
        const ulong base = row * cols + c0;                                         \
        vfloat v = load_part(z + zo, base, count);                                  \
        if (has_b)                                                                  \
            v += load_part(b + bo, c0, count);                                      \
        if (keep_z)                                                                 \
            store_part(v, z + zo, base, count);                                     \
        store_part(name##_fwd(v, alpha, beta), y + yo, base, count);               \
    }

NNACT_ELEMENTWISE_ACTS(DENSE_KERNELS)

/* out[c] = sum over rows of a[r][c], one work-item per column walking the
 * rows in order with a compensated sum: deterministic and accurate. */
__kernel void colsum(__global const float *a, ulong ao, ulong rows, ulong cols,
                     __global float *out, ulong oo)
{
    const ulong c = get_global_id(0);
    if (c >= cols)
        return;
    ksum k = {0.0f, 0.0f};
    for (ulong r = 0; r < rows; r++)
        k = ksum_add(k, a[ao + r * cols + c]);
    out[oo + c] = k.s;
}
