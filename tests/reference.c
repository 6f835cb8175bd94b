/* Placeholder: replaced by the real reference. */
#include "reference.h"
