/* Hostile files, generated here (no checked-in blobs): a good IDX file
 * (plain and gzip) and a good model file, each cut at every length, with
 * every single bit flipped, with a wrong magic and with headers that claim
 * huge sizes (the CRC of the model recomputed, so the checks behind it are
 * reached). The table says what each mutation must give; whatever it is,
 * the reader must return a status with a message, never crash, hang or
 * allocate what a header claims (256 MiB address-space limit when forked
 * without a sanitizer), and a file it accepts must be self-consistent. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <stdio.h>
#include <sys/resource.h>
#include <zlib.h>

typedef enum { F_IDX, F_IDX_GZ, F_MODEL, F_COUNT } file_kind;
static const char *const kind_name[F_COUNT] = {"IDX", "gzip IDX", "model"};

typedef struct bytes {
    unsigned char *p;
    size_t n;
} bytes;

static char path[256];

static void write_bytes(const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f && fwrite(p, 1, n, f) == n && fclose(f) == 0, "cannot write %s", path);
}

static bytes read_bytes(void)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    bytes b = {tu_xmalloc(1 << 16), 0};
    b.n = fread(b.p, 1, 1 << 16, f);
    fclose(f);
    return b;
}

/* The good file of each kind, in memory. */
static bytes good_file(file_kind k)
{
    if (k == F_MODEL) {
        static const size_t sizes[] = {2, 3, 2};
        static const char *const acts[] = {"tanh", "softmax"};
        nnact_mlp *m;
        TU_OK(nnact_mlp_create(tu_ctx, sizes, 3, acts, 5, &m));
        TU_OK(nnact_mlp_save(m, path));
        nnact_mlp_destroy(m);
        return read_bytes();
    }
    unsigned char idx[16 + 60] = {0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5};
    for (size_t i = 16; i < sizeof idx; i++)
        idx[i] = (unsigned char)(i * 37);
    if (k == F_IDX) {
        bytes b = {tu_xmalloc(sizeof idx), sizeof idx};
        memcpy(b.p, idx, sizeof idx);
        return b;
    }
    gzFile g = gzopen(path, "wb");
    ck_assert_msg(g && gzwrite(g, idx, sizeof idx) == (int)sizeof idx && gzclose(g) == Z_OK,
                  "gzip write failed");
    return read_bytes();
}

static void set_u32le(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A model's CRC-32 recomputed over everything before it. */
static void fix_crc(unsigned char *p, size_t n)
{
    set_u32le(p + n - 4, (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)(n - 4)));
}

/* Loads the file at path as its kind; on success checks the result and
 * frees it. The message must be specific (non-empty, naming the file). */
static nnact_status load(file_kind k, const char *what)
{
    nnact_status st;
    if (k == F_MODEL) {
        nnact_mlp *m = NULL;
        st = nnact_mlp_load(tu_ctx, path, &m);
        if (st == NNACT_OK) {
            ck_assert_msg(m && nnact_mlp_depth(m) >= 1, "%s: loaded an empty model", what);
            nnact_mlp_destroy(m);
        } else {
            ck_assert_msg(m == NULL, "%s: *out set by a failed load", what);
        }
    } else {
        nnact_idx idx;
        st = nnact_idx_read(path, &idx);
        if (st == NNACT_OK) {
            size_t count = 1;
            for (size_t d = 0; d < idx.ndims; d++)
                count *= idx.dims[d];
            ck_assert_msg(idx.ndims >= 1 && idx.ndims <= 4 && idx.count == count &&
                              (idx.data || !count),
                          "%s: accepted an inconsistent IDX (%zu dims, count %zu)", what,
                          idx.ndims, idx.count);
            nnact_idx_free(&idx);
        } else {
            ck_assert_msg(idx.data == NULL, "%s: data left by a failed read", what);
        }
    }
    if (st != NNACT_OK)
        ck_assert_msg(strstr(nnact_last_error(), path) != NULL,
                      "%s: %s with a message that does not name the file: '%s'", what,
                      nnact_status_string(st), nnact_last_error());
    return st;
}

/* What a mutation must give: an error containing text, or (text NULL) any
 * clean outcome (a flipped pixel is still a valid IDX file). */
typedef struct outcome {
    nnact_status status;
    const char *text;
} outcome;

static void expect(file_kind k, const char *what, outcome want)
{
    nnact_status st = load(k, what);
    if (!want.text) {
        ck_assert_msg(st == NNACT_OK || st == NNACT_ERR_IO || st == NNACT_ERR_UNSUPPORTED,
                      "%s: %s (%s)", what, nnact_status_string(st), nnact_last_error());
        return;
    }
    ck_assert_msg(st == want.status && strstr(nnact_last_error(), want.text),
                  "%s: %s '%s', want %s with '%s'", what, nnact_status_string(st),
                  nnact_last_error(), nnact_status_string(want.status), want.text);
}

typedef enum { M_TRUNCATE, M_FLIP_BIT, M_MAGIC, M_HUGE, M_COUNT } mutation;

