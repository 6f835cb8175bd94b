/* Training data for nnact-train: IDX (MNIST / Fashion-MNIST) directories
 * and the generated spiral set, as float features and integer labels. */
#ifndef NNACT_DATASET_H
#define NNACT_DATASET_H

#include <nnact.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dataset {
    size_t n, features, classes;
    float *x;      /* n x features, scaled to [0, 1] for images */
    float *labels; /* n integer labels, as floats (the loss API's label form) */
} dataset;

/* Loads DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. Checks magic,
 * truncation, image/label counts, empty splits, labels < classes and that
 * an image has `features` pixels; a failure returns non-OK with a message in err.
 * NNACT_ERR_IO with err starting "no dataset" when the files are absent. */
nnact_status dataset_load_idx(const char *dir, size_t features, size_t classes,
                              dataset *train, dataset *test, char *err, size_t err_cap);

/* The classic 3-arm spiral (x = r sin 2.5t, r cos 2.5t with noise), with
 * points_per_class points per class, from seed. */
nnact_status dataset_spiral(size_t points_per_class, size_t classes, uint64_t seed,
                            dataset *out);

void dataset_free(dataset *d);

#endif
