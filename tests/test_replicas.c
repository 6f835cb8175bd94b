/* Data parallelism in one process: the flat parameter and gradient ranges,
 * nnact_mlp_backprop_accumulate and nnact_mlps_allreduce_grads over two
 * pocl devices (tests/meson.build runs this with POCL_DEVICES="pthread
 * pthread"). What proves it right (doc/distributed.md):
 *  - exact: two replicas are bit-identical, step after step, to one model
 *    that backprops the same two shards in turn and sums them in that order;
 *  - tolerance: against one model at the whole batch (CLBlast sums in
 *    another order there), gradients within 1e-5 of the largest and
 *    parameters within 1e-4 after 50 steps;
 *  - errors: mismatched models, NULLs, one context twice. */
#include "testutil.h"

#include "dataset.h"

#include <stdio.h>
#include <zlib.h>

enum { STEPS = 50, BATCH = 61 }; /* odd: uneven shards, 31 + 30 rows */

static const size_t sizes[] = {2, 24, 16, 3};
static const char *const acts[] = {"relu", "tanh", "softmax"};

/* Two contexts on the first two devices of one pocl platform, and a third
 * on the first of them for the single-model reference. */
static nnact_ctx *ctx[3];

static void open_contexts(void)
{
    size_t n = 0;
    TU_OK(nnact_devices(NULL, 0, &n));
    nnact_device_info *d = tu_xmalloc((n ? n : 1) * sizeof *d);
    TU_OK(nnact_devices(d, n, &n));
    size_t found = 0;
    char sel[2][32];
    for (size_t i = 0; i < n && found < 2; i++) {
        if (!strstr(d[i].platform_name, "Portable Computing Language"))
            continue;
        if (found && d[i].platform_index != (unsigned)atoi(sel[0]))
            continue;
        snprintf(sel[found++], sizeof sel[0], "%u:%u", d[i].platform_index,
                 d[i].device_index);
    }
    free(d);
    ck_assert_msg(found == 2, "need two pocl devices (POCL_DEVICES=\"pthread pthread\"), "
                  "found %zu", found);
    TU_OK(nnact_ctx_create(&ctx[0], sel[0]));
    TU_OK(nnact_ctx_create(&ctx[1], sel[1]));
    TU_OK(nnact_ctx_create(&ctx[2], sel[0]));
}

static void close_contexts(void)
{
    for (int i = 0; i < 3; i++) {
        nnact_ctx_destroy(ctx[i]);
        ctx[i] = NULL;
    }
}

static nnact_mlp *model(nnact_ctx *c, nnact_dtype storage)
{
    nnact_mlp *m = NULL;
    TU_OK(nnact_mlp_create(c, sizes, 4, acts, 2024, &m));
    TU_OK(nnact_mlp_set_storage(m, storage));
    return m;
}

/* One batch of rows [first, first + rows) of the spiral set on a context:
 * features and labels. */
typedef struct batch {
    nnact_tensor *x, *t;
} batch;

static batch upload(nnact_ctx *c, const dataset *ds, size_t first, size_t rows)
{
    batch b = {NULL, NULL};
    TU_OK(nnact_tensor_create(c, rows, ds->features, &b.x));
    TU_OK(nnact_tensor_create(c, rows, 1, &b.t));
    TU_OK(nnact_tensor_write(b.x, ds->x + first * ds->features));
    TU_OK(nnact_tensor_write(b.t, ds->labels + first));
    return b;
}

static void drop(batch b)
{
    nnact_tensor_destroy(b.x);
    nnact_tensor_destroy(b.t);
}

static float *params(nnact_mlp *m)
{
    size_t n = nnact_mlp_param_count(m);
    float *p = tu_xmalloc(n * sizeof *p);
    TU_OK(nnact_mlp_params_read(m, 0, n, p));
    return p;
}

static nnact_tensor *zero_sums(nnact_ctx *c)
{
    nnact_tensor *s = NULL;
    TU_OK(nnact_tensor_create(c, 1, NNACT_LOSS_SUMS, &s));
    TU_OK(nnact_tensor_fill(s, 0.0f));
    return s;
}

/* The step's window of the data set; the shards split it in order, the
 * remainder going to the first. */
static size_t window(const dataset *ds, int step) { return (size_t)step * 17 % (ds->n - BATCH); }
static const size_t shard_rows[2] = {BATCH - BATCH / 2, BATCH / 2};

static dataset spiral(void)
{
    dataset ds;
    TU_OK(dataset_spiral(100, 3, 5, &ds));
    return ds;
}

