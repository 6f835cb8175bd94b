/* Files: whole-file reads, and writes made atomic by a temporary file
 * beside the target, synced, then renamed over it, so readers see the old
 * file or the new one, never half of one (models, tuning files, program
 * binaries). Also the FNV-1a hash that names cache entries. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

nnact_status nnact_write_file_atomic(const char *path, const void *data, size_t n,
                                     const char *fn)
{
    const unsigned char *p = data;
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        nnact_status st = nnact_fail(NNACT_ERR_IO, "%s: cannot create a temporary file "
                                     "beside '%s': %s", fn, path, strerror(errno));
        free(tmp);
        return st;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int err = done == n ? 0 : errno ? errno : EIO;
    if (!err && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    nnact_status st = NNACT_OK;
    if (err) {
        unlink(tmp);
        st = nnact_fail(NNACT_ERR_IO, "%s: writing '%s' failed: %s", fn, path, strerror(err));
    }
    free(tmp);
    return st;
}

nnact_status nnact_read_file(const char *path, unsigned char **data, size_t *n,
                             const char *fn)
{
    *data = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return nnact_fail(NNACT_ERR_IO, "%s: cannot open '%s': %s", fn, path, strerror(errno));
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, r;
    nnact_status st = NNACT_OK;
    do {
        if (len + 1 >= cap) { /* keep room for the terminating NUL */
            unsigned char *q = realloc(buf, cap = cap ? 2 * cap : 1 << 16);
            if (!q) {
                st = nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory reading "
                                "'%s'", fn, path);
                break;
            }
            buf = q;
        }
        r = fread(buf + len, 1, cap - 1 - len, f);
        len += r;
    } while (r > 0);
    if (st == NNACT_OK && ferror(f))
        st = nnact_fail(NNACT_ERR_IO, "%s: reading '%s' failed", fn, path);
    fclose(f);
    if (st != NNACT_OK) {
        free(buf);
        return st;
    }
    buf[len] = '\0';
    *data = buf;
    *n = len;
    return NNACT_OK;
}

uint64_t nnact_fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}
