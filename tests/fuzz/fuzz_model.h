/* Shared by the model-file harnesses: parse the bytes as a model file and,
 * when they pass, read back every parameter (what the loader uploads). */
#ifndef NNACT_FUZZ_MODEL_H
#define NNACT_FUZZ_MODEL_H

#include "model/mlp_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_model_bytes(const uint8_t *data, size_t size)
{
    static nnact_mlp_image img; /* 20 KB: kept off the stack */
    if (nnact_mlp_parse(data, size, "fuzz", &img) != NNACT_OK) {
        if (!nnact_last_error()[0])
            __builtin_trap(); /* every rejection names its reason */
        return;
    }
    for (size_t i = 0; i + 1 < img.n_sizes; i++) {
        size_t in = img.sizes[i], out = img.sizes[i + 1];
        float *w = malloc(in * out * sizeof *w), *b = malloc(out * sizeof *b);
        if (w && b) {
            nnact_mlp_image_floats(&img, i, false, w);
            nnact_mlp_image_floats(&img, i, true, b);
        }
        free(w);
        free(b);
    }
}

#endif
