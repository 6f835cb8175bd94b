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
#define SFX(name) name
#define S_HALF 0
#define S_SIZE 4
#define S_VLOAD(p) vload16(0, (p))
/* Where clang compiles (pocl, Mesa, Intel), a store through a float16 of
 * float alignment rather than vstore16, which pocl (3.1, AVX-512) splits
 * into three stores and two extracts (16 + 16 + 32 bytes) where this is
 * one vmovups. Other compilers may not honour an alignment lowered by a
 * typedef (then the store would assume 64 bytes): they keep vstore16. */
#if defined(__clang__)
#ifndef NNACT_VFLOAT_F32
#define NNACT_VFLOAT_F32
typedef vfloat __attribute__((aligned(4))) vfloat_f32;
#endif
#define S_VSTORE(v, p) (*(__global vfloat_f32 *)(p) = (v))
#else
#define S_VSTORE(v, p) vstore16((v), 0, (p))
#endif
#define S_LD(p, i) ((p)[i])
#define S_ST(v, p, i) ((p)[i] = (v))
