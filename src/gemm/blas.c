/* Matrix products through CLBlast on tensor views, with CLBlast's status
 * codes turned into nnact statuses and messages that name them. */
#include "internal.h"

#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    /* We hand CLBlast buffers and a queue, never a program or kernel: these
     * OpenCL codes can only come from CLBlast building its own kernels (a
     * compiler error, bad tuning parameters, a stale binary). */
    if (s == CLBlastOpenCLCompilerNotAvailable || s == CLBlastOpenCLBuildProgramFailure ||
        s == CLBlastInvalidBinary || s == CLBlastInvalidBuildOptions ||
        s == CLBlastInvalidProgram || s == CLBlastInvalidProgramExecutable ||
        s == CLBlastInvalidKernelName || s == CLBlastInvalidKernelDefinition)
        return nnact_fail(NNACT_ERR_BUILD, "%s: CLBlast could not build its kernels for "
                          "this device: %s (%d)", what, nnact_cl_error_name((cl_int)status),
                          status);
    if (!name)
        return nnact_fail_cl((cl_int)status, what);
    nnact_status st = s == CLBlastInsufficientMemoryTemp ? NNACT_ERR_OUT_OF_MEMORY
                    : (s == CLBlastNoHalfPrecision || s == CLBlastNoDoublePrecision ||
                       s == CLBlastNotImplemented) ? NNACT_ERR_UNSUPPORTED
                    : NNACT_ERR_OPENCL;
    return nnact_fail(st, "%s: CLBlast error %s (%d)", what, name, status);
}

/* Hands one parsed entry to CLBlast for the context's device. */
static nnact_status override_entry(void *user, const char *kernel, size_t n,
                                   const char **names, const size_t *values)
{
    nnact_ctx *ctx = user;
    CLBlastStatusCode s = CLBlastOverrideParameters(ctx->device, kernel, CLBlastPrecisionSingle,
                                                    n, names, values);
    if (s != CLBlastSuccess) {
        char what[160];
        snprintf(what, sizeof what, "CLBlast parameters for kernel %s", kernel);
        return nnact_fail_clblast(s, what);
    }
    return NNACT_OK;
}

/* The parameters chosen at context creation, applied at the first SGEMM;
 * a file or database entry that CLBlast refuses is a miss: CLBlast's own
 * parameters stay. */
static nnact_status apply_pending(nnact_ctx *ctx)
{
    char *text = ctx->clblast_pending;
    ctx->clblast_pending = NULL;
    nnact_status st = nnact_tuning_parse(text, ctx->clblast_origin, override_entry, ctx);
    free(text);
    if (st != NNACT_OK && ctx->tuning_source != NNACT_TUNING_ENV) {
        if (ctx->debug)
            fprintf(stderr, "nnact: ignoring CLBlast parameters: %s\n", nnact_last_error());
        snprintf(ctx->tuning, sizeof ctx->tuning, "CLBlast defaults (parameters from "
                 "%.2300s refused by CLBlast)", ctx->clblast_origin);
        ctx->tuning_source = NNACT_TUNING_NONE;
        return NNACT_OK;
    }
    return st;
}

nnact_status nnact_clblast_override(nnact_ctx *ctx, const char *params)
{
    if (!ctx || !params)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_clblast_override: %s is NULL",
                          ctx ? "params" : "ctx");
    nnact_status st = nnact_tuning_parse(params, "nnact_clblast_override", NULL, NULL);
    if (st == NNACT_OK)
        st = nnact_tuning_parse(params, "nnact_clblast_override", override_entry, ctx);
    if (st == NNACT_OK) {
        free(ctx->clblast_pending); /* explicit parameters win over the file */
        ctx->clblast_pending = NULL;
        ctx->tuning_source = NNACT_TUNING_OVERRIDE;
        memset(ctx->gemm_sizes, 0, sizeof ctx->gemm_sizes);
        snprintf(ctx->tuning, sizeof ctx->tuning, "set by nnact_clblast_override");
    }
    return st;
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
    return nnact_gemm_body(ctx, trans_a, trans_b, alpha, a, b, beta, c);
}

/* Bytes of CLBlast's padded copies for this call. CLBlast allocates and frees
 * them on every call unless given a buffer; asking it the size costs about
 * as much, so sizes are remembered per call shape (parameters change only
 * through nnact_clblast_override, which forgets them). */
