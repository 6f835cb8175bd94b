#define _POSIX_C_SOURCE 200809L
/* Where a context's CLBlast kernel parameters come from. CLBlast falls back
 * silently to generic, GPU-shaped defaults for devices missing from its own
 * database (pocl CPUs, for one). In order, the first that exists wins:
 *   1. NNACT_CLBLAST_PARAMS (text, for experiments);
 *   2. the user's tuning file for this exact device, written by nnact_tune /
 *      nnact-tune: <cache dir>/clblast-<hash>.params, whose "# key:" line
 *      (device name, driver, platform version, CLBlast version) must match;
 *   3. the database shipped in the library (src/gemm/tuning.db, embedded at build
 *      time), whose entries match a device class rather than one device;
 *   4. CLBlast's own database and defaults.
 * Anything that does not fit (another key, another CLBlast version, bad
 * syntax) is a miss, never an error. NNACT_TUNING=0 skips 2 and 3,
 * NNACT_TUNING_DB=0 skips 3, NNACT_TUNING_DB=FILE reads 3 from FILE.
 * A leaf: it parses and chooses; blas.c hands the result to CLBlast. */
#include "internal.h"
#include "tuning_db.h"

#include <clblast_c.h>
#include <ctype.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 32

/* The kernel names CLBlastOverrideParameters knows (CLBlast 1.5). */
static bool known_kernel(const char *k)
{
    static const char *const names[] = {
        "Xaxpy", "Xdot", "Xgemv", "Xgemv_fast", "Xgemv_fast_rot", "Xger", "Xgemm",
        "XgemmDirect", "Copy", "Pad", "Transpose", "Padtranspose", "Invert",
        "TrsvRoutine", "GemmRoutine", "Xconvgemm"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(k, names[i]))
            return true;
    return false;
}

/* Parses one "Kernel NAME=V NAME=V ..." entry and passes it to fn. */
static nnact_status parse_entry(char *entry, const char *origin, nnact_param_fn fn, void *user)
{
    char *save = NULL, *kernel = strtok_r(entry, " \t\r\n", &save);
    if (!kernel)
        return NNACT_OK;
    if (!known_kernel(kernel))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "CLBlast parameters from %s: unknown "
                          "CLBlast kernel '%s'", origin, kernel);
    const char *names[MAX_PARAMS];
    size_t values[MAX_PARAMS], n = 0;
    for (char *tok = strtok_r(NULL, " \t\r\n", &save); tok;
         tok = strtok_r(NULL, " \t\r\n", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || n == MAX_PARAMS || !isdigit((unsigned char)eq[1]))
            return nnact_fail(NNACT_ERR_INVALID_ARG, "CLBlast parameters from %s: bad "
                              "item '%s' for kernel %s (want NAME=VALUE)", origin, tok,
                              kernel);
        *eq = '\0';
        names[n] = tok;
        values[n++] = strtoul(eq + 1, NULL, 10);
    }
    return fn ? fn(user, kernel, n, names, values) : NNACT_OK;
}

nnact_status nnact_tuning_parse(const char *text, const char *origin, nnact_param_fn fn,
                                void *user)
{
    char *copy = strdup(text);
    if (!copy)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "out of host memory");
    nnact_status st = NNACT_OK;
    char *lsave = NULL;
    /* Lines first, so a '#' comment may hold any character; then ';'. */
    for (char *line = strtok_r(copy, "\n", &lsave); line && st == NNACT_OK;
         line = strtok_r(NULL, "\n", &lsave)) {
        while (isspace((unsigned char)*line))
            line++;
        if (*line == '#')
            continue;
        char *esave = NULL;
        for (char *e = strtok_r(line, ";", &esave); e && st == NNACT_OK;
             e = strtok_r(NULL, ";", &esave))
            st = parse_entry(e, origin, fn, user);
    }
    free(copy);
    return st;
}

static void clblast_version(char *buf, size_t cap)
{
    snprintf(buf, cap, "%d.%d.%d", CLBLAST_VERSION_MAJOR, CLBLAST_VERSION_MINOR,
             CLBLAST_VERSION_PATCH);
}

