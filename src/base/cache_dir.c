/* The cache directory, which holds code and parameters this library loads
 * and runs (program binaries, CLBlast tuning files): created 0700, and an
 * entry is read only when neither it nor its directory can be written by
 * anyone but this user, who must own both, as ssh and gpg treat their
 * files. Anything else is a miss (the caller builds from source or uses the
 * shipped parameters), with the reason for NNACT_DEBUG. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* $NNACT_CACHE_DIR, else $XDG_CACHE_HOME/nnact, else $HOME/.cache/nnact. */
bool nnact_cache_dir(char *buf, size_t cap)
{
    const char *d = getenv("NNACT_CACHE_DIR"), *x = getenv("XDG_CACHE_HOME"),
               *h = getenv("HOME");
    int w;
    if (d && *d)
        w = snprintf(buf, cap, "%s", d);
    else if (x && *x)
        w = snprintf(buf, cap, "%s/nnact", x);
    else if (h && *h)
        w = snprintf(buf, cap, "%s/.cache/nnact", h);
    else
        return false;
    return w > 0 && (size_t)w < cap;
}

/* mkdir -p: every missing directory of dir, mode 0700 (only this user may
 * read or add entries; errors are left to the write that follows). */
void nnact_make_dirs(const char *dir)
{
    char tmp[2400];
    snprintf(tmp, sizeof tmp, "%s/", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0700);
            *p = '/';
        }
}

/* Whether st (of what) is this user's and writable by no one else. */
static bool owned_alone(const struct stat *st, const char *what, const char *path, char *why,
                        size_t cap)
{
    if (st->st_uid != geteuid()) {
        snprintf(why, cap, "%s '%s' belongs to uid %u, not to this user (uid %u)", what,
                 path, (unsigned)st->st_uid, (unsigned)geteuid());
        return false;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(why, cap, "%s '%s' is writable by %s (mode %04o)", what, path,
                 st->st_mode & S_IWOTH ? "every user" : "its group",
                 (unsigned)(st->st_mode & 07777));
        return false;
    }
    return true;
}

nnact_status nnact_read_cache_entry(const char *path, unsigned char **data, size_t *n,
                                    char *why, size_t cap)
{
    *data = NULL;
    *n = 0;
    why[0] = '\0';
    char dir[2400];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    struct stat ds, fs;
    if (stat(dir, &ds) != 0) /* no cache yet: a plain miss, why stays "" */
        return NNACT_ERR_IO;
    if (!owned_alone(&ds, "the cache directory", dir, why, cap))
        return NNACT_ERR_IO;
    /* The file is checked through the descriptor it is read from, so it
     * cannot be swapped between the check and the read. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) /* no entry yet: a plain miss */
            snprintf(why, cap, "cannot open '%s': %s", path, strerror(errno));
        return NNACT_ERR_IO;
    }
    if (fstat(fd, &fs) != 0 || !S_ISREG(fs.st_mode)) {
        snprintf(why, cap, "'%s' is not a regular file", path);
        close(fd);
        return NNACT_ERR_IO;
    }
    if (!owned_alone(&fs, "the entry", path, why, cap)) {
        close(fd);
        return NNACT_ERR_IO;
    }
    unsigned char *buf = malloc((size_t)fs.st_size + 1);
    size_t len = 0;
    ssize_t r = 1;
    while (buf && r > 0 && len < (size_t)fs.st_size) {
        r = read(fd, buf + len, (size_t)fs.st_size - len);
        if (r < 0 && errno == EINTR)
            r = 1;
        else if (r > 0)
            len += (size_t)r;
    }
    close(fd);
    if (!buf || r < 0) {
        snprintf(why, cap, "%s '%s'", buf ? "cannot read" : "out of memory reading", path);
        free(buf);
        return buf ? NNACT_ERR_IO : NNACT_ERR_OUT_OF_MEMORY;
    }
    buf[len] = '\0';
    *data = buf;
    *n = len;
    return NNACT_OK;
}
