/* The elementwise activations, one line each. Read by the host (name table,
 * defaults, dispatch, argument checks) and by the device (kernel
 * instantiation in act.cl), so the two cannot disagree.
 * Columns: canonical name, nnact_act_kind suffix, default alpha, default
 * beta, what the derivative reads (NONE, X or Y). Softmax is row-wise and
 * lives in softmax.cl. */
#ifndef NNACT_ACT_LIST_H
#define NNACT_ACT_LIST_H

#define NNACT_ELEMENTWISE_ACTS(A)                \
    A(identity,   IDENTITY,   0.0f,  0.0f, NONE) \
    A(sigmoid,    SIGMOID,    0.0f,  0.0f, Y)    \
    A(tanh,       TANH,       0.0f,  0.0f, Y)    \
    A(relu,       RELU,       0.0f,  0.0f, X)    \
    A(leaky_relu, LEAKY_RELU, 0.01f, 0.0f, X)    \
    A(prelu,      PRELU,      0.01f, 0.0f, X)    \
    A(swish,      SWISH,      0.0f,  1.0f, X)

#define NNACT_NEEDS_NONE 0
#define NNACT_NEEDS_X 1
#define NNACT_NEEDS_Y 2

#endif
