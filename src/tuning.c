#define _POSIX_C_SOURCE 200809L
/* CLBlast kernel parameters for the context's device. CLBlast falls back
 * silently to generic defaults for devices missing from its database (pocl
 * CPUs, for one), which are GPU-shaped and slow on CPUs. Tuned sets are
 * given as text, one kernel per line or ';'-separated:
 *     Xgemm GEMMK=1 KREG=4 KWG=1 ...
 * from NNACT_CLBLAST_PARAMS (for experiments) or from the tuning file that
 * nnact-tune writes for this device. */
#include "internal.h"

#include <clblast_c.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 32

/* Applies one "Kernel NAME=V NAME=V ..." entry; returns a status. */
static nnact_status apply_entry(nnact_ctx *ctx, char *entry, const char *origin)
{
    char *save = NULL, *kernel = strtok_r(entry, " \t\r\n", &save);
    if (!kernel)
        return NNACT_OK;
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
    CLBlastStatusCode s = CLBlastOverrideParameters(ctx->device, kernel, CLBlastPrecisionSingle,
                                                    n, names, values);
    if (s != CLBlastSuccess) {
        char what[160];
        snprintf(what, sizeof what, "CLBlast parameters from %s for kernel %s", origin, kernel);
        return nnact_fail_clblast(s, what);
    }
    return NNACT_OK;
}

nnact_status nnact_apply_clblast_params(nnact_ctx *ctx, const char *text, const char *origin)
{
    char *copy = strdup(text);
    if (!copy)
        return nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "out of host memory");
    nnact_status st = NNACT_OK;
    char *save = NULL;
    for (char *line = strtok_r(copy, ";\n", &save); line && st == NNACT_OK;
         line = strtok_r(NULL, ";\n", &save)) {
        while (isspace((unsigned char)*line))
            line++;
        if (*line && *line != '#')
            st = apply_entry(ctx, line, origin);
    }
    free(copy);
    return st;
}
