/* IDX reader (the MNIST file format) on top of zlib, which reads gzip and
 * plain files alike. Every malformed case is a specific NNACT_ERR_IO. */
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Reads exactly n bytes; returns how many it got (short on EOF or error). */
static size_t read_full(gzFile f, unsigned char *dst, size_t n)
{
    size_t got = 0;
    while (got < n) {
        unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
        int r = gzread(f, dst + got, chunk);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/* zlib's complaint about a damaged gzip stream (without the path zlib puts
 * in front), or NULL while the stream is sound; *zerr gets zlib's code. */
static const char *gz_damage(gzFile f, const char *path, int *zerr)
{
    const char *msg = gzerror(f, zerr);
    if (*zerr == Z_OK || *zerr == Z_STREAM_END)
        return NULL;
    size_t n = strlen(path);
    if (!strncmp(msg, path, n) && !strncmp(msg + n, ": ", 2))
        msg += n + 2;
    return msg;
}

/* After a short read: NNACT_ERR_IO naming zlib's complaint when the gzip
 * stream is corrupt (rather than just ending early), else NNACT_OK. */
static nnact_status gz_corrupt(gzFile f, const char *fn, const char *path)
{
    int zerr;
    const char *damage = gz_damage(f, path, &zerr);
    if (!damage || zerr == Z_BUF_ERROR)
        return NNACT_OK;
    return nnact_fail(NNACT_ERR_IO, "%s: '%s' is corrupt: %s", fn, path, damage);
}

nnact_status nnact_idx_read(const char *path, nnact_idx *out)
{
    const char *fn = "nnact_idx_read";
    if (!path || !out)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL", fn, path ? "out" : "path");
    memset(out, 0, sizeof *out);
    gzFile f = gzopen(path, "rb");
    if (!f)
        return nnact_fail(NNACT_ERR_IO, "%s: cannot open '%s': %s", fn, path,
                          errno ? strerror(errno) : "out of memory");
    nnact_status st = NNACT_OK;
    unsigned char head[4], dimb[16];
    if (read_full(f, head, 4) != 4) {
        if ((st = gz_corrupt(f, fn, path)) == NNACT_OK)
            st = nnact_fail(NNACT_ERR_IO, "%s: '%s' is truncated: shorter than the "
                            "4-byte IDX header", fn, path);
        goto done;
    }
    if (head[0] != 0 || head[1] != 0 || head[3] < 1 || head[3] > 4) {
        st = nnact_fail(NNACT_ERR_IO, "%s: '%s' is not an IDX file (bad magic "
                        "%02x %02x %02x %02x; want 00 00 type ndims with 1 to 4 dims)",
                        fn, path, head[0], head[1], head[2], head[3]);
        goto done;
    }
    if (head[2] != 0x08) {
        st = nnact_fail(NNACT_ERR_UNSUPPORTED, "%s: '%s' holds element type 0x%02x; only "
                        "unsigned bytes (0x08) are supported", fn, path, head[2]);
        goto done;
    }
    out->ndims = head[3];
    if (read_full(f, dimb, 4 * out->ndims) != 4 * out->ndims) {
        if ((st = gz_corrupt(f, fn, path)) == NNACT_OK)
            st = nnact_fail(NNACT_ERR_IO, "%s: '%s' is truncated inside its dimensions",
                            fn, path);
        goto done;
    }
    size_t count = 1;
    for (size_t d = 0; d < out->ndims; d++) {
        const unsigned char *b = dimb + 4 * d;
        out->dims[d] = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
        if (out->dims[d] && count > SIZE_MAX / out->dims[d]) {
            st = nnact_fail(NNACT_ERR_IO, "%s: '%s': dimensions overflow", fn, path);
            goto done;
        }
        count *= out->dims[d];
    }
    out->count = count;
    out->data = malloc(count ? count : 1);
    if (!out->data) {
        st = nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: '%s': cannot allocate %zu bytes", fn,
                        path, count);
        goto done;
    }
    size_t got = read_full(f, out->data, count);
    if (got != count) {
        if ((st = gz_corrupt(f, fn, path)) == NNACT_OK)
            st = nnact_fail(NNACT_ERR_IO, "%s: '%s' is truncated: %zu of %zu data bytes "
                            "present", fn, path, got, count);
        goto done;
    }
    unsigned char extra;
    if (gzread(f, &extra, 1) > 0) {
        st = nnact_fail(NNACT_ERR_IO, "%s: '%s' has bytes after its %zu data bytes", fn,
                        path, count);
        goto done;
    }
    int zerr;
    const char *damage = gz_damage(f, path, &zerr);
    if (damage)
        st = nnact_fail(NNACT_ERR_IO, "%s: '%s' is %s: %s", fn, path,
                        zerr == Z_BUF_ERROR ? "truncated (the gzip stream ends early)" :
                        "corrupt", damage);
done:
    gzclose(f);
    if (st != NNACT_OK)
        nnact_idx_free(out);
    return st;
}

void nnact_idx_free(nnact_idx *idx)
{
    if (!idx)
        return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}