/* The optimizer by name (SGD at lr 0.1, for visible steps in 50) and the
 * sparse CCE loss of every training test. */
static void training(const char *opt_name, nnact_optim *opt, nnact_loss *loss)
{
    TU_OK(nnact_optim_from_name(opt_name, opt));
    TU_OK(nnact_loss_from_name("sparse_cce", loss));
    if (opt->kind == NNACT_OPTIM_SGD)
        opt->lr = 0.1f;
}

/* _i: {SGD, Adam} x {F32, F16}. */
START_TEST(replicas_equal_one_model_summing_shards_in_order)
{
    const char *opt_name = _i / 2 ? "adam" : "sgd";
    nnact_dtype storage = _i % 2 ? NNACT_F16 : NNACT_F32;
    nnact_optim opt;
    nnact_loss loss;
    training(opt_name, &opt, &loss);
    open_contexts();
    dataset ds = spiral();
    nnact_mlp *rep[2] = {model(ctx[0], storage), model(ctx[1], storage)};
    nnact_mlp *one = model(ctx[2], storage);
    nnact_tensor *sums[3] = {zero_sums(ctx[0]), zero_sums(ctx[1]), zero_sums(ctx[2])};
    const float w[2] = {(float)shard_rows[0] / BATCH, (float)shard_rows[1] / BATCH};
    size_t n = nnact_mlp_param_count(one);
    float *g = tu_xmalloc(n * sizeof *g), *sum = tu_xmalloc(n * sizeof *sum);
    for (int s = 0; s < STEPS; s++) {
        size_t first = window(&ds, s);
        batch b[2] = {upload(ctx[0], &ds, first, shard_rows[0]),
                      upload(ctx[1], &ds, first + shard_rows[0], shard_rows[1])};
        batch r[2] = {upload(ctx[2], &ds, first, shard_rows[0]),
                      upload(ctx[2], &ds, first + shard_rows[0], shard_rows[1])};
        /* Replicas: both devices run, then one reduction. */
        for (int k = 0; k < 2; k++)
            TU_OK(nnact_mlp_backprop_accumulate(rep[k], b[k].x, b[k].t, &loss, sums[k]));
        TU_OK(nnact_mlps_allreduce_grads(rep, 2, w));
        for (int k = 0; k < 2; k++)
            TU_OK(nnact_mlp_apply(rep[k], &opt));
        /* The reference: the shards in turn, summed in that order. */
        for (int k = 0; k < 2; k++) {
            TU_OK(nnact_mlp_backprop_accumulate(one, r[k].x, r[k].t, &loss, sums[2]));
            TU_OK(nnact_mlp_grads_read(one, 0, n, g));
            for (size_t j = 0; j < n; j++)
                sum[j] = k ? sum[j] + w[k] * g[j] : w[k] * g[j];
        }
        TU_OK(nnact_mlp_grads_write(one, 0, n, sum));
        TU_OK(nnact_mlp_apply(one, &opt));
        uint32_t crc[3];
        for (int k = 0; k < 3; k++)
            TU_OK(nnact_mlp_params_crc32(k < 2 ? rep[k] : one, &crc[k]));
        TU_EXPECT(crc[0] == crc[2] && crc[1] == crc[2], "%s %s step %d: CRCs %08x %08x, "
                  "reference %08x", opt_name, nnact_dtype_name(storage), s + 1, crc[0],
                  crc[1], crc[2]);
        for (int k = 0; k < 2; k++)
            drop(b[k]), drop(r[k]);
    }
    float *p0 = params(rep[0]), *p1 = params(rep[1]), *pr = params(one);
    ck_assert_msg(!memcmp(p0, pr, n * sizeof *p0) && !memcmp(p1, pr, n * sizeof *p1),
                  "parameters differ after %d steps", STEPS);
    float l0, a0;
    TU_OK(nnact_loss_sums_read(sums[0], &l0, &a0));
    ck_assert_msg(isfinite(l0) && a0 > 0.34f, "replica 0: loss %g accuracy %g", (double)l0,
                  (double)a0);
    ck_assert_uint_eq(nnact_mlp_skipped_steps(rep[0]), nnact_mlp_skipped_steps(one));
    free(p0), free(p1), free(pr), free(g), free(sum);
    for (int k = 0; k < 3; k++)
        nnact_tensor_destroy(sums[k]);
    nnact_mlp_destroy(rep[0]), nnact_mlp_destroy(rep[1]), nnact_mlp_destroy(one);
    dataset_free(&ds);
    close_contexts();
}
END_TEST

