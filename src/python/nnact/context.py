"""Devices and contexts.

A Context is one OpenCL device with its in-order queue. The C contract is
one thread per context at a time; each Context serialises its calls with a
lock instead, so sharing one between Python threads is safe (cffi releases
the GIL during every call, so other threads run while one waits).
"""
import atexit
import os
import threading
import weakref
from dataclasses import dataclass

from ._lib import ffi, lib
from .errors import InvalidArgumentError, check

_DEVICE_TYPES = {lib.NNACT_DEVICE_CPU: "cpu", lib.NNACT_DEVICE_GPU: "gpu",
                 lib.NNACT_DEVICE_ACCELERATOR: "accelerator",
                 lib.NNACT_DEVICE_OTHER: "other"}


@dataclass(frozen=True)
class Device:
    """One OpenCL device as nnact-info lists it; "P:D" selects it."""

    platform_index: int
    device_index: int
    platform_name: str
    platform_version: str
    name: str
    vendor: str
    driver_version: str
    type: str
    global_mem_bytes: int
    compute_units: int
    fp16: bool
    fp64: bool
    host_unified_memory: bool
    native_float_width: int

    @property
    def selector(self):
        return "%d:%d" % (self.platform_index, self.device_index)

    @classmethod
    def _from_c(cls, d):
        s = lambda field: ffi.string(field).decode("utf-8", "replace")
        return cls(int(d.platform_index), int(d.device_index), s(d.platform_name),
                   s(d.platform_version), s(d.device_name), s(d.vendor),
                   s(d.driver_version), _DEVICE_TYPES.get(d.type, "other"),
                   int(d.global_mem_bytes), int(d.compute_units), bool(d.fp16),
                   bool(d.fp64), bool(d.host_unified_memory), int(d.native_float_width))


def devices():
    """Every OpenCL device of every platform ([] when there is no platform)."""
    count = ffi.new("size_t *")
    check(lib.nnact_devices(ffi.NULL, 0, count))
    n = count[0]
    if n == 0:
        return []
    out = ffi.new("nnact_device_info[]", n)
    check(lib.nnact_devices(out, n, count))
    return [Device._from_c(out[i]) for i in range(min(n, count[0]))]


def select_device(selector=None):
    """The device a Context(selector) would use (None: NNACT_DEVICE, then auto)."""
    info = ffi.new("nnact_device_info *")
    check(lib.nnact_device_select(_cstr(selector), info))
    return Device._from_c(info[0])


def _cstr(s):
    if s is None:
        return ffi.NULL
    if not isinstance(s, str):
        raise TypeError("a device selector is a str, not %s" % type(s).__name__)
    return s.encode()


class Context:
    """An OpenCL device and its queue.

    Context(device=None): device is a selector in the NNACT_DEVICE grammar
    ("auto", "cpu", "gpu", "pocl", "nvidia", "P:D", a name substring, or a
    comma-separated list of alternatives); None reads NNACT_DEVICE. Usable
    as a context manager; close() releases the device (tensors of a closed
    context raise on use).
    """

    def __init__(self, device=None):
        self._lock = threading.RLock()
        self._h = ffi.NULL
        self._children = weakref.WeakSet()  # tensors and models to release first
        self._scratch = {}
        if isinstance(device, Device):
            device = device.selector
        out = ffi.new("nnact_ctx **")
        check(lib.nnact_ctx_create(out, _cstr(device)))
        self._h = out[0]
        self.device = Device._from_c(lib.nnact_ctx_device(self._h)[0])

    # -- lifetime ---------------------------------------------------------
    def close(self):
        """Waits for queued work, releases every tensor and model of this
        context, then the context itself. Idempotent."""
        with self._lock:
            if self._h == ffi.NULL:
                return
            self._scratch.clear()
            for child in list(self._children):
                child._release()
            lib.nnact_ctx_destroy(self._h)
            self._h = ffi.NULL

    @property
    def closed(self):
        return self._h == ffi.NULL

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __repr__(self):
        state = "closed" if self.closed else "'%s'" % self.device.name
        return "<nnact.Context %s>" % state

    def _handle(self):
        """The C handle; raises if the context is closed. Call under _lock."""
        if self._h == ffi.NULL:
            raise InvalidArgumentError("the nnact.Context is closed",
                                       "NNACT_ERR_INVALID_ARG", lib.NNACT_ERR_INVALID_ARG)
        return self._h

    # -- device work ------------------------------------------------------
    def finish(self):
        """Blocks until all work enqueued on the context is done."""
        with self._lock:
            check(lib.nnact_ctx_finish(self._handle()))

    def asarray(self, a, dtype="float32"):
        """A device Tensor holding a (1-D becomes one row; 2-D only)."""
        from .tensor import Tensor
        return Tensor._from_host(self, a, dtype)

    def empty(self, shape, dtype="float32"):
        """A device Tensor of shape (rows, cols); contents undefined."""
        from .tensor import Tensor
        return Tensor._create(self, shape, dtype)

    def zeros(self, shape, dtype="float32"):
        t = self.empty(shape, dtype)
        t.fill(0.0)
        return t

    @property
    def tuning(self):
        """Where this context's CLBlast parameters came from, in words."""
        with self._lock:
            return ffi.string(lib.nnact_ctx_tuning(self._handle())).decode()

    def profile(self):
        """{category: (calls, seconds)} of device time when the context was
        created with NNACT_PROFILE=1 in the environment; {} otherwise."""
        with self._lock:
            h = self._handle()
            n = lib.nnact_ctx_profile(h, ffi.NULL, 0)
            out = ffi.new("nnact_profile_entry[]", max(n, 1))
            n = lib.nnact_ctx_profile(h, out, n)
            return {ffi.string(out[i].name).decode(): (int(out[i].calls), out[i].seconds)
                    for i in range(n)}

    def _scratch_tensor(self, key, shape, dtype="float32"):
        """A tensor reused by calls that read their result back before they
        return (the NumPy front ends), so they allocate once per shape.
        Call under _lock."""
        t = self._scratch.get(key)
        if t is None or t.shape != shape or t.dtype != dtype:
            t = self.empty(shape, dtype)
            if len(self._scratch) > 32:
                self._scratch.clear()
            self._scratch[key] = t
        return t


_default = None
_default_lock = threading.Lock()


def default_context():
    """The process's default Context, created on first use from NNACT_DEVICE."""
    global _default
    ctx = _default
    if ctx is not None and not ctx.closed:
        return ctx
    with _default_lock:
        if _default is None or _default.closed:
            _default = Context(os.environ.get("NNACT_DEVICE") or None)
        return _default


def set_default_context(ctx):
    """Makes ctx (a Context, or None to create one again on next use) the
    default for calls given NumPy arrays."""
    global _default
    if ctx is not None and not isinstance(ctx, Context):
        raise TypeError("set_default_context takes an nnact.Context or None")
    with _default_lock:
        _default = ctx


@atexit.register
def _close_default():
    ctx = _default
    if ctx is not None:
        ctx.close()
