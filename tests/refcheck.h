/* Array comparison against the long-double reference for the device suites:
 * one ck_abort per array (Check's per-assert bookkeeping is too slow for a
 * million elements), naming the op, shape, first bad index, its inputs, the
 * value got, the reference and the tolerance. */
#ifndef NNACT_REFCHECK_H
#define NNACT_REFCHECK_H

#include "reference.h"
#include "testutil.h"

#include <stdio.h>

/* in2 may be NULL (forward); for backward in is x (or y) and in2 is dy. */
static inline void rc_check(const char *op, size_t rows, size_t cols, const float *in,
                            const float *in2, const float *got, const long double *ref,
                            const long double *tol)
{
    const size_t n = rows * cols;
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (!ref_matches(got[i], ref[i], tol[i]) && bad++ == 0)
            first = i;
    if (!bad)
        return;
    const size_t i = first;
    char in2s[64] = "";
    if (in2)
        snprintf(in2s, sizeof in2s, " dy %.9g", (double)in2[i]);
    ck_abort_msg("%s %zux%zu: %zu of %zu elements out of bounds; first [%zu] (row %zu, "
                 "col %zu): input %.9g%s got %.9g ref %.12Lg tol %.3Lg%s",
                 op, rows, cols, bad, n, i, i / (cols ? cols : 1), i % (cols ? cols : 1),
                 (double)in[i], in2s, (double)got[i], ref[i], tol[i],
                 tol[i] < 0 ? " (0 or NaN wanted)" : "");
}

/* Bitwise equality of two float arrays (determinism, aliasing). */
static inline void rc_same_bits(const char *op, size_t n, const float *a, const float *b)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0)
            ck_abort_msg("%s: element %zu differs: %.9g vs %.9g", op, i, (double)a[i],
                         (double)b[i]);
}

#endif
