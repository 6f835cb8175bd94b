/* The IDX reader on generated files, plain and gzip-compressed: values and
 * dimensions of good files, and a specific NNACT_ERR_IO (or
 * NNACT_ERR_UNSUPPORTED) for every malformed case. No OpenCL is used. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <zlib.h>

static const char *tmp_path(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", tu_tmpdir, name);
    return buf;
}

/* An IDX image in memory: header (00 00 type ndims), big-endian dims, data. */
typedef struct image {
    unsigned char *p;
    size_t n;
} image;

static image make_idx(unsigned type, unsigned ndims, const uint32_t *dims,
                      const unsigned char *data, size_t count)
{
    image im;
    im.n = 4 + 4 * (size_t)ndims + count;
    im.p = malloc(im.n);
    ck_assert_ptr_nonnull(im.p);
    im.p[0] = 0, im.p[1] = 0, im.p[2] = (unsigned char)type, im.p[3] = (unsigned char)ndims;
    for (unsigned d = 0; d < ndims; d++)
        for (int b = 0; b < 4; b++)
            im.p[4 + 4 * d + (unsigned)b] = (unsigned char)(dims[d] >> (24 - 8 * b));
    if (count)
        memcpy(im.p + 4 + 4 * ndims, data, count);
    return im;
}

static void write_plain(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_msg(fwrite(p, 1, n, f) == n, "short write to %s", path);
    ck_assert_int_eq(fclose(f), 0);
}

static void write_gz(const char *path, const unsigned char *p, size_t n)
{
    gzFile f = gzopen(path, "wb");
    ck_assert_msg(f != NULL, "gzopen %s failed", path);
    ck_assert_msg(n == 0 || gzwrite(f, p, (unsigned)n) == (int)n, "gzwrite %s failed", path);
    ck_assert_int_eq(gzclose(f), Z_OK);
}

static void write_file(const char *path, const unsigned char *p, size_t n, int gz)
{
    if (gz)
        write_gz(path, p, n);
    else
        write_plain(path, p, n);
}

/* Expects nnact_idx_read to fail with status and a message containing text,
 * leaving out zeroed. */
static void expect_fails(const char *path, nnact_status status, const char *text,
                         const char *what)
{
    nnact_idx idx;
    memset(&idx, 0x5A, sizeof idx);
    nnact_status st = nnact_idx_read(path, &idx);
    ck_assert_msg(st == status, "%s: nnact_idx_read gave %s (%s), want %s", what,
                  nnact_status_string(st), nnact_last_error(), nnact_status_string(status));
    ck_assert_msg(strstr(nnact_last_error(), text) != NULL, "%s: message '%s' lacks '%s'",
                  what, nnact_last_error(), text);
    ck_assert_msg(idx.data == NULL && idx.count == 0 && idx.ndims == 0,
                  "%s: the failed read left data %p, count %zu, ndims %zu", what,
                  (void *)idx.data, idx.count, idx.ndims);
}

/* Loop index: 0 plain, 1 gzip. */
START_TEST(reads_1d_labels)
{
    const unsigned char labels[7] = {3, 0, 9, 255, 1, 7, 128};
    const uint32_t dims[1] = {7};
    image im = make_idx(0x08, 1, dims, labels, 7);
    const char *path = tmp_path(_i ? "labels.gz" : "labels");
    write_file(path, im.p, im.n, _i);
    nnact_idx idx;
    TU_OK(nnact_idx_read(path, &idx));
    ck_assert_uint_eq(idx.ndims, 1);
    ck_assert_uint_eq(idx.dims[0], 7);
    ck_assert_uint_eq(idx.count, 7);
    ck_assert_msg(memcmp(idx.data, labels, 7) == 0, "label bytes differ");
    nnact_idx_free(&idx);
    ck_assert_ptr_null(idx.data);
    ck_assert_uint_eq(idx.count, 0);
    free(im.p);
}
END_TEST

