/* Threads, each with its own context, run the same work — activations and
 * their derivatives, softmax, a dense layer forward and backward, a loss,
 * optimizer steps and MLP training steps — at the same time; every result
 * must equal, bit for bit, the one the same work gave in one thread alone.
 * Each thread then fails a call with its own bad value, and after all have
 * failed, nnact_last_error in each thread must name its own value. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>

enum { THREADS = 4, R = 37, C = 53, OUT = 17 };

typedef struct worker {
    int id;
    pthread_barrier_t *barrier; /* NULL when run alone */
    float *out;                 /* every result, appended */
    size_t n_out, cap_out;
    char fail[1024];            /* the first failed call and its message */
    char own_error[512];        /* nnact_last_error after its own failure */
} worker;

static int push(worker *w, const float *v, size_t n, const nnact_tensor *t)
{
    if (w->n_out + n > w->cap_out) {
        w->cap_out = 2 * (w->n_out + n);
        float *q = realloc(w->out, w->cap_out * sizeof *q);
        if (!q)
            return 0;
        w->out = q;
    }
    if (t ? nnact_tensor_read(t, w->out + w->n_out) != NNACT_OK
          : (memcpy(w->out + w->n_out, v, n * sizeof *v), 0))
        return 0;
    w->n_out += n;
    return 1;
}

static int append(worker *w, const nnact_tensor *t)
{
    return push(w, NULL, nnact_tensor_rows(t) * nnact_tensor_cols(t), t);
}

static int append_value(worker *w, float v) { return push(w, &v, 1, NULL); }

#define CHECK(call)                                                                   \
    do {                                                                              \
        nnact_status st_ = (call);                                                    \
        if (st_ != NNACT_OK) {                                                        \
            snprintf(w->fail, sizeof w->fail, "thread %d: %s -> %s: %s", w->id, #call, \
                     nnact_status_string(st_), nnact_last_error());                   \
            goto out;                                                                 \
        }                                                                             \
    } while (0)
