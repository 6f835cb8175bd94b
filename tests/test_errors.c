/* Every error path of the public API: the documented status and a message
 * that names the problem (the argument, the shapes, the selector). The
 * kernel-build failure path is not reachable from the public API and is not
 * tested here. */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv, strdup */
#include "testutil.h"

#include <float.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum { R = 3, C = 7 };

/* A non-NULL value that a failing constructor must overwrite with NULL. */
static char junk;
#define JUNK ((void *)&junk)

/* ---- statuses, messages, NULL-tolerant functions (no context) ----------- */

START_TEST(status_strings)
{
    static const struct { nnact_status st; const char *name; } names[] = {
        {NNACT_OK, "NNACT_OK"},
        {NNACT_ERR_INVALID_ARG, "NNACT_ERR_INVALID_ARG"},
        {NNACT_ERR_SHAPE, "NNACT_ERR_SHAPE"},
        {NNACT_ERR_NO_PLATFORM, "NNACT_ERR_NO_PLATFORM"},
        {NNACT_ERR_DEVICE_NOT_FOUND, "NNACT_ERR_DEVICE_NOT_FOUND"},
        {NNACT_ERR_OUT_OF_MEMORY, "NNACT_ERR_OUT_OF_MEMORY"},
        {NNACT_ERR_BUILD, "NNACT_ERR_BUILD"},
        {NNACT_ERR_UNSUPPORTED, "NNACT_ERR_UNSUPPORTED"},
        {NNACT_ERR_IO, "NNACT_ERR_IO"},
        {NNACT_ERR_OPENCL, "NNACT_ERR_OPENCL"},
        {NNACT_ERR_COMM, "NNACT_ERR_COMM"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *got = nnact_status_string(names[i].st);
        ck_assert_msg(got && !strcmp(got, names[i].name),
                      "nnact_status_string(%d) should be %s, got %s", (int)names[i].st,
                      names[i].name, got ? got : "(NULL)");
    }
    const int bad[] = {NNACT_ERR_COMM + 1, 100, -1, INT32_MIN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *got = nnact_status_string((nnact_status)bad[i]);
        ck_assert_msg(got && !strcmp(got, "unknown status"),
                      "nnact_status_string(%d) should be 'unknown status', got %s",
                      bad[i], got ? got : "(NULL)");
    }
    /* Layers on the library (libnnact-cl-mpi) leave their messages so. */
    ck_assert_int_eq(nnact_set_error(NNACT_ERR_COMM, "rank 2 differs"), NNACT_ERR_COMM);
    ck_assert_str_eq(nnact_last_error(), "rank 2 differs");
    ck_assert_int_eq(nnact_set_error(NNACT_OK, NULL), NNACT_OK);
    ck_assert_str_eq(nnact_last_error(), "");
}
END_TEST

/* What a second thread saw (its message buffer dies with it, so it reports
 * flags, not pointers). */
typedef struct thread_seen {
    bool empty_at_start;
    bool own_failure_recorded;
} thread_seen;

static void *thread_main(void *arg)
{
    thread_seen *seen = arg;
    const char *e = nnact_last_error(); /* before any failure on this thread */
    seen->empty_at_start = e != NULL && e[0] == '\0';
    nnact_act a;
    (void)nnact_act_from_name("no-such-activation-in-thread", &a);
    seen->own_failure_recorded =
        strstr(nnact_last_error(), "no-such-activation-in-thread") != NULL;
    return NULL;
}

START_TEST(last_error_per_thread)
{
    /* A failure on this thread first, so a shared buffer would show it. */
    nnact_act a;
    TU_FAILS(nnact_act_from_name("no-such-activation", &a), NNACT_ERR_INVALID_ARG,
             "no-such-activation");
    thread_seen seen = {false, false};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, thread_main, &seen), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_msg(seen.empty_at_start,
                  "a new thread's nnact_last_error() should be \"\" before any failure");
    ck_assert_msg(seen.own_failure_recorded,
                  "the thread's own failure message was not recorded");
    /* The other thread's failure left this thread's message alone. */
    ck_assert_msg(strstr(nnact_last_error(), "no-such-activation") &&
                      !strstr(nnact_last_error(), "in-thread"),
                  "the main thread's message changed: '%s'", nnact_last_error());
}
END_TEST

START_TEST(destroy_and_getters_accept_null)
{
    nnact_ctx_destroy(NULL);
    nnact_tensor_destroy(NULL);
    ck_assert_ptr_null(nnact_ctx_device(NULL));
    ck_assert_ptr_null(nnact_ctx_queue(NULL));
    ck_assert_uint_eq(nnact_tensor_rows(NULL), 0);
    ck_assert_uint_eq(nnact_tensor_cols(NULL), 0);
    ck_assert_ptr_null(nnact_tensor_buffer(NULL));
    ck_assert_uint_eq(nnact_tensor_offset(NULL), 0);
}
END_TEST

