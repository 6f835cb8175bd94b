/* CLBlast tuning files: saved atomically per device, loaded by new contexts,
 * and any file that does not fit (another device's key, garbage) is a miss,
 * never an error. Every test points NNACT_CACHE_DIR at a fresh directory. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* The set nnact-tune found on pocl (validated there); harmless elsewhere. */
static const char *good =
    "Xgemm GEMMK=1 MWG=128 NWG=128 MDIMC=4 NDIMC=16 MDIMA=4 NDIMB=16 VWM=8 VWN=2 "
    "KREG=4 KWG=1 KWI=1 SA=0 SB=0 STRM=0 STRN=0\nGemmRoutine XGEMM_MIN_INDIRECT_SIZE=1";

#define dir tu_tmpdir

static void fresh_dir(void)
{
    tu_tmpdir_setup();
    setenv("NNACT_CACHE_DIR", dir, 1);
    unsetenv("NNACT_TUNING");
    unsetenv("NNACT_CLBLAST_PARAMS");
}

static void clean_dir(void) { tu_tmpdir_teardown(); }

static nnact_ctx *make_ctx(void)
{
    nnact_ctx *ctx = NULL;
    TU_OK(nnact_ctx_create(&ctx, NULL));
    return ctx;
}

/* 3x2 = (3x4)(4x2) with small integers: exact in float on any path. */
static void check_gemm(nnact_ctx *ctx)
{
    float a[12], b[8], c[6];
    for (int i = 0; i < 12; i++)
        a[i] = (float)(i % 5) - 2;
    for (int i = 0; i < 8; i++)
        b[i] = (float)(i % 3) - 1;
    nnact_tensor *A, *B, *C;
    TU_OK(nnact_tensor_create(ctx, 3, 4, &A));
    TU_OK(nnact_tensor_create(ctx, 4, 2, &B));
    TU_OK(nnact_tensor_create(ctx, 3, 2, &C));
    TU_OK(nnact_tensor_write(A, a));
    TU_OK(nnact_tensor_write(B, b));
    TU_OK(nnact_gemm(ctx, NNACT_NO_TRANS, NNACT_NO_TRANS, 1, A, B, 0, C));
    TU_OK(nnact_tensor_read(C, c));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) {
            float want = 0;
            for (int p = 0; p < 4; p++)
                want += a[i * 4 + p] * b[p * 2 + j];
            ck_assert_msg(c[i * 2 + j] == want, "c[%d][%d] = %g, want %g", i, j,
                          (double)c[i * 2 + j], (double)want);
        }
    nnact_tensor_destroy(A), nnact_tensor_destroy(B), nnact_tensor_destroy(C);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(save_then_load)
{
    fresh_dir();
    nnact_ctx *ctx = make_ctx();
    ck_assert_str_eq(nnact_ctx_tuning(ctx), "CLBlast defaults (not tuned)");
    char path[2400];
    TU_OK(nnact_tuning_path(ctx, path, sizeof path));
    ck_assert_msg(!strncmp(path, dir, strlen(dir)), "%s is not under %s", path, dir);
    TU_OK(nnact_tuning_save(ctx, good));
    ck_assert_int_eq(access(path, R_OK), 0);
    nnact_ctx_destroy(ctx);

    ctx = make_ctx();
    ck_assert_msg(!strncmp(nnact_ctx_tuning(ctx), "tuned (", 7), "got '%s'",
                  nnact_ctx_tuning(ctx));
    check_gemm(ctx);
    nnact_ctx_destroy(ctx);

    setenv("NNACT_TUNING", "0", 1); /* opt out */
    ctx = make_ctx();
    ck_assert_str_eq(nnact_ctx_tuning(ctx), "CLBlast defaults (not tuned)");
    nnact_ctx_destroy(ctx);
    clean_dir();
}
END_TEST

START_TEST(foreign_or_corrupt_files_are_misses)
{
    fresh_dir();
    nnact_ctx *ctx = make_ctx();
    char path[2400];
    TU_OK(nnact_tuning_path(ctx, path, sizeof path));
    nnact_ctx_destroy(ctx);
    static const char *bad[] = {
        "# key: device=some other device; driver=1; platform=x; clblast=1.5.3\nXgemm MWG=7\n",
        "\x01\x02garbage without a key\n",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i]);
        ctx = make_ctx();
        ck_assert_msg(!strcmp(nnact_ctx_tuning(ctx), "CLBlast defaults (not tuned)"),
                      "file %zu: got '%s'", i, nnact_ctx_tuning(ctx));
        check_gemm(ctx);
        nnact_ctx_destroy(ctx);
    }
    /* this device's key but an unknown kernel: still a miss, not an error */
    ctx = make_ctx();
    TU_OK(nnact_tuning_save(ctx, "NoSuchKernel A=1"));
    nnact_ctx_destroy(ctx);
    ctx = make_ctx();
    ck_assert_str_eq(nnact_ctx_tuning(ctx), "CLBlast defaults (not tuned)");
    nnact_ctx_destroy(ctx);
    /* a known kernel with a parameter CLBlast refuses: a miss at the first
     * SGEMM (applying is deferred until then), which still computes */
    ctx = make_ctx();
    TU_OK(nnact_tuning_save(ctx, "Xgemm NO_SUCH_PARAMETER=1"));
    nnact_ctx_destroy(ctx);
    ctx = make_ctx();
    check_gemm(ctx);
    ck_assert_msg(strstr(nnact_ctx_tuning(ctx), "refused"), "got '%s'", nnact_ctx_tuning(ctx));
    nnact_ctx_destroy(ctx);
    clean_dir();
}
END_TEST

