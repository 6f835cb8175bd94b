/* Fault injection: every call of the OpenCL entry points the library uses
 * (clfault.h) is made to fail once, at every position a scenario reaches
 * (context creation; then elementwise ops, softmax, dense forward and
 * backward, a loss, an optimizer step, an MLP train step, save and load).
 * Each failure must come back as the matching status with a message naming
 * the failed call (or the SGEMM that made it inside CLBlast) and the error,
 * leave no OpenCL object behind, and leave the same context giving results
 * bit-identical to an undisturbed run. */
#define _POSIX_C_SOURCE 200809L
#include "clfault.h"
#include "testutil.h"

#include <stdio.h>

enum { B = 8, IN = 12, HID = 10, OUT = 6 };

/* ---- the scenario ---- */

typedef struct outcome {
    nnact_status st;
    const char *step; /* the call that failed */
    uint64_t digest;  /* FNV-1a of every result's bytes */
} outcome;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 0x100000001b3ull;
    return h;
}

#define STEP(call)                                                               \
    do {                                                                         \
        if ((o.st = (call)) != NNACT_OK) {                                       \
            o.step = #call;                                                      \
            goto out;                                                            \
        }                                                                        \
    } while (0)

/* Reads t into the digest. */
static nnact_status digest_tensor(const nnact_tensor *t, uint64_t *h)
{
    float buf[B * IN * HID];
    size_t n = nnact_tensor_rows(t) * nnact_tensor_cols(t);
    nnact_status st = nnact_tensor_read(t, buf);
    if (st == NNACT_OK)
        *h = fnv(*h, buf, n * sizeof *buf);
    return st;
}

