/* The rule every by-name lookup (activations, losses, optimizers) applies
 * to the name it is given before comparing. */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

bool nnact_name_key(const char *name, char *key, size_t cap)
{
    size_t len = strlen(name);
    if (len >= cap)
        return false;
    for (size_t i = 0; i <= len; i++)
        key[i] = name[i] == '-' ? '_' : (char)tolower((unsigned char)name[i]);
    return true;
}

nnact_status nnact_name_lookup(const char *name, const void *out, char *key, size_t cap,
                               const nnact_alias *aliases, size_t n_aliases, const char *fn,
                               const char *what)
{
    if (!name || !out)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s is NULL", fn, name ? "out" : "name");
    if (!nnact_name_key(name, key, cap))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: unknown %s '%.64s'", fn, what, name);
    for (size_t i = 0; i < n_aliases; i++)
        if (!strcmp(key, aliases[i].alias))
            snprintf(key, cap, "%s", aliases[i].name);
    return NNACT_OK;
}
