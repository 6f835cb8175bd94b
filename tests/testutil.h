/* Helpers shared by the Check suites: a context made in a checked fixture
 * (Check forks each test; OpenCL must not be touched before the fork),
 * NaN-poisoned device tensors, and deterministic random inputs. */
#ifndef NNACT_TESTUTIL_H
#define NNACT_TESTUTIL_H

#include <check.h>
#include <nnact.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The context of the running test; made by tu_setup (a checked fixture). */
extern nnact_ctx *tu_ctx;
void tu_setup(void);
void tu_teardown(void);

/* ck_assert that a call returned NNACT_OK, printing the message otherwise. */
#define TU_OK(call)                                                              \
    do {                                                                         \
        nnact_status tu_st_ = (call);                                            \
        ck_assert_msg(tu_st_ == NNACT_OK, "%s -> %s: %s", #call,                 \
                      nnact_status_string(tu_st_), nnact_last_error());          \
    } while (0)

/* ck_assert that a call failed with the given status and a message that
 * contains the given text. */
#define TU_FAILS(call, status, text)                                             \
    do {                                                                         \
        nnact_status tu_st_ = (call);                                            \
        ck_assert_msg(tu_st_ == (status), "%s -> %s (wanted %s): %s", #call,     \
                      nnact_status_string(tu_st_), nnact_status_string(status),  \
                      nnact_last_error());                                       \
        ck_assert_msg(strstr(nnact_last_error(), (text)) != NULL,                \
                      "%s: message '%s' lacks '%s'", #call, nnact_last_error(),  \
                      (text));                                                   \
    } while (0)

/* A rows x cols tensor holding host (or NaN everywhere when host is NULL). */
nnact_tensor *tu_tensor(size_t rows, size_t cols, const float *host);
/* Overwrites a tensor with NaN, so an element a kernel skips is caught. */
void tu_poison(nnact_tensor *t);
/* Reads a tensor into a new malloc'd array. */
float *tu_read(const nnact_tensor *t);

/* Deterministic uniform floats in [-scale, scale] (xorshift, fixed seed). */
void tu_random(float *out, size_t n, float scale, uint64_t seed);

/* Fails the test with a message when cond is false. Cheaper than ck_assert
 * in per-element loops: Check writes to its pipe on every ck_assert. */
#define TU_EXPECT(cond, ...)                                                     \
    do {                                                                         \
        if (!(cond))                                                             \
            ck_abort_msg(__VA_ARGS__);                                           \
    } while (0)

/* malloc that fails the test instead of returning NULL (n may be 0). */
void *tu_xmalloc(size_t n);

/* A fresh directory under /tmp for the running test, and its removal
 * (use as a checked fixture). */
extern char tu_tmpdir[64];
void tu_tmpdir_setup(void);
void tu_tmpdir_teardown(void);

/* Runs a suite with CK_ENV so CK_RUN_SUITE/CK_FORK work; returns exit code. */
int tu_run(Suite *s);

/* A suite as data: each case names its tests in order, each run once or, with
 * loop > 1, for _i = 0 .. loop-1 (Check's loop test). fixtures: TU_CONTEXT
 * (tu_setup/tu_teardown around each test, checked) and TU_TMPDIR (a fresh
 * tu_tmpdir for the case, unchecked); timeout in seconds, 0 for Check's. */
enum { TU_CONTEXT = 1, TU_TMPDIR = 2, TU_MAX_TESTS = 32 };
typedef struct tu_test {
    const TTest *test;
    int loop;
} tu_test;
typedef struct tu_case {
    const char *name;
    unsigned fixtures;
    double timeout;
    tu_test tests[TU_MAX_TESTS]; /* up to the first NULL test */
} tu_case;
/* Builds the suite named `suite` from n cases and runs it as tu_run does. */
int tu_run_cases(const char *suite, const tu_case *cases, size_t n);

#endif