static outcome scenario(nnact_ctx *ctx, const char *dir)
{
    outcome o = {NNACT_OK, NULL, 0xcbf29ce484222325ull};
    float hx[B * IN], hdy[B * IN], hw[IN * OUT], hb[OUT], labels[B];
    tu_random(hx, B * IN, 3.0f, 11);
    tu_random(hdy, B * IN, 1.0f, 12);
    tu_random(hw, IN * OUT, 0.5f, 13);
    tu_random(hb, OUT, 0.5f, 14);
    for (int i = 0; i < B; i++)
        labels[i] = (float)(i * 5 % OUT);
    nnact_tensor *x = NULL, *y = NULL, *dy = NULL, *dx = NULL, *W = NULL, *b = NULL, *z = NULL,
                 *a = NULL, *dW = NULL, *db = NULL, *dxd = NULL, *lab = NULL, *grad = NULL,
                 *m1 = NULL, *m2 = NULL;
    nnact_mlp *mlp = NULL, *loaded = NULL;
    float loss[4] = {0}, acc[4] = {0};
    char path[128];
    snprintf(path, sizeof path, "%s/model.nnact", dir);

    STEP(nnact_tensor_create(ctx, B, IN, &x));
    STEP(nnact_tensor_create(ctx, B, IN, &y));
    STEP(nnact_tensor_create(ctx, B, IN, &dy));
    STEP(nnact_tensor_create(ctx, B, IN, &dx));
    STEP(nnact_tensor_write(x, hx));
    STEP(nnact_tensor_write(dy, hdy));
    /* elementwise and row operations */
    const nnact_act sigmoid = {NNACT_ACT_SIGMOID, 0, 0}, tanh_act = {NNACT_ACT_TANH, 0, 0};
    STEP(nnact_act_forward(ctx, &sigmoid, x, y));
    STEP(nnact_act_backward(ctx, &sigmoid, x, y, dy, dx));
    STEP(digest_tensor(y, &o.digest));
    STEP(digest_tensor(dx, &o.digest));
    STEP(nnact_softmax_forward(ctx, 1.5f, x, y));
    STEP(nnact_softmax_backward(ctx, 1.5f, y, dy, dx));
    STEP(digest_tensor(dx, &o.digest));
    /* a dense layer forward and backward (CLBlast SGEMMs) */
    STEP(nnact_tensor_create(ctx, IN, OUT, &W));
    STEP(nnact_tensor_create(ctx, 1, OUT, &b));
    STEP(nnact_tensor_create(ctx, B, OUT, &z));
    STEP(nnact_tensor_create(ctx, B, OUT, &a));
    STEP(nnact_tensor_create(ctx, IN, OUT, &dW));
    STEP(nnact_tensor_create(ctx, 1, OUT, &db));
    STEP(nnact_tensor_create(ctx, B, IN, &dxd));
    STEP(nnact_tensor_create(ctx, B, 1, &lab));
    STEP(nnact_tensor_create(ctx, B, OUT, &grad));
    STEP(nnact_tensor_write(W, hw));
    STEP(nnact_tensor_write(b, hb));
    STEP(nnact_tensor_write(lab, labels));
    STEP(nnact_dense_forward(ctx, x, W, b, &tanh_act, z, a));
    /* a loss and its gradient, then backward through the layer */
    const nnact_loss cce = {NNACT_LOSS_SOFTMAX_CCE, 1e-7f, 1.0f};
    STEP(nnact_loss_eval(ctx, &cce, a, lab, &loss[0], &acc[0], grad));
    STEP(nnact_dense_backward(ctx, x, W, &tanh_act, z, a, grad, dW, db, dxd));
    /* an optimizer step with fresh moments */
    STEP(nnact_tensor_create(ctx, IN, OUT, &m1));
    STEP(nnact_tensor_create(ctx, IN, OUT, &m2));
    STEP(nnact_tensor_fill(m1, 0.0f));
    STEP(nnact_tensor_fill(m2, 0.0f));
    nnact_optim adam;
    STEP(nnact_optim_from_name("adam", &adam));
    STEP(nnact_optim_step(ctx, &adam, 1, W, dW, m1, m2));
    STEP(digest_tensor(W, &o.digest));
    STEP(digest_tensor(db, &o.digest));
    STEP(digest_tensor(dxd, &o.digest));
    /* an MLP: two train steps, save, load, evaluate */
    const size_t sizes[] = {IN, HID, OUT};
    const char *acts[] = {"relu", "softmax"};
    STEP(nnact_mlp_create(ctx, sizes, 3, acts, 7, &mlp));
    const nnact_loss sparse = {NNACT_LOSS_CCE, 1e-7f, 1.0f};
    STEP(nnact_mlp_train_step(mlp, x, lab, &sparse, &adam, &loss[1], &acc[1]));
    STEP(nnact_mlp_train_step(mlp, x, lab, &sparse, &adam, &loss[2], &acc[2]));
    STEP(nnact_mlp_save(mlp, path));
    STEP(nnact_mlp_load(ctx, path, &loaded));
    STEP(nnact_mlp_evaluate(loaded, x, lab, &sparse, &loss[3], &acc[3]));
    STEP(digest_tensor(nnact_mlp_weights(loaded, 0), &o.digest));
    STEP(nnact_ctx_finish(ctx));
    o.digest = fnv(o.digest, loss, sizeof loss);
    o.digest = fnv(o.digest, acc, sizeof acc);
out:
    nnact_mlp_destroy(loaded);
    nnact_mlp_destroy(mlp);
    nnact_tensor *all[] = {x, y, dy, dx, W, b, z, a, dW, db, dxd, lab, grad, m1, m2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nnact_tensor_destroy(all[i]);
    return o;
}

/* ---- what a failure must look like ---- */

/* The error injected into the n-th call: alternately one the library must
 * report as running out of memory and one it must report as an OpenCL
 * error (a build failure for clBuildProgram). */
static cl_int injected(clf_entry e, unsigned long n)
{
    if (e == CLF_BUILD_PROGRAM)
        return n % 2 ? CL_BUILD_PROGRAM_FAILURE : CL_OUT_OF_HOST_MEMORY;
    if (n % 2)
        return e == CLF_CREATE_BUFFER ? CL_MEM_OBJECT_ALLOCATION_FAILURE : CL_OUT_OF_RESOURCES;
    return CL_INVALID_OPERATION;
}

static nnact_status expected(cl_int err)
{
    switch (err) {
    case CL_BUILD_PROGRAM_FAILURE: return NNACT_ERR_BUILD;
    case CL_OUT_OF_HOST_MEMORY:
    case CL_OUT_OF_RESOURCES:
    case CL_MEM_OBJECT_ALLOCATION_FAILURE: return NNACT_ERR_OUT_OF_MEMORY;
    default: return NNACT_ERR_OPENCL;
    }
}

static const char *cl_name(cl_int err)
{
    switch (err) {
    case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE";
    case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY";
    case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES";
    case CL_MEM_OBJECT_ALLOCATION_FAILURE: return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
    default: return "CL_INVALID_OPERATION";
    }
}

/* Checks the outcome of a run in which the n-th call of e failed. */
static void check_failure(const outcome *o, clf_entry e, unsigned long n, cl_int err)
{
    const char *msg = nnact_last_error();
    TU_EXPECT(o->st != NNACT_OK, "%s #%lu failed with %s, but the scenario succeeded",
              clf_name(e), n, cl_name(err));
    /* Inside CLBlast the failed call is not known; the SGEMM is named. */
    bool clblast = strstr(msg, "SGEMM") != NULL;
    TU_EXPECT(o->st == expected(err), "%s #%lu failing with %s: %s returned %s, wanted %s: %s",
              clf_name(e), n, cl_name(err), o->step, nnact_status_string(o->st),
              nnact_status_string(expected(err)), msg);
    TU_EXPECT(clblast || strstr(msg, clf_name(e)), "%s #%lu: %s: message lacks '%s': %s",
              clf_name(e), n, o->step, clf_name(e), msg);
    /* CLBlast turns a failed build of its own program into its status
     * CL_INVALID_PROGRAM, which the library reports as a build failure. */
    bool clblast_build = clblast && err == CL_BUILD_PROGRAM_FAILURE &&
                         strstr(msg, "could not build");
    TU_EXPECT(clblast_build || strstr(msg, cl_name(err)), "%s #%lu: %s: message lacks '%s': %s",
              clf_name(e), n, o->step, cl_name(err), msg);
}

static void snapshot(long live[CLF_OBJECTS])
{
    for (int i = 0; i < CLF_OBJECTS; i++)
        live[i] = clf_live(i);
}

static void check_no_leak(const long before[CLF_OBJECTS], int objects, const char *when)
{
    for (int i = 0; i < CLF_OBJECTS; i++)
        if (objects >> i & 1)
            TU_EXPECT(clf_live(i) == before[i], "%s: %ld %s references left (%ld before)",
                      when, clf_live(i), clf_object_name(i), before[i]);
}

/* ---- the tests ---- */

static const char *const entries_used =
    "clCreateBuffer, clCreateProgramWithSource, clBuildProgram, clCreateKernel, "
    "clEnqueue{NDRangeKernel,ReadBuffer,WriteBuffer,CopyBuffer,FillBuffer}, clFinish";

/* Context creation: each call it makes fails once; nothing is left behind. */
START_TEST(test_ctx_create_faults)
{
    long before[CLF_OBJECTS];
    snapshot(before);
    nnact_ctx *ctx = NULL;
    clf_reset();
    TU_OK(nnact_ctx_create(&ctx, NULL));
    unsigned long counts[CLF_COUNT];
    for (int e = 0; e < CLF_COUNT; e++)
        counts[e] = clf_calls(e);
    nnact_ctx_destroy(ctx);
    ck_assert_msg(counts[CLF_CREATE_CONTEXT] >= 1 && counts[CLF_CREATE_QUEUE] >= 1,
                  "the injector did not see the context being made");
    int cases = 0;
    for (int e = 0; e < CLF_COUNT; e++)
        for (unsigned long n = 1; n <= counts[e]; n++, cases++) {
            cl_int err = injected(e, n);
            clf_reset();
            clf_arm(e, n, err);
            outcome o = {nnact_ctx_create(&ctx, NULL), "nnact_ctx_create", 0};
            clf_disarm();
            ck_assert(clf_fired());
            check_failure(&o, e, n, err);
            ck_assert_ptr_null(ctx);
            check_no_leak(before, 1 << CLF_MEM | 1 << CLF_KERNEL | 1 << CLF_EVENT,
                          clf_name(e));
        }
    fprintf(stderr, "faults: %d failures injected into nnact_ctx_create\n", cases);
}
END_TEST

/* Runs the scenario with the n-th call of e failing, for every n it
 * reaches, each followed by a clean run in the same context that must match
 * the reference bit for bit; objects must be back to what they were. */
static int sweep(nnact_ctx *ctx, clf_entry e, uint64_t reference, int objects)
{
    long before[CLF_OBJECTS];
    snapshot(before);
    int cases = 0;
    for (unsigned long n = 1;; n++) {
        cl_int err = injected(e, n);
        clf_reset();
        clf_arm(e, n, err);
        outcome o = scenario(ctx, tu_tmpdir);
        clf_disarm();
        if (!clf_fired()) {
            TU_EXPECT(o.st == NNACT_OK, "undisturbed run failed: %s", nnact_last_error());
            break;
        }
        cases++;
        check_failure(&o, e, n, err);
        outcome again = scenario(ctx, tu_tmpdir);
        TU_EXPECT(again.st == NNACT_OK, "%s #%lu: the context failed afterwards in %s: %s",
                  clf_name(e), n, again.step, nnact_last_error());
        TU_EXPECT(again.digest == reference, "%s #%lu: results after the failure differ "
                  "from the undisturbed run", clf_name(e), n);
        char when[64];
        snprintf(when, sizeof when, "%s #%lu", clf_name(e), n);
        check_no_leak(before, objects, when);
    }
    return cases;
}

static void setup(void)
{
    tu_tmpdir_setup();
}

static void teardown(void)
{
    tu_tmpdir_teardown();
}

/* One warm context for every call the scenario makes once kernels are
 * built: buffers, enqueues, clFinish, and CLBlast's per-call kernels. */
START_TEST(test_scenario_faults)
{
    nnact_ctx *ctx;
    TU_OK(nnact_ctx_create(&ctx, NULL));
    outcome ref = scenario(ctx, tu_tmpdir); /* builds every kernel */
    TU_EXPECT(ref.st == NNACT_OK, "%s: %s", ref.step, nnact_last_error());
    clf_reset();
    outcome warm = scenario(ctx, tu_tmpdir);
    TU_EXPECT(warm.st == NNACT_OK && warm.digest == ref.digest,
              "two undisturbed runs differ");
    int cases = 0;
    for (int e = CLF_CREATE_BUFFER; e < CLF_COUNT; e++)
        cases += sweep(ctx, e, ref.digest, (1 << CLF_OBJECTS) - 1);
    fprintf(stderr, "faults: %d failures injected into a warm context (%s)\n", cases,
            entries_used);
    ck_assert_int_gt(cases, 100);
    nnact_ctx_destroy(ctx);
}
END_TEST

/* Fresh contexts for the calls made only the first time: building the
 * kernel families (and CLBlast's programs) and creating their kernels. */
START_TEST(test_first_use_faults)
{
    static const clf_entry first_use[] = {CLF_CREATE_PROGRAM, CLF_BUILD_PROGRAM,
                                          CLF_CREATE_KERNEL};
    uint64_t reference = 0;
    int cases = 0;
    for (size_t i = 0; i < sizeof first_use / sizeof first_use[0]; i++) {
        clf_entry e = first_use[i];
        for (unsigned long n = 1;; n++) {
            nnact_ctx *ctx;
            TU_OK(nnact_ctx_create(&ctx, NULL));
            if (!reference) {
                outcome ref = scenario(ctx, tu_tmpdir);
                TU_EXPECT(ref.st == NNACT_OK, "%s: %s", ref.step, nnact_last_error());
                reference = ref.digest;
                nnact_ctx_destroy(ctx);
                TU_OK(nnact_ctx_create(&ctx, NULL));
            }
            cl_int err = injected(e, n);
            clf_reset();
            clf_arm(e, n, err);
            outcome o = scenario(ctx, tu_tmpdir);
            clf_disarm();
            bool fired = clf_fired();
            if (fired) {
                cases++;
                check_failure(&o, e, n, err);
                o = scenario(ctx, tu_tmpdir);
            }
            TU_EXPECT(o.st == NNACT_OK, "%s #%lu: the context failed afterwards in %s: %s",
                      clf_name(e), n, o.step, nnact_last_error());
            TU_EXPECT(o.digest == reference, "%s #%lu: results differ from the "
                      "undisturbed run", clf_name(e), n);
            nnact_ctx_destroy(ctx);
            if (!fired)
                break;
        }
    }
    fprintf(stderr, "faults: %d failures injected into first uses\n", cases);
}
END_TEST

int main(void)
{
    /* One case each, so CK_RUN_CASE picks one (e.g. under valgrind). */
    Suite *s = suite_create("faults");
    const struct {
        const char *name;
        const TTest *test;
    } cases[] = {{"ctx_create", test_ctx_create_faults},
                 {"warm", test_scenario_faults},
                 {"first_use", test_first_use_faults}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return tu_run(s);
}
