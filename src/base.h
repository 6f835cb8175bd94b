/* The ground floor (src/base/): error messages, files, the cache
 * directory, names. Knows no context. */
#ifndef NNACT_BASE_H
#define NNACT_BASE_H

#include "nnact.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- errors (error.c) ---- */
#if defined(__GNUC__)
#define NNACT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define NNACT_PRINTF(a, b)
#endif

/* Records a message for nnact_last_error() and returns status. */
nnact_status nnact_fail(nnact_status status, const char *fmt, ...) NNACT_PRINTF(2, 3);
/* The status of an OpenCL error: NNACT_ERR_OUT_OF_MEMORY for the
 * resource errors, NNACT_ERR_BUILD for CL_BUILD_PROGRAM_FAILURE, else
 * NNACT_ERR_OPENCL. */
nnact_status nnact_cl_status(cl_int err);
/* Maps an OpenCL error to a status; message "<what>: CL_NAME (code)". */
nnact_status nnact_fail_cl(cl_int err, const char *what);
const char *nnact_cl_error_name(cl_int err);

/* ---- files (fileio.c, cache_dir.c) ---- */
/* Writes n bytes to path through a synced temporary file and a rename
 * (fileio.c); fn names the caller in messages. */
nnact_status nnact_write_file_atomic(const char *path, const void *data, size_t n,
                                     const char *fn);
/* Reads a whole file into a malloc'd buffer (NUL-terminated, n excludes the
 * NUL). Errors: NNACT_ERR_IO (cannot open or read), NNACT_ERR_OUT_OF_MEMORY. */
nnact_status nnact_read_file(const char *path, unsigned char **data, size_t *n,
                             const char *fn);
/* 64-bit FNV-1a of s, continuing from h (start from NNACT_FNV_BASIS). */
#define NNACT_FNV_BASIS 0xcbf29ce484222325ull
uint64_t nnact_fnv1a(uint64_t h, const char *s);

/* The cache directory: $NNACT_CACHE_DIR, else $XDG_CACHE_HOME/nnact, else
 * $HOME/.cache/nnact (cache_dir.c); nnact_make_dirs is mkdir -p, 0700. */
bool nnact_cache_dir(char *buf, size_t cap);
void nnact_make_dirs(const char *dir);
/* Reads a cache entry (NUL-terminated, n excludes the NUL) when it and its
 * directory belong to this user and no one else may write them; else a
 * miss: NNACT_ERR_IO (or NNACT_ERR_OUT_OF_MEMORY) with why saying what was
 * refused ("" when there is simply no entry), and no message recorded. */
nnact_status nnact_read_cache_entry(const char *path, unsigned char **data, size_t *n,
                                    char *why, size_t cap);

/* Lower-cases name into key with '-' as '_' (the by-name lookups' rule,
 * name_key.c); false when it does not fit. */
bool nnact_name_key(const char *name, char *key, size_t cap);
/* Another name for a canonical one (the by-name lookups' tables). */
typedef struct nnact_alias {
    const char *alias, *name;
} nnact_alias;
/* The start of every from_name lookup: name and out must not be NULL and
 * name's key must fit (else "fn: unknown what 'name'"); an alias's key
 * becomes its canonical name. */
nnact_status nnact_name_lookup(const char *name, const void *out, char *key, size_t cap,
                               const nnact_alias *aliases, size_t n_aliases, const char *fn,
                               const char *what);

#endif
