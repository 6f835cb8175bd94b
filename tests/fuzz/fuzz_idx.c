/* libFuzzer harness: the IDX reader (src/base/idx.c, plain or gzip) and
 * nnact-train's dataset loader on top of it (src/support/dataset.c). Input: two
 * bytes giving the length of the images file, the images file, then the
 * labels file; both are written to a private directory (t10k-* link to
 * train-*), read with nnact_idx_read, then loaded as a dataset whose first
 * layer takes as many inputs as the images have pixels. */
#define _POSIX_C_SOURCE 200809L
#include "dataset.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], images[128], labels[128];

static void setup(void)
{
    /* tmpfs when there is one: the files are rewritten every execution. */
    snprintf(dir, sizeof dir, "%s/nnact-fuzz-idx.XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(images, sizeof images, "%s/train-images-idx3-ubyte", dir);
    snprintf(labels, sizeof labels, "%s/train-labels-idx1-ubyte", dir);
    char link[160];
    snprintf(link, sizeof link, "%s/t10k-images-idx3-ubyte", dir);
    if (symlink("train-images-idx3-ubyte", link) != 0)
        abort();
    snprintf(link, sizeof link, "%s/t10k-labels-idx1-ubyte", dir);
    if (symlink("train-labels-idx1-ubyte", link) != 0)
        abort();
}

static void cleanup(void)
{
    char link[160];
    unlink(images);
    unlink(labels);
    snprintf(link, sizeof link, "%s/t10k-images-idx3-ubyte", dir);
    unlink(link);
    snprintf(link, sizeof link, "%s/t10k-labels-idx1-ubyte", dir);
    unlink(link);
    rmdir(dir);
}

static void put(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        setup();
        atexit(cleanup);
    }
    if (size < 2)
        return 0;
    size_t n_images = ((size_t)data[0] | (size_t)data[1] << 8) % (size - 1);
    put(images, data + 2, n_images);
    put(labels, data + 2 + n_images, size - 2 - n_images);

    nnact_idx idx;
    size_t features = 1;
    nnact_status st = nnact_idx_read(images, &idx);
    if (st == NNACT_OK) {
        size_t want = 1;
        for (size_t d = 0; d < idx.ndims; d++)
            want *= idx.dims[d];
        if (want != idx.count || (idx.count && !idx.data))
            __builtin_trap(); /* the header and the data disagree */
        if (idx.ndims == 3)
            features = idx.dims[1] * idx.dims[2];
        nnact_idx_free(&idx);
    } else if (!nnact_last_error()[0]) {
        __builtin_trap();
    }
    dataset train, test;
    char err[512];
    if (dataset_load_idx(dir, features ? features : 1, 10, &train, &test, err,
                         sizeof err) == NNACT_OK) {
        dataset_free(&train);
        dataset_free(&test);
    }
    return 0;
}
