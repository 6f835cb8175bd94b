/* Optional device-time accounting per kernel family (NNACT_PROFILE=1 at
 * context creation): every launch keeps its event, CLBlast calls are
 * bracketed by markers, and events are drained into per-family totals when
 * the list fills or when asked. Off, it costs one branch per launch.
 * Where the implementation's timestamps cannot be believed (the device
 * traits, traits.c, or an implausible first span) it falls back to
 * wall-clock time: every launch is then
 * waited for, and nnact_ctx_profile_clock() says so. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double wall_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void use_wall_clock(nnact_ctx *ctx, const char *why)
{
    if (ctx->prof_wall)
        return;
    ctx->prof_wall = true;
    snprintf(ctx->prof_clock, sizeof ctx->prof_clock,
             "wall clock, each launch waited for: %s", why);
    if (ctx->debug)
        fprintf(stderr, "nnact: profiling uses the %s\n", ctx->prof_clock);
}

void nnact_prof_init(nnact_ctx *ctx)
{
    snprintf(ctx->prof_clock, sizeof ctx->prof_clock, "device timestamps");
    if (!ctx->traits.timer_trusted)
        use_wall_clock(ctx, "the device reports a profiling timer resolution of 0");
}

void nnact_prof_begin(nnact_ctx *ctx)
{
    /* The first launch is timed both ways, to check the device's clock. */
    if (ctx->prof_wall || !ctx->prof_checked) {
        clFinish(ctx->queue);
        ctx->prof_t0 = wall_now();
    }
}

const char *nnact_ctx_profile_clock(const nnact_ctx *ctx)
{
    return ctx && ctx->prof ? ctx->prof_clock : NULL;
}

#define NNACT_PROF(ID, label) [NNACT_PROF_##ID] = label,
static const char *const category_names[] = {NNACT_PROF_CATEGORIES};
#undef NNACT_PROF
_Static_assert(sizeof category_names / sizeof category_names[0] == NNACT_PROF_COUNT,
               "one name per profile category");

/* Device seconds from start's start to end's end; < 0 when the timestamps
 * are not believable (an error, end before start, or a near-zero span). */
static double span(const nnact_ctx *ctx, cl_event start_end_of, cl_event end, char *why,
                   size_t cap)
{
    cl_ulong a = 0, b = 0;
    cl_int e1 = clGetEventProfilingInfo(start_end_of, CL_PROFILING_COMMAND_START, sizeof a,
                                        &a, NULL);
    cl_int e2 = clGetEventProfilingInfo(end, CL_PROFILING_COMMAND_END, sizeof b, &b, NULL);
    if (e1 != CL_SUCCESS || e2 != CL_SUCCESS || b < a || b - a < ctx->traits.plausible_min_ns) {
        snprintf(why, cap, "implausible event times (start %llu ns, end %llu ns, %s)",
                 (unsigned long long)a, (unsigned long long)b,
                 nnact_cl_error_name(e1 != CL_SUCCESS ? e1 : e2));
        return -1.0;
    }
    return (double)(b - a) * 1e-9;
}

static void drain(nnact_ctx *ctx)
{
    if (!ctx->prof_n)
        return;
    clFinish(ctx->queue);
    for (size_t i = 0; i < ctx->prof_n; i++) {
        nnact_prof_record *r = &ctx->prof[i];
        char why[160];
        double t = span(ctx, r->start, r->end, why, sizeof why);
        if (t < 0) { /* from now on by wall clock; this launch counts 0 s */
            use_wall_clock(ctx, why);
            t = 0.0;
        }
        ctx->prof_seconds[r->category] += t;
        ctx->prof_calls[r->category]++;
        clReleaseEvent(r->start);
        if (r->end != r->start)
            clReleaseEvent(r->end);
    }
    ctx->prof_n = 0;
}

/* Wall mode: the launch since nnact_prof_begin, waited for. */
static void add_wall(nnact_ctx *ctx, nnact_prof_category c, cl_event start, cl_event end)
{
    clWaitForEvents(1, &end);
    ctx->prof_seconds[c] += wall_now() - ctx->prof_t0;
    ctx->prof_calls[c]++;
    clReleaseEvent(start);
    if (end != start)
        clReleaseEvent(end);
}

void nnact_prof_add(nnact_ctx *ctx, nnact_prof_category c, cl_event start, cl_event end)
{
    if (!ctx->prof_checked) {
        ctx->prof_checked = true;
        clWaitForEvents(1, &end);
        char why[160];
        if (span(ctx, start, end, why, sizeof why) < 0)
            use_wall_clock(ctx, why);
    }
    if (ctx->prof_wall) {
        add_wall(ctx, c, start, end);
        return;
    }
    if (ctx->prof_n == NNACT_PROF_RECORDS)
        drain(ctx);
    ctx->prof[ctx->prof_n++] = (nnact_prof_record){c, start, end};
}

void nnact_prof_release(nnact_ctx *ctx)
{
    drain(ctx);
    free(ctx->prof);
    ctx->prof = NULL;
}

size_t nnact_ctx_profile(nnact_ctx *ctx, nnact_profile_entry *out, size_t cap)
{
    if (!ctx || !ctx->prof)
        return 0;
    drain(ctx);
    size_t n = 0;
    for (int c = 0; c < NNACT_PROF_COUNT; c++) {
        if (!ctx->prof_calls[c])
            continue;
        if (out && n < cap)
            out[n] = (nnact_profile_entry){category_names[c], ctx->prof_calls[c],
                                           ctx->prof_seconds[c]};
        n++;
    }
    return n;
}