static float max_abs(const float *a, size_t n)
{
    float m = 0.0f;
    for (size_t i = 0; i < n; i++)
        m = fmaxf(m, fabsf(a[i]));
    return m;
}

static float max_diff(const float *a, const float *b, size_t n)
{
    float m = 0.0f;
    for (size_t i = 0; i < n; i++)
        m = fmaxf(m, fabsf(a[i] - b[i]));
    return m;
}

/* _i: SGD, Adam (F32). */
START_TEST(replicas_near_one_model_at_the_whole_batch)
{
    const char *opt_name = _i ? "adam" : "sgd";
    nnact_optim opt;
    nnact_loss loss;
    training(opt_name, &opt, &loss);
    open_contexts();
    dataset ds = spiral();
    nnact_mlp *rep[2] = {model(ctx[0], NNACT_F32), model(ctx[1], NNACT_F32)};
    nnact_mlp *one = model(ctx[2], NNACT_F32);
    nnact_tensor *sums[2] = {zero_sums(ctx[0]), zero_sums(ctx[1])};
    const float w[2] = {(float)shard_rows[0] / BATCH, (float)shard_rows[1] / BATCH};
    size_t n = nnact_mlp_param_count(one);
    float *ga = tu_xmalloc(n * sizeof *ga), *gb = tu_xmalloc(n * sizeof *gb);
    for (int s = 0; s < STEPS; s++) {
        size_t first = window(&ds, s);
        batch b[2] = {upload(ctx[0], &ds, first, shard_rows[0]),
                      upload(ctx[1], &ds, first + shard_rows[0], shard_rows[1])};
        batch whole = upload(ctx[2], &ds, first, BATCH);
        for (int k = 0; k < 2; k++)
            TU_OK(nnact_mlp_backprop_accumulate(rep[k], b[k].x, b[k].t, &loss, sums[k]));
        TU_OK(nnact_mlps_allreduce_grads(rep, 2, w));
        TU_OK(nnact_mlp_backprop(one, whole.x, whole.t, &loss, NULL, NULL));
        if (s == 0) {
            TU_OK(nnact_mlp_grads_read(rep[1], 0, n, ga));
            TU_OK(nnact_mlp_grads_read(one, 0, n, gb));
            float d = max_diff(ga, gb, n), top = max_abs(gb, n);
            ck_assert_msg(top > 0.0f && d <= 1e-5f * top, "step 1: gradients differ by "
                          "%g, the largest is %g", (double)d, (double)top);
        }
        for (int k = 0; k < 2; k++)
            TU_OK(nnact_mlp_apply(rep[k], &opt));
        TU_OK(nnact_mlp_apply(one, &opt));
        drop(b[0]), drop(b[1]), drop(whole);
    }
    float *pa = params(rep[0]), *pb = params(one);
    float d = max_diff(pa, pb, n), top = max_abs(pb, n);
    ck_assert_msg(d <= 1e-4f * fmaxf(1.0f, top), "%s: after %d steps the parameters differ "
                  "by %g (largest %g)", opt_name, STEPS, (double)d, (double)top);
    free(pa), free(pb), free(ga), free(gb);
    nnact_tensor_destroy(sums[0]), nnact_tensor_destroy(sums[1]);
    nnact_mlp_destroy(rep[0]), nnact_mlp_destroy(rep[1]), nnact_mlp_destroy(one);
    dataset_free(&ds);
    close_contexts();
}
END_TEST

/* The flat range is W0 b0 W1 b1 ..., the bytes of the model file; writes
 * land where reads find them. */