/* The table: per file kind and mutation, what every variant must give. */
static const outcome table[F_COUNT][M_COUNT] = {
    [F_IDX] = {{NNACT_ERR_IO, "truncated"}, {NNACT_OK, NULL}, {NNACT_ERR_IO, "bad magic"},
               {NNACT_ERR_IO, "data bytes present"}},
    [F_IDX_GZ] = {{NNACT_ERR_IO, "truncated"}, {NNACT_OK, NULL}, {NNACT_ERR_IO, "bad magic"},
                  {NNACT_ERR_IO, "claims"}},
    /* a flip is caught by the magic, version or CRC check, whichever comes first */
    [F_MODEL] = {{NNACT_ERR_IO, "truncated"}, {NNACT_ERR_IO, ""},
                 {NNACT_ERR_IO, "bad magic"}, {NNACT_ERR_IO, "corrupt"}},
};

/* Limits the forked test's address space (see the file comment). */
static void limit_address_space(void)
{
#if !defined(__SANITIZE_ADDRESS__)
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
    return;
#endif
#endif
    const char *fork_env = getenv("CK_FORK");
    if (fork_env && !strcmp(fork_env, "no"))
        return;
    /* the context's pocl threads and CLBlast need room: 2 GiB, far below
     * the 16 GiB and 2^48-byte claims below */
    struct rlimit lim = {2ull << 30, 2ull << 30};
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
#endif
}

START_TEST(hostile_files)
{
    const file_kind k = (file_kind)(_i / M_COUNT);
    const mutation m = (mutation)(_i % M_COUNT);
    snprintf(path, sizeof path, "%s/hostile%s", tu_tmpdir, k == F_IDX_GZ ? ".gz" : "");
    bytes g = good_file(k);
    write_bytes(g.p, g.n);
    ck_assert_int_eq(load(k, "the good file"), NNACT_OK);
    limit_address_space();
    unsigned char *v = tu_xmalloc(g.n + 64);
    char what[160];
    const outcome want = table[k][m];
    switch (m) {
    case M_TRUNCATE:
        for (size_t n = 0; n < g.n; n++) {
            write_bytes(g.p, n);
            snprintf(what, sizeof what, "%s cut to %zu of %zu bytes", kind_name[k], n, g.n);
            expect(k, what, want);
        }
        break;
    case M_FLIP_BIT:
        for (size_t i = 0; i < 8 * g.n; i++) {
            memcpy(v, g.p, g.n);
            v[i / 8] ^= (unsigned char)(1u << (i % 8));
            write_bytes(v, g.n);
            snprintf(what, sizeof what, "%s with bit %zu of byte %zu flipped", kind_name[k],
                     i % 8, i / 8);
            expect(k, what, want);
        }
        break;
    case M_MAGIC: {
        /* the format's own magic damaged (inside the gzip stream for .gz) */
        static const char *const magics[] = {"\x01", "\x08\x08", "NNACTMLQ", "GIF8"};
        for (size_t c = 0; c < 4; c++) {
            unsigned char plain[16 + 60];
            bytes src = k == F_IDX_GZ ? good_file(F_IDX) : g;
            memcpy(k == F_IDX_GZ ? plain : v, src.p, src.n);
            unsigned char *dst = k == F_IDX_GZ ? plain : v;
            memcpy(dst + (k == F_MODEL && c < 2 ? 3 : 0), magics[c], strlen(magics[c]));
            if (k == F_IDX_GZ) {
                gzFile z = gzopen(path, "wb");
                ck_assert_msg(z && gzwrite(z, plain, (unsigned)src.n) == (int)src.n &&
                              gzclose(z) == Z_OK, "gzip write failed");
                free(src.p);
            } else {
                write_bytes(v, g.n);
            }
            snprintf(what, sizeof what, "%s with magic '%s'", kind_name[k], magics[c]);
            expect(k, what, want);
        }
        break;
    }
    case M_HUGE:
        memcpy(v, g.p, g.n);
        if (k == F_MODEL) {
            /* 2^32-1 layer sizes; then 2 sizes of 2^24 (a 2^48-float layer) */
            set_u32le(v + 12, 0xFFFFFFFFu);
            fix_crc(v, g.n);
            write_bytes(v, g.n);
            expect(k, "model claiming 2^32-1 layer sizes", want);
            memcpy(v, g.p, g.n);
            for (size_t i = 0; i < 3; i++)
                set_u32le(v + 16 + 8 * i, 1u << 24);
            fix_crc(v, g.n);
            write_bytes(v, g.n);
            expect(k, "model claiming three layers of 2^24", want);
            break;
        }
        /* 4 x 65536 x 65536 items: 16 GiB */
        static const unsigned char dims[12] = {0, 0, 0, 4, 0, 1, 0, 0, 0, 1, 0, 0};
        if (k == F_IDX) {
            memcpy(v + 4, dims, 12);
            write_bytes(v, g.n);
        } else {
            bytes src = good_file(F_IDX);
            memcpy(src.p + 4, dims, 12);
            gzFile z = gzopen(path, "wb");
            ck_assert_msg(z && gzwrite(z, src.p, (unsigned)src.n) == (int)src.n &&
                          gzclose(z) == Z_OK, "gzip write failed");
            free(src.p);
        }
        expect(k, "IDX claiming 16 GiB", want);
        break;
    default:
        break;
    }
    free(v);
    free(g.p);
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"files", TU_TMPDIR | TU_CONTEXT, 300, {{hostile_files, F_COUNT * M_COUNT}}},
    };
    return tu_run_cases("hostile", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
