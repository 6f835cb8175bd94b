/* The types of include/nnact.h as cffi's cdef reads them (cffi syntax, not C:
 * "..." lets the C compiler supply values and layouts in API mode, so a field
 * or value that moves in the header cannot be read wrongly here). The
 * functions are in _cdef_funcs.h, which is plain C. */
typedef struct _cl_command_queue *cl_command_queue;
typedef struct _cl_mem *cl_mem;

#define NNACT_VERSION_MAJOR ...
#define NNACT_VERSION_MINOR ...
#define NNACT_VERSION_PATCH ...
#define NNACT_LOSS_SUMS ...

typedef enum nnact_status {
    NNACT_OK, NNACT_ERR_INVALID_ARG, NNACT_ERR_SHAPE, NNACT_ERR_NO_PLATFORM,
    NNACT_ERR_DEVICE_NOT_FOUND, NNACT_ERR_OUT_OF_MEMORY, NNACT_ERR_BUILD,
    NNACT_ERR_UNSUPPORTED, NNACT_ERR_IO, NNACT_ERR_OPENCL, NNACT_ERR_COMM, ...
} nnact_status;

typedef enum nnact_device_type {
    NNACT_DEVICE_OTHER, NNACT_DEVICE_CPU, NNACT_DEVICE_GPU, NNACT_DEVICE_ACCELERATOR, ...
} nnact_device_type;

typedef struct nnact_device_info {
    unsigned platform_index;
    unsigned device_index;
    char platform_name[128];
    char platform_version[128];
    char device_name[128];
    char vendor[128];
    char driver_version[64];
    nnact_device_type type;
    uint64_t global_mem_bytes;
    unsigned compute_units;
    int fp16;
    int fp64;
    int host_unified_memory;
    unsigned native_float_width;
    ...;
} nnact_device_info;

typedef struct nnact_ctx nnact_ctx;
typedef struct nnact_tensor nnact_tensor;
typedef struct nnact_mlp nnact_mlp;

typedef struct nnact_profile_entry {
    const char *name;
    uint64_t calls;
    double seconds;
    ...;
} nnact_profile_entry;

typedef enum nnact_dtype { NNACT_F32, NNACT_F16, ... } nnact_dtype;

typedef enum nnact_act_kind {
    NNACT_ACT_IDENTITY, NNACT_ACT_SIGMOID, NNACT_ACT_TANH, NNACT_ACT_RELU,
    NNACT_ACT_LEAKY_RELU, NNACT_ACT_PRELU, NNACT_ACT_SWISH, NNACT_ACT_SOFTMAX,
    NNACT_ACT_ELU, NNACT_ACT_SELU, NNACT_ACT_CELU, NNACT_ACT_GELU, NNACT_ACT_GELU_TANH,
    NNACT_ACT_SOFTPLUS, NNACT_ACT_MISH, NNACT_ACT_SOFTSIGN, NNACT_ACT_HARDSIGMOID,
    NNACT_ACT_HARDSWISH, NNACT_ACT_RELU6, NNACT_ACT_HARDTANH, NNACT_ACT_LOG_SOFTMAX,
    NNACT_ACT_COUNT, ...
} nnact_act_kind;

typedef struct nnact_act {
    nnact_act_kind kind;
    float alpha;
    float beta;
    ...;
} nnact_act;

typedef enum nnact_transpose { NNACT_NO_TRANS, NNACT_TRANS, ... } nnact_transpose;

typedef enum nnact_tuning_source {
    NNACT_TUNING_NONE, NNACT_TUNING_FILE, NNACT_TUNING_SHIPPED, NNACT_TUNING_ENV,
    NNACT_TUNING_OVERRIDE, ...
} nnact_tuning_source;

typedef enum nnact_tune_level { NNACT_TUNE_OFF, NNACT_TUNE_FAST, NNACT_TUNE_FULL, ... } nnact_tune_level;
typedef void (*nnact_tune_progress)(void *user, double fraction, const char *what);

typedef enum nnact_loss_kind {
    NNACT_LOSS_MSE, NNACT_LOSS_BCE, NNACT_LOSS_BCE_LOGITS, NNACT_LOSS_CCE,
    NNACT_LOSS_SOFTMAX_CCE, NNACT_LOSS_NLL, NNACT_LOSS_COUNT, ...
} nnact_loss_kind;

typedef struct nnact_loss {
    nnact_loss_kind kind;
    float epsilon;
    float temperature;
    ...;
} nnact_loss;

typedef enum nnact_optim_kind {
    NNACT_OPTIM_SGD, NNACT_OPTIM_ADAM, NNACT_OPTIM_ADAMW, NNACT_OPTIM_COUNT, ...
} nnact_optim_kind;

typedef struct nnact_optim {
    nnact_optim_kind kind;
    float lr;
    float momentum;
    int nesterov;
    float beta1, beta2;
    float eps;
    float weight_decay;
    ...;
} nnact_optim;

typedef struct nnact_idx {
    size_t ndims;
    size_t dims[4];
    size_t count;
    unsigned char *data;
    ...;
} nnact_idx;

/* Helpers compiled into the extension itself (_build.py), not nnact.h. */
double nnact_py_c_loop_ns(nnact_ctx *ctx, const nnact_act *act, const nnact_tensor *x,
                          nnact_tensor *y, size_t calls);
