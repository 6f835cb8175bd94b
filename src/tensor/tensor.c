/* Tensors: 2-D row-major views (buffer + element offset) of float32 or
 * half elements that belong to one context. */
#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static nnact_status numel_bytes(size_t rows, size_t cols, size_t es, size_t *bytes,
                                const char *fn)
{
    if (cols && rows > SIZE_MAX / cols / es)
        return nnact_fail(NNACT_ERR_SHAPE, "%s: %zux%zu elements overflow size_t", fn,
                          rows, cols);
    *bytes = rows * cols * es;
    return NNACT_OK;
}

nnact_status nnact_tensor_create(nnact_ctx *ctx, size_t rows, size_t cols,
                                 nnact_tensor **out)
{
    return nnact_tensor_create_typed(ctx, rows, cols, NNACT_F32, out);
}

nnact_status nnact_tensor_create_typed(nnact_ctx *ctx, size_t rows, size_t cols,
                                       nnact_dtype dtype, nnact_tensor **out)
{
    const char *fn = "nnact_tensor_create";
    if (!out)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: out is NULL", fn);
    *out = NULL;
    nnact_status st = nnact_check_ctx(ctx, fn);
    size_t bytes = 0;
    if (st == NNACT_OK)
        st = nnact_check_dtype(dtype, fn);
    if (st == NNACT_OK)
        st = numel_bytes(rows, cols, nnact_dtype_size(dtype), &bytes, fn);
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
                              "%s: allocating %zux%zu %s elements (%zu bytes) on '%s' "
                              "failed: clCreateBuffer: %s (%d)", fn, rows, cols,
                              nnact_dtype_name(dtype), bytes,
                              ctx->info.device_name, nnact_cl_error_name(err), (int)err);
        }
    }
    t->ctx = ctx;
    t->rows = rows;
    t->cols = cols;
    t->dtype = dtype;
    *out = t;
    return NNACT_OK;
}

nnact_status nnact_tensor_wrap(nnact_ctx *ctx, cl_mem buffer, size_t offset_elems,
                               size_t rows, size_t cols, nnact_tensor **out)
{
    return nnact_tensor_wrap_typed(ctx, buffer, offset_elems, rows, cols, NNACT_F32, out);
}

nnact_status nnact_tensor_wrap_typed(nnact_ctx *ctx, cl_mem buffer, size_t offset_elems,
                                     size_t rows, size_t cols, nnact_dtype dtype,
                                     nnact_tensor **out)
{
    const char *fn = "nnact_tensor_wrap";
    if (!out)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: out is NULL", fn);
    *out = NULL;
    nnact_status st = nnact_check_ctx(ctx, fn);
    if (st == NNACT_OK)
        st = nnact_check_dtype(dtype, fn);
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
    const size_t es = nnact_dtype_size(dtype);
    st = numel_bytes(rows, cols, es, &bytes, fn);
    if (st != NNACT_OK)
        return st;
    size_t avail = size / es;
    if (offset_elems > avail || bytes / es > avail - offset_elems)
        return nnact_fail(NNACT_ERR_INVALID_ARG,
                          "%s: a %zux%zu view at element offset %zu runs past the "
                          "end of a buffer of %zu %s elements", fn, rows, cols,
                          offset_elems, avail, nnact_dtype_name(dtype));
    nnact_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    clRetainMemObject(buffer);
    t->ctx = ctx;
    t->buf = buffer;
    t->offset = offset_elems;
    t->rows = rows;
    t->cols = cols;
    t->dtype = dtype;
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

/* Blocking byte copies of the elements as stored: from in to the device
 * when in is given, else from the device to out. */
static nnact_status copy_bytes(const nnact_tensor *t, const void *in, void *out,
                               const char *fn)
{
    const size_t es = nnact_elem_size(t), off = t->offset * es, n = nnact_numel(t) * es;
    cl_int err = in ? clEnqueueWriteBuffer(t->ctx->queue, t->buf, CL_TRUE, off, n, in, 0,
                                           NULL, NULL)
                    : clEnqueueReadBuffer(t->ctx->queue, t->buf, CL_TRUE, off, n, out, 0,
                                          NULL, NULL);
    if (err == CL_SUCCESS)
        return NNACT_OK;
    char what[96];
    snprintf(what, sizeof what, "%s: %s", fn,
             in ? "clEnqueueWriteBuffer" : "clEnqueueReadBuffer");
    return nnact_fail_cl(err, what);
}

nnact_status nnact_tensor_write(nnact_tensor *t, const float *host)
{
    const char *fn = "nnact_tensor_write";
    nnact_status st = host_copy_check(t, host, fn);
    if (st != NNACT_OK || !nnact_numel(t))
        return st;
    if (t->dtype == NNACT_F32)
        return copy_bytes(t, host, NULL, fn);
    const size_t n = nnact_numel(t);
    uint16_t *h = malloc(n * sizeof *h);
    if (!h)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory converting "
                          "%zu floats to half", fn, n);
    for (size_t i = 0; i < n; i++)
        h[i] = nnact_float_to_half(host[i]);
    st = copy_bytes(t, h, NULL, fn);
    free(h);
    return st;
}