START_TEST(environment_and_errors)
{
    fresh_dir();
    setenv("NNACT_CLBLAST_PARAMS", good, 1);
    nnact_ctx *ctx = make_ctx();
    ck_assert_str_eq(nnact_ctx_tuning(ctx), "NNACT_CLBLAST_PARAMS");
    check_gemm(ctx);
    nnact_ctx_destroy(ctx);

    setenv("NNACT_CLBLAST_PARAMS", "Xgemm MWG", 1); /* a typo fails loudly */
    ctx = NULL;
    TU_FAILS(nnact_ctx_create(&ctx, NULL), NNACT_ERR_INVALID_ARG, "NAME=VALUE");
    ck_assert_ptr_null(ctx);
    unsetenv("NNACT_CLBLAST_PARAMS");

    ctx = make_ctx();
    TU_FAILS(nnact_clblast_override(ctx, "Xgemm MWG=x"), NNACT_ERR_INVALID_ARG, "MWG=x");
    TU_FAILS(nnact_clblast_override(ctx, "NoSuchKernel A=1"), NNACT_ERR_INVALID_ARG,
             "unknown CLBlast kernel");
    TU_FAILS(nnact_clblast_override(ctx, "Xgemm NO_SUCH_PARAMETER=1"), NNACT_ERR_OPENCL,
             "CLBlast");
    TU_FAILS(nnact_clblast_override(NULL, good), NNACT_ERR_INVALID_ARG, "ctx");
    TU_FAILS(nnact_tuning_save(ctx, NULL), NNACT_ERR_INVALID_ARG, "params");
    char small[4];
    TU_FAILS(nnact_tuning_path(ctx, small, sizeof small), NNACT_ERR_INVALID_ARG, "small");
    ck_assert_ptr_null(nnact_ctx_tuning(NULL));
    nnact_ctx_destroy(ctx);
    clean_dir();
}
END_TEST

/* Runs sigmoid on known inputs in a fresh context and checks the result. */
static void check_sigmoid(void)
{
    nnact_ctx *ctx = make_ctx();
    float x[5] = {-2, -0.5f, 0, 0.5f, 2}, y[5];
    nnact_tensor *X, *Y;
    TU_OK(nnact_tensor_create(ctx, 1, 5, &X));
    TU_OK(nnact_tensor_create(ctx, 1, 5, &Y));
    TU_OK(nnact_tensor_write(X, x));
    nnact_act sig = {NNACT_ACT_SIGMOID, 0, 0};
    TU_OK(nnact_act_forward(ctx, &sig, X, Y));
    TU_OK(nnact_tensor_read(Y, y));
    for (int i = 0; i < 5; i++)
        ck_assert_msg(fabs(y[i] - 1.0 / (1.0 + exp(-(double)x[i]))) < 1e-6,
                      "sigmoid(%g) = %g", (double)x[i], (double)y[i]);
    nnact_tensor_destroy(X), nnact_tensor_destroy(Y);
    nnact_ctx_destroy(ctx);
}

/* Number of program-cache entries in dir; path receives the last one. */
static int entries(char *path, size_t cap)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls %s/prog-*.bin 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    int n = 0;
    path[0] = '\0';
    while (p && fgets(path, (int)cap, p))
        n++;
    if (p)
        pclose(p);
    path[strcspn(path, "\n")] = '\0';
    return n;
}

START_TEST(program_binary_cache)
{
    fresh_dir();
    char path[512];
    setenv("NNACT_CACHE", "0", 1);
    check_sigmoid();
    ck_assert_int_eq(entries(path, sizeof path), 0); /* off: nothing written */

    setenv("NNACT_CACHE", "1", 1); /* on, even on pocl */
    check_sigmoid();
    ck_assert_int_eq(entries(path, sizeof path), 1);
    check_sigmoid(); /* a hit */
    ck_assert_int_eq(entries(path, sizeof path), 1);

    /* Garbage, a truncated entry and an empty one are misses, then rewritten. */
    static const char *bad[] = {"NNACTBIN garbage", "NNACTBIN", ""};
    for (size_t i = 0; i < 3; i++) {
        write_file(path, bad[i]);
        check_sigmoid();
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_msg(st.st_size > 1000, "entry not rewritten after bad file %zu", i);
    }
    unsetenv("NNACT_CACHE");
    clean_dir();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tuning");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, save_then_load);
    tcase_add_test(tc, foreign_or_corrupt_files_are_misses);
    tcase_add_test(tc, environment_and_errors);
    tcase_add_test(tc, program_binary_cache);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
