/* nnact-info --selftest's F16 checks. */
#include "selftest.h"

#include "name_list.h"
#include "tool.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* F16 storage: each elementwise activation forward and backward, softmax
 * and log-softmax forward, on all-F16 tensors must give the float32
 * kernel's result on the same (half) inputs rounded once to half. */
static int f16_same(const float *got, const float *f32, size_t n, char *detail, size_t cap)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        const float want = nnact_half_to_float(nnact_float_to_half(f32[i]));
        if ((isnan(want) && isnan(got[i])) || !memcmp(&want, &got[i], sizeof want))
            continue;
        if (bad++ == 0)
            snprintf(detail, cap, "[%zu] got %.9g want %.9g (float32 %.9g rounded)", i,
                     (double)got[i], (double)want, (double)f32[i]);
    }
    return (int)bad;
}

int selftest_f16(nnact_ctx *ctx, tally *t, const float *x0, const float *dy0,
                        const char *ops)
{
    static float x[N], dy[N], a[N], b[N];
    nnact_tensor *hx = NULL, *hy = NULL, *hdy = NULL, *hdx = NULL, *fx = NULL, *fy = NULL,
                 *fdy = NULL, *fdx = NULL;
    for (size_t i = 0; i < N; i++) { /* the values an F16 tensor can hold */
        x[i] = nnact_half_to_float(nnact_float_to_half(x0[i]));
        dy[i] = nnact_half_to_float(nnact_float_to_half(dy0[i]));
    }
    TOOL_TRY(nnact_tensor_create_typed(ctx, ROWS, COLS, NNACT_F16, &hx), goto fail);
    TOOL_TRY(nnact_tensor_create_typed(ctx, ROWS, COLS, NNACT_F16, &hy), goto fail);
    TOOL_TRY(nnact_tensor_create_typed(ctx, ROWS, COLS, NNACT_F16, &hdy), goto fail);
    TOOL_TRY(nnact_tensor_create_typed(ctx, ROWS, COLS, NNACT_F16, &hdx), goto fail);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &fx), goto fail);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &fy), goto fail);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &fdy), goto fail);
    TOOL_TRY(nnact_tensor_create(ctx, ROWS, COLS, &fdx), goto fail);
    TOOL_TRY(nnact_tensor_write(hx, x), goto fail);
    TOOL_TRY(nnact_tensor_write(fx, x), goto fail);
    TOOL_TRY(nnact_tensor_write(hdy, dy), goto fail);
    TOOL_TRY(nnact_tensor_write(fdy, dy), goto fail);
    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        nnact_act act;
        if (!name_in_list(ops, nnact_act_name((nnact_act_kind)k)))
            continue;
        TOOL_TRY(nnact_act_from_name(nnact_act_name((nnact_act_kind)k), &act), goto fail);
        char op[64], detail[200] = "";
        TOOL_TRY(nnact_act_forward(ctx, &act, hx, hy), goto fail);
        TOOL_TRY(nnact_act_forward(ctx, &act, fx, fy), goto fail);
        TOOL_TRY(nnact_tensor_read(hy, a), goto fail);
        TOOL_TRY(nnact_tensor_read(fy, b), goto fail);
        snprintf(op, sizeof op, "f16 %s forward", nnact_act_name(act.kind));
        selftest_report(t, op, (size_t)f16_same(a, b, N, detail, sizeof detail), N, detail);
        TOOL_TRY(nnact_tensor_write(fy, a), goto fail); /* the same (half) y for both */
        TOOL_TRY(nnact_act_backward(ctx, &act, hx, hy, hdy, hdx), goto fail);
        TOOL_TRY(nnact_act_backward(ctx, &act, fx, fy, fdy, fdx), goto fail);
        TOOL_TRY(nnact_tensor_read(hdx, a), goto fail);
        TOOL_TRY(nnact_tensor_read(fdx, b), goto fail);
        snprintf(op, sizeof op, "f16 %s backward", nnact_act_name(act.kind));
        selftest_report(t, op, (size_t)f16_same(a, b, N, detail, sizeof detail), N, detail);
    }
    int failed = 0;
    if (0) {
fail:
        failed = 1; /* a call failed: counted as a failure */
        t->failed++;
    }
    nnact_tensor *all[] = {hx, hy, hdy, hdx, fx, fy, fdy, fdx};
    for (size_t i = 0; i < 8; i++)
        nnact_tensor_destroy(all[i]);
    return failed;
}
