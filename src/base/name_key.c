/* The rule every by-name lookup (activations, losses, optimizers) applies
 * to the name it is given before comparing. */
#include "internal.h"

#include <ctype.h>
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
