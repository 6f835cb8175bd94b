/* Tensors: 2-D row-major float32 views (buffer + element offset) that
 * belong to one context. */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>

static nnact_status numel_bytes(size_t rows, size_t cols, size_t *bytes, const char *fn)
{
    if (cols && rows > SIZE_MAX / cols / sizeof(float))
        return nnact_fail(NNACT_ERR_SHAPE, "%s: %zux%zu floats overflow size_t", fn,
                          rows, cols);
    *bytes = rows * cols * sizeof(float);
    return NNACT_OK;
}

nnact_status nnact_tensor_create(nnact_ctx *ctx, size_t rows, size_t cols,
                                 nnact_tensor **out)
{
    const char *fn = "nnact_tensor_create";
    if (!out)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: out is NULL", fn);
    *out = NULL;
    nnact_status st = nnact_check_ctx(ctx, fn);
    size_t bytes = 0;
    if (st == NNACT_OK)
        st = numel_bytes(rows, cols, &bytes, fn);
    if (st != NNACT_OK)
        return st;
    nnact_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    if (bytes) {
        cl_int err;
        t->buf = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
        if (err != CL_SUCCESS) {
            free(t);
            return nnact_fail(nnact_cl_status(err),
                              "%s: allocating %zux%zu floats (%zu bytes) on '%s' "
                              "failed: clCreateBuffer: %s (%d)", fn, rows, cols, bytes,
                              ctx->info.device_name, nnact_cl_error_name(err), (int)err);
        }
    }
    t->ctx = ctx;
    t->rows = rows;
    t->cols = cols;
    *out = t;
    return NNACT_OK;
}

nnact_status nnact_tensor_wrap(nnact_ctx *ctx, cl_mem buffer, size_t offset_elems,
                               size_t rows, size_t cols, nnact_tensor **out)
{
    const char *fn = "nnact_tensor_wrap";
    if (!out)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: out is NULL", fn);
    *out = NULL;
    nnact_status st = nnact_check_ctx(ctx, fn);
    if (st != NNACT_OK)
        return st;
    if (!buffer)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: buffer is NULL", fn);
    cl_context owner = NULL;
    size_t size = 0;
    cl_int err = clGetMemObjectInfo(buffer, CL_MEM_CONTEXT, sizeof owner, &owner, NULL);
    if (err == CL_SUCCESS)
        err = clGetMemObjectInfo(buffer, CL_MEM_SIZE, sizeof size, &size, NULL);
    if (err != CL_SUCCESS)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: buffer is not a valid cl_mem "
                          "(%s)", fn, nnact_cl_error_name(err));
    if (owner != ctx->context)
        return nnact_fail(NNACT_ERR_INVALID_ARG,
                          "%s: buffer belongs to another cl_context than ctx", fn);
    size_t bytes = 0;
    st = numel_bytes(rows, cols, &bytes, fn);
    if (st != NNACT_OK)
        return st;
    size_t avail = size / sizeof(float);
    if (offset_elems > avail || bytes / sizeof(float) > avail - offset_elems)
        return nnact_fail(NNACT_ERR_INVALID_ARG,
                          "%s: a %zux%zu view at element offset %zu runs past the "
                          "end of a buffer of %zu floats", fn, rows, cols,
                          offset_elems, avail);
    nnact_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    clRetainMemObject(buffer);
    t->ctx = ctx;
    t->buf = buffer;
    t->offset = offset_elems;
    t->rows = rows;
    t->cols = cols;
    *out = t;
    return NNACT_OK;
}

void nnact_tensor_destroy(nnact_tensor *t)
{
    if (!t)
        return;
    if (t->buf) {
        clReleaseMemObject(t->buf);
        t->ctx->mem_generation++; /* its handle may be reused: see launch */
    }
    free(t);
}

static nnact_status host_copy_check(const nnact_tensor *t, const void *host, const char *fn)
{
    if (!t)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: tensor is NULL", fn);
    if (!host && nnact_numel(t))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: host pointer is NULL", fn);
    return NNACT_OK;
}

nnact_status nnact_tensor_write(nnact_tensor *t, const float *host)
{
    nnact_status st = host_copy_check(t, host, "nnact_tensor_write");
    if (st != NNACT_OK || !nnact_numel(t))
        return st;
    cl_int err = clEnqueueWriteBuffer(t->ctx->queue, t->buf, CL_TRUE,
                                      t->offset * sizeof(float),
                                      nnact_numel(t) * sizeof(float), host, 0, NULL, NULL);
    return err == CL_SUCCESS ? NNACT_OK
                             : nnact_fail_cl(err, "nnact_tensor_write: clEnqueueWriteBuffer");
}

nnact_status nnact_tensor_read(const nnact_tensor *t, float *host)
{
    nnact_status st = host_copy_check(t, host, "nnact_tensor_read");
    if (st != NNACT_OK)
        return st;
    if (!nnact_numel(t)) /* still waits, as documented */
        return nnact_ctx_finish(t->ctx);
    cl_int err = clEnqueueReadBuffer(t->ctx->queue, t->buf, CL_TRUE,
                                     t->offset * sizeof(float),
                                     nnact_numel(t) * sizeof(float), host, 0, NULL, NULL);
    return err == CL_SUCCESS ? NNACT_OK
                             : nnact_fail_cl(err, "nnact_tensor_read: clEnqueueReadBuffer");
}

size_t nnact_tensor_rows(const nnact_tensor *t) { return t ? t->rows : 0; }
size_t nnact_tensor_cols(const nnact_tensor *t) { return t ? t->cols : 0; }
cl_mem nnact_tensor_buffer(const nnact_tensor *t) { return t ? t->buf : NULL; }
size_t nnact_tensor_offset(const nnact_tensor *t) { return t ? t->offset : 0; }

nnact_status nnact_check_tensor(const nnact_ctx *ctx, const nnact_tensor *t,
                                const char *fn, const char *name)
{
    if (!t)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL", fn, name);
    if (t->ctx != ctx)
        return nnact_fail(NNACT_ERR_INVALID_ARG,
                          "%s: %s belongs to another context than ctx", fn, name);
    return NNACT_OK;
}

nnact_status nnact_check_same_shape(const nnact_tensor *a, const char *an,
                                    const nnact_tensor *b, const char *bn, const char *fn)
{
    if (a->rows == b->rows && a->cols == b->cols)
        return NNACT_OK;
    return nnact_fail(NNACT_ERR_SHAPE, "%s: %s is %zux%zu but %s is %zux%zu", fn, an,
                      a->rows, a->cols, bn, b->rows, b->cols);
}

nnact_status nnact_tensor_fill(nnact_tensor *t, float value)
{
    if (!t)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_tensor_fill: t is NULL");
    if (!nnact_numel(t))
        return NNACT_OK;
    cl_int err = clEnqueueFillBuffer(t->ctx->queue, t->buf, &value, sizeof value,
                                     t->offset * sizeof(float),
                                     nnact_numel(t) * sizeof(float), 0, NULL, NULL);
    return err == CL_SUCCESS ? NNACT_OK
                             : nnact_fail_cl(err, "nnact_tensor_fill: clEnqueueFillBuffer");
}
