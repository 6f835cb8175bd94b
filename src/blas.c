/* Matrix products through CLBlast on tensor views, with CLBlast's status
 * codes turned into nnact statuses and messages that name them. */
#include "internal.h"

#include <clblast_c.h>
#include <stdio.h>

static const char *clblast_name(CLBlastStatusCode s)
{
    switch (s) {
#define E(x) case x: return #x;
    E(CLBlastSuccess) E(CLBlastNotImplemented) E(CLBlastInvalidMatrixA)
    E(CLBlastInvalidMatrixB) E(CLBlastInvalidMatrixC) E(CLBlastInvalidVectorX)
    E(CLBlastInvalidVectorY) E(CLBlastInvalidDimension) E(CLBlastInvalidLeadDimA)
    E(CLBlastInvalidLeadDimB) E(CLBlastInvalidLeadDimC) E(CLBlastInvalidIncrementX)
    E(CLBlastInvalidIncrementY) E(CLBlastInsufficientMemoryA)
    E(CLBlastInsufficientMemoryB) E(CLBlastInsufficientMemoryC)
    E(CLBlastInsufficientMemoryX) E(CLBlastInsufficientMemoryY)
    E(CLBlastInsufficientMemoryTemp) E(CLBlastInvalidBatchCount)
    E(CLBlastInvalidOverrideKernel) E(CLBlastMissingOverrideParameter)
    E(CLBlastInvalidLocalMemUsage) E(CLBlastNoHalfPrecision)
    E(CLBlastNoDoublePrecision) E(CLBlastInvalidVectorScalar)
    E(CLBlastInsufficientMemoryScalar) E(CLBlastDatabaseError)
    E(CLBlastUnknownError) E(CLBlastUnexpectedError)
#undef E
    default: return NULL; /* the OpenCL codes CLBlast passes through */
    }
}

nnact_status nnact_fail_clblast(int status, const char *what)
{
    CLBlastStatusCode s = (CLBlastStatusCode)status;
    const char *name = clblast_name(s);
    if (!name)
        return nnact_fail_cl((cl_int)status, what);
    nnact_status st = s == CLBlastInsufficientMemoryTemp ? NNACT_ERR_OUT_OF_MEMORY
                    : (s == CLBlastNoHalfPrecision || s == CLBlastNoDoublePrecision ||
                       s == CLBlastNotImplemented) ? NNACT_ERR_UNSUPPORTED
                    : NNACT_ERR_OPENCL;
    return nnact_fail(st, "%s: CLBlast error %s (%d)", what, name, status);
}

nnact_status nnact_gemm(nnact_ctx *ctx, nnact_transpose trans_a, nnact_transpose trans_b,
                        float alpha, const nnact_tensor *a, const nnact_tensor *b,
                        float beta, nnact_tensor *c)
{
    const char *fn = "nnact_gemm";
    nnact_status st;
    if ((st = nnact_check_ctx(ctx, fn)) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, a, fn, "a")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, b, fn, "b")) != NNACT_OK ||
        (st = nnact_check_tensor(ctx, c, fn, "c")) != NNACT_OK)
        return st;
    if ((unsigned)trans_a > NNACT_TRANS || (unsigned)trans_b > NNACT_TRANS)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: trans_a/trans_b must be "
                          "NNACT_NO_TRANS or NNACT_TRANS", fn);
    size_t m = trans_a ? a->cols : a->rows, ka = trans_a ? a->rows : a->cols;
    size_t kb = trans_b ? b->cols : b->rows, n = trans_b ? b->rows : b->cols;
    if (ka != kb || c->rows != m || c->cols != n)
        return nnact_fail(NNACT_ERR_SHAPE,
                          "%s: op(a) is %zux%zu, op(b) is %zux%zu and c is %zux%zu; "
                          "need (m x k)(k x n) = (m x n)", fn, m, ka, kb, n, c->rows,
                          c->cols);
    return nnact_gemm_unchecked(ctx, trans_a, trans_b, alpha, a, b, beta, c);
}

nnact_status nnact_gemm_unchecked(nnact_ctx *ctx, nnact_transpose trans_a,
                                  nnact_transpose trans_b, float alpha,
                                  const nnact_tensor *a, const nnact_tensor *b, float beta,
                                  nnact_tensor *c)
{
    size_t m = c->rows, n = c->cols, k = trans_a ? a->rows : a->cols;
    if (!m || !n)
        return NNACT_OK;
    if (ctx->clblast_pending) {
        nnact_status st = nnact_apply_pending_tuning(ctx);
        if (st != NNACT_OK)
            return st;
    }
    cl_event ev = NULL, before = NULL, after = NULL;
    CLBlastStatusCode s;
    /* CLBlast may run several kernels per call: bracket it with markers. */
    if (ctx->prof)
        clEnqueueMarkerWithWaitList(ctx->queue, 0, NULL, &before);
    if (!k) {
        /* An empty product: c = beta * c, which CLBlast's GEMM rejects. */
        if (beta == 1.0f)
            return NNACT_OK;
        if (beta == 0.0f) {
            const float zero = 0.0f;
            cl_int err = clEnqueueFillBuffer(ctx->queue, c->buf, &zero, sizeof zero,
                                             c->offset * sizeof(float),
                                             m * n * sizeof(float), 0, NULL, NULL);
            return err == CL_SUCCESS ? NNACT_OK : nnact_fail_cl(err, "nnact_gemm: clEnqueueFillBuffer");
        }
        s = CLBlastSscal(m * n, beta, c->buf, c->offset, 1, &ctx->queue, &ev);
    } else {
        s = CLBlastSgemm(CLBlastLayoutRowMajor,
                         trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                         trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, m, n, k,
                         alpha, a->buf, a->offset, a->cols, b->buf, b->offset, b->cols,
                         beta, c->buf, c->offset, c->cols, &ctx->queue, &ev);
    }
    if (ev)
        clReleaseEvent(ev); /* the command runs on; we never wait on it */
    if (before && clEnqueueMarkerWithWaitList(ctx->queue, 0, NULL, &after) == CL_SUCCESS)
        nnact_prof_add(ctx, NNACT_PROF_SGEMM, before, after);
    else if (before)
        clReleaseEvent(before);
    if (s != CLBlastSuccess) {
        char what[160];
        snprintf(what, sizeof what, "SGEMM %s%s m=%zu n=%zu k=%zu", trans_a ? "T" : "N",
                 trans_b ? "T" : "N", m, n, k);
        return nnact_fail_clblast(s, what);
    }
    return NNACT_OK;
}