/* What the tuned parameters depend on: a change of any of these is a miss. */
static void tuning_key(const nnact_ctx *ctx, char *key, size_t cap)
{
    char v[32];
    clblast_version(v, sizeof v);
    snprintf(key, cap, "device=%s; driver=%s; platform=%s; clblast=%s",
             ctx->info.device_name, ctx->info.driver_version, ctx->info.platform_version, v);
}

nnact_status nnact_tuning_path(const nnact_ctx *ctx, char *buf, size_t cap)
{
    if (!ctx || !buf || !cap)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_tuning_path: NULL argument");
    char dir[2048], key[512];
    if (!nnact_cache_dir(dir, sizeof dir))
        return nnact_fail(NNACT_ERR_IO, "nnact_tuning_path: no cache directory (set "
                          "NNACT_CACHE_DIR, XDG_CACHE_HOME or HOME)");
    tuning_key(ctx, key, sizeof key);
    int w = snprintf(buf, cap, "%s/clblast-%016llx.params", dir,
                     (unsigned long long)nnact_fnv1a(NNACT_FNV_BASIS, key));
    if (w < 0 || (size_t)w >= cap)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_tuning_path: buffer too small");
    return NNACT_OK;
}


nnact_status nnact_tuning_save(const nnact_ctx *ctx, const char *params)
{
    const char *fn = "nnact_tuning_save";
    if (!ctx || !params)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL", fn, ctx ? "params" : "ctx");
    char path[2304], key[512];
    nnact_status st = nnact_tuning_path(ctx, path, sizeof path);
    if (st != NNACT_OK)
        return st;
    tuning_key(ctx, key, sizeof key);
    size_t cap = strlen(key) + strlen(params) + 128;
    char *text = malloc(cap);
    if (!text)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    int n = snprintf(text, cap, "# nnact CLBlast parameters (written by nnact-tune)\n"
                     "# key: %s\n%s\n", key, params);
    char dir[2048];
    if (nnact_cache_dir(dir, sizeof dir))
        nnact_make_dirs(dir);
    st = nnact_write_file_atomic(path, text, (size_t)n, fn);
    free(text);
    return st;
}

/* Reads the tuning file for the context's device; NULL when there is none,
 * it is unreadable, or its key is not this device's (all misses). */
static char *read_tuning(const nnact_ctx *ctx, char *path, size_t cap)
{
    if (nnact_tuning_path(ctx, path, cap) != NNACT_OK)
        return NULL;
    unsigned char *data;
    size_t n;
    char why[2600];
    if (nnact_read_cache_entry(path, &data, &n, why, sizeof why) != NNACT_OK) {
        if (ctx->debug && why[0])
            fprintf(stderr, "nnact: tuning file refused (%s)\n", why);
        return NULL;
    }
    char *text = (char *)data, key[512], want[600];
    tuning_key(ctx, key, sizeof key);
    snprintf(want, sizeof want, "\n# key: %s\n", key);
    if (strlen(text) != n || !strstr(text, want)) { /* binary junk or another key */
        free(text);
        return NULL;
    }
    return text;
}

/* ---- the shipped database -------------------------------------------------- */

/* Trims s in place; returns the first non-blank character. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* How well one "match" field fits the device: "name=EXACT" best, then
 * "name-prefix=PREFIX" (pocl CPUs: "pthread-<LLVM CPU>-", the class of every
 * machine with that CPU generation) by its length, so "pthread-skylake-"
 * does not take "pthread-skylake-avx512-" devices; 0 when it does not. */
static size_t match_device(const char *field, const nnact_device_info *info)
{
    if (!strncmp(field, "name=", 5))
        return strcmp(field + 5, info->device_name) ? 0 : SIZE_MAX;
    size_t n = strlen(field + 12);
    if (!strncmp(field, "name-prefix=", 12) && n && !strncmp(field + 12, info->device_name, n))
        return n;
    return 0;
}

