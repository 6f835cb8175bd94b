/* Shared Check helpers: see testutil.h. */
#include "testutil.h"

#include <stdio.h>

nnact_ctx *tu_ctx;

void tu_setup(void)
{
    nnact_status st = nnact_ctx_create(&tu_ctx, NULL);
    ck_assert_msg(st == NNACT_OK, "nnact_ctx_create: %s: %s", nnact_status_string(st),
                  nnact_last_error());
}

void tu_teardown(void)
{
    nnact_ctx_destroy(tu_ctx);
    tu_ctx = NULL;
}

nnact_tensor *tu_tensor(size_t rows, size_t cols, const float *host)
{
    nnact_tensor *t = NULL;
    TU_OK(nnact_tensor_create(tu_ctx, rows, cols, &t));
    if (host)
        TU_OK(nnact_tensor_write(t, host));
    else
        tu_poison(t);
    return t;
}

void tu_poison(nnact_tensor *t)
{
    size_t n = nnact_tensor_rows(t) * nnact_tensor_cols(t);
    float *nan = malloc((n ? n : 1) * sizeof *nan);
    ck_assert_ptr_nonnull(nan);
    for (size_t i = 0; i < n; i++)
        nan[i] = NAN;
    TU_OK(nnact_tensor_write(t, nan));
    free(nan);
}

float *tu_read(const nnact_tensor *t)
{
    size_t n = nnact_tensor_rows(t) * nnact_tensor_cols(t);
    float *h = malloc((n ? n : 1) * sizeof *h);
    ck_assert_ptr_nonnull(h);
    TU_OK(nnact_tensor_read(t, h));
    return h;
}

void tu_random(float *out, size_t n, float scale, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        double u = (double)(s >> 11) / 9007199254740992.0; /* [0, 1) */
        out[i] = (float)((2.0 * u - 1.0) * scale);
    }
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