static CLBlastStatusCode gemm_temp_size(nnact_ctx *ctx, CLBlastTranspose ta, CLBlastTranspose tb,
                                        size_t m, size_t n, size_t k, const nnact_tensor *a,
                                        const nnact_tensor *b, const nnact_tensor *c,
                                        size_t *bytes)
{
    const size_t key[10] = {ta, tb, m, n, k, a->offset, a->cols, b->offset, b->cols,
                            c->offset * 131 + c->cols};
    for (size_t i = 0; i < NNACT_GEMM_SIZES; i++)
        if (ctx->gemm_sizes[i].valid && !memcmp(ctx->gemm_sizes[i].key, key, sizeof key)) {
            *bytes = ctx->gemm_sizes[i].bytes;
            return CLBlastSuccess;
        }
    size_t elems = 0;
    CLBlastStatusCode s = CLBlastSGemmTempBufferSize(
        CLBlastLayoutRowMajor, ta, tb, m, n, k, a->offset, a->cols, b->offset, b->cols,
        c->offset, c->cols, &ctx->queue, &elems);
    if (s != CLBlastSuccess)
        return s;
    nnact_gemm_size *slot = &ctx->gemm_sizes[ctx->gemm_sizes_next++ % NNACT_GEMM_SIZES];
    memcpy(slot->key, key, sizeof key);
    slot->bytes = *bytes = elems * sizeof(float);
    slot->valid = true;
    return CLBlastSuccess;
}

/* c = alpha op(a) op(b) + beta c on float32 operands, c not empty. */
static nnact_status sgemm_run(nnact_ctx *ctx, nnact_transpose trans_a,
                              nnact_transpose trans_b, float alpha, const nnact_tensor *a,
                              const nnact_tensor *b, float beta, nnact_tensor *c)
{
    size_t m = c->rows, n = c->cols, k = trans_a ? a->rows : a->cols;
    if (ctx->clblast_pending) {
        nnact_status st = apply_pending(ctx);
        if (st != NNACT_OK)
            return st;
    }
    cl_event ev = NULL, before = NULL, after = NULL;
    CLBlastStatusCode s;
    /* CLBlast may run several kernels per call: bracket it with markers. */
    if (ctx->prof) {
        nnact_prof_begin(ctx);
        clEnqueueMarkerWithWaitList(ctx->queue, 0, NULL, &before);
    }
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
        const CLBlastTranspose ta = trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                               tb = trans_b ? CLBlastTransposeYes : CLBlastTransposeNo;
        size_t temp = 0;
        cl_mem tbuf = NULL;
        s = gemm_temp_size(ctx, ta, tb, m, n, k, a, b, c, &temp);
        if (s == CLBlastSuccess && temp) {
            nnact_status st = nnact_scratch(ctx, NNACT_SCRATCH_GEMM, temp, &tbuf);
            if (st != NNACT_OK) {
                if (before)
                    clReleaseEvent(before);
                return st;
            }
        }
        if (s == CLBlastSuccess && tbuf)
            s = CLBlastSgemmWithTempBuffer(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a->buf,
                                           a->offset, a->cols, b->buf, b->offset, b->cols, beta,
                                           c->buf, c->offset, c->cols, &ctx->queue, &ev, tbuf);
        else if (s == CLBlastSuccess)
            s = CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a->buf, a->offset,
                             a->cols, b->buf, b->offset, b->cols, beta, c->buf, c->offset,
                             c->cols, &ctx->queue, &ev);
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

/* F16 operands: float32 stand-ins and SGEMM. CLBlast's HGEMM would need
 * cl_khr_fp16 and accumulates in half: at k = 784 its sums keep ~3 digits. */
nnact_status nnact_gemm_body(nnact_ctx *ctx, nnact_transpose trans_a,
                             nnact_transpose trans_b, float alpha, const nnact_tensor *a,
                             const nnact_tensor *b, float beta, nnact_tensor *c)
{
    if (!c->rows || !c->cols)
        return NNACT_OK;
    nnact_plan p;
    nnact_status st = nnact_plan_storage(
        &p, ctx, NNACT_K_COUNT,
        "F16 operands widened to float32 for SGEMM (no HGEMM: it accumulates in half)", 3,
        (nnact_operand[]){NNACT_READ(&a), NNACT_READ(&b),
                          beta != 0.0f ? NNACT_UPDATE(&c) : NNACT_WRITE(&c)});
    return st ? st
              : nnact_plan_done(&p, sgemm_run(ctx, trans_a, trans_b, alpha, a, b, beta, c));
}
