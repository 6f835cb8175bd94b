/* Shared Check helpers: see testutil.h. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <ftw.h>
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

void *tu_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(p);
    return p;
}

char tu_tmpdir[64];

void tu_tmpdir_setup(void)
{
    strcpy(tu_tmpdir, "/tmp/nnact-test-XXXXXX");
    ck_assert_msg(mkdtemp(tu_tmpdir) != NULL, "mkdtemp failed");
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

void tu_tmpdir_teardown(void)
{
    if (tu_tmpdir[0])
        nftw(tu_tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int tu_run_cases(const char *suite, const tu_case *cases, size_t n)
{
    Suite *s = suite_create(suite);
    for (size_t c = 0; c < n; c++) {
        TCase *tc = tcase_create(cases[c].name);
        if (cases[c].fixtures & TU_TMPDIR)
            tcase_add_unchecked_fixture(tc, tu_tmpdir_setup, tu_tmpdir_teardown);
        if (cases[c].fixtures & TU_CONTEXT)
            tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
        if (cases[c].timeout > 0)
            tcase_set_timeout(tc, cases[c].timeout);
        for (const tu_test *t = cases[c].tests; t < cases[c].tests + TU_MAX_TESTS && t->test;
             t++)
            tcase_add_loop_test(tc, t->test, 0, t->loop > 0 ? t->loop : 1);
        suite_add_tcase(s, tc);
    }
    return tu_run(s);
}
