/* Optional device-time accounting per kernel family (NNACT_PROFILE=1 at
 * context creation): every launch keeps its event, CLBlast calls are
 * bracketed by markers, and events are drained into per-family totals when
 * the list fills or when asked. Off, it costs one branch per launch. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const category_names[NNACT_PROF_COUNT] = {
    [NNACT_PROF_ACT] = "activations", [NNACT_PROF_SOFTMAX] = "softmax, log-softmax",
    [NNACT_PROF_PRELU] = "prelu",     [NNACT_PROF_DENSE] = "bias+activation, bias grad",
    [NNACT_PROF_LOSS] = "losses",     [NNACT_PROF_OPTIM] = "optimizer steps",
    [NNACT_PROF_SGEMM] = "sgemm (CLBlast)",
};

nnact_prof_category nnact_prof_of_family(nnact_family f)
{
    switch (f) {
    case NNACT_FAMILY_ACT: return NNACT_PROF_ACT;
    case NNACT_FAMILY_SOFTMAX:
    case NNACT_FAMILY_LOG_SOFTMAX: return NNACT_PROF_SOFTMAX;
    case NNACT_FAMILY_PRELU: return NNACT_PROF_PRELU;
    case NNACT_FAMILY_DENSE: return NNACT_PROF_DENSE;
    case NNACT_FAMILY_LOSS: return NNACT_PROF_LOSS;
    default: return NNACT_PROF_OPTIM;
    }
}

static double span(cl_event start_end_of, cl_event end)
{
    cl_ulong a = 0, b = 0;
    clGetEventProfilingInfo(start_end_of, CL_PROFILING_COMMAND_START, sizeof a, &a, NULL);
    clGetEventProfilingInfo(end, CL_PROFILING_COMMAND_END, sizeof b, &b, NULL);
    return b > a ? (double)(b - a) * 1e-9 : 0.0;
}

static void drain(nnact_ctx *ctx)
{
    if (!ctx->prof_n)
        return;
    clFinish(ctx->queue);
    for (size_t i = 0; i < ctx->prof_n; i++) {
        nnact_prof_record *r = &ctx->prof[i];
        ctx->prof_seconds[r->category] += span(r->start, r->end);
        ctx->prof_calls[r->category]++;
        clReleaseEvent(r->start);
        if (r->end != r->start)
            clReleaseEvent(r->end);
    }
    ctx->prof_n = 0;
}

void nnact_prof_add(nnact_ctx *ctx, nnact_prof_category c, cl_event start, cl_event end)
{
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
