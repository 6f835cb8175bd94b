/* nnact_version: the version of the library that is running, built from the
 * same macros as the header so the two cannot disagree within one build. */
#include "nnact.h"

#define NNACT_STR_(x) #x
#define NNACT_STR(x) NNACT_STR_(x)

const char *nnact_version(void)
{
    return NNACT_STR(NNACT_VERSION_MAJOR) "." NNACT_STR(NNACT_VERSION_MINOR) "." NNACT_STR(
        NNACT_VERSION_PATCH);
}