START_TEST(reads_3d_images)
{
    /* 3 images of 4 rows x 5 columns, dims over 255 bytes wide elsewhere */
    enum { N = 3, ROWS = 4, COLS = 5 };
    unsigned char px[N * ROWS * COLS];
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (unsigned char)(i * 37 + 11);
    const uint32_t dims[3] = {N, ROWS, COLS};
    image im = make_idx(0x08, 3, dims, px, sizeof px);
    const char *path = tmp_path(_i ? "images.gz" : "images");
    write_file(path, im.p, im.n, _i);
    nnact_idx idx;
    TU_OK(nnact_idx_read(path, &idx));
    ck_assert_uint_eq(idx.ndims, 3);
    ck_assert_msg(idx.dims[0] == N && idx.dims[1] == ROWS && idx.dims[2] == COLS,
                  "dims %zux%zux%zu, want 3x4x5", idx.dims[0], idx.dims[1], idx.dims[2]);
    ck_assert_uint_eq(idx.count, sizeof px);
    for (size_t i = 0; i < sizeof px; i++)
        ck_assert_msg(idx.data[i] == px[i], "byte %zu: %u, want %u", i, idx.data[i], px[i]);
    nnact_idx_free(&idx);
    free(im.p);
}
END_TEST

/* Big-endian dimensions that use every byte, 4-D, and an empty set. */
START_TEST(reads_large_dims_4d_and_empty)
{
    const uint32_t dims[4] = {1, 0x0102, 1, 3};
    unsigned char *px = malloc(0x0102 * 3);
    for (size_t i = 0; i < 0x0102 * 3; i++)
        px[i] = (unsigned char)(i % 251);
    image im = make_idx(0x08, 4, dims, px, 0x0102 * 3);
    const char *path = tmp_path(_i ? "four.gz" : "four");
    write_file(path, im.p, im.n, _i);
    nnact_idx idx;
    TU_OK(nnact_idx_read(path, &idx));
    ck_assert_uint_eq(idx.ndims, 4);
    ck_assert_msg(idx.dims[0] == 1 && idx.dims[1] == 0x0102 && idx.dims[2] == 1 &&
                      idx.dims[3] == 3, "dims %zu %zu %zu %zu, want 1 258 1 3", idx.dims[0],
                  idx.dims[1], idx.dims[2], idx.dims[3]);
    ck_assert_uint_eq(idx.count, 0x0102 * 3);
    ck_assert_msg(memcmp(idx.data, px, idx.count) == 0, "4-D data differs");
    nnact_idx_free(&idx);
    free(im.p);

    const uint32_t zero[1] = {0};
    im = make_idx(0x08, 1, zero, NULL, 0);
    write_file(path, im.p, im.n, _i);
    TU_OK(nnact_idx_read(path, &idx));
    ck_assert_msg(idx.ndims == 1 && idx.dims[0] == 0 && idx.count == 0,
                  "empty set read as ndims %zu, dims[0] %zu, count %zu", idx.ndims,
                  idx.dims[0], idx.count);
    nnact_idx_free(&idx);
    free(im.p), free(px);
}
END_TEST

/* Every malformed case, plain (loop 0) and gzip (loop 1). */
START_TEST(rejects_malformed_files)
{
    const int gz = _i;
    const char *path = tmp_path(gz ? "bad.gz" : "bad");
    const unsigned char data[6] = {1, 2, 3, 4, 5, 6};
    const uint32_t dims2[2] = {2, 3}, many[5] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu,
                                                  0xFFFFFFFFu, 1};
    char what[96];
