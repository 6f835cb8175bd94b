/* In-process data parallelism: replicas of one MLP on distinct contexts,
 * driven by one host thread, their gradients summed on the host in replica
 * order. One thread because CLBlast 1.5.3 (Debian 12) predates its fix for
 * several devices used from several threads (CNugteren/CLBlast#486); the
 * devices still run at once, each on its own queue. No device-to-device
 * path: OpenCL 1.2 has none across contexts, and on pocl the reads are
 * memcpy. */
#include "mlp_internal.h"

#include <math.h>
#include <stdlib.h>

static nnact_status check_replicas(nnact_mlp *const *r, size_t n, const float *weights,
                                   const char *fn)
{
    if (!r || n == 0)
        return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: %s", fn,
                          r ? "no replicas (n is 0)" : "replicas is NULL");
    for (size_t i = 0; i < n; i++) {
        if (!r[i])
            return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: replicas[%zu] is NULL", fn, i);
        if (weights && !isfinite(weights[i]))
            return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: weights[%zu] is %g", fn, i,
                              (double)weights[i]);
        for (size_t j = 0; j < i; j++)
            if (r[j]->ctx == r[i]->ctx || r[j] == r[i])
                return nnact_fail(NNACT_ERR_INVALID_ARG, "%s: replicas %zu and %zu share "
                                  "one context (each replica needs its own)", fn, j, i);
        /* Same architecture, layer by layer: the flat ranges line up. */
        bool same = r[i]->depth == r[0]->depth;
        for (size_t k = 0; same && k <= r[0]->depth; k++)
            same = r[i]->sizes[k] == r[0]->sizes[k];
        if (!same)
            return nnact_fail(NNACT_ERR_SHAPE, "%s: replica %zu has another architecture "
                              "(%zu layers, %zu parameters) than replica 0 (%zu layers, %zu "
                              "parameters)", fn, i, r[i]->depth, nnact_mlp_param_count(r[i]),
                              r[0]->depth, nnact_mlp_param_count(r[0]));
    }
    return NNACT_OK;
}

nnact_status nnact_mlps_allreduce_grads(nnact_mlp *const *replicas, size_t n,
                                        const float *weights)
{
    const char *fn = "nnact_mlps_allreduce_grads";
    nnact_status st = check_replicas(replicas, n, weights, fn);
    if (st != NNACT_OK)
        return st;
    size_t count = nnact_mlp_param_count(replicas[0]);
    float *sum = malloc(count * sizeof *sum), *g = malloc(count * sizeof *g);
    if (!sum || !g)
        st = nnact_fail(NNACT_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    /* g = w0*g0, then g = g + wi*gi: in replica order, so the sum is the
     * one a single device would make backpropping the shards in turn. The
     * library is built -std=c11, where GCC contracts nothing into FMAs. */
    for (size_t i = 0; i < n && st == NNACT_OK; i++) {
        float w = weights ? weights[i] : 1.0f / (float)n;
        st = nnact_mlp_grads_read(replicas[i], 0, count, i ? g : sum);
        for (size_t k = 0; st == NNACT_OK && k < count; k++)
            sum[k] = i ? sum[k] + w * g[k] : w * sum[k];
    }
    for (size_t i = 0; i < n && st == NNACT_OK; i++)
        st = nnact_mlp_grads_write(replicas[i], 0, count, sum);
    free(sum);
    free(g);
    return st;
}
