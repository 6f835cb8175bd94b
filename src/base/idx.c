/* IDX reader (the MNIST format), plain or gzip-compressed, with zlib's
 * inflate driven directly so that every byte of the file is accounted for:
 * a gzip stream must end with its checked trailer, and nothing but further
 * gzip members may follow it. A header's claimed size is checked against
 * the file before anything is allocated, and the data buffer grows only as
 * data arrives. Every malformed case is a specific NNACT_ERR_IO. */
#define _POSIX_C_SOURCE 200809L /* fileno */
#include "internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* Deflate expands at most 1032:1 (a 258-byte match per 2 bits); a gzip
 * file claiming more data than its length allows is rejected unread. */
#define DEFLATE_MAX_RATIO 1032u
/* The data buffer starts at this size (or the claim, if smaller) and
 * doubles as data arrives. */
#define FIRST_CHUNK ((size_t)1 << 20)

typedef struct source {
    FILE *f;
    const char *fn, *path;
    bool gz;          /* gzip magic 1f 8b at the start; else plain bytes */
    bool ended;       /* gzip: the last member's trailer has been checked */
    bool size_known;  /* a regular file: size is its length */
    uint64_t size;
    z_stream z;       /* gzip: next_in/avail_in index buf; plain: the same */
    unsigned char buf[1 << 16];
} source;

/* Refills buf when it is empty; false at the end of the file or on an
 * error (st set then). */
static bool refill(source *s, nnact_status *st)
{
    if (s->z.avail_in)
        return true;
    size_t r = fread(s->buf, 1, sizeof s->buf, s->f);
    if (r == 0 && ferror(s->f))
        *st = nnact_fail(NNACT_ERR_IO, "%s: reading '%s' failed", s->fn, s->path);
    s->z.next_in = s->buf;
    s->z.avail_in = (uInt)r;
    return r > 0;
}

/* At the end of a gzip member: another member may follow (gzip allows
 * concatenation); anything else is an error. */
static nnact_status next_member(source *s)
{
    nnact_status st = NNACT_OK;
    if (!refill(s, &st)) {
        s->ended = true;
        return st;
    }
    if (s->z.avail_in < 2 && s->z.next_in[0] == 0x1f) { /* the magic split by buf */
        s->buf[0] = 0x1f;
        size_t r = fread(s->buf + 1, 1, sizeof s->buf - 1, s->f);
        s->z.next_in = s->buf;
        s->z.avail_in = (uInt)(1 + r);
    }
    if (s->z.avail_in >= 2 && s->z.next_in[0] == 0x1f && s->z.next_in[1] == 0x8b)
        return inflateReset(&s->z) == Z_OK
                   ? NNACT_OK
                   : nnact_fail(NNACT_ERR_IO, "%s: '%s': zlib failed", s->fn, s->path);
    return nnact_fail(NNACT_ERR_IO, "%s: '%s' is corrupt: bytes that are not gzip data "
                      "follow the end of its gzip stream", s->fn, s->path);
}

/* Reads up to n bytes into dst; *got is short only at the end of the
 * content. A gzip stream that is cut short or damaged is an error. */
static nnact_status src_read(source *s, unsigned char *dst, size_t n, size_t *got)
{
    nnact_status st = NNACT_OK;
    *got = 0;
    while (*got < n && st == NNACT_OK) {
        const size_t want = n - *got > (1u << 30) ? (1u << 30) : n - *got;
        if (!s->gz) {
            if (!refill(s, &st))
                break;
            size_t k = want < s->z.avail_in ? want : s->z.avail_in;
            memcpy(dst + *got, s->z.next_in, k);
            s->z.next_in += k;
            s->z.avail_in -= (uInt)k;
            *got += k;
            continue;
        }
        if (s->ended)
            break;
        if (!refill(s, &st)) {
            if (st == NNACT_OK)
                st = nnact_fail(NNACT_ERR_IO, "%s: '%s' is truncated (the gzip stream "
                                "ends early)", s->fn, s->path);
            break;
        }
        s->z.next_out = dst + *got;
        s->z.avail_out = (uInt)want;
        int r = inflate(&s->z, Z_NO_FLUSH);
        *got += want - s->z.avail_out;
        if (r == Z_STREAM_END)
            st = next_member(s);
        else if (r == Z_MEM_ERROR)
            st = nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory inflating "
                            "'%s'", s->fn, s->path);
        else if (r != Z_OK && r != Z_BUF_ERROR)
            st = nnact_fail(NNACT_ERR_IO, "%s: '%s' is corrupt: %s", s->fn, s->path,
                            s->z.msg ? s->z.msg : "bad gzip data");
    }
    return st;
}