START_TEST(act_names)
{
    nnact_act a;
    TU_FAILS(nnact_act_from_name(NULL, &a), NNACT_ERR_INVALID_ARG, "name is NULL");
    TU_FAILS(nnact_act_from_name("relu", NULL), NNACT_ERR_INVALID_ARG, "out is NULL");
    TU_FAILS(nnact_act_from_name("gelu2", &a), NNACT_ERR_INVALID_ARG, "'gelu2'");
    TU_FAILS(nnact_act_from_name("", &a), NNACT_ERR_INVALID_ARG, "unknown activation");
    char longname[200];
    memset(longname, 'r', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    TU_FAILS(nnact_act_from_name(longname, &a), NNACT_ERR_INVALID_ARG,
             "unknown activation");
    ck_assert_ptr_null(nnact_act_name(NNACT_ACT_COUNT));
    ck_assert_ptr_null(nnact_act_name((nnact_act_kind)-1));
    ck_assert_ptr_null(nnact_act_name((nnact_act_kind)1000));
}
END_TEST

/* ---- devices and contexts ---------------------------------------------- */

START_TEST(devices_args)
{
    size_t n = 99;
    TU_FAILS(nnact_devices(NULL, 3, &n), NNACT_ERR_INVALID_ARG, "out is NULL");
    ck_assert_msg(strstr(nnact_last_error(), "3"), "message should give cap 3: %s",
                  nnact_last_error());
    nnact_device_info info[2];
    TU_FAILS(nnact_devices(info, 2, NULL), NNACT_ERR_INVALID_ARG, "count is NULL");
    TU_FAILS(nnact_devices(NULL, 0, NULL), NNACT_ERR_INVALID_ARG, "count is NULL");
    /* Counting only. */
    n = 0;
    TU_OK(nnact_devices(NULL, 0, &n));
    ck_assert_msg(n >= 1, "nnact_devices(NULL, 0, &n) should count the devices, got %zu",
                  n);
    /* cap smaller than, equal to and larger than the total. */
    nnact_device_info *all = calloc(n + 2, sizeof *all);
    ck_assert_ptr_nonnull(all);
    size_t n2 = 0;
    TU_OK(nnact_devices(all, n + 2, &n2));
    ck_assert_uint_eq(n2, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(all[i].device_name[0] != '\0', "device %zu has no name", i);
    ck_assert_msg(all[n].device_name[0] == '\0', "wrote past the total count");
    nnact_device_info one;
    memset(&one, 0, sizeof one);
    TU_OK(nnact_devices(&one, 1, &n2));
    ck_assert_uint_eq(n2, n);
    ck_assert_str_eq(one.device_name, all[0].device_name);
    free(all);
}
END_TEST

/* A selector matching nothing: NNACT_ERR_DEVICE_NOT_FOUND, the message
 * quotes it and lists the devices that exist. */
static void check_not_found_message(const char *selector)
{
    char msg[8192], quoted[128];
    snprintf(msg, sizeof msg, "%s", nnact_last_error());
    snprintf(quoted, sizeof quoted, "'%s'", selector);
    ck_assert_msg(strstr(msg, quoted), "message should quote %s: %s", quoted, msg);
    nnact_device_info first;
    size_t n = 0;
    TU_OK(nnact_devices(&first, 1, &n));
    ck_assert_msg(n >= 1 && strstr(msg, first.device_name),
                  "message should list the device '%s': %s", first.device_name, msg);
}

START_TEST(device_select_errors)
{
    nnact_device_info info;
    TU_FAILS(nnact_device_select("auto", NULL), NNACT_ERR_INVALID_ARG, "chosen is NULL");
    const char *sel = "no-such-device-xyz";
    TU_FAILS(nnact_device_select(sel, &info), NNACT_ERR_DEVICE_NOT_FOUND, "devices");
    check_not_found_message(sel);
    TU_FAILS(nnact_device_select("gpu-xyz,9:9", &info), NNACT_ERR_DEVICE_NOT_FOUND,
             "'gpu-xyz,9:9'");
    /* Empty and blank selectors mean auto. */
    TU_OK(nnact_device_select("", &info));
    TU_OK(nnact_device_select("  ", &info));
}
END_TEST

/* Sets NNACT_DEVICE for one test (forked by Check, but restored anyway so
 * that the suite also runs with CK_FORK=no). The first call saves the
 * original value; restore_device_env() puts it back. */
static bool env_saved;
static char *saved_env;
static void set_device_env(const char *value)
{
    if (!env_saved) {
        const char *old = getenv("NNACT_DEVICE");
        saved_env = old ? strdup(old) : NULL;
        env_saved = true;
    }
    ck_assert_int_eq(setenv("NNACT_DEVICE", value, 1), 0);
}
static void restore_device_env(void)
{
    if (!env_saved)
        return;
    if (saved_env)
        setenv("NNACT_DEVICE", saved_env, 1);
    else
        unsetenv("NNACT_DEVICE");
    free(saved_env);
    saved_env = NULL;
    env_saved = false;
}

START_TEST(device_env_not_found)
{
    const char *sel = "no-such-device-from-env";
    set_device_env(sel);
    nnact_device_info info;
    TU_FAILS(nnact_device_select(NULL, &info), NNACT_ERR_DEVICE_NOT_FOUND, sel);
    check_not_found_message(sel);
    nnact_ctx *ctx = JUNK; /* must be overwritten with NULL */
    TU_FAILS(nnact_ctx_create(&ctx, NULL), NNACT_ERR_DEVICE_NOT_FOUND, sel);
    ck_assert_msg(ctx == NULL, "a failed nnact_ctx_create should set *out to NULL");
    /* An explicit selector wins over the environment. */
    TU_OK(nnact_device_select("auto", &info));
    /* An empty NNACT_DEVICE means auto. */
    set_device_env("");
    nnact_device_info env_auto;
    TU_OK(nnact_device_select(NULL, &env_auto));
    ck_assert_str_eq(env_auto.device_name, info.device_name);
    restore_device_env();
}
END_TEST

START_TEST(ctx_create_errors)
{
    nnact_ctx *ctx = NULL;
    TU_FAILS(nnact_ctx_create(NULL, "auto"), NNACT_ERR_INVALID_ARG, "out is NULL");
    TU_FAILS(nnact_ctx_create(NULL, NULL), NNACT_ERR_INVALID_ARG, "out is NULL");
    TU_FAILS(nnact_ctx_create(&ctx, "no-such-device-ctx"), NNACT_ERR_DEVICE_NOT_FOUND,
             "'no-such-device-ctx'");
    ck_assert_ptr_null(ctx);
    TU_FAILS(nnact_ctx_create(&ctx, "99:99"), NNACT_ERR_DEVICE_NOT_FOUND, "'99:99'");
    ck_assert_ptr_null(ctx);
    TU_FAILS(nnact_ctx_create_from_queue(&ctx, NULL), NNACT_ERR_INVALID_ARG,
             "queue is NULL");
    ck_assert_ptr_null(ctx);
    TU_FAILS(nnact_ctx_create_from_queue(NULL, NULL), NNACT_ERR_INVALID_ARG,
             "queue is NULL");
    TU_FAILS(nnact_ctx_finish(NULL), NNACT_ERR_INVALID_ARG, "nnact_ctx_finish: ctx is NULL");
}
END_TEST

/* create_from_queue with a valid queue but out NULL (needs a queue: the
 * fixture's context lends its own). */
START_TEST(ctx_from_queue_out_null)
{
    TU_FAILS(nnact_ctx_create_from_queue(NULL, nnact_ctx_queue(tu_ctx)),
             NNACT_ERR_INVALID_ARG, "out is NULL");
}
END_TEST

/* ---- tensors ----------------------------------------------------------- */

START_TEST(tensor_create_errors)
{
    nnact_tensor *t = JUNK;
    TU_FAILS(nnact_tensor_create(NULL, R, C, &t), NNACT_ERR_INVALID_ARG,
             "nnact_tensor_create: ctx is NULL");
    ck_assert_ptr_null(t);
    TU_FAILS(nnact_tensor_create(tu_ctx, R, C, NULL), NNACT_ERR_INVALID_ARG, "out is NULL");
    t = JUNK;
    TU_FAILS(nnact_tensor_create(tu_ctx, SIZE_MAX / 2, 3, &t), NNACT_ERR_SHAPE,
             "overflow");
    ck_assert_ptr_null(t);
    char shape[64];
    snprintf(shape, sizeof shape, "%zux%zu", (size_t)3, SIZE_MAX / 8);
    TU_FAILS(nnact_tensor_create(tu_ctx, 3, SIZE_MAX / 8, &t), NNACT_ERR_SHAPE, shape);
}
END_TEST

START_TEST(tensor_wrap_errors)
{
    cl_int err;
    cl_context clctx = NULL;
    ck_assert_int_eq(clGetCommandQueueInfo(nnact_ctx_queue(tu_ctx), CL_QUEUE_CONTEXT,
                                           sizeof clctx, &clctx, NULL), CL_SUCCESS);
    cl_mem buf = clCreateBuffer(clctx, CL_MEM_READ_WRITE, 10 * sizeof(float), NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    nnact_tensor *t = JUNK;
    TU_FAILS(nnact_tensor_wrap(NULL, buf, 0, 2, 5, &t), NNACT_ERR_INVALID_ARG,
             "nnact_tensor_wrap: ctx is NULL");
    ck_assert_ptr_null(t);
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, 0, 2, 5, NULL), NNACT_ERR_INVALID_ARG,
             "out is NULL");
    TU_FAILS(nnact_tensor_wrap(tu_ctx, NULL, 0, 2, 5, &t), NNACT_ERR_INVALID_ARG,
             "buffer is NULL");
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, 1, 2, 5, &t), NNACT_ERR_INVALID_ARG,
             "past the end");
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, 11, 0, 0, &t), NNACT_ERR_INVALID_ARG,
             "past the end");
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, SIZE_MAX, 1, 1, &t), NNACT_ERR_INVALID_ARG,
             "past the end");
    TU_FAILS(nnact_tensor_wrap(tu_ctx, buf, 0, SIZE_MAX / 2, 3, &t), NNACT_ERR_SHAPE,
             "overflow");
    ck_assert_ptr_null(t);
    clReleaseMemObject(buf);
}
END_TEST