bool nnact_tuning_db_find(const char *db, const nnact_device_info *info,
                          const char *clblast, char *params, size_t pcap, char *cls,
                          size_t ccap)
{
    char *copy = strdup(db ? db : "");
    if (!copy)
        return false;
    size_t best = 0;
    char *lsave = NULL;
    for (char *line = strtok_r(copy, "\n", &lsave); line;
         line = strtok_r(NULL, "\n", &lsave)) {
        line = trim(line);
        if (!*line || *line == '#')
            continue;
        /* match | cu=N or cu=* | clblast=X.Y.Z | parameters */
        char *f[4], *fsave = NULL;
        size_t nf = 0;
        for (char *t = strtok_r(line, "|", &fsave); t && nf < 4; t = strtok_r(NULL, "|", &fsave))
            f[nf++] = trim(t);
        size_t fit = nf == 4 && !strtok_r(NULL, "|", &fsave) ? match_device(f[0], info) : 0;
        if (fit <= best)
            continue;
        char *end;
        if (strncmp(f[1], "cu=", 3) ||
            (strcmp(f[1] + 3, "*") &&
             (strtoul(f[1] + 3, &end, 10) != info->compute_units || *end || end == f[1] + 3)))
            continue;
        if (strncmp(f[2], "clblast=", 8) || strcmp(f[2] + 8, clblast))
            continue; /* stale: tuned for another CLBlast */
        if (nnact_tuning_parse(f[3], "the shipped tuning database", NULL, NULL) != NNACT_OK)
            continue; /* corrupt: a miss */
        snprintf(params, pcap, "%s", f[3]);
        snprintf(cls, ccap, "%s, %s", f[0], f[1]);
        best = fit;
    }
    free(copy);
    return best > 0;
}

const char *nnact_tuning_database(char **owned, char *origin, size_t cap)
{
    *owned = NULL;
    const char *env = getenv("NNACT_TUNING_DB");
    if (env && !strcmp(env, "0"))
        return NULL;
    if (env && *env) {
        unsigned char *data;
        size_t n;
        if (nnact_read_file(env, &data, &n, "NNACT_TUNING_DB") != NNACT_OK)
            return NULL;
        snprintf(origin, cap, "%s", env);
        return *owned = (char *)data;
    }
    snprintf(origin, cap, "shipped database");
    return nnact_tuning_db;
}

/* ---- choosing at context creation ------------------------------------------ */

/* Keeps parameters (already syntax-checked) for the first SGEMM: CLBlast
 * costs 3-10 ms to initialise, which programs without GEMMs should not pay. */
static nnact_status set_pending(nnact_ctx *ctx, const char *text, const char *origin,
                                nnact_tuning_source source)
{
    free(ctx->clblast_pending);
    ctx->clblast_pending = strdup(text);
    if (!ctx->clblast_pending)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "out of host memory");
    snprintf(ctx->clblast_origin, sizeof ctx->clblast_origin, "%s", origin);
    ctx->tuning_source = source;
    return NNACT_OK;
}

/* The shipped class entry for the device, if any. */
static nnact_status load_database(nnact_ctx *ctx)
{
    char *owned, origin[2100], params[2048], cls[300], v[32];
    const char *db = nnact_tuning_database(&owned, origin, sizeof origin);
    clblast_version(v, sizeof v);
    nnact_status st = NNACT_OK;
    if (db && nnact_tuning_db_find(db, &ctx->info, v, params, sizeof params, cls, sizeof cls)) {
        char where[2400];
        snprintf(where, sizeof where, "%.2000s [%.300s]", origin, cls);
        st = set_pending(ctx, params, where, NNACT_TUNING_SHIPPED);
        snprintf(ctx->tuning, sizeof ctx->tuning, "%.2380s", where);
    }
    free(owned);
    return st;
}

