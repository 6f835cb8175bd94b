/* nnact-train's data: dataset_load_idx on generated IDX directories (plain
 * and gzip) with every check it makes, and the generated spiral set. No
 * OpenCL is used. */
#define _XOPEN_SOURCE 700 /* mkdir */
#include "dataset.h"
#include "testutil.h"

#include <stdio.h>
#include <sys/stat.h>
#include <zlib.h>

/* A fresh directory tu_tmpdir/name. */
static const char *make_dir(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", tu_tmpdir, name);
    ck_assert_msg(mkdir(buf, 0700) == 0, "mkdir %s failed", buf);
    return buf;
}

static void write_file(const char *dir, const char *name, const unsigned char *p, size_t n,
                       int gz)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, gz ? ".gz" : "");
    if (gz) {
        gzFile f = gzopen(path, "wb");
        ck_assert_msg(f != NULL, "gzopen %s failed", path);
        ck_assert_msg(gzwrite(f, p, (unsigned)n) == (int)n, "gzwrite %s failed", path);
        ck_assert_int_eq(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        ck_assert_msg(f != NULL, "cannot create %s", path);
        ck_assert_msg(fwrite(p, 1, n, f) == n, "short write to %s", path);
        ck_assert_int_eq(fclose(f), 0);
    }
}

static void put_be32(unsigned char *p, size_t v)
{
    for (int b = 0; b < 4; b++)
        p[b] = (unsigned char)(v >> (24 - 8 * b));
}

/* Pixel k of a set: 255, 0, then a pattern that differs between sets. */
static unsigned char pixel(size_t k, unsigned salt)
{
    return k == 0 ? 255 : k == 1 ? 0 : (unsigned char)(k * 29 + salt);
}

/* DIR/PREFIX-images-idx3-ubyte (n images of rows x cols) and
 * DIR/PREFIX-labels-idx1-ubyte (n_labels labels, label i = labels[i]). */
static void write_split(const char *dir, const char *prefix, size_t n, size_t rows,
                        size_t cols, size_t n_labels, const unsigned char *labels, int gz)
{
    size_t count = n * rows * cols;
    unsigned char *im = malloc(16 + count), *lb = malloc(8 + n_labels + 1);
    im[0] = im[1] = 0, im[2] = 0x08, im[3] = 3;
    put_be32(im + 4, n), put_be32(im + 8, rows), put_be32(im + 12, cols);
    for (size_t k = 0; k < count; k++)
        im[16 + k] = pixel(k, prefix[0]);
    lb[0] = lb[1] = 0, lb[2] = 0x08, lb[3] = 1;
    put_be32(lb + 4, n_labels);
    if (n_labels)
        memcpy(lb + 8, labels, n_labels);
    char name[64];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    write_file(dir, name, im, 16 + count, gz);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    write_file(dir, name, lb, 8 + n_labels, gz);
    free(im), free(lb);
}

static const unsigned char train_labels[5] = {0, 3, 1, 2, 3};
static const unsigned char test_labels[3] = {2, 0, 1};

/* A good set in a new directory: 5 train and 3 test images of 2x3 pixels,
 * 4 classes. gz: 0 plain, 1 gzip, 2 train gzip and test plain. */
static const char *good_set(const char *name, int gz)
{
    const char *dir = make_dir(name);
    write_split(dir, "train", 5, 2, 3, 5, train_labels, gz != 0);
    write_split(dir, "t10k", 3, 2, 3, 3, test_labels, gz == 1);
    return dir;
}

static void expect_split(const dataset *d, const char *prefix, size_t n,
                         const unsigned char *labels)
{
    ck_assert_msg(d->n == n && d->features == 6 && d->classes == 4,
                  "%s: n %zu features %zu classes %zu, want %zu 6 4", prefix, d->n,
                  d->features, d->classes, n);
    ck_assert_msg(d->x[0] == 1.0f && d->x[1] == 0.0f, "%s: bytes 255 and 0 gave %g and %g, "
                  "want 1 and 0", prefix, (double)d->x[0], (double)d->x[1]);
    for (size_t k = 0; k < n * 6; k++) {
        float want = (float)pixel(k, prefix[0]) / 255.0f;
        ck_assert_msg(d->x[k] == want && d->x[k] >= 0.0f && d->x[k] <= 1.0f,
                      "%s pixel %zu = %g, want %g (byte / 255)", prefix, k, (double)d->x[k],
                      (double)want);
    }
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(d->labels[i] == (float)labels[i], "%s label %zu = %g, want %u", prefix,
                      i, (double)d->labels[i], labels[i]);
}

/* Loop index: 0 plain, 1 gzip, 2 mixed. */
START_TEST(loads_good_set)
{
    char name[16];
    snprintf(name, sizeof name, "good%d", _i);
    const char *dir = good_set(name, _i);
    dataset tr, te;
    char err[512] = "";
    nnact_status st = dataset_load_idx(dir, 6, 4, &tr, &te, err, sizeof err);
    ck_assert_msg(st == NNACT_OK, "dataset_load_idx: %s: %s", nnact_status_string(st), err);
    expect_split(&tr, "train", 5, train_labels);
    expect_split(&te, "t10k", 3, test_labels);
    dataset_free(&tr), dataset_free(&te);
    ck_assert_ptr_null(tr.x);
    ck_assert_uint_eq(tr.n, 0);
    dataset_free(NULL);
}
END_TEST