START_TEST(tensor_copy_errors)
{
    float host[R * C] = {0};
    nnact_tensor *t = tu_tensor(R, C, host);
    TU_FAILS(nnact_tensor_write(NULL, host), NNACT_ERR_INVALID_ARG,
             "nnact_tensor_write: tensor is NULL");
    TU_FAILS(nnact_tensor_read(NULL, host), NNACT_ERR_INVALID_ARG,
             "nnact_tensor_read: tensor is NULL");
    TU_FAILS(nnact_tensor_write(t, NULL), NNACT_ERR_INVALID_ARG, "host pointer is NULL");
    TU_FAILS(nnact_tensor_read(t, NULL), NNACT_ERR_INVALID_ARG, "host pointer is NULL");
    nnact_tensor_destroy(t);
}
END_TEST

/* ---- activations ------------------------------------------------------- */

static nnact_act mkact(nnact_act_kind k)
{
    nnact_act a;
    TU_OK(nnact_act_from_name(nnact_act_name(k), &a));
    return a;
}

START_TEST(act_forward_errors)
{
    nnact_tensor *x = tu_tensor(R, C, NULL), *y = tu_tensor(R, C, NULL);
    nnact_tensor *yt = tu_tensor(C, R, NULL), *yw = tu_tensor(R, C + 1, NULL);
    nnact_act a = mkact(NNACT_ACT_RELU);
    TU_FAILS(nnact_act_forward(NULL, &a, x, y), NNACT_ERR_INVALID_ARG,
             "nnact_act_forward: ctx is NULL");
    TU_FAILS(nnact_act_forward(tu_ctx, NULL, x, y), NNACT_ERR_INVALID_ARG, "act is NULL");
    const int kinds[] = {NNACT_ACT_COUNT, NNACT_ACT_COUNT + 5, -1, 1 << 20};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        nnact_act bad = {(nnact_act_kind)kinds[i], 0.0f, 0.0f};
        char text[64];
        snprintf(text, sizeof text, "kind %d is out of range", kinds[i]);
        TU_FAILS(nnact_act_forward(tu_ctx, &bad, x, y), NNACT_ERR_INVALID_ARG, text);
        TU_FAILS(nnact_act_backward(tu_ctx, &bad, x, y, x, y), NNACT_ERR_INVALID_ARG, text);
    }
    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        nnact_act b = mkact((nnact_act_kind)k);
        const char *name = nnact_act_name((nnact_act_kind)k);
        TU_FAILS(nnact_act_forward(tu_ctx, &b, NULL, y), NNACT_ERR_INVALID_ARG, "x is NULL");
        TU_FAILS(nnact_act_forward(tu_ctx, &b, x, NULL), NNACT_ERR_INVALID_ARG, "y is NULL");
        /* Shape mismatches name both shapes. */
        TU_FAILS(nnact_act_forward(tu_ctx, &b, x, yt), NNACT_ERR_SHAPE, "3x7");
        ck_assert_msg(strstr(nnact_last_error(), "7x3"), "%s: message should name 7x3: %s",
                      name, nnact_last_error());
        TU_FAILS(nnact_act_forward(tu_ctx, &b, x, yw), NNACT_ERR_SHAPE, "3x8");
        /* Parameters that are not finite, for every kind. */
        const float bad[] = {NAN, INFINITY, -INFINITY};
        for (size_t i = 0; i < 3; i++) {
            nnact_act p = b;
            p.alpha = bad[i];
            TU_FAILS(nnact_act_forward(tu_ctx, &p, x, y), NNACT_ERR_INVALID_ARG,
                     "not finite");
            TU_FAILS(nnact_act_backward(tu_ctx, &p, x, y, x, y), NNACT_ERR_INVALID_ARG,
                     "not finite");
            p = b;
            p.beta = bad[i];
            TU_FAILS(nnact_act_forward(tu_ctx, &p, x, y), NNACT_ERR_INVALID_ARG,
                     "not finite");
            TU_FAILS(nnact_act_backward(tu_ctx, &p, x, y, x, y), NNACT_ERR_INVALID_ARG,
                     "not finite");
        }
    }
    /* Softmax through the activation interface: alpha is the temperature. */
    const float temps[] = {0.0f, -0.0f, -1.0f, -FLT_MIN};
    for (size_t i = 0; i < sizeof temps / sizeof temps[0]; i++) {
        nnact_act s = {NNACT_ACT_SOFTMAX, temps[i], 0.0f};
        TU_FAILS(nnact_act_forward(tu_ctx, &s, x, y), NNACT_ERR_INVALID_ARG, "temperature");
        TU_FAILS(nnact_act_backward(tu_ctx, &s, NULL, y, x, y), NNACT_ERR_INVALID_ARG,
                 "temperature");
    }
    nnact_tensor_destroy(x);
    nnact_tensor_destroy(y);
    nnact_tensor_destroy(yt);
    nnact_tensor_destroy(yw);
}
END_TEST

