/* Storage types: names and sizes, the host's float <-> half conversions
 * (round to nearest even, overflow to +-inf, NaN kept), and the device-side
 * conversion between them (cl/convert.cl) that plan.c's stand-ins use. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

const char *nnact_dtype_name(nnact_dtype dtype)
{
    switch (dtype) {
    case NNACT_F32: return "f32";
    case NNACT_F16: return "f16";
    }
    return NULL;
}

size_t nnact_dtype_size(nnact_dtype dtype)
{
    switch (dtype) {
    case NNACT_F32: return 4;
    case NNACT_F16: return 2;
    }
    return 0;
}

uint16_t nnact_float_to_half(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    const uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
    const uint32_t abs = bits & 0x7fffffffu;
    if (abs > 0x7f800000u) { /* NaN: keep the top payload bits, never make inf */
        uint16_t m = (uint16_t)((abs >> 13) & 0x3ffu);
        return (uint16_t)(sign | 0x7c00u | (m ? m : 0x200u));
    }
    if (abs >= 0x47800000u) /* >= 65536 (or inf): beyond the largest half */
        return (uint16_t)(sign | 0x7c00u);
    if (abs >= 0x38800000u) { /* a normal half: rebias, round to nearest even */
        uint32_t r = abs - 0x38000000u;
        r += 0xfffu + ((r >> 13) & 1u);
        return (uint16_t)(sign | (r >> 13)); /* a carry into 0x7c00 is the overflow to inf */
    }
    const uint32_t e = abs >> 23;
    if (e < 102) /* below 2^-25: rounds to zero (2^-25 itself ties to even 0) */
        return sign;
    /* A subnormal half: the value in units of 2^-24 is m >> s. */
    const uint32_t m = (abs & 0x7fffffu) | 0x800000u, s = 126 - e;
    uint32_t q = m >> s;
    const uint32_t rem = m & ((1u << s) - 1), halfway = 1u << (s - 1);
    if (rem > halfway || (rem == halfway && (q & 1u)))
        q++; /* may reach 0x400, the smallest normal: the same encoding */
    return (uint16_t)(sign | q);
}

float nnact_half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    uint32_t bits;
    if (e == 0x1f)
        bits = sign | 0x7f800000u | (m << 13);
    else if (e)
        bits = sign | ((e + 112) << 23) | (m << 13);
    else if (!m)
        bits = sign;
    else { /* subnormal: normalise */
        uint32_t mm = m, ee = 113;
        while (!(mm & 0x400u)) {
            mm <<= 1;
            ee--;
        }
        bits = sign | (ee << 23) | ((mm & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

nnact_status nnact_convert(nnact_ctx *ctx, const nnact_tensor *src, nnact_tensor *dst)
{
    const cl_ulong n = nnact_numel(src);
    if (!n)
        return NNACT_OK;
    if (src->dtype == dst->dtype) {
        const size_t es = nnact_elem_size(src);
        if (src->buf == dst->buf && src->offset == dst->offset)
            return NNACT_OK;
        cl_int err = clEnqueueCopyBuffer(ctx->queue, src->buf, dst->buf, src->offset * es,
                                         dst->offset * es, n * es, 0, NULL, NULL);
        return err == CL_SUCCESS ? NNACT_OK : nnact_fail_cl(err, "clEnqueueCopyBuffer");
    }
    const nnact_kernel_id k = src->dtype == NNACT_F16 ? NNACT_K_widen_f16 : NNACT_K_narrow_f16;
    cl_ulong so = src->offset, dso = dst->offset;
    nnact_arg args[] = {NNACT_ARG(src->buf), NNACT_ARG(so), NNACT_ARG(dst->buf),
                        NNACT_ARG(dso), NNACT_ARG(n)};
    return nnact_launch(ctx, k, NNACT_F32, nnact_elementwise_items(n), ctx->elem_local,
                        sizeof args / sizeof args[0], args);
}