static nnact_status src_open(source *s, const char *path, const char *fn)
{
    memset(s, 0, sizeof *s);
    s->fn = fn;
    s->path = path;
    errno = 0;
    if (!(s->f = fopen(path, "rb")))
        return nnact_fail(NNACT_ERR_IO, "%s: cannot open '%s': %s", fn, path,
                          errno ? strerror(errno) : "out of memory");
    struct stat sb;
    if (fstat(fileno(s->f), &sb) == 0 && S_ISREG(sb.st_mode)) {
        s->size_known = true;
        s->size = (uint64_t)sb.st_size;
    }
    nnact_status st = NNACT_OK;
    s->z.next_in = s->buf;
    s->z.avail_in = (uInt)fread(s->buf, 1, 2, s->f); /* the gzip magic, if any */
    if (ferror(s->f))
        return nnact_fail(NNACT_ERR_IO, "%s: reading '%s' failed", fn, path);
    s->gz = s->z.avail_in == 2 && s->buf[0] == 0x1f && s->buf[1] == 0x8b;
    if (s->gz && inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
        s->gz = false; /* nothing for src_close to end */
        st = nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory for zlib", fn);
    }
    return st;
}

static void src_close(source *s)
{
    if (s->gz)
        inflateEnd(&s->z);
    if (s->f)
        fclose(s->f);
}

/* Checks the header's claim of count data bytes after hdr header bytes
 * against the file's length, before any allocation. */
static nnact_status check_claim(const source *s, size_t hdr, size_t count)
{
    if (!s->size_known)
        return NNACT_OK;
    if (!s->gz) {
        const uint64_t present = s->size - hdr;
        if (count > present)
            return nnact_fail(NNACT_ERR_IO, "%s: '%s' is truncated: %llu of %zu data bytes "
                              "present", s->fn, s->path, (unsigned long long)present, count);
        if (count < present)
            return nnact_fail(NNACT_ERR_IO, "%s: '%s' has bytes after its %zu data bytes",
                              s->fn, s->path, count);
        return NNACT_OK;
    }
    const uint64_t most = s->size * DEFLATE_MAX_RATIO;
    if (count > most)
        return nnact_fail(NNACT_ERR_IO, "%s: '%s' is truncated or corrupt: its header "
                          "claims %zu data bytes, more than its %llu gzip bytes can hold "
                          "(deflate expands at most %u:1)", s->fn, s->path, count,
                          (unsigned long long)s->size, DEFLATE_MAX_RATIO);
    return NNACT_OK;
}

/* Reads the count data bytes into a buffer that grows as they arrive. */
static nnact_status read_data(source *s, size_t count, unsigned char **out, size_t *got)
{
    size_t cap = count < FIRST_CHUNK ? count : FIRST_CHUNK;
    unsigned char *data = malloc(cap ? cap : 1);
    nnact_status st = NNACT_OK;
    *got = 0;
    while (data && *got < count) {
        if (*got == cap) {
            const size_t grown = count - cap < cap ? count : 2 * cap;
            unsigned char *q = realloc(data, grown);
            if (!q) {
                free(data);
                data = NULL;
                cap = grown;
                break;
            }
            data = q;
            cap = grown;
        }
        size_t r;
        if ((st = src_read(s, data + *got, cap - *got, &r)) != NNACT_OK)
            break;
        *got += r;
        if (*got < cap)
            break; /* the content ended early */
    }
    if (!data && st == NNACT_OK)
        st = nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: '%s': cannot allocate %zu bytes",
                        s->fn, s->path, cap);
    if (st != NNACT_OK) {
        free(data);
        data = NULL;
    }
    *out = data;
    return st;
}

