/* Files: whole-file reads, and writes made atomic by a temporary file
 * beside the target, synced, then renamed over it, so readers see the old
 * file or the new one, never half of one (models, tuning files, program
 * binaries). A save first removes the temporary files that killed saves of
 * the same target left; the saved file keeps the old one's mode, or gets
 * the umask's. Also the FNV-1a hash that names cache entries. */
#define _DEFAULT_SOURCE /* flock */
#include "internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The temporary files of a target are "<target>.tmp." plus six characters
 * (the mkstemp pattern, kept so that older builds' leftovers match too). */
#define TMP_TAG ".tmp."
#define TMP_SUFFIX_LEN 6

static bool is_tmp_of(const char *name, const char *base, size_t base_len)
{
    if (strncmp(name, base, base_len) != 0 || strncmp(name + base_len, TMP_TAG, 5) != 0)
        return false;
    const char *sfx = name + base_len + 5;
    if (strlen(sfx) != TMP_SUFFIX_LEN)
        return false;
    for (const char *c = sfx; *c; c++)
        if (!isalnum((unsigned char)*c))
            return false;
    return true;
}

/* Removes the temporary files an earlier save of the same target left
 * behind when it was killed. A writer holds an exclusive lock on its
 * temporary file until the rename, so one that a live save (of this or
 * another process) is still writing is left alone. Best effort: a file that
 * cannot be removed changes nothing for this save. (A save whose file is
 * taken in the instant between its creation and its lock fails cleanly at
 * the rename.) */
static void remove_stale_tmps(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dir_len = slash ? (size_t)(slash - path) : 0, base_len = strlen(base);
    char *dir = malloc(dir_len + 2), *full = malloc(strlen(path) + 16);
    if (!dir || !full)
        goto done;
    if (slash)
        snprintf(dir, dir_len + 2, "%.*s", (int)(dir_len ? dir_len : 1), path);
    else
        strcpy(dir, ".");
    DIR *d = opendir(dir);
    if (!d)
        goto done;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_tmp_of(e->d_name, base, base_len))
            continue;
        snprintf(full, strlen(path) + 16, "%.*s%s", (int)(base - path), path, e->d_name);
        int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            unlink(full);
        close(fd);
    }
    closedir(d);
done:
    free(dir);
    free(full);
}

/* Creates "<path>.tmp.XXXXXX" exclusively with mode 0666 less the umask
 * (mkstemp would force 0600), and locks it against remove_stale_tmps. */
static int create_tmp(const char *path, char *tmp, size_t cap)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static _Atomic unsigned long long counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long x = (unsigned long long)ts.tv_nsec ^
                           (unsigned long long)ts.tv_sec << 30 ^
                           (unsigned long long)getpid() << 20;
    for (int attempt = 0; attempt < 100; attempt++) {
        x += 0x9E3779B97F4A7C15ull * (++counter);
        unsigned long long h = x;
        char sfx[TMP_SUFFIX_LEN + 1];
        for (int i = 0; i < TMP_SUFFIX_LEN; i++, h /= 62)
            sfx[i] = chars[h % 62];
        sfx[TMP_SUFFIX_LEN] = '\0';
        snprintf(tmp, cap, "%s" TMP_TAG "%s", path, sfx);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            flock(fd, LOCK_EX); /* cannot block: nobody else knows the name yet */
            return fd;
        }
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

nnact_status nnact_write_file_atomic(const char *path, const void *data, size_t n,
                                     const char *fn)
{
    const unsigned char *p = data;
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    remove_stale_tmps(path);
    int fd = create_tmp(path, tmp, len + 16);
    if (fd < 0) {
        nnact_status st = nnact_fail(NNACT_ERR_IO, "%s: cannot create a temporary file "
                                     "beside '%s': %s", fn, path, strerror(errno));
        free(tmp);
        return st;
    }
    /* Overwriting keeps the old file's permissions (a new file has the
     * umask's, from create_tmp). */
    struct stat old;
    int err = 0;
    if (stat(path, &old) == 0 && S_ISREG(old.st_mode) &&
        fchmod(fd, old.st_mode & 07777) != 0)
        err = errno;
    size_t done = 0;
    while (!err && done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            err = w < 0 ? errno : EIO;
            break;
        }
        done += (size_t)w;
    }
    if (!err && fsync(fd) != 0)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (close(fd) != 0 && !err) /* closing also drops the lock, after the rename */
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
