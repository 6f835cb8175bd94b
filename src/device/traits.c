/* Device traits: every choice the library makes from what a device is, in
 * one pure function (no OpenCL call), so each is tested on synthetic
 * devices (tests/test_traits.c) and a new quirk has one home. context.c
 * asks the device for nnact_device_limits, calls nnact_device_traits_of and
 * applies the environment's overrides (NNACT_ROW_KERNELS, NNACT_STREAM,
 * NNACT_CACHE) on top. */
#include "internal.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool contains_ci(const char *hay, const char *needle)
{
    const size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

bool nnact_device_is_pocl(const nnact_device_info *d)
{
    return contains_ci(d->platform_name, "portable computing language") ||
           contains_ci(d->platform_name, "pocl");
}

/* Row operations (softmax, losses) come in two forms: a work-item per row
 * walking it 16 floats at a time (cl/softmax.cl *_rows), or a work-group per
 * row. The first needs a compiler that maps float16 onto SIMD registers and
 * few, heavy threads: a CPU runtime that reports a native float vector width
 * above 1 (pocl: 8 with AVX2, 16 with AVX-512). Device type alone is not
 * enough: Mesa's llvmpipe (rusticl) and Oclgrind report a native width of 1
 * -- llvmpipe scalarises vectors and runs 8 work-items per SIMD instruction
 * like a GPU. There, softmax 64x64 (nnact-bench, wall clock) took 29.5 ms
 * forward / 7.1 ms backward per row-item against 6.2 / 1.7 ms per
 * work-group, and building the per-row form cost 16 s of CPU against 1 s.
 * GPUs get the work-group form whatever width they report. */
bool nnact_row_kernels_suit(const nnact_device_info *d)
{
    return d->native_float_width > 1 && d->type != NNACT_DEVICE_GPU;
}

static size_t halve_to(size_t v, size_t max)
{
    while (v > max)
        v /= 2;
    return v ? v : 1;
}

void nnact_device_traits_of(const nnact_device_info *d, const nnact_device_limits *lim,
                            nnact_device_traits *t)
{
    memset(t, 0, sizeof *t);
    const bool cpu = d->type == NNACT_DEVICE_CPU;
    const size_t max_wg = lim->max_work_group ? lim->max_work_group : 1;
    t->pocl = nnact_device_is_pocl(d);
    /* Why: see nnact_row_kernels_suit (measured on llvmpipe and pocl). */
    t->row_kernels = nnact_row_kernels_suit(d);
    /* Fixed launch shapes: pocl compiles a kernel once per local size, and
     * barrier-heavy large groups are slow on CPU devices. 256 items of VW
     * floats on a CPU: a 64x64 tensor is one group (each group costs pocl
     * scheduling time). */
    t->elem_local = halve_to(cpu ? 256 : 64, max_wg);
    /* Column reductions have few items (one per column or per VW columns):
     * small groups keep every core busy. */
    t->column_local = max_wg < 64 ? max_wg : 64;
    /* Row reductions: a power of 2, 16 on CPUs, 256 on GPUs. */
    t->reduce_local = halve_to(cpu ? 16 : 256, max_wg);
    /* Streaming stores pay off once the data cannot stay in the cache,
     * well below the size the device reports: on pocl (32 MiB L3 reported,
     * 2-core VM) streaming was as fast or faster from 8 MB touched and
     * slower only at 2 MB (nnact-bench --size 256x1000 ... 4096x1000,
     * NNACT_STREAM=0/1 alternated), so they start at an eighth of it. */
    t->stream_bytes = lim->global_cache_bytes ? (size_t)(lim->global_cache_bytes / 8)
                                              : SIZE_MAX;
    /* Strict IEEE: no fast-relaxed or finite-math options, ever. Correctly
     * rounded division where the device offers it keeps (x - m)/T exact.
     * Without a hardware FMA, fma() is emulated per lane at great compile
     * and run cost: the kernels use mad() instead (cl/common.cl FMA).
     * Software prefetches (cl/common.cl PREFETCH) only where pocl compiles
     * for the CPU itself: the SPIR-V translator behind Mesa's rusticl and
     * Oclgrind's interpreter reject llvm.prefetch ("Unexpected llvm
     * intrinsic", a CI run), and a GPU has no use for a CPU's hint. */
    snprintf(t->build_options, sizeof t->build_options, "-cl-std=CL1.2%s%s%s",
             lim->correctly_rounded_divide ? " -cl-fp32-correctly-rounded-divide-sqrt" : "",
             lim->hw_fma ? "" : " -DNNACT_NO_HW_FMA",
             t->pocl && cpu ? " -DNNACT_CPU_PREFETCH" : "");
    /* Program binaries are cached for GPU drivers, which recompile every
     * program in every process; not on pocl, which keeps its own kernel
     * cache, and whose binary read back right after a build lacks the
     * work-group functions it compiles lazily at first launch. */
    t->binaries_cacheable = !t->pocl;
    /* Mesa 22.3's rusticl reports a profiling timer resolution of 0 (and
     * returns start 2, end 3): its device timestamps cannot be believed. */
    t->timer_trusted = lim->timer_resolution_ns != 0;
    /* No kernel or CLBlast call completes in less device time than this on
     * any implementation we know (the shortest real ones are microseconds):
     * a shorter span means the clock is not to be believed. */
    t->plausible_min_ns = 100;
}
