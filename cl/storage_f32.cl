/* Storage prelude: float32 tensors. storage.cl and the typed kernel files
 * (act.cl, softmax.cl, log_softmax.cl) are compiled once after this file
 * and, for F16, again after storage_f16.cl (program.c): one source, two
 * instantiations. Registers hold float32 either way. */
#undef ST
#undef SFX
#undef S_HALF
#undef S_SIZE
#undef S_VLOAD
#undef S_VSTORE
#undef S_LD
#undef S_ST
#define ST float
#ifndef VFLOAT_F32
#define VFLOAT_F32
typedef vfloat __attribute__((aligned(4))) vfloat_f32;
#endif
#define SFX(name) name
#define S_HALF 0
#define S_SIZE 4
#define S_VLOAD(p) vload16(0, (p))
/* A store through a float16 of float alignment rather than vstore16,
 * which pocl (3.1, AVX-512) splits into three stores and two extracts
 * (16 + 16 + 32 bytes) where this is one vmovups. */
#define S_VSTORE(v, p) (*(__global vfloat_f32 *)(p) = (v))
#define S_LD(p, i) ((p)[i])
#define S_ST(v, p, i) ((p)[i] = (v))
