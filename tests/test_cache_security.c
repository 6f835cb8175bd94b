/* The cache the library executes from: program binaries and CLBlast tuning
 * files are code and parameters it loads and runs, so an entry is used only
 * when it and its directory belong to this user and no one else may write
 * them (src/base/cache_dir.c). A refused entry is a miss: the operation
 * still succeeds, building from source, and stores a fresh entry -- which
 * is how a refusal is seen here (the entry's inode changes), against the
 * control of a trusted entry that is loaded as it is. The tests run as root
 * in CI; handing a file to uid 65534 needs that, and is skipped otherwise. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define dir tu_tmpdir

static void fresh_dir(void)
{
    tu_tmpdir_setup();
    ck_assert_int_eq(chmod(dir, 0700), 0);
    setenv("NNACT_CACHE_DIR", dir, 1);
    setenv("NNACT_CACHE", "1", 1); /* on, even on pocl */
    setenv("NNACT_TUNING_DB", "0", 1);
}

/* A sigmoid on a fresh context: builds (or loads) the act family. */
static void run_op(void)
{
    nnact_ctx *ctx = NULL;
    TU_OK(nnact_ctx_create(&ctx, NULL));
    float x[3] = {-1, 0, 2}, y[3];
    nnact_tensor *X, *Y;
    TU_OK(nnact_tensor_create(ctx, 1, 3, &X));
    TU_OK(nnact_tensor_create(ctx, 1, 3, &Y));
    TU_OK(nnact_tensor_write(X, x));
    nnact_act sig = {NNACT_ACT_SIGMOID, 0, 0};
    TU_OK(nnact_act_forward(ctx, &sig, X, Y));
    TU_OK(nnact_tensor_read(Y, y));
    for (int i = 0; i < 3; i++)
        ck_assert(fabs(y[i] - 1.0 / (1.0 + exp(-(double)x[i]))) < 1e-6);
    nnact_tensor_destroy(X), nnact_tensor_destroy(Y);
    nnact_ctx_destroy(ctx);
}

/* The one program entry's path and inode (in the cache directory). */
static ino_t entry(char *path, size_t cap)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls %s/prog-*.bin 2>/dev/null", getenv("NNACT_CACHE_DIR"));
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    path[0] = '\0';
    int n = 0;
    while (fgets(path, (int)cap, p))
        n++;
    pclose(p);
    ck_assert_int_eq(n, 1);
    path[strcspn(path, "\n")] = '\0';
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_ino;
}

START_TEST(created_private)
{
    tu_tmpdir_setup();
    char sub[128];
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    setenv("NNACT_CACHE_DIR", sub, 1);
    setenv("NNACT_CACHE", "1", 1);
    run_op();
    struct stat st;
    ck_assert_int_eq(stat(sub, &st), 0);
    ck_assert_uint_eq(st.st_mode & 077, 0); /* 0700, whatever the umask */
    char path[512];
    entry(path, sizeof path);
    tu_tmpdir_teardown();
}
END_TEST

START_TEST(trusted_entry_is_loaded)
{
    fresh_dir();
    char path[512];
    run_op();
    ino_t first = entry(path, sizeof path);
    run_op(); /* a hit: the entry stays as it is */
    ck_assert(entry(path, sizeof path) == first);
    tu_tmpdir_teardown();
}
END_TEST

START_TEST(group_writable_dir_is_refused)
{
    fresh_dir();
    char path[512];
    run_op();
    ino_t first = entry(path, sizeof path);
    ck_assert_int_eq(chmod(dir, 0770), 0);
    run_op(); /* refused: built from source and stored again */
    ck_assert(entry(path, sizeof path) != first);
    tu_tmpdir_teardown();
}
END_TEST

START_TEST(writable_entry_is_refused)
{
    fresh_dir();
    char path[512];
    run_op();
    entry(path, sizeof path);
    ck_assert_int_eq(chmod(path, 0620), 0); /* group-writable */
    ino_t first = entry(path, sizeof path);
    run_op();
    ck_assert(entry(path, sizeof path) != first);
    tu_tmpdir_teardown();
}
END_TEST

START_TEST(foreign_entry_is_refused)
{
    if (geteuid() != 0)
        return; /* only root may hand a file to another user */
    fresh_dir();
    char path[512];
    run_op();
    ino_t first = entry(path, sizeof path);
    ck_assert_int_eq(chown(path, 65534, 65534), 0);
    run_op();
    ck_assert(entry(path, sizeof path) != first);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_uid, geteuid()); /* the new entry is ours */
    tu_tmpdir_teardown();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cache-security");
    TCase *tc = tcase_create("cache");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, created_private);
    tcase_add_test(tc, trusted_entry_is_loaded);
    tcase_add_test(tc, group_writable_dir_is_refused);
    tcase_add_test(tc, writable_entry_is_refused);
    tcase_add_test(tc, foreign_entry_is_refused);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
