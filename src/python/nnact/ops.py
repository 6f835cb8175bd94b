"""Every operation of the C API over device Tensors.

Each function enqueues on the tensors' Context and returns without waiting
(except where the C function waits: losses asked for their value). Outputs
are allocated when out= (or the named output) is None; given, they are
written in place and returned. Names and parameters follow nnact.h.
"""
import math

from ._lib import ffi, lib
from .errors import InvalidArgumentError, check
from .tensor import Tensor

_ACT_CACHE = {}


def _invalid(msg):
    return InvalidArgumentError(msg, "NNACT_ERR_INVALID_ARG", lib.NNACT_ERR_INVALID_ARG)


class Act:
    """An activation and its parameters: Act('leaky_relu', alpha=0.1).

    Names as nnact_act_from_name ("relu", "gelu_tanh", "softmax", ...);
    alpha/beta default to the library's defaults for the kind."""

    __slots__ = ("name", "_c")

    def __init__(self, name, alpha=None, beta=None):
        if not isinstance(name, str):
            raise TypeError("an activation name is a str, not %s" % type(name).__name__)
        c = ffi.new("nnact_act *")
        check(lib.nnact_act_from_name(name.encode(), c))
        if alpha is not None:
            c.alpha = float(alpha)
        if beta is not None:
            c.beta = float(beta)
        self._c = c
        self.name = ffi.string(lib.nnact_act_name(c.kind)).decode()

    @property
    def kind(self):
        return int(self._c.kind)

    @property
    def alpha(self):
        return self._c.alpha

    @property
    def beta(self):
        return self._c.beta

    @property
    def needs(self):
        """Which tensor the backward pass reads: 'y' (sigmoid, tanh, softmax,
        log_softmax), 'none' (identity) or 'x'."""
        k = self._c.kind
        if k in (lib.NNACT_ACT_SIGMOID, lib.NNACT_ACT_TANH, lib.NNACT_ACT_SOFTMAX,
                 lib.NNACT_ACT_LOG_SOFTMAX):
            return "y"
        return "none" if k == lib.NNACT_ACT_IDENTITY else "x"

    @property
    def row_wise(self):
        return self._c.kind in (lib.NNACT_ACT_SOFTMAX, lib.NNACT_ACT_LOG_SOFTMAX)

    def __repr__(self):
        return "Act(%r, alpha=%g, beta=%g)" % (self.name, self.alpha, self.beta)


def act(spec, alpha=None, beta=None):
    """An Act from an Act or a name (cached per name and parameters)."""
    if isinstance(spec, Act):
        if alpha is None and beta is None:
            return spec
        spec = spec.name
    key = (spec, alpha, beta)
    a = _ACT_CACHE.get(key)
    if a is None:
        a = Act(spec, alpha, beta)
        if len(_ACT_CACHE) < 256:
            _ACT_CACHE[key] = a
    return a


def activation_names():
    """Canonical names of every activation the library knows."""
    return [ffi.string(lib.nnact_act_name(k)).decode() for k in range(lib.NNACT_ACT_COUNT)]


def _ctx_of(*tensors):
    """The one Context of the given tensors (None entries skipped)."""
    ctx = None
    for t in tensors:
        if t is None:
            continue
        if not isinstance(t, Tensor):
            raise TypeError("expected an nnact.Tensor, got %s (upload NumPy data with "
                            "ctx.asarray)" % type(t).__name__)
        if ctx is None:
            ctx = t.ctx
        elif t.ctx is not ctx:
            raise _invalid("the tensors belong to different nnact.Contexts")
    if ctx is None:
        raise _invalid("no tensor given")
    return ctx


def _h(t):
    return ffi.NULL if t is None else t._handle()


def _like(ctx, t, out, shape=None):
    if out is not None:
        return out
    return ctx.empty(shape or t.shape, t.dtype)


def act_forward(x, activation, out=None, alpha=None, beta=None):
    """y = f(x) for an activation name or Act; out may be x (in place)."""
    a = act(activation, alpha, beta)
    ctx = _ctx_of(x, out)
    with ctx._lock:
        y = _like(ctx, x, out)
        check(lib.nnact_act_forward(ctx._handle(), a._c, x._handle(), y._handle()))
    return y


def act_backward(activation, dy, x=None, y=None, out=None, alpha=None, beta=None):
    """dx = dy * f'(x) (the vector-Jacobian product for softmax and
    log_softmax); give x or y as Act(...).needs says; out may be dy."""
    a = act(activation, alpha, beta)
    ctx = _ctx_of(dy, x, y, out)
    with ctx._lock:
        dx = _like(ctx, dy, out)
        check(lib.nnact_act_backward(ctx._handle(), a._c, _h(x), _h(y), dy._handle(),
                                     dx._handle()))
    return dx


def _row_forward(c_fn, x, temperature, out):
    ctx = _ctx_of(x, out)
    with ctx._lock:
        y = _like(ctx, x, out)
        check(c_fn(ctx._handle(), float(temperature), x._handle(), y._handle()))
    return y