/* With both FILE and FILE.gz present the compressed one is read. */
START_TEST(prefers_gzip)
{
    const char *dir = good_set("both", 1);
    const unsigned char junk[4] = {'j', 'u', 'n', 'k'};
    write_file(dir, "train-images-idx3-ubyte", junk, 4, 0);
    write_file(dir, "train-labels-idx1-ubyte", junk, 4, 0);
    dataset tr, te;
    char err[512] = "";
    nnact_status st = dataset_load_idx(dir, 6, 4, &tr, &te, err, sizeof err);
    ck_assert_msg(st == NNACT_OK, "dataset_load_idx: %s: %s", nnact_status_string(st), err);
    expect_split(&tr, "train", 5, train_labels);
    dataset_free(&tr), dataset_free(&te);
}
END_TEST

/* Fails with status and an err containing text; outputs left empty. */
static void expect_fails(const char *dir, size_t features, size_t classes,
                         nnact_status status, const char *text, const char *what)
{
    dataset tr, te;
    memset(&tr, 0x5A, sizeof tr);
    memset(&te, 0x5A, sizeof te);
    char err[512] = "";
    nnact_status st = dataset_load_idx(dir, features, classes, &tr, &te, err, sizeof err);
    ck_assert_msg(st == status, "%s: dataset_load_idx gave %s (%s), want %s", what,
                  nnact_status_string(st), err, nnact_status_string(status));
    ck_assert_msg(strstr(err, text) != NULL, "%s: message '%s' lacks '%s'", what, err, text);
    ck_assert_msg(tr.x == NULL && tr.labels == NULL && tr.n == 0 && te.x == NULL &&
                      te.labels == NULL && te.n == 0,
                  "%s: a failed load left data behind", what);
}

START_TEST(rejects_bad_sets)
{
    const unsigned char four[4] = {0, 1, 2, 3}, high[5] = {0, 1, 4, 2, 3};

    const char *dir = make_dir("count");
    write_split(dir, "train", 5, 2, 3, 4, four, 1);
    write_split(dir, "t10k", 3, 2, 3, 3, test_labels, 1);
    expect_fails(dir, 6, 4, NNACT_ERR_IO, "holds 5 images but", "5 images, 4 labels");

    dir = make_dir("count-test");
    write_split(dir, "train", 5, 2, 3, 5, train_labels, 0);
    write_split(dir, "t10k", 3, 2, 3, 4, four, 0);
    expect_fails(dir, 6, 4, NNACT_ERR_IO, "holds 4 labels", "test: 3 images, 4 labels");

    dir = good_set("shape", 0);
    expect_fails(dir, 784, 4, NNACT_ERR_SHAPE, "2x3 = 6 pixels, but the first layer takes "
                 "784", "784 features for 2x3 images");
    expect_fails(dir, 5, 4, NNACT_ERR_SHAPE, "takes 5 inputs", "5 features");
    expect_fails(dir, 6, 3, NNACT_ERR_IO, "label 3 at item 1", "label 3 with 3 classes");
    expect_fails(dir, 6, 1, NNACT_ERR_IO, "label 3 at item 1", "label 3 with 1 class");

    dir = make_dir("label-high");
    write_split(dir, "train", 5, 2, 3, 5, high, 1);
    write_split(dir, "t10k", 3, 2, 3, 3, test_labels, 1);
    expect_fails(dir, 6, 4, NNACT_ERR_IO, "label 4 at item 2, but the last layer has 4",
                 "label equal to classes");

    dir = make_dir("empty");
    expect_fails(dir, 6, 4, NNACT_ERR_IO, "no dataset", "empty directory");
    expect_fails(tu_tmpdir, 6, 4, NNACT_ERR_IO, "no dataset", "directory without files");
    char missing[300];
    snprintf(missing, sizeof missing, "%s/does-not-exist", tu_tmpdir);
    expect_fails(missing, 6, 4, NNACT_ERR_IO, "no dataset", "missing directory");

    dir = make_dir("no-labels");
    write_split(dir, "train", 5, 2, 3, 5, train_labels, 0);
    write_split(dir, "t10k", 3, 2, 3, 3, test_labels, 0);
    char path[512];
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte", dir);
    ck_assert_int_eq(remove(path), 0);
    expect_fails(dir, 6, 4, NNACT_ERR_IO, "train-labels-idx1-ubyte[.gz] not found",
                 "labels missing");
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", dir);
    ck_assert_int_eq(remove(path), 0);
    expect_fails(dir, 6, 4, NNACT_ERR_IO, "no dataset", "train files missing");

    dir = make_dir("no-test");
    write_split(dir, "train", 5, 2, 3, 5, train_labels, 0);
    expect_fails(dir, 6, 4, NNACT_ERR_IO, "t10k-images-idx3-ubyte[.gz] not found",
                 "test files missing");

    /* bad magic in one file: labels, then images */
    dir = good_set("magic", 0);
    const unsigned char bad[12] = {0, 1, 8, 1, 0, 0, 0, 3, 2, 0, 1};
    write_file(dir, "t10k-labels-idx1-ubyte", bad, 11, 0);
    expect_fails(dir, 6, 4, NNACT_ERR_IO, "bad magic", "bad magic in the test labels");
    dir = good_set("magic-images", 1);
    write_file(dir, "train-images-idx3-ubyte", bad, 11, 1);
    expect_fails(dir, 6, 4, NNACT_ERR_IO, "bad magic", "bad magic in the train images");

    /* images as 1-D, labels as 3-D */
    dir = make_dir("dims");
    write_split(dir, "train", 5, 2, 3, 5, train_labels, 0);
    write_split(dir, "t10k", 3, 2, 3, 3, test_labels, 0);
    write_file(dir, "train-images-idx3-ubyte", (const unsigned char *)"\0\0\x08\x01\0\0\0\x02"
               "ab", 10, 0);
    expect_fails(dir, 6, 4, NNACT_ERR_IO, "must hold 3-D images", "1-D images");

    /* a truncated image file */
    dir = good_set("short", 1);
    unsigned char head[20] = {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4};
    write_file(dir, "train-images-idx3-ubyte", head, 20, 1);
    expect_fails(dir, 6, 4, NNACT_ERR_IO, "truncated: 4 of 30", "truncated images");
}
END_TEST

