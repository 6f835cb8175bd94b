/* Program-binary cache for GPU drivers, which recompile every program in
 * every process; off where the device traits say binaries may not be cached
 * (traits.c: pocl). NNACT_CACHE=0 turns it off everywhere,
 * NNACT_CACHE=1 on everywhere (pocl included, to test it).
 *
 * Entry: <cache dir>/prog-<hash>.bin holding
 *   "NNACTBIN" | u32 version | u32 key length | key | u64 binary size |
 *   binary | u32 CRC-32 of everything before
 * where key = family, build options, device name, driver version, platform
 * version and a hash of the sources. The full key is stored and compared,
 * so a hash collision is a miss; so is any short, corrupt or foreign file.
 * Writes go through a temporary file and a rename. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define BIN_MAGIC "NNACTBIN"
#define BIN_VERSION 1u

bool nnact_bincache_enabled(const nnact_ctx *ctx)
{
    const char *v = getenv("NNACT_CACHE");
    if (v && !strcmp(v, "0"))
        return false;
    if (v && !strcmp(v, "1"))
        return true;
    return ctx->traits.binaries_cacheable;
}

/* The key text and the entry's path; false when there is no cache dir. */
static bool entry_for(const nnact_ctx *ctx, const char *family, const char *const *sources,
                      char *key, size_t kcap, char *path, size_t pcap)
{
    uint64_t h = NNACT_FNV_BASIS;
    for (size_t i = 0; sources[i]; i++)
        h = nnact_fnv1a(h, sources[i]);
    snprintf(key, kcap, "family=%s; options=%s; device=%s; driver=%s; platform=%s; "
             "sources=%016llx", family, ctx->build_options, ctx->info.device_name,
             ctx->info.driver_version, ctx->info.platform_version, (unsigned long long)h);
    char dir[2048];
    if (!nnact_cache_dir(dir, sizeof dir))
        return false;
    snprintf(path, pcap, "%s/prog-%016llx.bin", dir,
             (unsigned long long)nnact_fnv1a(NNACT_FNV_BASIS, key));
    return true;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

cl_program nnact_bincache_load(nnact_ctx *ctx, const char *family, const char *const *sources)
{
    char key[1024], path[2400];
    if (!entry_for(ctx, family, sources, key, sizeof key, path, sizeof path))
        return NULL;
    unsigned char *buf;
    size_t n;
    char why[2600];
    if (nnact_read_cache_entry(path, &buf, &n, why, sizeof why) != NNACT_OK) {
        if (ctx->debug)
            fprintf(stderr, "nnact: program cache miss for '%s' (%s)\n", family,
                    why[0] ? why : path);
        return NULL;
    }
    cl_program prog = NULL;
    size_t klen = strlen(key);
    if (buf && n >= 8 + 4 + 4 + klen + 8 + 4 && !memcmp(buf, BIN_MAGIC, 8) &&
        get_u32(buf + 8) == BIN_VERSION && get_u32(buf + 12) == klen &&
        !memcmp(buf + 16, key, klen) &&
        get_u32(buf + n - 4) == (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(n - 4))) {
        const unsigned char *p = buf + 16 + klen;
        uint64_t size = get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
        if (size == n - (16 + klen + 8 + 4)) {
            const unsigned char *bin = p + 8;
            size_t bsize = (size_t)size;
            cl_int err, status;
            prog = clCreateProgramWithBinary(ctx->context, 1, &ctx->device, &bsize, &bin,
                                             &status, &err);
            if (err != CL_SUCCESS || status != CL_SUCCESS ||
                clBuildProgram(prog, 1, &ctx->device, ctx->build_options, NULL, NULL) !=
                    CL_SUCCESS) {
                if (prog && err == CL_SUCCESS)
                    clReleaseProgram(prog);
                prog = NULL;
            }
        }
    }
    free(buf);
    if (ctx->debug)
        fprintf(stderr, "nnact: program cache %s for '%s' (%s)\n", prog ? "hit" : "miss",
                family, path);
    return prog;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

void nnact_bincache_store(nnact_ctx *ctx, const char *family, const char *const *sources,
                          cl_program prog)
{
    char key[1024], path[2400];
    if (!entry_for(ctx, family, sources, key, sizeof key, path, sizeof path))
        return;
    size_t bsize = 0;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof bsize, &bsize, NULL) !=
            CL_SUCCESS || bsize == 0)
        return;
    size_t klen = strlen(key), total = 16 + klen + 8 + bsize + 4;
    unsigned char *buf = malloc(total);
    if (!buf)
        return;
    unsigned char *bin = buf + 16 + klen + 8;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) != CL_SUCCESS) {
        free(buf);
        return;
    }
    memcpy(buf, BIN_MAGIC, 8);
    put_u32(buf + 8, BIN_VERSION);
    put_u32(buf + 12, (uint32_t)klen);
    memcpy(buf + 16, key, klen);
    put_u32(buf + 16 + klen, (uint32_t)bsize);
    put_u32(buf + 20 + klen, (uint32_t)((uint64_t)bsize >> 32));
    put_u32(buf + total - 4, (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(total - 4)));
    char dir[2048];
    if (nnact_cache_dir(dir, sizeof dir))
        nnact_make_dirs(dir);
    /* A failed write only costs the next process a compile. */
    if (nnact_write_file_atomic(path, buf, total, "program cache") != NNACT_OK && ctx->debug)
        fprintf(stderr, "nnact: %s\n", nnact_last_error());
    free(buf);
}