static nnact_status read_idx(source *s, nnact_idx *out)
{
    const char *fn = s->fn, *path = s->path;
    unsigned char head[4], dimb[16];
    size_t got;
    nnact_status st = src_read(s, head, 4, &got);
    if (st == NNACT_OK && got != 4)
        st = nnact_fail(NNACT_ERR_IO, "%s: '%s' is truncated: shorter than the 4-byte IDX "
                        "header", fn, path);
    if (st != NNACT_OK)
        return st;
    if (head[0] != 0 || head[1] != 0 || head[3] < 1 || head[3] > 4)
        return nnact_fail(NNACT_ERR_IO, "%s: '%s' is not an IDX file (bad magic "
                          "%02x %02x %02x %02x; want 00 00 type ndims with 1 to 4 dims)",
                          fn, path, head[0], head[1], head[2], head[3]);
    if (head[2] != 0x08)
        return nnact_fail(NNACT_ERR_UNSUPPORTED, "%s: '%s' holds element type 0x%02x; only "
                          "unsigned bytes (0x08) are supported", fn, path, head[2]);
    const size_t ndims = head[3];
    st = src_read(s, dimb, 4 * ndims, &got);
    if (st == NNACT_OK && got != 4 * ndims)
        st = nnact_fail(NNACT_ERR_IO, "%s: '%s' is truncated inside its dimensions", fn,
                        path);
    if (st != NNACT_OK)
        return st;
    size_t count = 1, dims[4];
    for (size_t d = 0; d < ndims; d++) {
        const unsigned char *b = dimb + 4 * d;
        dims[d] = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
        if (dims[d] && count > SIZE_MAX / dims[d])
            return nnact_fail(NNACT_ERR_IO, "%s: '%s': dimensions overflow", fn, path);
        count *= dims[d];
    }
    if ((st = check_claim(s, 4 + 4 * ndims, count)) != NNACT_OK)
        return st;
    unsigned char *data;
    if ((st = read_data(s, count, &data, &got)) != NNACT_OK)
        return st;
    if (got != count)
        st = nnact_fail(NNACT_ERR_IO, "%s: '%s' is truncated: %zu of %zu data bytes "
                        "present", fn, path, got, count);
    /* The end: one more byte must not exist (for gzip this also checks the
     * trailer and what follows it). */
    unsigned char extra;
    if (st == NNACT_OK && (st = src_read(s, &extra, 1, &got)) == NNACT_OK && got)
        st = nnact_fail(NNACT_ERR_IO, "%s: '%s' has bytes after its %zu data bytes", fn,
                        path, count);
    if (st != NNACT_OK) {
        free(data);
        return st;
    }
    out->ndims = ndims;
    memcpy(out->dims, dims, sizeof dims[0] * ndims);
    out->count = count;
    out->data = data;
    return NNACT_OK;
}

nnact_status nnact_idx_read(const char *path, nnact_idx *out)
{
    const char *fn = "nnact_idx_read";
    if (!path || !out)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL", fn, path ? "out" : "path");
    memset(out, 0, sizeof *out);
    source *s = malloc(sizeof *s);
    if (!s)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    nnact_status st = src_open(s, path, fn);
    if (st == NNACT_OK)
        st = read_idx(s, out);
    src_close(s);
    free(s);
    return st;
}

void nnact_idx_free(nnact_idx *idx)
{
    if (!idx)
        return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}