START_TEST(spiral_shape_and_determinism)
{
    dataset a, b, c;
    ck_assert_int_eq(dataset_spiral(50, 3, 7, &a), NNACT_OK);
    ck_assert_int_eq(dataset_spiral(50, 3, 7, &b), NNACT_OK);
    ck_assert_int_eq(dataset_spiral(50, 3, 8, &c), NNACT_OK);
    ck_assert_msg(a.n == 150 && a.features == 2 && a.classes == 3,
                  "spiral n %zu features %zu classes %zu, want 150 2 3", a.n, a.features,
                  a.classes);
    ck_assert_msg(memcmp(a.x, b.x, 300 * sizeof *a.x) == 0 &&
                      memcmp(a.labels, b.labels, 150 * sizeof *a.labels) == 0,
                  "the same seed gave different spirals");
    size_t same = 0;
    for (size_t i = 0; i < 300; i++)
        same += a.x[i] == c.x[i];
    /* the first point of each arm is the origin whatever the seed */
    ck_assert_msg(same <= 6 + 3, "seeds 7 and 8 agree on %zu of 300 coordinates", same);
    size_t counts[3] = {0};
    for (size_t k = 0; k < 150; k++) {
        float l = a.labels[k];
        ck_assert_msg(l == (float)(k / 50), "label %zu = %g, want %zu (arms in order)", k,
                      (double)l, k / 50);
        counts[(size_t)l]++;
        /* radius i / (n - 1) along each arm */
        double r = hypot(a.x[2 * k], a.x[2 * k + 1]), want = (double)(k % 50) / 49.0;
        ck_assert_msg(fabs(r - want) <= 1e-6, "point %zu at radius %g, want %g", k, r, want);
    }
    ck_assert_msg(counts[0] == 50 && counts[1] == 50 && counts[2] == 50,
                  "class counts %zu %zu %zu", counts[0], counts[1], counts[2]);
    /* the arms are spread out: the mean of each arm's far half differs */
    double mx[3] = {0}, my[3] = {0};
    for (size_t k = 0; k < 150; k++)
        if (k % 50 >= 25) {
            mx[k / 50] += a.x[2 * k] / 25.0;
            my[k / 50] += a.x[2 * k + 1] / 25.0;
        }
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            ck_assert_msg(hypot(mx[i] - mx[j], my[i] - my[j]) > 0.1,
                          "arms %d and %d overlap (centres %g,%g and %g,%g)", i, j, mx[i],
                          my[i], mx[j], my[j]);
    dataset_free(&a), dataset_free(&b), dataset_free(&c);

    dataset d;
    ck_assert_int_eq(dataset_spiral(1, 4, 1, &d), NNACT_OK);
    ck_assert_msg(d.n == 4 && d.classes == 4, "1 point x 4 classes gave n %zu", d.n);
    for (size_t i = 0; i < 8; i++)
        ck_assert_msg(d.x[i] == 0.0f, "single-point arms must sit at the origin");
    dataset_free(&d);
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"idx", TU_TMPDIR, 0, {{loads_good_set, 3}, {prefers_gzip, 1}, {rejects_bad_sets, 1}}},
        {"spiral", 0, 0, {{spiral_shape_and_determinism, 1}}},
    };
    return tu_run_cases("dataset", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
