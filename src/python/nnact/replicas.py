"""MLP.fit(devices=[...]): data parallelism over several devices of this
process, as nnact-train --devices does. Replica 0 is the model itself; the
others are copies on their own contexts (made through a model file, so
activation parameters come along). Each step's batch is cut into shards in
order (the remainder to the first), every replica backprops its shard
without waiting, nnact_mlps_allreduce_grads sums the shard gradients in
replica order weighted by their rows, and every replica takes the same
step. One thread drives every device (CLBlast 1.5.3 is not safe with
several devices on several threads); the queues still run at once.
"""
import contextlib
import os
import tempfile

import numpy as np

from ._lib import ffi, lib
from .context import Context, Device, select_device
from .errors import InvalidArgumentError, check


def _invalid(msg):
    return InvalidArgumentError(msg, "NNACT_ERR_INVALID_ARG", lib.NNACT_ERR_INVALID_ARG)


def _selector(d):
    if isinstance(d, Context):
        return d.device.selector
    if isinstance(d, Device):
        return d.selector
    if isinstance(d, str):
        return select_device(d).selector
    raise _invalid("devices entries are Contexts, Devices or selectors, not %s"
                   % type(d).__name__)


class Replicas:
    """The replicas of one fit: their contexts, models, data and sums."""

    def __init__(self, model, devices, x, t, batch):
        devices = list(devices)
        if not devices:
            raise _invalid("devices is empty: give the model's own device first")
        first = devices[0]
        if first is not model.ctx and _selector(first) != model.ctx.device.selector:
            raise _invalid("devices[0] must be the model's own device (%s), not %r"
                           % (model.ctx.device.selector, first))
        self.n = len(devices)
        self._owned = []  # contexts made here, closed with the replicas
        self.ctxs, self.models = [model.ctx], [model]
        from .model import MLP  # model.py imports this module
        path = None
        try:
            if self.n > 1:
                fd, path = tempfile.mkstemp(suffix=".nnact")
                os.close(fd)
                model.save(path)
            for d in devices[1:]:
                ctx = d if isinstance(d, Context) else Context(d)
                if ctx is not d:
                    self._owned.append(ctx)
                if any(ctx is c for c in self.ctxs):
                    raise _invalid("devices lists one Context twice: each replica "
                                   "needs its own")
                m = MLP.load(path, ctx=ctx)
                m.storage = model.storage
                self.ctxs.append(ctx)
                self.models.append(m)
        except BaseException:
            self.close()
            raise
        finally:
            if path:
                os.unlink(path)
        xh, th = (x.get(), t.get()) if self.n > 1 else (None, None)
        rows = (batch + self.n - 1) // self.n
        self.x, self.t, self.xb, self.tb, self.sums = [], [], [], [], []
        for r, ctx in enumerate(self.ctxs):
            self.x.append(x if r == 0 else ctx.asarray(xh))
            self.t.append(t if r == 0 else ctx.asarray(th))
            self.xb.append(ctx.empty((rows, x.shape[1])))
            self.tb.append(ctx.empty((rows, t.shape[1])))
            self.sums.append(ctx.empty((1, lib.NNACT_LOSS_SUMS)))
        self._views = [None] * self.n
        self._handles = ffi.new("nnact_mlp *[]", [m._h for m in self.models])
        self._zeros = None

    def locks(self):
        """Every replica's context lock, held together; leaving it closes
        the replicas (the model itself stays)."""
        stack = contextlib.ExitStack()
        stack.callback(self.close)
        for c in self.ctxs:
            stack.enter_context(c._lock)
        return stack

    def _view(self, r, rows):
        v = self._views[r]
        if v is None or v[0].shape[0] != rows:
            m = self.models[r]
            v = self._views[r] = (m._view(self.xb[r], rows), m._view(self.tb[r], rows))
        return v

    def _shards(self, cperm, start, rows, loss, accumulate):
        """Backprops every replica's shard; the weights rows_r / rows."""
        w = []
        first = 0
        for r in range(self.n):
            m = rows // self.n + (r < rows % self.n)
            w.append(m / rows)
            h = self.models[r]._h
            if m == 0:  # a last batch smaller than the replica count
                if self._zeros is None:
                    self._zeros = ffi.new("float[]", int(lib.nnact_mlp_param_count(h)))
                check(lib.nnact_mlp_grads_write(h, 0, len(self._zeros), self._zeros))
                continue
            xs, ts = self._view(r, m)
            idx = cperm + start + first
            check(lib.nnact_tensor_gather_rows(xs._h, self.x[r]._h, idx))
            check(lib.nnact_tensor_gather_rows(ts._h, self.t[r]._h, idx))
            if accumulate:
                check(lib.nnact_mlp_backprop_accumulate(h, xs._h, ts._h, loss._c,
                                                        self.sums[r]._h))
            else:
                lv, av = ffi.new("float *"), ffi.new("float *")
                check(lib.nnact_mlp_backprop(h, xs._h, ts._h, loss._c, lv, av))
            first += m
        return w

    def warm_up(self, cperm, rows, loss):
        """Every device compiles its kernels on its shard of the first batch."""
        self._shards(cperm, 0, rows, loss, False)

    def step(self, cperm, start, rows, loss, opt):
        w = self._shards(cperm, start, rows, loss, True)
        check(lib.nnact_mlps_allreduce_grads(self._handles, self.n, ffi.new("float[]", w)))
        for m in self.models:
            check(lib.nnact_mlp_apply(m._h, opt._c))

    def zero_sums(self):
        for s in self.sums:
            check(lib.nnact_tensor_fill(s._h, 0.0))

    def merged_sums(self):
        """Replica 0's sums tensor holding every replica's (the epoch's read)."""
        if self.n > 1:
            total = np.sum([s.get() for s in self.sums], axis=0, dtype=np.float32)
            check(lib.nnact_tensor_write(self.sums[0]._h,
                                         ffi.from_buffer("float[]", np.ascontiguousarray(total))))
        return self.sums[0]

    def close(self):
        for m in self.models[1:]:
            m.close()
        for c in self._owned:
            c.close()
        self.models, self._owned = self.models[:1], []