nnact_status nnact_load_tuning(nnact_ctx *ctx)
{
    ctx->tuning_source = NNACT_TUNING_NONE;
    const char *env = getenv("NNACT_CLBLAST_PARAMS");
    if (env && *env) {
        snprintf(ctx->tuning, sizeof ctx->tuning, "NNACT_CLBLAST_PARAMS");
        if (ctx->debug)
            fprintf(stderr, "nnact: CLBlast parameters from NNACT_CLBLAST_PARAMS: %s\n", env);
        nnact_status st = nnact_tuning_parse(env, "NNACT_CLBLAST_PARAMS", NULL, NULL);
        return st == NNACT_OK ? set_pending(ctx, env, "NNACT_CLBLAST_PARAMS",
                                            NNACT_TUNING_ENV) : st;
    }
    snprintf(ctx->tuning, sizeof ctx->tuning, "CLBlast defaults (not tuned)");
    const char *off = getenv("NNACT_TUNING");
    if (off && !strcmp(off, "0"))
        return NNACT_OK;
    char path[2304];
    char *text = read_tuning(ctx, path, sizeof path);
    nnact_status st = NNACT_OK;
    /* A file that does not parse is a miss, reported only under NNACT_DEBUG. */
    if (text && nnact_tuning_parse(text, path, NULL, NULL) == NNACT_OK) {
        st = set_pending(ctx, text, path, NNACT_TUNING_FILE);
        snprintf(ctx->tuning, sizeof ctx->tuning, "tuned (%s)", path);
    } else {
        if (text && ctx->debug)
            fprintf(stderr, "nnact: ignoring tuning file: %s\n", nnact_last_error());
        st = load_database(ctx);
    }
    if (ctx->debug)
        fprintf(stderr, "nnact: CLBlast parameters: %s\n", ctx->tuning);
    free(text);
    return st;
}

const char *nnact_ctx_tuning(const nnact_ctx *ctx) { return ctx ? ctx->tuning : NULL; }

nnact_tuning_source nnact_ctx_tuning_source(const nnact_ctx *ctx)
{
    return ctx ? ctx->tuning_source : NNACT_TUNING_NONE;
}

/* The device-class match for a database line: pocl CPU device names are
 * "pthread-<LLVM CPU>-<model name>" (model name as /proc/cpuinfo has it), so
 * the class is the name without the model; other devices match by name. */
static void device_class(const nnact_device_info *info, char *buf, size_t cap)
{
    const char *name = info->device_name;
    snprintf(buf, cap, "name=%s", name);
    if (strncmp(name, "pthread-", 8) && strncmp(name, "cpu-", 4))
        return;
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10))
            continue;
        char *model = strchr(line, ':');
        if (!model)
            break;
        model = trim(model + 1);
        size_t nl = strlen(name), ml = strlen(model);
        if (ml && ml + 1 < nl && !strcmp(name + nl - ml, model) && name[nl - ml - 1] == '-')
            snprintf(buf, cap, "name-prefix=%.*s", (int)(nl - ml), name);
        break;
    }
    if (f)
        fclose(f);
}

nnact_status nnact_tuning_db_line(const nnact_ctx *ctx, const char *params, char *buf,
                                  size_t cap)
{
    const char *fn = "nnact_tuning_db_line";
    if (!ctx || !params || !buf || !cap)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: NULL argument", fn);
    nnact_status st = nnact_tuning_parse(params, fn, NULL, NULL);
    if (st != NNACT_OK)
        return st;
    char cls[300], v[32], *flat = strdup(params);
    if (!flat)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    size_t len = strlen(flat);
    while (len && strchr(" \t\r\n;", flat[len - 1]))
        flat[--len] = '\0';
    for (char *p = flat; *p; p++) /* one line: entries ';'-separated */
        if (*p == '\n' || *p == '\r')
            *p = ';';
    device_class(&ctx->info, cls, sizeof cls);
    clblast_version(v, sizeof v);
    int w = snprintf(buf, cap, "%s | cu=* | clblast=%s | %s", cls, v, flat);
    free(flat);
    if (w < 0 || (size_t)w >= cap)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: buffer too small", fn);
    return NNACT_OK;
}