#define MALFORMED(img, status, text, desc)                                   \
    do {                                                                     \
        image im_ = (img);                                                   \
        write_file(path, im_.p, im_.n, gz);                                  \
        snprintf(what, sizeof what, "%s (%s)", (desc), gz ? "gzip" : "plain"); \
        expect_fails(path, (status), (text), what);                          \
        free(im_.p);                                                         \
    } while (0)

    image im = make_idx(0x08, 2, dims2, data, 6);
    im.p[0] = 0x01;
    MALFORMED(im, NNACT_ERR_IO, "bad magic", "first magic byte not 0");
    im = make_idx(0x08, 2, dims2, data, 6);
    im.p[1] = 0x08;
    MALFORMED(im, NNACT_ERR_IO, "bad magic", "second magic byte not 0");
    MALFORMED(make_idx(0x08, 0, dims2, data, 6), NNACT_ERR_IO, "bad magic", "0 dims");
    MALFORMED(make_idx(0x08, 5, many, data, 6), NNACT_ERR_IO, "bad magic", "5 dims");
    MALFORMED(make_idx(0x09, 2, dims2, data, 6), NNACT_ERR_UNSUPPORTED, "type 0x09",
              "signed bytes");
    MALFORMED(make_idx(0x0D, 2, dims2, data, 6), NNACT_ERR_UNSUPPORTED, "type 0x0d",
              "floats");
    MALFORMED(make_idx(0x0E, 2, dims2, data, 6), NNACT_ERR_UNSUPPORTED, "only unsigned "
              "bytes", "doubles");
    MALFORMED(make_idx(0x08, 4, many, data, 0), NNACT_ERR_IO, "dimensions overflow",
              "4 x 2^32-1 items");

    /* Truncations: every length inside the header and dims, and in the data. */
    image good = make_idx(0x08, 2, dims2, data, 6);
    for (size_t n = 0; n < good.n; n++) {
        char text[64];
        if (n < 4)
            snprintf(text, sizeof text, "shorter than the 4-byte IDX header");
        else if (n < 12)
            snprintf(text, sizeof text, "truncated inside its dimensions");
        else
            snprintf(text, sizeof text, "truncated: %zu of 6 data bytes present", n - 12);
        write_file(path, good.p, n, gz);
        snprintf(what, sizeof what, "first %zu of %zu bytes (%s)", n, good.n,
                 gz ? "gzip" : "plain");
        expect_fails(path, NNACT_ERR_IO, "truncated", what);
        expect_fails(path, NNACT_ERR_IO, text, what);
    }
    unsigned char longer[20];
    memcpy(longer, good.p, good.n);
    longer[18] = 7, longer[19] = 8;
    write_file(path, longer, good.n + 1, gz);
    expect_fails(path, NNACT_ERR_IO, "bytes after its 6 data bytes", "one trailing byte");
    write_file(path, longer, good.n + 2, gz);
    expect_fails(path, NNACT_ERR_IO, "bytes after its 6 data bytes", "two trailing bytes");
    free(good.p);
#undef MALFORMED
}
END_TEST

/* A gzip stream cut short (in the deflate data or its trailer) is
 * "truncated"; one with a flipped bit (CRC, length or data) is "corrupt",
 * wherever zlib notices it, even before the IDX header is complete. */
START_TEST(rejects_damaged_gzip)
{
    enum { N = 4000 };
    unsigned char *px = malloc(N);
    for (size_t i = 0; i < N; i++)
        px[i] = (unsigned char)((i * 7919) >> 3); /* compresses to ~530 bytes */
    const uint32_t dims[1] = {N};
    image im = make_idx(0x08, 1, dims, px, N);
    const char *path = tmp_path("damaged.gz");
    write_gz(path, im.p, im.n);
    FILE *f = fopen(path, "rb");
    unsigned char *z = malloc(im.n + 1024);
    size_t zn = fread(z, 1, im.n + 1024, f);
    fclose(f);
    ck_assert_msg(zn > 18 && z[0] == 0x1f && z[1] == 0x8b, "not a gzip file (%zu bytes)", zn);
    char what[96];
    /* Every cut: in the gzip header, the deflate data, the 8-byte trailer. */
    for (size_t n = 0; n < zn; n++) {
        write_plain(path, z, n);
        snprintf(what, sizeof what, "gzip stream cut to %zu of %zu bytes", n, zn);
        expect_fails(path, NNACT_ERR_IO, "truncated", what);
    }
    /* Damage with nothing missing: a flipped bit in the stored CRC-32 or
     * length, or in the deflate data itself. */
    const size_t flips[] = {zn - 6, zn - 2, zn / 3, zn / 2, 2 * zn / 3};
    for (size_t c = 0; c < sizeof flips / sizeof flips[0]; c++) {
        z[flips[c]] ^= 0x10;
        write_plain(path, z, zn);
        z[flips[c]] ^= 0x10;
        snprintf(what, sizeof what, "gzip byte %zu of %zu flipped", flips[c], zn);
        expect_fails(path, NNACT_ERR_IO, "corrupt", what);
    }
    free(px), free(z), free(im.p);
}
END_TEST

