#define _POSIX_C_SOURCE 200809L
/* CLBlast kernel parameters for the context's device. CLBlast falls back
 * silently to generic defaults for devices missing from its database (pocl
 * CPUs, for one), which are GPU-shaped and slow on CPUs. Tuned sets are
 * given as text, one kernel per line or ';'-separated:
 *     Xgemm GEMMK=1 KREG=4 KWG=1 ...
 * from NNACT_CLBLAST_PARAMS (for experiments) or from the tuning file that
 * nnact-tune writes for this device: <cache dir>/clblast-<hash>.params,
 * whose "# key:" line (device name, driver, platform version, CLBlast
 * version) must match the device, else the file is a miss. */
#include "internal.h"

#include <clblast_c.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Parses one "Kernel NAME=V NAME=V ..." entry and, with apply, hands it to
 * CLBlast. */
static nnact_status apply_entry(nnact_ctx *ctx, char *entry, const char *origin, bool apply)
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
    if (!apply)
        return NNACT_OK;
    CLBlastStatusCode s = CLBlastOverrideParameters(ctx->device, kernel, CLBlastPrecisionSingle,
                                                    n, names, values);
    if (s != CLBlastSuccess) {
        char what[160];
        snprintf(what, sizeof what, "CLBlast parameters from %s for kernel %s", origin, kernel);
        return nnact_fail_clblast(s, what);
    }
    return NNACT_OK;
}

nnact_status nnact_apply_clblast_params(nnact_ctx *ctx, const char *text, const char *origin,
                                        bool apply)
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
            st = apply_entry(ctx, e, origin, apply);
    }
    free(copy);
    return st;
}

/* What the tuned parameters depend on: a change of any of these is a miss. */
static void tuning_key(const nnact_ctx *ctx, char *key, size_t cap)
{
    snprintf(key, cap, "device=%s; driver=%s; platform=%s; clblast=%d.%d.%d",
             ctx->info.device_name, ctx->info.driver_version, ctx->info.platform_version,
             CLBLAST_VERSION_MAJOR, CLBLAST_VERSION_MINOR, CLBLAST_VERSION_PATCH);
}

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

void nnact_make_dirs(const char *dir)
{
    char tmp[2400];
    snprintf(tmp, sizeof tmp, "%s/", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
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
    if (nnact_read_file(path, &data, &n, "tuning file") != NNACT_OK)
        return NULL;
    char *text = (char *)data, key[512], want[600];
    tuning_key(ctx, key, sizeof key);
    snprintf(want, sizeof want, "\n# key: %s\n", key);
    if (strlen(text) != n || !strstr(text, want)) { /* binary junk or another key */
        free(text);
        return NULL;
    }
    return text;
}

/* Keeps parameters (already syntax-checked) for the first SGEMM: CLBlast
 * costs 3-10 ms to initialise, which programs without GEMMs should not pay. */
static nnact_status set_pending(nnact_ctx *ctx, const char *text, const char *origin,
                                bool from_file)
{
    free(ctx->clblast_pending);
    ctx->clblast_pending = strdup(text);
    if (!ctx->clblast_pending)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "out of host memory");
    snprintf(ctx->clblast_origin, sizeof ctx->clblast_origin, "%s", origin);
    ctx->clblast_from_file = from_file;
    return NNACT_OK;
}

nnact_status nnact_load_tuning(nnact_ctx *ctx)
{
    const char *env = getenv("NNACT_CLBLAST_PARAMS");
    if (env && *env) {
        snprintf(ctx->tuning, sizeof ctx->tuning, "NNACT_CLBLAST_PARAMS");
        if (ctx->debug)
            fprintf(stderr, "nnact: CLBlast parameters from NNACT_CLBLAST_PARAMS: %s\n", env);
        nnact_status st = nnact_apply_clblast_params(ctx, env, "NNACT_CLBLAST_PARAMS", false);
        return st == NNACT_OK ? set_pending(ctx, env, "NNACT_CLBLAST_PARAMS", false) : st;
    }
    snprintf(ctx->tuning, sizeof ctx->tuning, "CLBlast defaults (not tuned)");
    const char *off = getenv("NNACT_TUNING");
    if (off && !strcmp(off, "0"))
        return NNACT_OK;
    char path[2304];
    char *text = read_tuning(ctx, path, sizeof path);
    if (!text)
        return NNACT_OK;
    /* A file that does not parse is a miss, reported only under NNACT_DEBUG. */
    nnact_status st = NNACT_OK;
    if (nnact_apply_clblast_params(ctx, text, path, false) == NNACT_OK) {
        st = set_pending(ctx, text, path, true);
        snprintf(ctx->tuning, sizeof ctx->tuning, "tuned (%s)", path);
    } else if (ctx->debug) {
        fprintf(stderr, "nnact: ignoring tuning file: %s\n", nnact_last_error());
    }
    if (ctx->debug)
        fprintf(stderr, "nnact: CLBlast parameters: %s\n", ctx->tuning);
    free(text);
    return st;
}

nnact_status nnact_apply_pending_tuning(nnact_ctx *ctx)
{
    char *text = ctx->clblast_pending;
    ctx->clblast_pending = NULL;
    nnact_status st = nnact_apply_clblast_params(ctx, text, ctx->clblast_origin, true);
    free(text);
    if (st != NNACT_OK && ctx->clblast_from_file) {
        /* a file CLBlast refuses is a miss: carry on with its defaults */
        if (ctx->debug)
            fprintf(stderr, "nnact: ignoring tuning file: %s\n", nnact_last_error());
        snprintf(ctx->tuning, sizeof ctx->tuning, "CLBlast defaults (tuning file %.2300s "
                 "refused by CLBlast)", ctx->clblast_origin);
        return NNACT_OK;
    }
    return st;
}

const char *nnact_ctx_tuning(const nnact_ctx *ctx) { return ctx ? ctx->tuning : NULL; }

nnact_status nnact_clblast_override(nnact_ctx *ctx, const char *params)
{
    if (!ctx || !params)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "nnact_clblast_override: %s is NULL",
                          ctx ? "params" : "ctx");
    nnact_status st = nnact_apply_clblast_params(ctx, params, "nnact_clblast_override", true);
    if (st == NNACT_OK) {
        free(ctx->clblast_pending); /* explicit parameters win over the file */
        ctx->clblast_pending = NULL;
        snprintf(ctx->tuning, sizeof ctx->tuning, "set by nnact_clblast_override");
    }
    return st;
}
