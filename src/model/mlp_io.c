/* MLP files. Layout (little-endian):
 *   "NNACTMLP"  u32 version (1)  u32 n_sizes  u64 sizes[n_sizes]
 *   per layer: u32 activation kind, f32 alpha, f32 beta
 *   per layer: f32 W[in*out] (row-major), f32 b[out]
 *   u32 CRC-32 (zlib) of every byte before it.
 * Written to a temporary file in the same directory, synced, then renamed
 * over the target, so a crash leaves either the old file or the new one. */
#define _POSIX_C_SOURCE 200809L
#include "mlp_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MLP_MAGIC "NNACTMLP"
#define MLP_VERSION 1u
#define MLP_MAX_WIDTH (1u << 24)

/* A growable byte buffer: the whole file is assembled, then written once. */
typedef struct bytes {
    unsigned char *p;
    size_t n, cap;
    bool oom;
} bytes;

static void put(bytes *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u32(bytes *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                          (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    put(b, c, 4);
}

static void put_u64(bytes *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32(bytes *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(b, v);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float get_f32(const unsigned char *p)
{
    uint32_t v = get_u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* Appends a tensor's floats, read from the device. A NaN or inf parameter
 * (a diverged model) is refused: the loader would refuse the file. */
static nnact_status put_tensor(bytes *b, const nnact_tensor *t, size_t layer,
                               const char *name)
{
    size_t n = nnact_numel(t);
    float *h = malloc(n * sizeof *h);
    if (!h)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "nnact_mlp_save: out of host memory");
    nnact_status st = nnact_tensor_read(t, h);
    for (size_t i = 0; i < n && st == NNACT_OK; i++) {
        if (!isfinite(h[i]))
            st = nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_mlp_save: layer %zu %s[%zu] is "
                            "%g: a model with non-finite parameters is not saved", layer,
                            name, i, (double)h[i]);
        put_f32(b, h[i]);
    }
    free(h);
    return st;
}


nnact_status nnact_mlp_save(nnact_mlp *mlp, const char *path)
{
    const char *fn = "nnact_mlp_save";
    if (!mlp || !path)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL", fn, mlp ? "path" : "mlp");
    bytes b = {0};
    put(&b, MLP_MAGIC, 8);
    put_u32(&b, MLP_VERSION);
    put_u32(&b, (uint32_t)(mlp->depth + 1));
    for (size_t i = 0; i <= mlp->depth; i++)
        put_u64(&b, mlp->sizes[i]);
    for (size_t i = 0; i < mlp->depth; i++) {
        put_u32(&b, (uint32_t)mlp->layers[i].act.kind);
        put_f32(&b, mlp->layers[i].act.alpha);
        put_f32(&b, mlp->layers[i].act.beta);
    }
    nnact_status st = NNACT_OK;
    for (size_t i = 0; i < mlp->depth && st == NNACT_OK; i++) {
        st = put_tensor(&b, mlp->layers[i].W, i, "W");
        if (st == NNACT_OK)
            st = put_tensor(&b, mlp->layers[i].b, i, "b");
    }
    if (st == NNACT_OK && !b.oom)
        put_u32(&b, (uint32_t)crc32(crc32(0L, Z_NULL, 0), b.p, (uInt)b.n));
    if (st == NNACT_OK && b.oom)
        st = nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    if (st == NNACT_OK)
        st = nnact_write_file_atomic(path, b.p, b.n, "nnact_mlp_save");
    free(b.p);
    return st;
}

nnact_status nnact_mlp_parse(const unsigned char *p, size_t n, const char *path,
                             nnact_mlp_image *img)
{
    const char *fn = "nnact_mlp_load";
    size_t head = n < 8 ? n : 8;
    if (head && memcmp(p, MLP_MAGIC, head) != 0)
        return nnact_fail(NNACT_ERR_IO, "%s: '%s' is not an nnact MLP file (bad magic)", fn,
                          path);
    if (n < 16)
        return nnact_fail(NNACT_ERR_IO, "%s: '%s' is truncated: %zu bytes, shorter than "
                          "the 16-byte header", fn, path, n);
    uint32_t version = get_u32(p + 8);
    if (version != MLP_VERSION)
        return nnact_fail(NNACT_ERR_IO, "%s: '%s' has format version %u; this library "
                          "reads version %u", fn, path, version, MLP_VERSION);
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)(n - 4));
    if (crc != get_u32(p + n - 4))
        return nnact_fail(NNACT_ERR_IO, "%s: '%s' is truncated or corrupt (CRC-32 "
                          "mismatch)", fn, path);
    uint32_t n_sizes = get_u32(p + 12);
    if (n_sizes < 2 || n_sizes > NNACT_MLP_MAX_SIZES)
        return nnact_fail(NNACT_ERR_IO, "%s: '%s' is corrupt: %u layer sizes", fn, path,
                          n_sizes);
    size_t off = 16, depth = n_sizes - 1;
    size_t need = off + 8 * (size_t)n_sizes + 12 * depth + 4;
    if (n < need)
        return nnact_fail(NNACT_ERR_IO, "%s: '%s' is truncated in its header", fn, path);
    img->n_sizes = n_sizes;
    for (uint32_t i = 0; i < n_sizes; i++, off += 8) {
        uint64_t v = get_u32(p + off) | (uint64_t)get_u32(p + off + 4) << 32;
        if (v == 0 || v > MLP_MAX_WIDTH)
            return nnact_fail(NNACT_ERR_IO, "%s: '%s' is corrupt: layer size %llu", fn,
                              path, (unsigned long long)v);
        img->sizes[i] = (size_t)v;
    }
    for (size_t i = 0; i < depth; i++, off += 12) {
        nnact_act *a = &img->acts[i];
        a->kind = (nnact_act_kind)get_u32(p + off);
        a->alpha = get_f32(p + off + 4);
        a->beta = get_f32(p + off + 8);
        if (nnact_check_act(a, fn) != NNACT_OK) {
            char why[256]; /* the message buffer cannot be formatted into itself */
            snprintf(why, sizeof why, "%s", nnact_last_error());
            return nnact_fail(NNACT_ERR_IO, "%s: '%s' is corrupt: layer %zu activation "
                              "(%s)", fn, path, i, why);
        }
        if (nnact_act_row_wise(a->kind) && !(a->alpha > 0.0f))
            return nnact_fail(NNACT_ERR_IO, "%s: '%s' is corrupt: layer %zu %s "
                              "temperature %g is not positive", fn, path, i,
                              nnact_act_name(a->kind), (double)a->alpha);
    }
    /* At most 1023 layers of 2^24 x 2^24 floats: no overflow in 64 bits. */
    size_t params = 0;
    for (size_t i = 0; i < depth; i++)
        params += img->sizes[i] * img->sizes[i + 1] + img->sizes[i + 1];
    if (n != off + 4 * params + 4)
        return nnact_fail(NNACT_ERR_IO, "%s: '%s' is corrupt: %zu bytes, but its "
                          "architecture needs %zu", fn, path, n, off + 4 * params + 4);
    /* NaN or inf parameters would make every prediction NaN: refuse them
     * here, before anything is allocated, naming the first. */
    for (size_t i = 0, o = off; i < depth; i++)
        for (int k = 0; k < 2; k++) {
            const size_t cnt = k ? img->sizes[i + 1] : img->sizes[i] * img->sizes[i + 1];
            for (size_t j = 0; j < cnt; j++, o += 4)
                if (!isfinite(get_f32(p + o)))
                    return nnact_fail(NNACT_ERR_IO, "%s: '%s' is corrupt: layer %zu %s[%zu] "
                                      "is %g (parameters must be finite)", fn, path, i,
                                      k ? "b" : "W", j, (double)get_f32(p + o));
        }
    img->params = p + off;
    return NNACT_OK;
}

void nnact_mlp_image_floats(const nnact_mlp_image *img, size_t layer, bool bias, float *dst)
{
    const unsigned char *q = img->params;
    for (size_t i = 0; i < layer; i++)
        q += 4 * (img->sizes[i] * img->sizes[i + 1] + img->sizes[i + 1]);
    size_t in = img->sizes[layer], out = img->sizes[layer + 1];
    if (bias)
        q += 4 * in * out;
    size_t cnt = bias ? out : in * out;
    for (size_t j = 0; j < cnt; j++)
        dst[j] = get_f32(q + 4 * j);
}

/* Builds the MLP of a parsed file on the context's device. */
static nnact_status upload(nnact_ctx *ctx, const nnact_mlp_image *img, nnact_mlp **out)
{
    nnact_mlp *m;
    nnact_status st = nnact_mlp_alloc(ctx, img->sizes, img->n_sizes, img->acts, &m);
    if (st != NNACT_OK)
        return st;
    for (size_t i = 0; i < m->depth && st == NNACT_OK; i++) {
        nnact_tensor *ts[2] = {m->layers[i].W, m->layers[i].b};
        for (int k = 0; k < 2 && st == NNACT_OK; k++) {
            float *buf = malloc(nnact_numel(ts[k]) * sizeof *buf);
            if (!buf) {
                st = nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "nnact_mlp_load: out of host "
                                "memory");
                break;
            }
            nnact_mlp_image_floats(img, i, k == 1, buf);
            st = nnact_tensor_write(ts[k], buf);
            free(buf);
        }
    }
    if (st != NNACT_OK) {
        nnact_mlp_destroy(m);
        return st;
    }
    *out = m;
    return NNACT_OK;
}

nnact_status nnact_mlp_load(nnact_ctx *ctx, const char *path, nnact_mlp **out)
{
    const char *fn = "nnact_mlp_load";
    nnact_status st = nnact_mlp_begin(ctx, out, fn);
    if (st != NNACT_OK)
        return st;
    if (!path)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: path is NULL", fn);
    unsigned char *data;
    size_t n;
    st = nnact_read_file(path, &data, &n, fn);
    nnact_mlp_image *img = NULL;
    if (st == NNACT_OK && !(img = malloc(sizeof *img)))
        st = nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    if (st == NNACT_OK)
        st = nnact_mlp_parse(data, n, path, img);
    if (st == NNACT_OK)
        st = upload(ctx, img, out);
    free(img);
    free(data);
    return st;
}