START_TEST(flat_ranges_follow_the_model_file)
{
    open_contexts();
    nnact_mlp *m = model(ctx[0], NNACT_F32);
    size_t n = nnact_mlp_param_count(m), expect = 0, off, cnt;
    for (size_t i = 0; i < 3; i++) {
        TU_OK(nnact_mlp_param_range(m, i, &off, &cnt));
        ck_assert_uint_eq(off, expect);
        ck_assert_uint_eq(cnt, sizes[i] * sizes[i + 1] + sizes[i + 1]);
        float *flat = tu_xmalloc(cnt * sizeof *flat), *W = tu_read(nnact_mlp_weights(m, i)),
              *b = tu_read(nnact_mlp_bias(m, i));
        TU_OK(nnact_mlp_params_read(m, off, cnt, flat));
        size_t nw = sizes[i] * sizes[i + 1];
        ck_assert(!memcmp(flat, W, nw * sizeof *W));
        ck_assert(!memcmp(flat + nw, b, sizes[i + 1] * sizeof *b));
        free(flat), free(W), free(b);
        expect += cnt;
    }
    ck_assert_uint_eq(n, expect);
    /* A range across a tensor boundary, written then read, params and grads. */
    float v[7] = {1, 2, 3, 4, 5, 6, 7}, got[7];
    TU_OK(nnact_mlp_param_range(m, 1, &off, &cnt));
    TU_OK(nnact_mlp_params_write(m, off - 3, 7, v));
    TU_OK(nnact_mlp_params_read(m, off - 3, 7, got));
    ck_assert(!memcmp(v, got, sizeof v));
    TU_OK(nnact_mlp_grads_write(m, n - 7, 7, v));
    TU_OK(nnact_mlp_grads_read(m, n - 7, 7, got));
    ck_assert(!memcmp(v, got, sizeof v));
    /* The CRC is that of the parameter bytes of the saved file. */
    char path[128];
    snprintf(path, sizeof path, "%s/m.nnact", tu_tmpdir);
    TU_OK(nnact_mlp_save(m, path));
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char *bytes = tu_xmalloc(1 << 16);
    size_t len = fread(bytes, 1, 1 << 16, f);
    fclose(f);
    size_t head = 16 + 8 * 4 + 12 * 3;
    ck_assert_uint_eq(len, head + 4 * n + 4);
    uint32_t crc;
    TU_OK(nnact_mlp_params_crc32(m, &crc));
    ck_assert_uint_eq(crc, (uint32_t)crc32(crc32(0L, Z_NULL, 0), bytes + head, (uInt)(4 * n)));
    free(bytes);
    nnact_mlp_destroy(m);
    close_contexts();
}
END_TEST

/* F16: the skip decision follows the written (reduced) gradients, not the
 * replica's own backprop, so replicas fed the same sums skip together. */
START_TEST(f16_skip_follows_the_written_gradients)
{
    open_contexts();
    dataset ds = spiral();
    nnact_loss loss;
    nnact_optim sgd;
    TU_OK(nnact_loss_from_name("sparse_cce", &loss));
    TU_OK(nnact_optim_from_name("sgd", &sgd));
    nnact_mlp *m = model(ctx[0], NNACT_F16);
    nnact_tensor *sums = zero_sums(ctx[0]);
    batch b = upload(ctx[0], &ds, 0, 32);
    size_t n = nnact_mlp_param_count(m);
    float *g = tu_xmalloc(n * sizeof *g);
    /* A scale that overflows half: this backprop alone would skip. */
    TU_OK(nnact_mlp_set_loss_scaling(m, 0x1p60f, 2000));
    TU_OK(nnact_mlp_backprop_accumulate(m, b.x, b.t, &loss, sums));
    for (size_t j = 0; j < n; j++)
        g[j] = 1e-3f;
    TU_OK(nnact_mlp_grads_write(m, 0, n, g));
    float *before = params(m);
    TU_OK(nnact_mlp_apply(m, &sgd));
    ck_assert_uint_eq(nnact_mlp_skipped_steps(m), 0);
    float *after = params(m);
    ck_assert_msg(memcmp(before, after, n * sizeof *after), "the step was skipped");
    /* And a written inf skips, whatever the backprop found. */
    TU_OK(nnact_mlp_set_loss_scaling(m, 1.0f, 2000));
    TU_OK(nnact_mlp_backprop_accumulate(m, b.x, b.t, &loss, sums));
    g[n / 2] = INFINITY;
    TU_OK(nnact_mlp_grads_write(m, 0, n, g));
    TU_OK(nnact_mlp_apply(m, &sgd));
    ck_assert_uint_eq(nnact_mlp_skipped_steps(m), 1);
    float *last = params(m);
    ck_assert_msg(!memcmp(after, last, n * sizeof *last), "an inf gradient was applied");
    free(before), free(after), free(last), free(g);
    drop(b);
    nnact_tensor_destroy(sums);
    nnact_mlp_destroy(m);
    dataset_free(&ds);
    close_contexts();
}
END_TEST