/* The gzip bytes of an IDX image (header and data), in memory. */
static unsigned char *gzip_bytes(const unsigned char *p, size_t n, size_t *zn)
{
    const char *path = tmp_path("member.gz");
    write_gz(path, p, n);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char *z = malloc(n + 1024);
    *zn = fread(z, 1, n + 1024, f);
    fclose(f);
    ck_assert_msg(*zn > 18 && z[0] == 0x1f && z[1] == 0x8b, "not a gzip file");
    return z;
}

/* Decided: gzip members may be concatenated (as gzip itself allows), but a
 * stream must end with its trailer, and nothing else may follow it. */
START_TEST(gzip_members_trailer_and_trailing_bytes)
{
    const unsigned char px[10] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
    const uint32_t dims[2] = {2, 5};
    image im = make_idx(0x08, 2, dims, px, 10);
    char path[256]; /* tmp_path's buffer is reused by gzip_bytes */
    snprintf(path, sizeof path, "%s", tmp_path("members.gz"));
    size_t n1, n2;
    /* The IDX bytes split over two members (header | data). */
    unsigned char *a = gzip_bytes(im.p, 12, &n1), *b = gzip_bytes(im.p + 12, 10, &n2);
    enum { CAT = 4096 }; /* room for every combination below */
    unsigned char *cat = malloc(CAT);
    ck_assert_msg(3 * (im.n + 64) < CAT, "test buffer too small");
    memcpy(cat, a, n1);
    memcpy(cat + n1, b, n2);
    write_plain(path, cat, n1 + n2);
    nnact_idx idx;
    TU_OK(nnact_idx_read(path, &idx));
    ck_assert_msg(idx.count == 10 && memcmp(idx.data, px, 10) == 0,
                  "two gzip members read wrongly");
    nnact_idx_free(&idx);
    /* A third, empty member is fine too. */
    size_t n3;
    unsigned char *c = gzip_bytes(im.p, 0, &n3);
    memcpy(cat + n1 + n2, c, n3);
    write_plain(path, cat, n1 + n2 + n3);
    TU_OK(nnact_idx_read(path, &idx));
    nnact_idx_free(&idx);

    /* The whole image in one member, then bytes that are not a member. */
    free(a);
    a = gzip_bytes(im.p, im.n, &n1);
    memcpy(cat, a, n1);
    static const char *const tails[] = {"x", "\0", "\0\0\0\0", "garbage after", "\x1f"};
    for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
        const size_t tl = t == 1 ? 1 : t == 2 ? 4 : strlen(tails[t]);
        memcpy(cat + n1, tails[t], tl);
        write_plain(path, cat, n1 + tl);
        char what[64];
        snprintf(what, sizeof what, "%zu bytes after the gzip stream", tl);
        expect_fails(path, NNACT_ERR_IO, "follow the end of its gzip stream", what);
    }
    /* The stream without its 8-byte trailer (CRC-32 and length). */
    write_plain(path, a, n1 - 8);
    expect_fails(path, NNACT_ERR_IO, "truncated (the gzip stream ends early)",
                 "gzip stream without its trailer");
    free(a), free(b), free(c), free(cat), free(im.p);
}
END_TEST

