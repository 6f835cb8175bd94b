"""Device tensors: 2-D, row-major, float32 or float16 storage.

No implicit conversion to NumPy (CuPy's rule: a silent copy hides slow
code): np.asarray(tensor) raises TypeError, .get() copies to the host.
Host data reaches the device with no host copy when it is a C-contiguous
array of the tensor's dtype, and with exactly one copy otherwise
(nnact._stats["host_copies"] counts them).
"""
import numpy as np

from ._lib import ffi, lib, stats
from .errors import InvalidArgumentError, ShapeError, check

DTYPES = {"float32": lib.NNACT_F32, "float16": lib.NNACT_F16}
_ALIASES = {"float32": "float32", "f32": "float32", "float": "float32",
            "float16": "float16", "f16": "float16", "half": "float16"}
_NP = {"float32": np.float32, "float16": np.float16}


def _invalid(msg):
    return InvalidArgumentError(msg, "NNACT_ERR_INVALID_ARG", lib.NNACT_ERR_INVALID_ARG)


def dtype_name(dtype):
    """'float32' or 'float16' for any spelling (a str or a NumPy dtype)."""
    if isinstance(dtype, str):
        key = dtype.lower()
    else:
        try:
            key = np.dtype(dtype).name
        except TypeError:
            key = None
    if key not in _ALIASES:
        raise _invalid("unknown storage dtype %r: use 'float32' or 'float16'" % (dtype,))
    return _ALIASES[key]


def check_float_array(a, what="the input"):
    """a as an ndarray of a floating dtype; TypeError for anything else
    (ints, bools, complex, objects are refused rather than guessed at)."""
    if isinstance(a, Tensor):
        raise TypeError("%s is an nnact.Tensor where a NumPy array is expected" % what)
    arr = np.asarray(a) if not isinstance(a, np.ndarray) else a
    if arr.dtype.kind != "f" or arr.dtype.itemsize not in (2, 4, 8):
        raise TypeError("%s has dtype %s: nnact computes on float16/32/64 data; convert "
                        "with .astype(np.float32)" % (what, arr.dtype))
    return arr


def host_buffer(a, np_dtype):
    """a as a C-contiguous array of np_dtype: the same memory when it already
    is one (no copy), else exactly one converting copy."""
    if (a.dtype == np_dtype and a.flags.c_contiguous and a.flags.aligned):
        return a
    stats["host_copies"] += 1
    return np.ascontiguousarray(a, dtype=np_dtype)


def _shape2(shape):
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError:
        shape = (1, int(shape))
    if len(shape) == 1:
        shape = (1, shape[0])
    if len(shape) != 2 or shape[0] < 0 or shape[1] < 0:
        raise ShapeError("nnact tensors are 2-D (rows, cols); got shape %r" % (shape,),
                         "NNACT_ERR_SHAPE", lib.NNACT_ERR_SHAPE)
    return shape


