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
#define S_VSTORE(v, p) vstore16((v), 0, (p))
#define S_LD(p, i) ((p)[i])
#define S_ST(v, p, i) ((p)[i] = (v))
