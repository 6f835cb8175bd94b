/* Dataset loading for nnact-train; see dataset.h. */
#include "dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void dataset_free(dataset *d)
{
    if (!d)
        return;
    free(d->x);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

/* DIR/NAME or DIR/NAME.gz, whichever exists; 0 when neither. */
static int find_file(const char *dir, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s.gz", dir, name);
    if (access(path, R_OK) == 0)
        return 1;
    snprintf(path, cap, "%s/%s", dir, name);
    return access(path, R_OK) == 0;
}

static nnact_status load_split(const char *dir, const char *prefix, size_t features,
                               size_t classes, dataset *out, char *err, size_t cap)
{
    char ipath[4096], lpath[4096], iname[64], lname[64];
    snprintf(iname, sizeof iname, "%s-images-idx3-ubyte", prefix);
    snprintf(lname, sizeof lname, "%s-labels-idx1-ubyte", prefix);
    int hi = find_file(dir, iname, ipath, sizeof ipath);
    int hl = find_file(dir, lname, lpath, sizeof lpath);
    if (!hi || !hl) {
        snprintf(err, cap, "no dataset in '%s': %s%s not found", dir,
                 hi ? lname : iname, "[.gz]");
        return NNACT_ERR_IO;
    }
    nnact_idx im = {0}, lb = {0};
    nnact_status st = nnact_idx_read(ipath, &im);
    if (st == NNACT_OK)
        st = nnact_idx_read(lpath, &lb);
    if (st != NNACT_OK) {
        snprintf(err, cap, "%s", nnact_last_error());
    } else if (im.ndims != 3 || lb.ndims != 1) {
        snprintf(err, cap, "'%s' must hold 3-D images and '%s' 1-D labels (got %zu-D "
                 "and %zu-D)", ipath, lpath, im.ndims, lb.ndims);
        st = NNACT_ERR_IO;
    } else if (im.dims[0] == 0) {
        snprintf(err, cap, "'%s' holds no images: nothing to %s", ipath,
                 strcmp(prefix, "train") ? "test on" : "train on");
        st = NNACT_ERR_IO;
    } else if (im.dims[0] != lb.dims[0]) {
        snprintf(err, cap, "'%s' holds %zu images but '%s' holds %zu labels", ipath,
                 im.dims[0], lpath, lb.dims[0]);
        st = NNACT_ERR_IO;
    } else if (im.dims[1] * im.dims[2] != features) {
        snprintf(err, cap, "images in '%s' are %zux%zu = %zu pixels, but the first layer "
                 "takes %zu inputs", ipath, im.dims[1], im.dims[2], im.dims[1] * im.dims[2],
                 features);
        st = NNACT_ERR_SHAPE;
    }
    for (size_t i = 0; st == NNACT_OK && i < lb.count; i++)
        if (lb.data[i] >= classes) {
            snprintf(err, cap, "'%s': label %u at item %zu, but the last layer has %zu "
                     "classes", lpath, lb.data[i], i, classes);
            st = NNACT_ERR_IO;
        }
    if (st == NNACT_OK) {
        out->n = im.dims[0];
        out->features = features;
        out->classes = classes;
        out->x = malloc(im.count * sizeof *out->x);
        out->labels = malloc((lb.count ? lb.count : 1) * sizeof *out->labels);
        if (!out->x || !out->labels) {
            snprintf(err, cap, "out of host memory for '%s'", ipath);
            dataset_free(out);
            st = NNACT_ERR_OUT_OF_MEMORY;
        } else {
            for (size_t i = 0; i < im.count; i++)
                out->x[i] = (float)im.data[i] / 255.0f;
            for (size_t i = 0; i < lb.count; i++)
                out->labels[i] = (float)lb.data[i];
        }
    }
    nnact_idx_free(&im);
    nnact_idx_free(&lb);
    return st;
}

nnact_status dataset_load_idx(const char *dir, size_t features, size_t classes,
                              dataset *train, dataset *test, char *err, size_t err_cap)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    nnact_status st = load_split(dir, "train", features, classes, train, err, err_cap);
    if (st == NNACT_OK)
        st = load_split(dir, "t10k", features, classes, test, err, err_cap);
    if (st != NNACT_OK) {
        dataset_free(train);
        dataset_free(test);
    }
    return st;
}

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return (double)(mix(s) >> 11) * 0x1.0p-53; }

nnact_status dataset_spiral(size_t per_class, size_t classes, uint64_t seed, dataset *out)
{
    memset(out, 0, sizeof *out);
    out->n = per_class * classes;
    out->features = 2;
    out->classes = classes;
    out->x = malloc(out->n * 2 * sizeof *out->x);
    out->labels = malloc(out->n * sizeof *out->labels);
    if (!out->x || !out->labels) {
        dataset_free(out);
        return NNACT_ERR_OUT_OF_MEMORY;
    }
    uint64_t s = seed ^ 0x5151;
    for (size_t c = 0; c < classes; c++)
        for (size_t i = 0; i < per_class; i++) {
            double r = per_class > 1 ? (double)i / (double)(per_class - 1) : 0.0;
            /* Box-Muller noise of sd 0.2 on the angle */
            double u1 = uniform(&s), u2 = uniform(&s);
            double noise = sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * 3.14159265358979 * u2);
            double a = ((double)c * 4.0 + r * 4.0) * 2.5 + noise * 0.2;
            size_t k = c * per_class + i;
            out->x[2 * k] = (float)(r * sin(a));
            out->x[2 * k + 1] = (float)(r * cos(a));
            out->labels[k] = (float)c;
        }
    return NNACT_OK;
}