START_TEST(act_backward_errors)
{
    nnact_tensor *x = tu_tensor(R, C, NULL), *y = tu_tensor(R, C, NULL);
    nnact_tensor *dy = tu_tensor(R, C, NULL), *dx = tu_tensor(R, C, NULL);
    nnact_tensor *t = tu_tensor(C, R, NULL);
    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        nnact_act a = mkact((nnact_act_kind)k);
        const char *name = nnact_act_name((nnact_act_kind)k);
        TU_FAILS(nnact_act_backward(NULL, &a, x, y, dy, dx), NNACT_ERR_INVALID_ARG,
                 "nnact_act_backward: ctx is NULL");
        TU_FAILS(nnact_act_backward(tu_ctx, NULL, x, y, dy, dx), NNACT_ERR_INVALID_ARG,
                 "act is NULL");
        TU_FAILS(nnact_act_backward(tu_ctx, &a, x, y, NULL, dx), NNACT_ERR_INVALID_ARG,
                 "dy is NULL");
        TU_FAILS(nnact_act_backward(tu_ctx, &a, x, y, dy, NULL), NNACT_ERR_INVALID_ARG,
                 "dx is NULL");
        TU_FAILS(nnact_act_backward(tu_ctx, &a, x, y, dy, t), NNACT_ERR_SHAPE, "7x3");
        TU_FAILS(nnact_act_backward(tu_ctx, &a, x, y, t, dx), NNACT_ERR_SHAPE, "7x3");

        /* The tensor the derivative reads must be given and fit dy. */
        bool needs_y = k == NNACT_ACT_SIGMOID || k == NNACT_ACT_TANH ||
                       k == NNACT_ACT_SOFTMAX || k == NNACT_ACT_LOG_SOFTMAX;
        bool needs_x = !needs_y && k != NNACT_ACT_IDENTITY;
        if (needs_y) {
            TU_FAILS(nnact_act_backward(tu_ctx, &a, x, NULL, dy, dx), NNACT_ERR_INVALID_ARG,
                     "y is NULL");
            TU_FAILS(nnact_act_backward(tu_ctx, &a, x, t, dy, dx), NNACT_ERR_SHAPE, "7x3");
            TU_OK(nnact_act_backward(tu_ctx, &a, NULL, y, dy, dx));
        } else if (needs_x) {
            TU_FAILS(nnact_act_backward(tu_ctx, &a, NULL, y, dy, dx), NNACT_ERR_INVALID_ARG,
                     "x is NULL");
            ck_assert_msg(strstr(nnact_last_error(), name),
                          "message should name the activation %s: %s", name,
                          nnact_last_error());
            TU_FAILS(nnact_act_backward(tu_ctx, &a, t, y, dy, dx), NNACT_ERR_SHAPE, "7x3");
            TU_OK(nnact_act_backward(tu_ctx, &a, x, NULL, dy, dx));
        } else {
            ck_assert_int_eq(k, NNACT_ACT_IDENTITY);
            TU_OK(nnact_act_backward(tu_ctx, &a, NULL, NULL, dy, dx));
        }
    }
    TU_OK(nnact_ctx_finish(tu_ctx));
    nnact_tensor_destroy(x);
    nnact_tensor_destroy(y);
    nnact_tensor_destroy(dy);
    nnact_tensor_destroy(dx);
    nnact_tensor_destroy(t);
}
END_TEST