def _row_backward(c_fn, y, dy, temperature, out):
    ctx = _ctx_of(y, dy, out)
    with ctx._lock:
        dx = _like(ctx, dy, out)
        check(c_fn(ctx._handle(), float(temperature), y._handle(), dy._handle(),
                   dx._handle()))
    return dx


def softmax(x, temperature=1.0, out=None):
    """Row-wise softmax of x / T; out may be x."""
    return _row_forward(lib.nnact_softmax_forward, x, temperature, out)


def softmax_backward(y, dy, temperature=1.0, out=None):
    """dx = y * (dy - sum_row(y * dy)) / T; out may be dy."""
    return _row_backward(lib.nnact_softmax_backward, y, dy, temperature, out)


def log_softmax(x, temperature=1.0, out=None):
    """Row-wise log-softmax of x / T; out may be x."""
    return _row_forward(lib.nnact_log_softmax_forward, x, temperature, out)


def log_softmax_backward(y, dy, temperature=1.0, out=None):
    """dx = (dy - e^y sum_row(dy)) / T from y; out may be y or dy."""
    return _row_backward(lib.nnact_log_softmax_backward, y, dy, temperature, out)


def prelu(x, alpha, out=None):
    """Learnable PReLU: alpha is a 1x1 or 1xcols Tensor."""
    ctx = _ctx_of(x, alpha, out)
    with ctx._lock:
        y = _like(ctx, x, out)
        check(lib.nnact_prelu_forward(ctx._handle(), x._handle(), alpha._handle(),
                                      y._handle()))
    return y


def prelu_backward(x, alpha, dy, dx=None, dalpha=None, need_dx=True, need_dalpha=True):
    """(dx, dalpha): dx = dy * (x > 0 ? 1 : alpha), dalpha = sum over rows of
    dy*x where x <= 0 (alpha's shape, deterministic)."""
    ctx = _ctx_of(x, alpha, dy, dx, dalpha)
    with ctx._lock:
        if dx is None and need_dx:
            dx = ctx.empty(dy.shape, dy.dtype)
        if dalpha is None and need_dalpha:
            dalpha = ctx.empty(alpha.shape, alpha.dtype)
        check(lib.nnact_prelu_backward(ctx._handle(), x._handle(), alpha._handle(),
                                       dy._handle(), _h(dx), _h(dalpha)))
    return dx, dalpha


def gemm(a, b, c=None, alpha=1.0, beta=0.0, trans_a=False, trans_b=False):
    """c = alpha op(a) op(b) + beta c (CLBlast SGEMM); c is allocated
    (and beta must be 0) when None."""
    ctx = _ctx_of(a, b, c)
    with ctx._lock:
        if c is None:
            if beta != 0:
                raise _invalid("beta = %g needs an existing c" % beta)
            m = a.shape[1] if trans_a else a.shape[0]
            n = b.shape[0] if trans_b else b.shape[1]
            c = ctx.empty((m, n))
        check(lib.nnact_gemm(ctx._handle(), lib.NNACT_TRANS if trans_a else lib.NNACT_NO_TRANS,
                             lib.NNACT_TRANS if trans_b else lib.NNACT_NO_TRANS, float(alpha),
                             a._handle(), b._handle(), float(beta), c._handle()))
    return c


def dense_forward(x, W, b=None, activation=None, out=None, z=None, keep_z=False):
    """y = act(x W + b); returns y, or (y, z) with keep_z (z = x W + b, which
    the backward pass needs for every activation reading x)."""
    a = None if activation is None else act(activation)
    ctx = _ctx_of(x, W, b, out, z)
    with ctx._lock:
        y = _like(ctx, x, out, (x.shape[0], W.shape[1]))
        if z is None and keep_z:
            z = ctx.empty(y.shape, y.dtype)
        check(lib.nnact_dense_forward(ctx._handle(), x._handle(), W._handle(), _h(b),
                                      ffi.NULL if a is None else a._c, _h(z), y._handle()))
    return (y, z) if keep_z or z is not None else y


def dense_backward(x, W, dy, activation=None, z=None, y=None, dW=None, db=None, dx=None,
                   need_db=True, need_dx=True):
    """(dW, db, dx) of a dense layer given dy; z or y as the activation
    needs (Act(...).needs)."""
    a = None if activation is None else act(activation)
    ctx = _ctx_of(x, W, dy, z, y, dW, db, dx)
    with ctx._lock:
        if dW is None:
            dW = ctx.empty(W.shape)
        if db is None and need_db:
            db = ctx.empty((1, W.shape[1]))
        if dx is None and need_dx:
            dx = ctx.empty(x.shape, x.dtype)
        check(lib.nnact_dense_backward(ctx._handle(), x._handle(), W._handle(),
                                       ffi.NULL if a is None else a._c, _h(z), _h(y),
                                       dy._handle(), dW._handle(), _h(db), _h(dx)))
    return dW, db, dx