#define KEEP(t) KEEP_IF(append(w, (t)), t)
#define KEEP_VALUE(v) KEEP_IF(append_value(w, (v)), v)
#define KEEP_IF(ok, t)                                                                \
    do {                                                                              \
        if (!(ok)) {                                                                  \
            snprintf(w->fail, sizeof w->fail, "thread %d: reading %s failed: %s",     \
                     w->id, #t, nnact_last_error());                                  \
            goto out;                                                                 \
        }                                                                             \
    } while (0)

static void *work(void *arg)
{
    worker *w = arg;
    nnact_ctx *ctx = NULL;
    nnact_mlp *mlp = NULL;
    enum { NT = 16 };
    nnact_tensor *t[NT] = {0};
    float x[R * C], dy[R * C], wts[C * OUT], bias[OUT], dyo[R * OUT], labels[R];
    tu_random(x, R * C, 3.0f, 1);
    tu_random(dy, R * C, 1.0f, 2);
    tu_random(wts, C * OUT, 0.3f, 3);
    tu_random(bias, OUT, 0.1f, 4);
    tu_random(dyo, R * OUT, 1.0f, 5);
    for (size_t i = 0; i < R; i++)
        labels[i] = (float)(i * 7 % OUT);

    CHECK(nnact_ctx_create(&ctx, NULL));
    nnact_tensor **X = &t[0], **DY = &t[1], **Y = &t[2], **DX = &t[3], **W = &t[4],
                 **B = &t[5], **Z = &t[6], **YO = &t[7], **DYO = &t[8], **DW = &t[9],
                 **DB = &t[10], **L = &t[11], **G = &t[12], **S1 = &t[13], **S2 = &t[14];
    CHECK(nnact_tensor_create(ctx, R, C, X));
    CHECK(nnact_tensor_create(ctx, R, C, DY));
    CHECK(nnact_tensor_create(ctx, R, C, Y));
    CHECK(nnact_tensor_create(ctx, R, C, DX));
    CHECK(nnact_tensor_create(ctx, C, OUT, W));
    CHECK(nnact_tensor_create(ctx, 1, OUT, B));
    CHECK(nnact_tensor_create(ctx, R, OUT, Z));
    CHECK(nnact_tensor_create(ctx, R, OUT, YO));
    CHECK(nnact_tensor_create(ctx, R, OUT, DYO));
    CHECK(nnact_tensor_create(ctx, C, OUT, DW));
    CHECK(nnact_tensor_create(ctx, 1, OUT, DB));
    CHECK(nnact_tensor_create(ctx, R, 1, L));
    CHECK(nnact_tensor_create(ctx, R, OUT, G));
    CHECK(nnact_tensor_create(ctx, C, OUT, S1));
    CHECK(nnact_tensor_create(ctx, C, OUT, S2));
    CHECK(nnact_tensor_write(*X, x));
    CHECK(nnact_tensor_write(*DY, dy));
    CHECK(nnact_tensor_write(*W, wts));
    CHECK(nnact_tensor_write(*B, bias));
    CHECK(nnact_tensor_write(*DYO, dyo));
    CHECK(nnact_tensor_write(*L, labels));

    /* Activations and their derivatives, softmax among them. */
    static const char *const acts[] = {"sigmoid", "tanh", "relu", "leaky_relu", "swish",
                                       "softmax"};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        nnact_act act;
        CHECK(nnact_act_from_name(acts[a], &act));
        CHECK(nnact_act_forward(ctx, &act, *X, *Y));
        CHECK(nnact_act_backward(ctx, &act, *X, *Y, *DY, *DX));
        KEEP(*Y);
        KEEP(*DX);
    }
    CHECK(nnact_softmax_forward(ctx, 2.5f, *X, *Y));
    CHECK(nnact_softmax_backward(ctx, 2.5f, *Y, *DY, *DX));
    KEEP(*Y);
    KEEP(*DX);

    /* A dense layer forward and backward. */
    nnact_act relu;
    CHECK(nnact_act_from_name("relu", &relu));
    CHECK(nnact_dense_forward(ctx, *X, *W, *B, &relu, *Z, *YO));
    CHECK(nnact_dense_backward(ctx, *X, *W, &relu, *Z, *YO, *DYO, *DW, *DB, *DX));
    KEEP(*Z);
    KEEP(*YO);
    KEEP(*DW);
    KEEP(*DB);
    KEEP(*DX);

    /* A loss with labels, its value, accuracy and gradient. */
    nnact_loss loss;
    CHECK(nnact_loss_from_name("softmax_cce", &loss));
    float lv, acc;
    CHECK(nnact_loss_eval(ctx, &loss, *Z, *L, &lv, &acc, *G));
    KEEP(*G);
    KEEP_VALUE(lv);
    KEEP_VALUE(acc);

    /* Three Adam steps on W. */
    nnact_optim adam;
    CHECK(nnact_optim_from_name("adam", &adam));
    CHECK(nnact_tensor_fill(*S1, 0.0f));
    CHECK(nnact_tensor_fill(*S2, 0.0f));
    for (uint64_t s = 1; s <= 3; s++)
        CHECK(nnact_optim_step(ctx, &adam, s, *W, *DW, *S1, *S2));
    KEEP(*W);
    KEEP(*S1);
    KEEP(*S2);

    /* An MLP: three training steps, then an evaluation. */
    static const size_t sizes[] = {C, 32, OUT};
    static const char *const mlp_acts[] = {"relu", "softmax"};
    nnact_loss sparse;
    CHECK(nnact_loss_from_name("sparse_cce", &sparse));
    CHECK(nnact_mlp_create(ctx, sizes, 3, mlp_acts, 7, &mlp));
    for (int s = 0; s < 3; s++) {
        CHECK(nnact_mlp_train_step(mlp, *X, *L, &sparse, &adam, &lv, &acc));
        KEEP_VALUE(lv);
        KEEP_VALUE(acc);
    }
    CHECK(nnact_mlp_evaluate(mlp, *X, *L, &sparse, &lv, &acc));
    KEEP_VALUE(lv);
    KEEP_VALUE(acc);
    KEEP(nnact_mlp_weights(mlp, 0));
    KEEP(nnact_mlp_bias(mlp, 1));

out:
    /* Every thread fails one call with its own temperature; once all have
     * failed, each reads its own message back. */
    if (w->barrier)
        pthread_barrier_wait(w->barrier);
    if (ctx && nnact_softmax_forward(ctx, -(float)(w->id + 1), t[0], t[2]) == NNACT_OK &&
        !w->fail[0])
        snprintf(w->fail, sizeof w->fail, "thread %d: a negative temperature was accepted",
                 w->id);
    if (w->barrier)
        pthread_barrier_wait(w->barrier);
    snprintf(w->own_error, sizeof w->own_error, "%s", nnact_last_error());
    nnact_mlp_destroy(mlp);
    for (int i = 0; i < NT; i++)
        nnact_tensor_destroy(t[i]);
    nnact_ctx_destroy(ctx);
    return NULL;
}

static void expect_own_error(const worker *w)
{
    char want[64];
    snprintf(want, sizeof want, "(got %d)", -(w->id + 1));
    ck_assert_msg(strstr(w->own_error, want) != NULL, "thread %d: nnact_last_error is '%s', "
                  "which lacks its own '%s'", w->id, w->own_error, want);
}

START_TEST(threads_match_one_thread_bitwise)
{
    worker ref = {.id = 0};
    work(&ref);
    ck_assert_msg(!ref.fail[0], "%s", ref.fail);
    expect_own_error(&ref);

    pthread_barrier_t barrier;
    ck_assert_int_eq(pthread_barrier_init(&barrier, NULL, THREADS), 0);
    worker w[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.id = i + 1, .barrier = &barrier};
        ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_msg(!w[i].fail[0], "%s", w[i].fail);
        expect_own_error(&w[i]);
        ck_assert_msg(w[i].n_out == ref.n_out, "thread %d: %zu results, alone %zu",
                      w[i].id, w[i].n_out, ref.n_out);
        for (size_t k = 0; k < ref.n_out; k++)
            TU_EXPECT(!memcmp(&w[i].out[k], &ref.out[k], sizeof(float)),
                      "thread %d: result %zu is %.9g, alone %.9g", w[i].id, k,
                      (double)w[i].out[k], (double)ref.out[k]);
        free(w[i].out);
    }
    free(ref.out);
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"contexts", 0, 600, {{threads_match_one_thread_bitwise, 1}}},
    };
    return tu_run_cases("threads", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
