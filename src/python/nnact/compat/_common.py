"""What the compat modules share: one activation forward or backward on
NumPy data through the default context, or on Tensors as they are."""
import numpy as np

from .. import ops
from ..context import default_context
from ..tensor import Tensor, check_float_array

_ROW_WISE = ("softmax", "log_softmax")


def _host(x, what):
    arr = check_float_array(x, what)
    shape = arr.shape
    cols = shape[-1] if arr.ndim else 1
    rows = arr.size // cols if cols else 0
    return arr, shape, (rows, cols)


def _result(res, shape, dtype):
    res = res.reshape(shape)
    return res if dtype == np.float32 else res.astype(dtype)


def _canonical(name):
    return ops.act(name).name


def forward(x, name, alpha=None, beta=None, temperature=None):
    """f(x) by activation name: rows along the last axis for softmax and
    log-softmax (a 1-D input is one row), elementwise otherwise."""
    name = _canonical(name)
    if name in _ROW_WISE and temperature is not None:
        alpha = temperature
    if isinstance(x, Tensor):
        return ops.act_forward(x, name, alpha=alpha, beta=beta)
    arr, shape, shape2 = _host(x, "the input")
    if arr.size == 0:
        return np.empty(shape, dtype=arr.dtype)
    ctx = default_context()
    with ctx._lock:
        xt = ctx._scratch_tensor("x", shape2)
        xt.set(arr.reshape(shape2))
        yt = ctx._scratch_tensor("y", shape2)
        ops.act_forward(xt, name, out=yt, alpha=alpha, beta=beta)
        return _result(yt.get(), shape, arr.dtype)


def backward(name, dy=None, x=None, y=None, alpha=None, beta=None, temperature=None):
    """dy * f'(.) (the vector-Jacobian product for softmax/log-softmax); dy
    None means ones, i.e. f' itself. x or y as the activation needs."""
    name = _canonical(name)
    if name in _ROW_WISE and temperature is not None:
        alpha = temperature
    given = [t for t in (dy, x, y) if t is not None]
    if any(isinstance(t, Tensor) for t in given):
        if not all(isinstance(t, Tensor) for t in given):
            raise TypeError("mix of nnact.Tensors and NumPy arrays: upload with ctx.asarray")
        ref = given[0]
        if dy is None:
            dy = ref.ctx.empty(ref.shape).fill(1.0)
        return ops.act_backward(name, dy, x=x, y=y, alpha=alpha, beta=beta)
    arrs = {}
    shape = dtype = shape2 = None
    for key, t in (("dy", dy), ("x", x), ("y", y)):
        if t is None:
            continue
        arr, s, s2 = _host(t, "the " + key)
        if shape is None:
            shape, shape2, dtype = s, s2, arr.dtype
        elif s != shape:
            raise ValueError("the %s has shape %r, the other input %r" % (key, s, shape))
        arrs[key] = arr
    if shape is None:
        raise ValueError("backward needs x or y")
    if int(np.prod(shape)) == 0:
        return np.empty(shape, dtype=dtype)
    ctx = default_context()
    with ctx._lock:
        ts = {}
        for key in ("dy", "x", "y"):
            t = ctx._scratch_tensor("b" + key, shape2)
            if key in arrs:
                t.set(arrs[key].reshape(shape2))
            elif key == "dy":
                t.fill(1.0)
            else:
                continue
            ts[key] = t
        out = ctx._scratch_tensor("bdx", shape2)
        ops.act_backward(name, ts["dy"], x=ts.get("x"), y=ts.get("y"), out=out,
                         alpha=alpha, beta=beta)
        return _result(out.get(), shape, dtype)


def ones_like(a):
    if isinstance(a, Tensor):
        return a.ctx.empty(a.shape, a.dtype).fill(1.0)
    return np.ones_like(check_float_array(a))


def _upload(ctx, key, arr):
    """arr in the context's scratch tensor key (call under ctx._lock)."""
    t = ctx._scratch_tensor(key, arr.shape)
    t.set(arr)
    return t


def by_needs(name, dy, x, y, alpha=None):
    """dy * f'(.) from whichever of x and y the activation's backward reads
    (dy itself for identity): the layers' backward passes."""
    a = ops.act(name, alpha)
    if a.needs == "none":
        return dy
    if a.needs == "y":
        return backward(name, dy, y=y, alpha=alpha)
    return backward(name, dy, x=x, alpha=alpha)


def dense_forward(X, W, b):
    """X @ W + b on the device for host X, W, b (uploaded per call: the host
    arrays stay the source of truth, as the seeds' optimizers update them in
    place)."""
    X = check_float_array(X, "X_input")
    if X.ndim != 2 or X.shape[1] != W.shape[0]:
        raise ValueError("X_input has shape %r; the layer takes (n, %d)" % (X.shape,
                                                                           W.shape[0]))
    if X.shape[0] == 0:
        return np.empty((0, W.shape[1]), dtype=X.dtype)
    ctx = default_context()
    with ctx._lock:
        xt, wt = _upload(ctx, "layer_x", X), _upload(ctx, "layer_W", W)
        bt = _upload(ctx, "layer_b", np.reshape(b, (1, -1)))
        yt = ctx._scratch_tensor("layer_y", (X.shape[0], W.shape[1]))
        ops.dense_forward(xt, wt, bt, None, out=yt)
        return _result(yt.get(), yt.shape, X.dtype)


def dense_backward(X, W, grad):
    """(dW, db, dx) of X @ W + b given grad (host arrays)."""
    grad = check_float_array(grad, "grad_next")
    if grad.shape != (X.shape[0], W.shape[1]):
        raise ValueError("grad_next has shape %r; the layer's output is %r"
                         % (grad.shape, (X.shape[0], W.shape[1])))
    ctx = default_context()
    with ctx._lock:
        xt, wt = _upload(ctx, "layer_x", X), _upload(ctx, "layer_W", W)
        gt = _upload(ctx, "layer_g", grad)
        dW = ctx._scratch_tensor("ddW", W.shape)
        db = ctx._scratch_tensor("ddb", (1, W.shape[1]))
        dx = ctx._scratch_tensor("ddx", X.shape)
        if X.shape[0] == 0:
            dW.fill(0.0), db.fill(0.0)
        else:
            ops.dense_backward(xt, wt, gt, None, dW=dW, db=db, dx=dx)
        wd = W.dtype if W.dtype.kind == "f" else np.float64
        return (dW.get().astype(wd, copy=False), db.get().astype(wd, copy=False),
                _result(dx.get(), X.shape, grad.dtype))