class Loss:
    """A loss and its parameters: Loss('softmax_cce', temperature=2)."""

    __slots__ = ("name", "_c")

    def __init__(self, name, epsilon=None, temperature=None):
        if isinstance(name, Loss):
            name = name.name
        c = ffi.new("nnact_loss *")
        check(lib.nnact_loss_from_name(str(name).encode(), c))
        if epsilon is not None:
            c.epsilon = float(epsilon)
        if temperature is not None:
            c.temperature = float(temperature)
        self._c = c
        self.name = name


def _loss(spec):
    return spec if isinstance(spec, Loss) else Loss(spec)


def loss(pred, target, kind="mse", grad=None, want_grad=False):
    """(value, accuracy, grad) of a loss on pred against target (dense, one-hot
    or batch x 1 labels). Waits for the value. grad is None unless given or
    want_grad."""
    lo = _loss(kind)
    ctx = _ctx_of(pred, target, grad)
    value, acc = ffi.new("float *"), ffi.new("float *")
    with ctx._lock:
        if grad is None and want_grad:
            grad = ctx.empty(pred.shape, pred.dtype)
        check(lib.nnact_loss_eval(ctx._handle(), lo._c, pred._handle(), target._handle(),
                                  value, acc, _h(grad)))
    return value[0], acc[0], grad


def loss_accumulate(pred, target, sums, kind="mse", grad=None):
    """Adds the batch's loss sums to sums (1 x LOSS_SUMS) without waiting."""
    lo = _loss(kind)
    ctx = _ctx_of(pred, target, sums, grad)
    with ctx._lock:
        check(lib.nnact_loss_accumulate(ctx._handle(), lo._c, pred._handle(),
                                        target._handle(), sums._handle(), _h(grad)))
    return sums


def loss_sums_read(sums):
    """(mean loss, accuracy) over every batch added to sums (waits)."""
    value, acc = ffi.new("float *"), ffi.new("float *")
    with sums.ctx._lock:
        check(lib.nnact_loss_sums_read(sums._handle(), value, acc))
    return value[0], acc[0]


LOSS_SUMS = lib.NNACT_LOSS_SUMS


class Optimizer:
    """An optimizer's hyper-parameters: Optimizer('adam', lr=1e-3)."""

    __slots__ = ("name", "_c")

    def __init__(self, name="adam", **params):
        if isinstance(name, Optimizer):
            name = name.name
        c = ffi.new("nnact_optim *")
        check(lib.nnact_optim_from_name(str(name).encode(), c))
        for k, v in params.items():
            if v is None:
                continue
            if k not in ("lr", "momentum", "nesterov", "beta1", "beta2", "eps",
                         "weight_decay"):
                raise TypeError("unknown optimizer parameter %r" % k)
            setattr(c, k, int(bool(v)) if k == "nesterov" else float(v))
        self._c = c
        self.name = name

    @property
    def lr(self):
        return self._c.lr

    @lr.setter
    def lr(self, value):
        self._c.lr = float(value)


def optim_step(param, grad, step, optimizer="adam", state1=None, state2=None, **params):
    """One optimizer step on param in place (step counts from 1)."""
    opt = optimizer if isinstance(optimizer, Optimizer) and not params else \
        Optimizer(optimizer, **params)
    if not isinstance(step, int) or isinstance(step, bool) or step < 1:
        raise _invalid("step counts from 1 (got %r)" % (step,))
    ctx = _ctx_of(param, grad, state1, state2)
    with ctx._lock:
        check(lib.nnact_optim_step(ctx._handle(), opt._c, step, param._handle(),
                                   grad._handle(), _h(state1), _h(state2)))
    return param


def gather_rows(src, rows, out=None):
    """out row r = src row rows[r] (rows: host integers, checked)."""
    import numpy as np
    idx = np.asarray(rows)
    if idx.dtype.kind not in "iu":
        raise TypeError("rows must be integers, not %s" % idx.dtype)
    if idx.ndim != 1:
        raise ValueError("rows must be 1-D")
    if idx.size and (idx.min() < 0):
        raise _invalid("row index %d is negative" % idx.min())
    idx = np.ascontiguousarray(idx, dtype=np.uintp)
    ctx = _ctx_of(src, out)
    with ctx._lock:
        if out is None:
            out = ctx.empty((idx.size, src.shape[1]), src.dtype)
        if idx.size:
            check(lib.nnact_tensor_gather_rows(out._handle(), src._handle(),
                                               ffi.from_buffer("size_t[]", idx)))
    return out


def c_loop_overhead_ns(x, activation="relu", calls=20000):
    """Median nanoseconds of nnact_act_forward(x -> x) in a C loop (the
    baseline of the per-call overhead benchmark)."""
    a = act(activation)
    with x.ctx._lock:
        ns = lib.nnact_py_c_loop_ns(x.ctx._handle(), a._c, x._handle(), x._handle(), calls)
    if ns < 0 or math.isnan(ns):
        raise _invalid("the C loop failed")
    return ns
