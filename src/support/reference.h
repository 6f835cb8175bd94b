/* Independent host reference for the tests and `nnact-info --selftest`:
 * every formula written again in long double, from the mathematical
 * definition, never shared with the kernels (a shared formula cannot catch
 * a wrong one). Tolerances are the bars of the core issue. */
#ifndef NNACT_REFERENCE_H
#define NNACT_REFERENCE_H

#include <nnact.h>
#include <stdbool.h>
#include <stddef.h>

/* f(x) of an elementwise activation (not softmax or log-softmax) at a float
 * input. */
long double ref_act_forward(const nnact_act *act, float x);

/* f'(x) from the definition, at x. */
long double ref_act_derivative(const nnact_act *act, long double x);

/* The backward result for the float inputs the kernel receives: dy * f'
 * where f' is computed from y for sigmoid and tanh and from x otherwise. */
long double ref_act_backward(const nnact_act *act, float x, float y, float dy);

/* Bars: forward 4e-6*|ref| + FLT_MIN, plus the error that rounding an
 * argument to float before a transcendental (beta*x for swish) causes;
 * backward the same plus 1e-7*|dy|. */
long double ref_act_forward_tol(const nnact_act *act, float x);
long double ref_act_backward_tol(const nnact_act *act, float x, float y, float dy);

/* Row-wise softmax with temperature T into rows*cols long doubles, with the
 * -inf/NaN rules; tol receives the per-element bar (may be NULL). */
void ref_softmax_forward(const float *x, size_t rows, size_t cols, float T,
                         long double *y, long double *tol);
void ref_softmax_backward(const float *y, const float *dy, size_t rows, size_t cols,
                          float T, long double *dx, long double *tol);

/* Row-wise log-softmax with temperature T and the same row rules (-inf
 * entries and all -inf rows give -inf, NaN or +inf rows NaN). The forward
 * bar adds one ulp of 1, the rounding of z = (x - max)/T and of log sum
 * (as a float kernel forms them, plus an ulp of the log); the backward bar
 * is softmax's with p = e^y: (1e-7 (|dy_j| + p_j sum|dy|) + 4e-6 p_j
 * |sum dy|)/T + 4e-6 |ref| + FLT_MIN. */
void ref_log_softmax_forward(const float *x, size_t rows, size_t cols, float T,
                             long double *y, long double *tol);
void ref_log_softmax_backward(const float *y, const float *dy, size_t rows, size_t cols,
                              float T, long double *dx, long double *tol);

/* Learnable PReLU; alpha has 1 or cols entries. dalpha has as many entries
 * as alpha; dalpha_tol receives 4e-6 * sum |dy*x| for each. */
void ref_prelu_forward(const float *x, size_t rows, size_t cols, const float *alpha,
                       size_t n_alpha, long double *y);
void ref_prelu_backward(const float *x, const float *dy, size_t rows, size_t cols,
                        const float *alpha, size_t n_alpha, long double *dx,
                        long double *dalpha, long double *dalpha_tol);

/* Tolerance marker from ref_act_backward_tol where 0 * dy is meaningless (a
 * NaN dy at a derivative that is exactly 0, or an infinite dy at one that
 * is 0 in float): the reference is then 0 and both 0 and NaN are accepted. */
#define REF_NAN_OR_ZERO (-1.0L)

/* c = op(a) op(b) in double, a stored ar x ac and b br x bc (row-major),
 * op = transpose when ta / tb; mag receives sum |a b| per element of c (the
 * scale of a product's rounding error). */
void ref_gemm(int ta, int tb, const float *a, size_t ar, size_t ac, const float *b,
              size_t br, size_t bc, double *c, double *mag);

/* NaN-aware comparison: a NaN reference wants NaN, an infinite one the same
 * infinity, a finite one |got - ref| <= tol (a finite ref that overflows
 * float within tol may come back as that infinity); tol REF_NAN_OR_ZERO
 * accepts 0 or NaN. */
bool ref_matches(float got, long double ref, long double tol);

#endif
