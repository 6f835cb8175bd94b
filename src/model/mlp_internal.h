/* The MLP's struct, shared by mlp.c (training) and mlp_io.c (files). */
#ifndef NNACT_MLP_INTERNAL_H
#define NNACT_MLP_INTERNAL_H

#include "internal.h"

typedef struct mlp_layer {
    nnact_act act;
    nnact_tensor *W, *b, *dW, *db;
    nnact_tensor *s1W, *s1b, *s2W, *s2b; /* optimizer state, on first use */
    nnact_tensor *z, *y, *dy;             /* per-batch caches */
} mlp_layer;

struct nnact_mlp {
    nnact_ctx *ctx;
    size_t depth;
    size_t *sizes; /* depth + 1 */
    mlp_layer *layers;
    size_t cache_rows; /* batch size the caches are shaped for */
    bool have_state;
    nnact_optim_kind state_kind;
    uint64_t step;
    /* F16 storage and its dynamic loss scaling (mlp.c). */
    nnact_dtype storage;
    float scale;              /* loss gradient multiplier */
    unsigned growth_interval; /* good steps before the scale doubles */
    unsigned good_steps;
    uint64_t skipped;
    nnact_tensor *flag;       /* 1 x 1: the device's inf/NaN flag (uint) */
    /* The flag of the last F16 backprop, read without a wait into
     * flag_host (done when flag_read completes); applied: whether
     * nnact_mlp_apply ran on those gradients (its step then skipped itself
     * on the device if the flag was set). mlp.c resolve_scaler. */
    cl_event flag_read;
    uint32_t flag_host;
    bool applied;
};

/* An MLP with the given architecture and parameters left uninitialised. */
nnact_status nnact_mlp_alloc(nnact_ctx *ctx, const size_t *sizes, size_t n_sizes,
                             const nnact_act *acts, nnact_mlp **out);
/* The start of nnact_mlp_create and _load: out must not be NULL (*out is
 * then NULL until success) and ctx must be a context. */
nnact_status nnact_mlp_begin(nnact_ctx *ctx, nnact_mlp **out, const char *fn);

/* After the gradients were replaced (nnact_mlp_grads_write), F16 storage:
 * the inf/NaN flag the next apply skips on, computed again from them
 * (mlp.c, beside the loss scaler it feeds); nothing with F32. */
nnact_status nnact_mlp_reflag_gradients(nnact_mlp *m);

/* A model file checked on the host, before any device is involved (so the
 * parser is fuzzed without OpenCL; mlp_io.c). */
#define NNACT_MLP_MAX_SIZES 1024u /* layer sizes a file may hold */
typedef struct nnact_mlp_image {
    size_t n_sizes;
    size_t sizes[NNACT_MLP_MAX_SIZES];
    nnact_act acts[NNACT_MLP_MAX_SIZES - 1];
    const unsigned char *params; /* points into the parsed bytes */
} nnact_mlp_image;

/* Checks the n bytes of a model file (path is for messages only) and
 * describes them in img; NNACT_ERR_IO naming the defect otherwise. */
nnact_status nnact_mlp_parse(const unsigned char *p, size_t n, const char *path,
                             nnact_mlp_image *img);
/* Copies a parsed layer's weights (in x out, row-major) or, with bias, its
 * out biases into dst. */
void nnact_mlp_image_floats(const nnact_mlp_image *img, size_t layer, bool bias, float *dst);

#endif
