/* The elementwise activations, one line each. Read by the host (name table,
 * defaults, dispatch, argument checks) and by the device (kernel
 * instantiation in act.cl), so the two cannot disagree.
 * Columns: canonical name, nnact_act_kind suffix, default alpha, default
 * beta, what the derivative reads (NONE, X or Y). NNACT_ROW_WISE_ACTS has
 * the same columns for the activations computed per row (softmax.cl,
 * log_softmax.cl; alpha is the temperature); the host reads both lists
 * (NNACT_ACTS), the device instantiates only the elementwise one. */
#ifndef NNACT_ACT_LIST_H
#define NNACT_ACT_LIST_H

#define NNACT_ELEMENTWISE_ACTS(A)                \
    A(identity,   IDENTITY,   0.0f,  0.0f, NONE) \
    A(sigmoid,    SIGMOID,    0.0f,  0.0f, Y)    \
    A(tanh,       TANH,       0.0f,  0.0f, Y)    \
    A(relu,       RELU,       0.0f,  0.0f, X)    \
    A(leaky_relu, LEAKY_RELU, 0.01f, 0.0f, X)    \
    A(prelu,      PRELU,      0.01f, 0.0f, X)    \
    A(swish,      SWISH,      0.0f,  1.0f, X)    \
    A(elu,        ELU,        1.0f,  0.0f, X)    \
    A(selu,       SELU,       0.0f,  0.0f, X)    \
    A(celu,       CELU,       1.0f,  0.0f, X)    \
    A(gelu,       GELU,       0.0f,  0.0f, X)    \
    A(gelu_tanh,  GELU_TANH,  0.0f,  0.0f, X)    \
    A(softplus,   SOFTPLUS,   0.0f,  1.0f, X)    \
    A(mish,       MISH,       0.0f,  0.0f, X)    \
    A(softsign,   SOFTSIGN,   0.0f,  0.0f, X)    \
    A(hardsigmoid, HARDSIGMOID, 0.0f, 0.0f, X)   \
    A(hardswish,  HARDSWISH,  0.0f,  0.0f, X)    \
    A(relu6,      RELU6,      0.0f,  0.0f, X)    \
    A(hardtanh,   HARDTANH,   -1.0f, 1.0f, X)

#define NNACT_ROW_WISE_ACTS(A)                  \
    A(softmax,     SOFTMAX,     1.0f,  0.0f, Y)  \
    A(log_softmax, LOG_SOFTMAX, 1.0f,  0.0f, Y)

#define NNACT_ACTS(A) NNACT_ELEMENTWISE_ACTS(A) NNACT_ROW_WISE_ACTS(A)

#define NNACT_NEEDS_NONE 0
#define NNACT_NEEDS_X 1
#define NNACT_NEEDS_Y 2

#endif
