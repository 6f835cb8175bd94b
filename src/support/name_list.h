/* Whether name is one of the comma-separated names in list ("all": every
 * name, "none": none), exactly. Shared by nnact-info --f16 and ops_small's
 * OPS_SMALL_F16. */
#ifndef NNACT_NAME_LIST_H
#define NNACT_NAME_LIST_H

#include <stdbool.h>
#include <string.h>

static inline bool name_in_list(const char *list, const char *name)
{
    if (!strcmp(list, "all"))
        return true;
    const size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        const size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n))
            return true;
        p += len + (e != NULL);
    }
    return false;
}

#endif
