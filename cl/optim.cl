/* Optimizer steps, updating parameters and their state in place, VW
 * elements per work-item. Hyper-parameters and bias corrections arrive as
 * arguments (the corrections computed on the host in double). skip, when
 * not NULL, skips the whole step if skip[0] is nonzero: the MLP's loss
 * scaler sets it when a gradient holds inf or NaN, without a host wait. */

/* SGD with momentum mu (PyTorch form): g' = g + wd p; v = mu v + g';
 * step = nesterov ? g' + mu v : v; p -= lr step. mu = 0: p -= lr g'. */
__kernel void optim_sgd(__global float *p, ulong po, __global const float *g, ulong go,
                        __global float *v, ulong vo, ulong n, float lr, float mu,
                        float wd, uint nesterov, __global const uint *skip)
{
    const ulong base = get_global_id(0) * VW;
    if (base >= n || (skip && skip[0]))
        return;
    const uint count = (uint)min((ulong)VW, n - base);
    vfloat pv = load_part(p + po, base, count);
    vfloat gv = load_part(g + go, base, count) + wd * pv;
    vfloat step = gv;
    if (mu != 0.0f) {
        vfloat vv = mu * load_part(v + vo, base, count) + gv;
        store_part(vv, v + vo, base, count);
        step = nesterov ? gv + mu * vv : vv;
    }
    store_part(pv - lr * step, p + po, base, count);
}

/* Adam / AdamW: m = b1 m + (1-b1) g; s = b2 s + (1-b2) g^2;
 * p -= lr (m / bc1) / (sqrt(s / bc2) + eps). Weight decay is added to g
 * (Adam, L2) or applied to p directly (AdamW, decoupled: p -= lr wd p). */
__kernel void optim_adam(__global float *p, ulong po, __global const float *g, ulong go,
                         __global float *m, ulong mo, __global float *s, ulong so,
                         ulong n, float lr, float b1, float b2, float eps, float wd,
                         uint decoupled, float bc1, float bc2, __global const uint *skip)
{
    const ulong base = get_global_id(0) * VW;
    if (base >= n || (skip && skip[0]))
        return;
    const uint count = (uint)min((ulong)VW, n - base);
    vfloat pv = load_part(p + po, base, count);
    vfloat gv = load_part(g + go, base, count);
    if (decoupled)
        pv = pv - (lr * wd) * pv;
    else
        gv = gv + wd * pv;
    vfloat mv = b1 * load_part(m + mo, base, count) + (1.0f - b1) * gv;
    vfloat sv = b2 * load_part(s + so, base, count) + (1.0f - b2) * (gv * gv);
    /* Moments of rarely-active inputs decay into subnormals, which cost
     * ~2x per step on CPUs (nnact-bench "optim.adam subnormal m"). Flushing
     * them to 0 changes a value by < FLT_MIN, far inside every bar. */
    mv = select(mv, VZERO, fabs(mv) < FLT_MIN);
    sv = select(sv, VZERO, sv < FLT_MIN);
    store_part(mv, m + mo, base, count);
    store_part(sv, s + so, base, count);
    store_part(pv - lr * (mv / bc1) / (sqrt(sv / bc2) + eps), p + po, base, count);
}