/* Limits this (forked) test to 256 MiB of address space, so that a reader
 * allocating what a header claims fails visibly. Skipped without a fork
 * (CK_FORK=no: the limit would outlive the test) and under sanitizers,
 * which reserve terabytes of shadow memory. */
#if defined(__SANITIZE_ADDRESS__)
#define NO_RLIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define NO_RLIMIT 1
#endif
#endif
static void limit_address_space(void)
{
#ifndef NO_RLIMIT
    const char *fork_env = getenv("CK_FORK");
    if (fork_env && !strcmp(fork_env, "no"))
        return;
    struct rlimit lim = {256u << 20, 256u << 20};
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
#endif
}

/* A header claiming more data than the file can hold is rejected before
 * anything is allocated: plain files against their length, gzip files
 * against deflate's largest ratio (1032:1). */
START_TEST(huge_claims_rejected_before_allocating)
{
    const unsigned char px[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const uint32_t dims[3] = {4, 65536, 65536}; /* 16 GiB */
    limit_address_space();
    image im = make_idx(0x08, 3, dims, px, 8);
    const char *path = tmp_path(_i ? "huge.gz" : "huge");
    write_file(path, im.p, im.n, _i);
    if (_i)
        expect_fails(path, NNACT_ERR_IO, "claims 17179869184 data bytes, more than its",
                     "16 GiB claimed by a small gzip file");
    else
        expect_fails(path, NNACT_ERR_IO, "truncated: 8 of 17179869184 data bytes present",
                     "16 GiB claimed by a 24-byte file");
    free(im.p);
}
END_TEST

/* A gzip file whose claim its length allows (incompressible data) but whose
 * data ends early: the buffer grows only as data arrives, so a 900 MB claim
 * gives "truncated", not an allocation failure. */
START_TEST(gzip_buffer_grows_as_data_arrives)
{
    limit_address_space();
    enum { N = 1 << 20 };
    unsigned char *px = malloc(N);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        px[i] = (unsigned char)(x >> 24);
    }
    const uint32_t dims[1] = {900000000u};
    image im = make_idx(0x08, 1, dims, px, N);
    const char *path = tmp_path("grows.gz");
    write_gz(path, im.p, im.n);
    expect_fails(path, NNACT_ERR_IO, "truncated: 1048576 of 900000000 data bytes present",
                 "900 MB claimed, 1 MiB present (gzip)");
    free(im.p), free(px);
}
END_TEST

START_TEST(missing_file_and_null_arguments)
{
    expect_fails(tmp_path("no-such-file"), NNACT_ERR_IO, "cannot open", "missing file");
    expect_fails(tmp_path("no-such-dir/x.gz"), NNACT_ERR_IO, "No such file", "missing dir");
    nnact_idx idx;
    TU_FAILS(nnact_idx_read(NULL, &idx), NNACT_ERR_INVALID_ARG, "path is NULL");
    TU_FAILS(nnact_idx_read(tmp_path("x"), NULL), NNACT_ERR_INVALID_ARG, "out is NULL");
    nnact_idx_free(NULL);
    nnact_idx empty = {0};
    nnact_idx_free(&empty);
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"idx", TU_TMPDIR, 0, {{reads_1d_labels, 2}, {reads_3d_images, 2},
            {reads_large_dims_4d_and_empty, 2}, {rejects_malformed_files, 2},
            {rejects_damaged_gzip, 1}, {missing_file_and_null_arguments, 1},
            {gzip_members_trailer_and_trailing_bytes, 1},
            {huge_claims_rejected_before_allocating, 2},
            {gzip_buffer_grows_as_data_arrives, 1}}},
    };
    return tu_run_cases("idx", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