nnact_status nnact_tensor_read(const nnact_tensor *t, float *host)
{
    const char *fn = "nnact_tensor_read";
    nnact_status st = host_copy_check(t, host, fn);
    if (st != NNACT_OK)
        return st;
    if (!nnact_numel(t)) /* still waits, as documented */
        return nnact_ctx_finish(t->ctx);
    if (t->dtype == NNACT_F32)
        return copy_bytes(t, NULL, host, fn);
    /* The halves land in the second half of host's own floats, then widen
     * from the front: element i is read (at byte 2n + 2i) before float i
     * (bytes 4i..4i+3 <= 2n + 2i) is written. No allocation. */
    const size_t n = nnact_numel(t);
    uint16_t *h = (uint16_t *)(void *)(host + n) - n;
    if ((st = copy_bytes(t, NULL, h, fn)) != NNACT_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        uint16_t v;
        memcpy(&v, &h[i], sizeof v);
        host[i] = nnact_half_to_float(v);
    }
    return NNACT_OK;
}

nnact_status nnact_tensor_write_raw(nnact_tensor *t, const void *host)
{
    nnact_status st = host_copy_check(t, host, "nnact_tensor_write_raw");
    if (st != NNACT_OK || !nnact_numel(t))
        return st;
    return copy_bytes(t, host, NULL, "nnact_tensor_write_raw");
}

nnact_status nnact_tensor_read_raw(const nnact_tensor *t, void *host)
{
    nnact_status st = host_copy_check(t, host, "nnact_tensor_read_raw");
    if (st != NNACT_OK)
        return st;
    if (!nnact_numel(t))
        return nnact_ctx_finish(t->ctx);
    return copy_bytes(t, NULL, host, "nnact_tensor_read_raw");
}

nnact_dtype nnact_tensor_dtype(const nnact_tensor *t) { return t ? t->dtype : NNACT_F32; }

size_t nnact_tensor_rows(const nnact_tensor *t) { return t ? t->rows : 0; }
size_t nnact_tensor_cols(const nnact_tensor *t) { return t ? t->cols : 0; }
cl_mem nnact_tensor_buffer(const nnact_tensor *t) { return t ? t->buf : NULL; }
size_t nnact_tensor_offset(const nnact_tensor *t) { return t ? t->offset : 0; }

nnact_status nnact_tensor_fill(nnact_tensor *t, float value)
{
    if (!t)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_tensor_fill: t is NULL");
    if (!nnact_numel(t))
        return NNACT_OK;
    /* F16: the 2-byte pattern of the value rounded on the host. */
    const uint16_t half = nnact_float_to_half(value);
    const size_t es = nnact_elem_size(t);
    const void *pattern = t->dtype == NNACT_F16 ? (const void *)&half : (const void *)&value;
    cl_int err = clEnqueueFillBuffer(t->ctx->queue, t->buf, pattern, es, t->offset * es,
                                     nnact_numel(t) * es, 0, NULL, NULL);
    return err == CL_SUCCESS ? NNACT_OK
                             : nnact_fail_cl(err, "nnact_tensor_fill: clEnqueueFillBuffer");
}