/* ---- softmax ----------------------------------------------------------- */

START_TEST(softmax_errors)
{
    nnact_tensor *x = tu_tensor(R, C, NULL), *y = tu_tensor(R, C, NULL);
    nnact_tensor *dx = tu_tensor(R, C, NULL), *t = tu_tensor(C, R, NULL);
    TU_FAILS(nnact_softmax_forward(NULL, 1.0f, x, y), NNACT_ERR_INVALID_ARG,
             "nnact_softmax_forward: ctx is NULL");
    TU_FAILS(nnact_softmax_backward(NULL, 1.0f, y, x, dx), NNACT_ERR_INVALID_ARG,
             "nnact_softmax_backward: ctx is NULL");
    const float temps[] = {0.0f, -0.0f, -1.0f, -FLT_MAX, NAN, -NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof temps / sizeof temps[0]; i++) {
        TU_FAILS(nnact_softmax_forward(tu_ctx, temps[i], x, y), NNACT_ERR_INVALID_ARG,
                 "temperature");
        TU_FAILS(nnact_softmax_backward(tu_ctx, temps[i], y, x, dx), NNACT_ERR_INVALID_ARG,
                 "temperature");
    }
    TU_FAILS(nnact_softmax_forward(tu_ctx, 1.0f, NULL, y), NNACT_ERR_INVALID_ARG,
             "x is NULL");
    TU_FAILS(nnact_softmax_forward(tu_ctx, 1.0f, x, NULL), NNACT_ERR_INVALID_ARG,
             "y is NULL");
    TU_FAILS(nnact_softmax_forward(tu_ctx, 1.0f, x, t), NNACT_ERR_SHAPE, "3x7");
    ck_assert_msg(strstr(nnact_last_error(), "7x3"), "message should name 7x3: %s",
                  nnact_last_error());
    TU_FAILS(nnact_softmax_backward(tu_ctx, 1.0f, NULL, x, dx), NNACT_ERR_INVALID_ARG,
             "y is NULL");
    TU_FAILS(nnact_softmax_backward(tu_ctx, 1.0f, y, NULL, dx), NNACT_ERR_INVALID_ARG,
             "dy is NULL");
    TU_FAILS(nnact_softmax_backward(tu_ctx, 1.0f, y, x, NULL), NNACT_ERR_INVALID_ARG,
             "dx is NULL");
    TU_FAILS(nnact_softmax_backward(tu_ctx, 1.0f, t, x, dx), NNACT_ERR_SHAPE, "7x3");
    TU_FAILS(nnact_softmax_backward(tu_ctx, 1.0f, y, t, dx), NNACT_ERR_SHAPE, "7x3");
    TU_FAILS(nnact_softmax_backward(tu_ctx, 1.0f, y, x, t), NNACT_ERR_SHAPE, "7x3");
    /* The smallest positive temperature is valid. */
    TU_OK(nnact_softmax_forward(tu_ctx, FLT_TRUE_MIN, x, y));
    TU_OK(nnact_ctx_finish(tu_ctx));
    nnact_tensor_destroy(x);
    nnact_tensor_destroy(y);
    nnact_tensor_destroy(dx);
    nnact_tensor_destroy(t);
}
END_TEST