START_TEST(errors_name_the_fault)
{
    open_contexts();
    nnact_mlp *a = model(ctx[0], NNACT_F32), *b = model(ctx[1], NNACT_F32);
    nnact_mlp *same_ctx = model(ctx[0], NNACT_F32), *other = NULL;
    const size_t wide[] = {2, 25, 16, 3};
    TU_OK(nnact_mlp_create(ctx[1], wide, 4, acts, 1, &other));
    nnact_mlp *ok[2] = {a, b}, *mismatched[2] = {a, other}, *shared[2] = {a, same_ctx},
              *twice[2] = {a, a}, *holes[2] = {a, NULL};
    TU_FAILS(nnact_mlps_allreduce_grads(mismatched, 2, NULL), NNACT_ERR_SHAPE,
             "replica 1 has another architecture");
    TU_FAILS(nnact_mlps_allreduce_grads(shared, 2, NULL), NNACT_ERR_INVALID_ARG,
             "share one context");
    TU_FAILS(nnact_mlps_allreduce_grads(twice, 2, NULL), NNACT_ERR_INVALID_ARG,
             "share one context");
    TU_FAILS(nnact_mlps_allreduce_grads(holes, 2, NULL), NNACT_ERR_INVALID_ARG,
             "replicas[1] is NULL");
    TU_FAILS(nnact_mlps_allreduce_grads(NULL, 2, NULL), NNACT_ERR_INVALID_ARG,
             "replicas is NULL");
    TU_FAILS(nnact_mlps_allreduce_grads(ok, 0, NULL), NNACT_ERR_INVALID_ARG, "n is 0");
    const float nan_w[2] = {0.5f, NAN};
    TU_FAILS(nnact_mlps_allreduce_grads(ok, 2, nan_w), NNACT_ERR_INVALID_ARG, "weights[1]");
    TU_OK(nnact_mlps_allreduce_grads(ok, 2, NULL)); /* no backprop yet: zero gradients */
    TU_OK(nnact_mlps_allreduce_grads(ok, 1, NULL));

    size_t off, cnt, n = nnact_mlp_param_count(a);
    float v[4] = {0};
    uint32_t crc;
    ck_assert_uint_eq(nnact_mlp_param_count(NULL), 0);
    TU_FAILS(nnact_mlp_param_range(a, 3, &off, &cnt), NNACT_ERR_INVALID_ARG, "layer 3");
    TU_FAILS(nnact_mlp_param_range(NULL, 0, &off, &cnt), NNACT_ERR_INVALID_ARG, "mlp is NULL");
    TU_FAILS(nnact_mlp_param_range(a, 0, NULL, &cnt), NNACT_ERR_INVALID_ARG, "offset is NULL");
    TU_FAILS(nnact_mlp_params_read(a, n - 3, 4, v), NNACT_ERR_INVALID_ARG, "past the");
    TU_FAILS(nnact_mlp_grads_write(a, n + 1, 0, v), NNACT_ERR_INVALID_ARG, "past the");
    TU_FAILS(nnact_mlp_params_write(a, 0, 4, NULL), NNACT_ERR_INVALID_ARG, "host is NULL");
    TU_FAILS(nnact_mlp_grads_read(NULL, 0, 4, v), NNACT_ERR_INVALID_ARG, "mlp is NULL");
    TU_FAILS(nnact_mlp_params_crc32(a, NULL), NNACT_ERR_INVALID_ARG, "crc is NULL");
    TU_FAILS(nnact_mlp_params_crc32(NULL, &crc), NNACT_ERR_INVALID_ARG, "mlp is NULL");
    nnact_loss loss;
    TU_OK(nnact_loss_from_name("sparse_cce", &loss));
    nnact_tensor *x = NULL, *t = NULL;
    TU_OK(nnact_tensor_create(ctx[0], 4, 2, &x));
    TU_OK(nnact_tensor_create(ctx[0], 4, 1, &t));
    TU_FAILS(nnact_mlp_backprop_accumulate(a, x, t, &loss, NULL), NNACT_ERR_INVALID_ARG,
             "sums is NULL");
    nnact_tensor_destroy(x), nnact_tensor_destroy(t);
    nnact_mlp_destroy(a), nnact_mlp_destroy(b), nnact_mlp_destroy(same_ctx);
    nnact_mlp_destroy(other);
    close_contexts();
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"exact", 0, 0, {{replicas_equal_one_model_summing_shards_in_order, 4}}},
        {"tolerance", 0, 0, {{replicas_near_one_model_at_the_whole_batch, 2}}},
        {"ranges", TU_TMPDIR, 0, {{flat_ranges_follow_the_model_file, 1},
            {f16_skip_follows_the_written_gradients, 1}}},
        {"errors", 0, 0, {{errors_name_the_fault, 1}}},
    };
    return tu_run_cases("replicas", suite_cases, sizeof suite_cases / sizeof suite_cases[0]);
}
