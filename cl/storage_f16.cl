/* Storage prelude: IEEE binary16 tensors (NNACT_F16) without cl_khr_fp16:
 * half appears only as a pointer target, vload_half* widens to float and
 * vstore_half*_rte rounds once to nearest even (core OpenCL 1.2; 2-byte
 * alignment is all they need). Kernel names get the suffix _h. */
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
#define S_VLOAD(p) vload_half16(0, (p))
#define S_VSTORE(v, p) vstore_half16_rte((v), 0, (p))
#define S_LD(p, i) vload_half((i), (p))
#define S_ST(v, p, i) vstore_half_rte((v), (i), (p))