/* ---- learnable PReLU --------------------------------------------------- */

START_TEST(prelu_errors)
{
    nnact_tensor *x = tu_tensor(R, C, NULL), *y = tu_tensor(R, C, NULL);
    nnact_tensor *dy = tu_tensor(R, C, NULL), *dx = tu_tensor(R, C, NULL);
    nnact_tensor *t = tu_tensor(C, R, NULL);
    nnact_tensor *a1 = tu_tensor(1, 1, NULL), *ac = tu_tensor(1, C, NULL);
    nnact_tensor *da1 = tu_tensor(1, 1, NULL), *dac = tu_tensor(1, C, NULL);
    nnact_tensor *bad_alpha[] = {tu_tensor(1, 3, NULL), tu_tensor(2, 1, NULL),
                                 tu_tensor(R, C, NULL), tu_tensor(C, 1, NULL),
                                 tu_tensor(1, C + 1, NULL)};
    const char *bad_shape[] = {"alpha is 1x3", "alpha is 2x1", "alpha is 3x7",
                               "alpha is 7x1", "alpha is 1x8"};

    TU_FAILS(nnact_prelu_forward(NULL, x, a1, y), NNACT_ERR_INVALID_ARG,
             "nnact_prelu_forward: ctx is NULL");
    TU_FAILS(nnact_prelu_forward(tu_ctx, NULL, a1, y), NNACT_ERR_INVALID_ARG, "x is NULL");
    TU_FAILS(nnact_prelu_forward(tu_ctx, x, NULL, y), NNACT_ERR_INVALID_ARG,
             "alpha is NULL");
    TU_FAILS(nnact_prelu_forward(tu_ctx, x, a1, NULL), NNACT_ERR_INVALID_ARG, "y is NULL");
    TU_FAILS(nnact_prelu_forward(tu_ctx, x, a1, t), NNACT_ERR_SHAPE, "7x3");
    for (size_t i = 0; i < sizeof bad_alpha / sizeof bad_alpha[0]; i++) {
        TU_FAILS(nnact_prelu_forward(tu_ctx, x, bad_alpha[i], y), NNACT_ERR_SHAPE,
                 bad_shape[i]);
        ck_assert_msg(strstr(nnact_last_error(), "1x1 or 1x7"),
                      "message should say alpha must be 1x1 or 1x7: %s",
                      nnact_last_error());
        TU_FAILS(nnact_prelu_backward(tu_ctx, x, bad_alpha[i], dy, dx, NULL),
                 NNACT_ERR_SHAPE, bad_shape[i]);
    }

    TU_FAILS(nnact_prelu_backward(NULL, x, a1, dy, dx, da1), NNACT_ERR_INVALID_ARG,
             "nnact_prelu_backward: ctx is NULL");
    TU_FAILS(nnact_prelu_backward(tu_ctx, NULL, a1, dy, dx, da1), NNACT_ERR_INVALID_ARG,
             "x is NULL");
    TU_FAILS(nnact_prelu_backward(tu_ctx, x, NULL, dy, dx, da1), NNACT_ERR_INVALID_ARG,
             "alpha is NULL");
    TU_FAILS(nnact_prelu_backward(tu_ctx, x, a1, NULL, dx, da1), NNACT_ERR_INVALID_ARG,
             "dy is NULL");
    TU_FAILS(nnact_prelu_backward(tu_ctx, x, a1, dy, NULL, NULL), NNACT_ERR_INVALID_ARG,
             "dx and dalpha are both NULL");
    TU_FAILS(nnact_prelu_backward(tu_ctx, x, a1, t, dx, da1), NNACT_ERR_SHAPE, "7x3");
    TU_FAILS(nnact_prelu_backward(tu_ctx, x, a1, dy, t, da1), NNACT_ERR_SHAPE, "7x3");
    /* dalpha must have alpha's shape. */
    TU_FAILS(nnact_prelu_backward(tu_ctx, x, a1, dy, dx, dac), NNACT_ERR_SHAPE,
             "dalpha is 1x7 but alpha is 1x1");
    TU_FAILS(nnact_prelu_backward(tu_ctx, x, ac, dy, dx, da1), NNACT_ERR_SHAPE,
             "dalpha is 1x1 but alpha is 1x7");
    TU_FAILS(nnact_prelu_backward(tu_ctx, x, ac, dy, NULL, t), NNACT_ERR_SHAPE,
             "dalpha is 7x3");
    /* Either output may be skipped. */
    TU_OK(nnact_prelu_backward(tu_ctx, x, ac, dy, NULL, dac));
    TU_OK(nnact_prelu_backward(tu_ctx, x, a1, dy, dx, NULL));
    TU_OK(nnact_ctx_finish(tu_ctx));

    nnact_tensor *all[] = {x, y, dy, dx, t, a1, ac, da1, dac};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
    for (size_t i = 0; i < sizeof bad_alpha / sizeof bad_alpha[0]; i++)
        nnact_tensor_destroy(bad_alpha[i]);
}
END_TEST

