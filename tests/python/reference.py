"""Float64 NumPy references for the Python suite, written from the
definitions (not from the library's formulas), and the library's bars:
forward |got - ref| <= 4e-6 |ref|, backward <= 4e-6 |ref| + 1e-7 |dy|
(shared/notes/numerics.md). Inputs are rounded to float32 first, as the
device sees them."""
import math

import numpy as np

SELU_L = 1.0507009873554804934
SELU_A = 1.6732632423543772848
_erfc = np.vectorize(math.erfc, otypes=[np.float64])

DEFAULTS = {"leaky_relu": (0.01, 0.0), "prelu": (0.01, 0.0), "elu": (1.0, 0.0),
            "celu": (1.0, 0.0), "swish": (0.0, 1.0), "softplus": (0.0, 1.0),
            "hardtanh": (-1.0, 1.0)}


def _sig(x):
    return np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))),
                    np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def forward(name, x, alpha=None, beta=None):
    a, b = DEFAULTS.get(name, (0.0, 0.0))
    a = a if alpha is None else alpha
    b = b if beta is None else beta
    x = np.asarray(x, dtype=np.float32).astype(np.float64)
    with np.errstate(all="ignore"):
        f = {
            "identity": lambda: x,
            "sigmoid": lambda: _sig(x),
            "tanh": lambda: np.tanh(x),
            "relu": lambda: np.where(x > 0, x, 0.0),
            "leaky_relu": lambda: np.where(x > 0, x, a * x),
            "prelu": lambda: np.where(x > 0, x, a * x),
            "swish": lambda: x * _sig(b * x),
            "elu": lambda: np.where(x > 0, x, a * np.expm1(x)),
            "selu": lambda: SELU_L * np.where(x > 0, x, SELU_A * np.expm1(x)),
            "celu": lambda: np.where(x > 0, x, a * np.expm1(x / a)),
            # erfc and 2/(1 + e^-2u) instead of 1 + erf, 1 + tanh: no cancellation below 0
            "gelu": lambda: 0.5 * x * _erfc(-x / math.sqrt(2.0)),
            "gelu_tanh": lambda: x / (1.0 + np.exp(-2.0 * math.sqrt(2.0 / math.pi) *
                                                   (x + 0.044715 * x ** 3))),
            "softplus": lambda: _softplus(b * x) / b,
            "mish": lambda: x * np.tanh(_softplus(x)),
            "softsign": lambda: x / (1.0 + np.abs(x)),
            "hardsigmoid": lambda: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
            "hardswish": lambda: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0,
            "relu6": lambda: np.clip(x, 0.0, 6.0),
            "hardtanh": lambda: np.clip(x, a, b),
        }[name]
        return f()


def derivative(name, x, alpha=None, beta=None):
    """f'(x) in float64 (analytic; kinks take the library's side: 0 at x = 0
    for relu, alpha for the leaky family)."""
    a, b = DEFAULTS.get(name, (0.0, 0.0))
    a = a if alpha is None else alpha
    b = b if beta is None else beta
    x = np.asarray(x, dtype=np.float32).astype(np.float64)
    with np.errstate(all="ignore"):
        s = _sig(x)
        c = math.sqrt(2.0 / math.pi)
        u = c * (x + 0.044715 * x ** 3)
        sp = _softplus(x)
        f = {
            "identity": lambda: np.ones_like(x),
            "sigmoid": lambda: s * (1.0 - s),
            "tanh": lambda: 1.0 / np.cosh(x) ** 2,
            "relu": lambda: (x > 0).astype(np.float64),
            "leaky_relu": lambda: np.where(x > 0, 1.0, a),
            "prelu": lambda: np.where(x > 0, 1.0, a),
            "swish": lambda: _sig(b * x) + b * x * _sig(b * x) * (1.0 - _sig(b * x)),
            "elu": lambda: np.where(x > 0, 1.0, a * np.exp(x)),
            "selu": lambda: SELU_L * np.where(x > 0, 1.0, SELU_A * np.exp(x)),
            "celu": lambda: np.where(x > 0, 1.0, np.exp(x / a)),
            "gelu": lambda: 0.5 * _erfc(-x / math.sqrt(2.0)) +
            x * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi),
            "gelu_tanh": lambda: 1.0 / (1.0 + np.exp(-2.0 * u)) + 0.5 * x / np.cosh(u) ** 2 *
            c * (1.0 + 3 * 0.044715 * x * x),
            "softplus": lambda: _sig(b * x),
            "mish": lambda: np.tanh(sp) + x / np.cosh(sp) ** 2 * s,
            "softsign": lambda: 1.0 / (1.0 + np.abs(x)) ** 2,
            "hardsigmoid": lambda: np.where((x > -3) & (x < 3), 1.0 / 6.0, 0.0),
            "hardswish": lambda: np.where(x < -3, 0.0, np.where(x > 3, 1.0, (2 * x + 3) / 6.0)),
            "relu6": lambda: ((x > 0) & (x < 6)).astype(np.float64),
            "hardtanh": lambda: ((x > a) & (x < b)).astype(np.float64),
        }[name]
        return f()


def softmax(x, T=1.0):
    z = np.asarray(x, dtype=np.float32).astype(np.float64) / T
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x, T=1.0):
    z = np.asarray(x, dtype=np.float32).astype(np.float64) / T
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def softmax_vjp_jacobian(y, dy, T=1.0):
    """The seed's full per-row Jacobian (diag(y) - y y^T) dy / T, in float64."""
    y = np.asarray(y, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    out = np.empty_like(dy)
    for i in range(len(y)):
        yy = y[i].reshape(-1, 1)
        out[i] = (np.diagflat(yy) - yy @ yy.T) @ dy[i] / T
    return out


def assert_fwd(got, ref, what, rel=4e-6, abs_=1e-30):
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    tol = rel * np.abs(ref) + abs_
    bad = ~(np.abs(got - ref) <= tol)
    bad &= ~(np.isnan(got) & np.isnan(ref))
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise AssertionError("%s: %d of %d out of bounds; first [%d]: got %.9g ref %.12g tol %.3g"
                             % (what, bad.sum(), bad.size, i, got.flat[i], ref.flat[i],
                                tol.flat[i]))


def assert_bwd(got, ref, dy, what):
    dy = np.abs(np.asarray(dy, dtype=np.float64))
    assert_fwd(got, ref, what, 4e-6, 1e-7 * np.broadcast_to(dy, np.shape(ref)) + 1e-30)