class Tensor:
    """A 2-D array on a Context's device. Keeps its Context alive."""

    __array_ufunc__ = None  # NumPy refuses instead of making object arrays
    __slots__ = ("ctx", "_h", "shape", "dtype", "_owner", "__weakref__")

    def __init__(self, *a, **k):
        raise TypeError("make tensors with ctx.asarray(a) or ctx.empty(shape)")

    @classmethod
    def _wrap(cls, ctx, handle, dtype, owner=None):
        t = object.__new__(cls)
        t.ctx, t._h, t._owner = ctx, handle, owner
        t.shape = (int(lib.nnact_tensor_rows(handle)), int(lib.nnact_tensor_cols(handle)))
        t.dtype = dtype
        ctx._children.add(t)
        return t

    @classmethod
    def _create(cls, ctx, shape, dtype="float32"):
        rows, cols = _shape2(shape)
        dtype = dtype_name(dtype)
        out = ffi.new("nnact_tensor **")
        with ctx._lock:
            check(lib.nnact_tensor_create_typed(ctx._handle(), rows, cols, DTYPES[dtype], out))
            return cls._wrap(ctx, out[0], dtype)

    @classmethod
    def _from_host(cls, ctx, a, dtype="float32"):
        arr = check_float_array(a)
        if arr.ndim > 2:
            raise ShapeError("nnact tensors are 2-D; got an array of shape %r (reshape it)"
                             % (arr.shape,), "NNACT_ERR_SHAPE", lib.NNACT_ERR_SHAPE)
        shape = _shape2(arr.shape if arr.ndim else (1, 1))
        t = cls._create(ctx, shape, dtype)
        t.set(arr.reshape(shape))
        return t

    @classmethod
    def _borrowed(cls, ctx, handle, owner):
        """A view of a tensor another object owns (a model's weights)."""
        return cls._wrap(ctx, handle, "float32", owner)

    # -- lifetime ---------------------------------------------------------
    def _release(self):
        h, self._h = self._h, ffi.NULL
        if h != ffi.NULL and self._owner is None:
            lib.nnact_tensor_destroy(h)

    def __del__(self):
        try:
            ctx = self.ctx
            with ctx._lock:
                self._release()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def _handle(self):
        """The C handle (call under the context's lock)."""
        if self._h == ffi.NULL:
            raise _invalid("this nnact.Tensor was released (its Context or model is closed)")
        if self._owner is not None and getattr(self._owner, "_h", None) == ffi.NULL:
            raise _invalid("this nnact.Tensor belongs to a closed model")
        self.ctx._handle()
        return self._h

    # -- NumPy interop ----------------------------------------------------
    def __array__(self, *args, **kwargs):
        raise TypeError("implicit conversion of an nnact.Tensor to a NumPy array is not "
                        "allowed: use .get() to copy it to the host")

    def get(self, out=None):
        """Copies the tensor to the host (waits for queued work): a new array
        of the storage dtype, or into out (C-contiguous, same shape and
        dtype: no allocation)."""
        npd = _NP[self.dtype]
        if out is None:
            out = np.empty(self.shape, dtype=npd)
        else:
            if not isinstance(out, np.ndarray):
                raise TypeError("out must be a NumPy array")
            if out.dtype != npd:
                raise TypeError("out has dtype %s; this tensor stores %s"
                                % (out.dtype, self.dtype))
            if out.shape != self.shape and not (out.size == self.shape[0] * self.shape[1]
                                                and out.ndim == 1 and self.shape[0] <= 1):
                raise ValueError("out has shape %r; the tensor is %r" % (out.shape, self.shape))
            if not (out.flags.c_contiguous and out.flags.writeable):
                raise ValueError("out must be a writeable C-contiguous array")
        if out.size:
            with self.ctx._lock:
                h = self._handle()
                buf = ffi.from_buffer("float[]" if self.dtype == "float32" else "char[]",
                                      out, require_writable=True)
                if self.dtype == "float32":
                    check(lib.nnact_tensor_read(h, buf))
                else:
                    check(lib.nnact_tensor_read_raw(h, buf))
                stats["blocking_reads"] += 1
        return out

    def set(self, a):
        """Copies host data of this tensor's shape to the device (blocking)."""
        arr = check_float_array(a)
        if arr.size != self.shape[0] * self.shape[1] or (
                arr.ndim == 2 and arr.shape != self.shape) or arr.ndim > 2:
            raise ShapeError("the array has shape %r; the tensor is %r"
                             % (arr.shape, self.shape), "NNACT_ERR_SHAPE",
                             lib.NNACT_ERR_SHAPE)
        if arr.size == 0:
            return self
        if self.dtype == "float16" and arr.dtype == np.float16:
            src = host_buffer(arr, np.float16)
            raw = True
        else:
            src = host_buffer(arr, np.float32)  # F16 tensors round on the host (RNE)
            raw = False
        with self.ctx._lock:
            h = self._handle()
            if raw:
                check(lib.nnact_tensor_write_raw(h, ffi.from_buffer("char[]", src)))
            else:
                check(lib.nnact_tensor_write(h, ffi.from_buffer("float[]", src)))
        return self

    def fill(self, value):
        """Sets every element to value (enqueued)."""
        with self.ctx._lock:
            check(lib.nnact_tensor_fill(self._handle(), float(value)))
        return self

    @property
    def size(self):
        return self.shape[0] * self.shape[1]

    @property
    def nbytes(self):
        return self.size * (4 if self.dtype == "float32" else 2)

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        return "<nnact.Tensor %dx%d %s on '%s'>" % (self.shape + (self.dtype,
                                                              self.ctx.device.name))
