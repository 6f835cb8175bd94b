/* The parameters and gradients of an MLP as one flat float32 range, layer
 * by layer, W (row-major) then b: W0 b0 W1 b1 ... -- the order the model
 * file holds them, so a range is what data-parallel training moves between
 * replicas and the CRC of it is the CRC of what nnact_mlp_save writes. */
#include "mlp_internal.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

size_t nnact_mlp_param_count(const nnact_mlp *mlp)
{
    size_t n = 0;
    for (size_t i = 0; mlp && i < mlp->depth; i++)
        n += mlp->sizes[i] * mlp->sizes[i + 1] + mlp->sizes[i + 1];
    return n;
}

nnact_status nnact_mlp_param_range(const nnact_mlp *mlp, size_t layer, size_t *offset,
                                   size_t *count)
{
    const char *fn = "nnact_mlp_param_range";
    if (!mlp || !offset || !count)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL", fn,
                          !mlp ? "mlp" : !offset ? "offset" : "count");
    if (layer >= mlp->depth)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: layer %zu, but the network has %zu",
                          fn, layer, mlp->depth);
    size_t off = 0;
    for (size_t i = 0; i < layer; i++)
        off += mlp->sizes[i] * mlp->sizes[i + 1] + mlp->sizes[i + 1];
    *offset = off;
    *count = mlp->sizes[layer] * mlp->sizes[layer + 1] + mlp->sizes[layer + 1];
    return NNACT_OK;
}

/* Copies [offset, offset + count) of the flat range to or from host: each
 * tensor's overlap is one enqueued transfer, then one wait (the queue is
 * in order, so the transfers see every kernel enqueued before). */
static nnact_status transfer(nnact_mlp *mlp, bool grads, bool write, size_t offset,
                             size_t count, void *host, const char *fn)
{
    if (!mlp || (!host && count))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL", fn, mlp ? "host" : "mlp");
    size_t total = nnact_mlp_param_count(mlp);
    if (offset > total || count > total - offset)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: range [%zu, %zu + %zu) is past the "
                          "%zu parameters", fn, offset, offset, count, total);
    cl_command_queue q = mlp->ctx->queue;
    size_t pos = 0; /* flat index of the tensor's first element */
    float *h = host;
    for (size_t i = 0; i < mlp->depth && count; i++) {
        const mlp_layer *L = &mlp->layers[i];
        const nnact_tensor *ts[2] = {grads ? L->dW : L->W, grads ? L->db : L->b};
        for (int k = 0; k < 2 && count; k++) {
            size_t n = nnact_numel(ts[k]);
            if (offset < pos + n) {
                size_t from = offset - pos, take = n - from < count ? n - from : count;
                size_t bytes = (ts[k]->offset + from) * sizeof(float);
                cl_int err = write
                    ? clEnqueueWriteBuffer(q, ts[k]->buf, CL_FALSE, bytes, take * sizeof *h,
                                           h, 0, NULL, NULL)
                    : clEnqueueReadBuffer(q, ts[k]->buf, CL_FALSE, bytes, take * sizeof *h,
                                          h, 0, NULL, NULL);
                if (err != CL_SUCCESS) {
                    clFinish(q); /* no transfer may outlive the call */
                    return nnact_fail_cl(err, fn);
                }
                h += take;
                offset += take;
                count -= take;
            }
            pos += n;
        }
    }
    cl_int err = clFinish(q);
    return err == CL_SUCCESS ? NNACT_OK : nnact_fail_cl(err, fn);
}

nnact_status nnact_mlp_params_read(nnact_mlp *mlp, size_t offset, size_t count, float *host)
{
    return transfer(mlp, false, false, offset, count, host, "nnact_mlp_params_read");
}

nnact_status nnact_mlp_params_write(nnact_mlp *mlp, size_t offset, size_t count,
                                    const float *host)
{
    return transfer(mlp, false, true, offset, count, (void *)host, "nnact_mlp_params_write");
}

nnact_status nnact_mlp_grads_read(nnact_mlp *mlp, size_t offset, size_t count, float *host)
{
    return transfer(mlp, true, false, offset, count, host, "nnact_mlp_grads_read");
}

nnact_status nnact_mlp_grads_write(nnact_mlp *mlp, size_t offset, size_t count,
                                   const float *host)
{
    nnact_status st =
        transfer(mlp, true, true, offset, count, (void *)host, "nnact_mlp_grads_write");
    return st == NNACT_OK ? nnact_mlp_reflag_gradients(mlp) : st;
}

nnact_status nnact_mlp_params_crc32(nnact_mlp *mlp, uint32_t *crc)
{
    const char *fn = "nnact_mlp_params_crc32";
    if (!mlp || !crc)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL", fn, mlp ? "crc" : "mlp");
    size_t n = nnact_mlp_param_count(mlp);
    float *h = malloc(n * sizeof *h);
    unsigned char *le = malloc(n * 4);
    nnact_status st = h && le ? NNACT_OK
                              : nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    if (st == NNACT_OK)
        st = transfer(mlp, false, false, 0, n, h, fn);
    if (st == NNACT_OK) {
        /* Little-endian bytes whatever the host, as the model file has them. */
        for (size_t i = 0; i < n; i++) {
            uint32_t v;
            memcpy(&v, &h[i], 4);
            for (int b = 0; b < 4; b++)
                le[4 * i + b] = (unsigned char)(v >> (8 * b));
        }
        uLong c = crc32(0L, Z_NULL, 0);
        for (size_t done = 0; done < 4 * n;) { /* zlib takes uInt lengths */
            size_t part = 4 * n - done < (1u << 30) ? 4 * n - done : (1u << 30);
            c = crc32(c, le + done, (uInt)part);
            done += part;
        }
        *crc = (uint32_t)c;
    }
    free(h);
    free(le);
    return st;
}