/* ---- tensors of another context ---------------------------------------- */

START_TEST(foreign_tensors)
{
    nnact_ctx *other = NULL;
    TU_OK(nnact_ctx_create(&other, NULL));
    float host[R * C];
    tu_random(host, R * C, 1.0f, 1);
    nnact_tensor *f = NULL, *fa = NULL;
    TU_OK(nnact_tensor_create(other, R, C, &f));
    TU_OK(nnact_tensor_write(f, host));
    TU_OK(nnact_tensor_create(other, 1, 1, &fa));
    TU_OK(nnact_tensor_write(fa, host));
    nnact_tensor *x = tu_tensor(R, C, host), *y = tu_tensor(R, C, NULL);
    nnact_tensor *a1 = tu_tensor(1, 1, host), *da = tu_tensor(1, 1, NULL);
    const char *msg = "belongs to another context";

    for (int k = 0; k < NNACT_ACT_COUNT; k++) {
        nnact_act a = mkact((nnact_act_kind)k);
        TU_FAILS(nnact_act_forward(tu_ctx, &a, f, y), NNACT_ERR_INVALID_ARG, "x belongs");
        TU_FAILS(nnact_act_forward(tu_ctx, &a, x, f), NNACT_ERR_INVALID_ARG, "y belongs");
        TU_FAILS(nnact_act_backward(tu_ctx, &a, x, x, f, y), NNACT_ERR_INVALID_ARG,
                 "dy belongs");
        TU_FAILS(nnact_act_backward(tu_ctx, &a, x, x, x, f), NNACT_ERR_INVALID_ARG,
                 "dx belongs");
        if (k == NNACT_ACT_SIGMOID || k == NNACT_ACT_TANH || k == NNACT_ACT_SOFTMAX ||
            k == NNACT_ACT_LOG_SOFTMAX)
            TU_FAILS(nnact_act_backward(tu_ctx, &a, x, f, x, y), NNACT_ERR_INVALID_ARG,
                     "y belongs");
        else if (k != NNACT_ACT_IDENTITY)
            TU_FAILS(nnact_act_backward(tu_ctx, &a, f, x, x, y), NNACT_ERR_INVALID_ARG,
                     "x belongs");
    }
    TU_FAILS(nnact_softmax_forward(tu_ctx, 1.0f, f, y), NNACT_ERR_INVALID_ARG, msg);
    TU_FAILS(nnact_softmax_forward(tu_ctx, 1.0f, x, f), NNACT_ERR_INVALID_ARG, msg);
    TU_FAILS(nnact_softmax_backward(tu_ctx, 1.0f, f, x, y), NNACT_ERR_INVALID_ARG,
             "y belongs");
    TU_FAILS(nnact_softmax_backward(tu_ctx, 1.0f, x, f, y), NNACT_ERR_INVALID_ARG,
             "dy belongs");
    TU_FAILS(nnact_softmax_backward(tu_ctx, 1.0f, x, x, f), NNACT_ERR_INVALID_ARG,
             "dx belongs");
    TU_FAILS(nnact_prelu_forward(tu_ctx, f, a1, y), NNACT_ERR_INVALID_ARG, "x belongs");
    TU_FAILS(nnact_prelu_forward(tu_ctx, x, fa, y), NNACT_ERR_INVALID_ARG, "alpha belongs");
    TU_FAILS(nnact_prelu_forward(tu_ctx, x, a1, f), NNACT_ERR_INVALID_ARG, "y belongs");
    TU_FAILS(nnact_prelu_backward(tu_ctx, f, a1, x, y, da), NNACT_ERR_INVALID_ARG,
             "x belongs");
    TU_FAILS(nnact_prelu_backward(tu_ctx, x, fa, x, y, da), NNACT_ERR_INVALID_ARG,
             "alpha belongs");
    TU_FAILS(nnact_prelu_backward(tu_ctx, x, a1, f, y, da), NNACT_ERR_INVALID_ARG,
             "dy belongs");
    TU_FAILS(nnact_prelu_backward(tu_ctx, x, a1, x, f, da), NNACT_ERR_INVALID_ARG,
             "dx belongs");
    TU_FAILS(nnact_prelu_backward(tu_ctx, x, a1, x, y, fa), NNACT_ERR_INVALID_ARG,
             "dalpha belongs");

    /* A buffer of the other context cannot be wrapped. */
    nnact_tensor *w = JUNK;
    TU_FAILS(nnact_tensor_wrap(tu_ctx, nnact_tensor_buffer(f), 0, R, C, &w),
             NNACT_ERR_INVALID_ARG, "another cl_context");
    ck_assert_ptr_null(w);

    nnact_tensor *all[] = {x, y, a1, da, f, fa};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
    nnact_ctx_destroy(other);
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"status", 0, 0, {{status_strings, 1}, {last_error_per_thread, 1},
            {destroy_and_getters_accept_null, 1}, {act_names, 1}}},
        {"devices", 0, 0, {{devices_args, 1}, {device_select_errors, 1},
            {device_env_not_found, 1}, {ctx_create_errors, 1}}},
        {"context", TU_CONTEXT, 0, {{ctx_from_queue_out_null, 1}, {tensor_create_errors, 1},
            {tensor_wrap_errors, 1}, {tensor_copy_errors, 1}, {act_forward_errors, 1},
            {act_backward_errors, 1}, {softmax_errors, 1}, {prelu_errors, 1},
            {foreign_tensors, 1}}},
    };
    return tu_run_cases("errors", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
