"""Generates the cffi API-mode extension _nnact_cffi's C source (run by meson).

usage: _build.py OUTPUT.c

The cdef is _cdef_types.h (cffi syntax) plus _cdef_funcs.h (plain C). The
generated source includes nnact.h and then _cdef_funcs.h again, so the C
compiler checks every declaration the binding uses against the real header.
"""
import os
import sys

import cffi

HERE = os.path.dirname(os.path.abspath(__file__))

# A C loop around one call, for the per-call overhead benchmark: the time
# the wrapper adds is a Python call's median minus this loop's median.
C_HELPERS = r"""
#include <stdlib.h>
#include <time.h>

static int nnact_py_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double nnact_py_c_loop_ns(nnact_ctx *ctx, const nnact_act *act,
                                 const nnact_tensor *x, nnact_tensor *y, size_t calls)
{
    double *t = malloc((calls ? calls : 1) * sizeof *t), median;
    if (!t || !calls) {
        free(t);
        return -1.0;
    }
    for (size_t i = 0; i < calls; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        nnact_status st = nnact_act_forward(ctx, act, x, y);
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (st != NNACT_OK) {
            free(t);
            return -1.0;
        }
        t[i] = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
    }
    qsort(t, calls, sizeof *t, nnact_py_cmp);
    median = t[calls / 2];
    free(t);
    return median;
}
"""


def read(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return f.read()


def make_ffi():
    ffi = cffi.FFI()
    funcs = read("_cdef_funcs.h")
    ffi.cdef(read("_cdef_types.h") + funcs)
    ffi.set_source("_nnact_cffi", '#include "nnact.h"\n' + funcs + C_HELPERS)
    return ffi


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    make_ffi().emit_c_code(sys.argv[1])
