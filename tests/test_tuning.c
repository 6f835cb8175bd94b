/* CLBlast tuning: files saved atomically per device and loaded by new
 * contexts, the shipped class database behind them, and the tuner. Any file
 * or entry that does not fit (another device's key or class, another
 * CLBlast version, garbage) is a miss, never an error. Every test points
 * NNACT_CACHE_DIR at a fresh directory and reads the database from a file
 * it writes (or none), so results do not depend on the machine's class. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* The set nnact-tune found on pocl (validated there); harmless elsewhere. */
static const char *good =
    "Xgemm GEMMK=1 MWG=128 NWG=128 MDIMC=4 NDIMC=16 MDIMA=4 NDIMB=16 VWM=8 VWN=2 "
    "KREG=4 KWG=1 KWI=1 SA=0 SB=0 STRM=0 STRN=0\nGemmRoutine XGEMM_MIN_INDIRECT_SIZE=1";

#define dir tu_tmpdir
#define STR_(x) #x
#define STR(x) STR_(x)
#define CLBLAST_V STR(CLBLAST_VERSION_MAJOR) "." STR(CLBLAST_VERSION_MINOR) "." \
    STR(CLBLAST_VERSION_PATCH)

static void fresh_dir(void)
{
    tu_tmpdir_setup();
    setenv("NNACT_CACHE_DIR", dir, 1);
    unsetenv("NNACT_TUNING");
    unsetenv("NNACT_CLBLAST_PARAMS");
    setenv("NNACT_TUNING_DB", "0", 1);
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
        "# key: device=some other device; driver=1; platform=x; clblast=" CLBLAST_V "\nXgemm MWG=7\n",
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

/* Writes a database file of the given lines and points NNACT_TUNING_DB at it. */
static void use_db(const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/test.db", dir);
    write_file(path, text);
    setenv("NNACT_TUNING_DB", path, 1);
}

static const char *device_name(void)
{
    static nnact_device_info info;
    TU_OK(nnact_device_select(NULL, &info));
    return info.device_name;
}

START_TEST(database_lookup_order)
{
    fresh_dir();
    char line[4096];
    /* an entry for this device: used when there is no tuning file */
    snprintf(line, sizeof line, "# comment\nname=%s | cu=* | clblast=" CLBLAST_V " | %s\n",
             device_name(), "Xgemm GEMMK=1 MWG=128 NWG=128 MDIMC=4 NDIMC=16 MDIMA=4 "
             "NDIMB=16 VWM=8 VWN=2 KREG=4 KWG=1 KWI=1 SA=0 SB=0 STRM=0 STRN=0; "
             "GemmRoutine XGEMM_MIN_INDIRECT_SIZE=1");
    use_db(line);
    nnact_ctx *ctx = make_ctx();
    ck_assert_int_eq(nnact_ctx_tuning_source(ctx), NNACT_TUNING_SHIPPED);
    ck_assert_msg(strstr(nnact_ctx_tuning(ctx), "test.db"), "got '%s'", nnact_ctx_tuning(ctx));
    check_gemm(ctx);
    ck_assert_int_eq(nnact_ctx_tuning_source(ctx), NNACT_TUNING_SHIPPED); /* CLBlast took it */
    /* the user's file wins over the database */
    TU_OK(nnact_tuning_save(ctx, good));
    nnact_ctx_destroy(ctx);
    ctx = make_ctx();
    ck_assert_int_eq(nnact_ctx_tuning_source(ctx), NNACT_TUNING_FILE);
    nnact_ctx_destroy(ctx);
    /* NNACT_TUNING=0: neither */
    setenv("NNACT_TUNING", "0", 1);
    ctx = make_ctx();
    ck_assert_int_eq(nnact_ctx_tuning_source(ctx), NNACT_TUNING_NONE);
    nnact_ctx_destroy(ctx);
    unsetenv("NNACT_TUNING");
    clean_dir();

    /* a class prefix matches; a prefix must match from the start */
    fresh_dir();
    snprintf(line, sizeof line, "name-prefix=%.5s | cu=* | clblast=" CLBLAST_V " | %s\n",
             device_name(), good);
    use_db(line);
    ctx = make_ctx();
    ck_assert_int_eq(nnact_ctx_tuning_source(ctx), NNACT_TUNING_SHIPPED);
    ck_assert_msg(strstr(nnact_ctx_tuning(ctx), "name-prefix="), "got '%s'",
                  nnact_ctx_tuning(ctx));
    nnact_ctx_destroy(ctx);
    clean_dir();
}
END_TEST

START_TEST(foreign_stale_or_corrupt_entries_are_misses)
{
    fresh_dir();
    const char *dev = device_name();
    char bad[8][1024];
    size_t n = 0;
    snprintf(bad[n++], 1024, "name=some other device | cu=* | clblast=" CLBLAST_V " | %s", good);
    snprintf(bad[n++], 1024, "name-prefix=%s-and-more | cu=* | clblast=" CLBLAST_V " | %s", dev, good);
    snprintf(bad[n++], 1024, "name=%s | cu=* | clblast=0.9.0 | %s", dev, good); /* stale */
    snprintf(bad[n++], 1024, "name=%s | cu=4096 | clblast=" CLBLAST_V " | %s", dev, good);
    snprintf(bad[n++], 1024, "name=%s | cu=* | clblast=" CLBLAST_V " | NoSuchKernel A=1", dev);
    snprintf(bad[n++], 1024, "name=%s | cu=* | clblast=" CLBLAST_V " | Xgemm MWG", dev);
    snprintf(bad[n++], 1024, "name=%s | clblast=" CLBLAST_V " | %s", dev, good); /* a field short */
    snprintf(bad[n++], 1024, "\x01\x02 garbage | | | |");
    for (size_t i = 0; i < n; i++) {
        use_db(bad[i]);
        nnact_ctx *ctx = make_ctx();
        ck_assert_msg(nnact_ctx_tuning_source(ctx) == NNACT_TUNING_NONE, "entry %zu ('%s'): "
                      "got '%s'", i, bad[i], nnact_ctx_tuning(ctx));
        nnact_ctx_destroy(ctx);
    }
    /* a set CLBlast refuses at the first SGEMM: CLBlast's own, still correct */
    char line[1024];
    snprintf(line, sizeof line, "name=%s | cu=* | clblast=" CLBLAST_V " | Xgemm NO_SUCH_PARAMETER=1",
             dev);
    use_db(line);
    nnact_ctx *ctx = make_ctx();
    check_gemm(ctx);
    ck_assert_int_eq(nnact_ctx_tuning_source(ctx), NNACT_TUNING_NONE);
    ck_assert_msg(strstr(nnact_ctx_tuning(ctx), "refused"), "got '%s'", nnact_ctx_tuning(ctx));
    nnact_ctx_destroy(ctx);
    /* a database file that cannot be read: no database */
    setenv("NNACT_TUNING_DB", "/nonexistent/tuning.db", 1);
    ctx = make_ctx();
    ck_assert_int_eq(nnact_ctx_tuning_source(ctx), NNACT_TUNING_NONE);
    nnact_ctx_destroy(ctx);
    clean_dir();
}
END_TEST

/* Collects the tuner's messages. */
static char tune_log[16384];
static double last_fraction;
static void collect(void *user, double fraction, const char *what)
{
    (void)user;
    ck_assert_msg(fraction >= 0 && fraction <= 1, "fraction %g", fraction);
    last_fraction = fraction;
    size_t len = strlen(tune_log);
    snprintf(tune_log + len, sizeof tune_log - len, "%s\n", what);
}

START_TEST(fast_tune_validates_every_candidate)
{
    fresh_dir();
    /* CLBlast 1.5.3 computes garbage with GEMMK=1 and MWG != NWG (and can
     * write past its buffers: heap corruption on pocl): offered as a
     * database set, the tuner must refuse to run it. Every set it runs is
     * validated on every shape; the winner is checked below. */
    use_db("name=elsewhere | cu=* | clblast=" CLBLAST_V " | Xgemm GEMMK=1 MWG=64 NWG=128 MDIMC=4 "
           "NDIMC=16 MDIMA=4 NDIMB=16 VWM=8 VWN=2 KREG=4 KWG=1 KWI=1 SA=0 SB=0 STRM=0 "
           "STRN=0\n");
    nnact_ctx *ctx = make_ctx();
    TU_FAILS(nnact_tune(NULL, NNACT_TUNE_FAST, NULL, NULL), NNACT_ERR_INVALID_ARG, "ctx");
    TU_FAILS(nnact_tune(ctx, (nnact_tune_level)7, NULL, NULL), NNACT_ERR_INVALID_ARG, "level");
    TU_OK(nnact_tune(ctx, NNACT_TUNE_OFF, collect, NULL)); /* does nothing */
    char path[2400];
    TU_OK(nnact_tuning_path(ctx, path, sizeof path));
    ck_assert_int_ne(access(path, R_OK), 0);
    ck_assert_str_eq(tune_log, "");

    TU_OK(nnact_tune(ctx, NNACT_TUNE_FAST, collect, NULL));
    ck_assert_msg(strstr(tune_log, "set 1/") && strstr(tune_log, "skipped: rejected") &&
                  strstr(tune_log, "MWG != NWG"), "the bad set was not rejected:\n%s",
                  tune_log);
    ck_assert_msg(last_fraction == 1.0, "last fraction %g", last_fraction);
    ck_assert_int_eq(nnact_ctx_tuning_source(ctx), NNACT_TUNING_FILE);
    ck_assert_int_eq(access(path, R_OK), 0);
    check_gemm(ctx);
    nnact_ctx_destroy(ctx);
    /* the saved file is the next context's, and its database line parses */
    ctx = make_ctx();
    ck_assert_int_eq(nnact_ctx_tuning_source(ctx), NNACT_TUNING_FILE);
    char db[4096];
    TU_OK(nnact_tuning_db_line(ctx, good, db, sizeof db));
    ck_assert_msg(strstr(db, " | cu=* | clblast=") && !strchr(db, '\n'), "line '%s'", db);
    use_db(db);
    setenv("NNACT_TUNING", "1", 1);
    nnact_ctx_destroy(ctx);
    remove(path);
    ctx = make_ctx();
    ck_assert_msg(nnact_ctx_tuning_source(ctx) == NNACT_TUNING_SHIPPED,
                  "the database line '%s' did not match this device: %s", db,
                  nnact_ctx_tuning(ctx));
    nnact_ctx_destroy(ctx);
    unsetenv("NNACT_TUNING");
    clean_dir();
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"files", 0, 0, {{save_then_load, 1}, {foreign_or_corrupt_files_are_misses, 1},
            {environment_and_errors, 1}, {program_binary_cache, 1}, {database_lookup_order, 1},
            {foreign_stale_or_corrupt_entries_are_misses, 1},
            {fast_tune_validates_every_candidate, 1}}},
    };
    return tu_run_cases("tuning", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
