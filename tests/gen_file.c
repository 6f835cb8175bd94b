/* Writes the files the command-line tests feed to the tools, from the
 * documented formats (not from the library's writers):
 *   gen_file model PATH LAYERS [nan]  an MLP file 2-3-...-3 of LAYERS dense
 *                                     layers (linear, the last softmax),
 *                                     weights 0.1, one NaN weight if "nan"
 *   gen_file idx PATH D0 [D1 ...]     a plain IDX file of unsigned bytes
 * Exit status 0 on success, 1 on an I/O error, 2 on bad arguments. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static unsigned char *buf;
static size_t len, cap;

static void put(const void *p, size_t n)
{
    if (len + n > cap) {
        cap = 2 * (len + n);
        if (!(buf = realloc(buf, cap))) {
            fprintf(stderr, "gen_file: out of memory\n");
            exit(1);
        }
    }
    memcpy(buf + len, p, n);
    len += n;
}

static void u32le(uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(b, 4);
}

static void f32le(float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    u32le(v);
}

static int write_out(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "model")) {
        const size_t layers = strtoul(argv[3], NULL, 10), n = layers + 1;
        const int nan = argc > 4 && !strcmp(argv[4], "nan");
        put("NNACTMLP", 8);
        u32le(1);
        u32le((uint32_t)n);
        for (size_t i = 0; i < n; i++) { /* u64 sizes: 2, then 3s */
            u32le(i ? 3 : 2);
            u32le(0);
        }
        for (size_t i = 0; i < layers; i++) { /* kind (0 linear, 7 softmax), alpha, beta */
            u32le(i + 1 == layers ? 7 : 0);
            f32le(i + 1 == layers ? 1.0f : 0.0f);
            f32le(0.0f);
        }
        for (size_t i = 0; i < layers; i++) {
            const size_t in = i ? 3 : 2;
            for (size_t j = 0; j < in * 3; j++)
                f32le(nan && i == layers / 2 && j == 1 ? NAN : 0.1f);
            for (size_t j = 0; j < 3; j++)
                f32le(0.0f);
        }
        u32le((uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)len));
        return write_out(argv[2]);
    }
    if (argc >= 4 && argc <= 7 && !strcmp(argv[1], "idx")) {
        const unsigned char head[4] = {0, 0, 0x08, (unsigned char)(argc - 3)};
        put(head, 4);
        size_t count = 1;
        for (int d = 3; d < argc; d++) {
            uint32_t v = (uint32_t)strtoul(argv[d], NULL, 10);
            unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                                  (unsigned char)(v >> 8), (unsigned char)v};
            put(b, 4);
            count *= v;
        }
        for (size_t i = 0; i < count; i++) {
            unsigned char c = (unsigned char)(i % 3);
            put(&c, 1);
        }
        return write_out(argv[2]);
    }
    fprintf(stderr, "usage: gen_file model PATH LAYERS [nan] | idx PATH D0 [D1 ...]\n");
    return 2;
}
