/* The tensor floor (src/tensor/): the tensor struct, storage types and
 * the storage plan of an operation, and the argument checks of every
 * public entry. */
#ifndef NNACT_TENSOR_H
#define NNACT_TENSOR_H

#include "device.h"

struct nnact_tensor {
    nnact_ctx *ctx;
    cl_mem buf; /* NULL for a zero-sized tensor */
    size_t offset, rows, cols; /* offset in elements of dtype */
    nnact_dtype dtype;         /* last: a {ctx, buf, off, r, c} literal is F32 */
};

/* ---- storage types (dtype.c) ---- */
static inline size_t nnact_elem_size(const nnact_tensor *t)
{
    return nnact_dtype_size(t->dtype);
}
/* dst = src converted (same shapes; a copy when the types match). Enqueues. */
nnact_status nnact_convert(nnact_ctx *ctx, const nnact_tensor *src, nnact_tensor *dst);

static inline size_t nnact_numel(const nnact_tensor *t) { return t->rows * t->cols; }

/* ---- the storage plan of an operation (plan.c) ---- */
/* One operand of an operation body: the address of the body's own pointer
 * to it, which the plan rebinds to a float32 stand-in when the body runs
 * widened. Read operands are const; written ones are not. */
enum { NNACT_USE_IN = 1, NNACT_USE_OUT = 2, NNACT_USE_INOUT = 3 };
typedef struct nnact_operand {
    const nnact_tensor **in; /* a read operand, else NULL */
    nnact_tensor **out;      /* a written (or updated) operand, else NULL */
    int use;                 /* NNACT_USE_* */
} nnact_operand;
#define NNACT_READ(p) ((nnact_operand){(p), NULL, NNACT_USE_IN})
#define NNACT_WRITE(p) ((nnact_operand){NULL, (p), NNACT_USE_OUT})
#define NNACT_UPDATE(p) ((nnact_operand){NULL, (p), NNACT_USE_INOUT})
typedef struct nnact_plan {
    nnact_dtype dtype; /* the storage type the body's kernels run in */
    nnact_ctx *ctx;
    size_t base, n; /* stand-ins in slots base .. base + n - 1 */
    nnact_tensor tmp[NNACT_F32_SLOTS];
    const nnact_tensor *orig[NNACT_F32_SLOTS];
    nnact_tensor *dst[NNACT_F32_SLOTS]; /* narrowed into when written */
    int use[NNACT_F32_SLOTS];
} nnact_plan;
/* Plans the storage of one call over its n operands (NULL tensors are
 * skipped): natively when they share a storage type that kernel_list.h
 * lists for the kernel native (NNACT_K_COUNT: none but float32), else on
 * float32 stand-ins, saying widen_note (may be NULL) once per context under
 * NNACT_DEBUG. On success the body runs and then calls nnact_plan_done. */
nnact_status nnact_plan_storage(nnact_plan *p, nnact_ctx *ctx, nnact_kernel_id native,
                                const char *widen_note, size_t n, const nnact_operand *ops);
/* Narrows the written stand-ins when st is NNACT_OK; returns the first
 * failure. */
nnact_status nnact_plan_done(nnact_plan *p, nnact_status st);
/* Argument checks of the public entries (check.c); fn is the public
 * function, name the parameter's name in the public API. */
nnact_status nnact_check_ctx(const nnact_ctx *ctx, const char *fn);
nnact_status nnact_check_tensor(const nnact_ctx *ctx, const nnact_tensor *t,
                                const char *fn, const char *name);
nnact_status nnact_check_same_shape(const nnact_tensor *a, const char *an,
                                    const nnact_tensor *b, const char *bn,
                                    const char *fn);
/* a and b (named an, bn): tensors of ctx of one shape. */
nnact_status nnact_check_pair(const nnact_ctx *ctx, const nnact_tensor *a, const char *an,
                              const nnact_tensor *b, const char *bn, const char *fn);
nnact_status nnact_check_dtype(nnact_dtype dtype, const char *fn);
nnact_status nnact_check_temperature(float t, const char *fn);
/* An activation's kind and parameters (as a model file stores them)... */
nnact_status nnact_check_act(const nnact_act *act, const char *fn);
/* ... and, for one passed to a call, the row-wise ones' temperature too. */
nnact_status nnact_check_act_call(const nnact_act *act, const char *fn);

#endif
