"""The multi-layer perceptron: nnact.MLP over nnact_mlp.

Data for fit/evaluate/predict are NumPy arrays (or Tensors). fit uploads
the training set once, gathers each batch on the device by the epoch's
permutation and reads the loss sums back once per epoch, as nnact-train
does; models save in nnact-train's file format, so they move both ways.
"""
import math
import os
import sys
import time

import numpy as np

from ._lib import ffi, lib, stats
from .context import default_context
from .errors import InvalidArgumentError, check
from .ops import Loss, Optimizer
from .replicas import Replicas
from .tensor import Tensor, check_float_array, dtype_name, DTYPES


def _invalid(msg):
    return InvalidArgumentError(msg, "NNACT_ERR_INVALID_ARG", lib.NNACT_ERR_INVALID_ARG)


def _features(ctx, X, n_in, what="X"):
    """X (n x n_in floats, finite) as a device tensor."""
    if isinstance(X, Tensor):
        if X.shape[1] != n_in:
            raise ValueError("%s has %d columns; the model takes %d" % (what, X.shape[1], n_in))
        return X
    arr = check_float_array(X, what)
    if arr.ndim == 1 and n_in == arr.shape[0]:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != n_in:
        raise ValueError("%s has shape %r; the model takes (n, %d)" % (what, arr.shape, n_in))
    if not np.all(np.isfinite(arr)):
        raise ValueError("%s holds NaN or inf values" % what)
    return ctx.asarray(arr)


def _targets(ctx, y, n, n_out, what="y"):
    """(tensor, loss name): integer labels -> batch x 1 labels with sparse
    CCE; a float n x n_out array (one-hot or probabilities) -> CCE."""
    if isinstance(y, Tensor):
        if y.shape[0] != n:
            raise ValueError("%s has %d rows; X has %d" % (what, y.shape[0], n))
        return y, ("sparse_cce" if y.shape[1] == 1 and n_out > 1 else "cce")
    arr = np.asarray(y)
    if arr.shape[:1] != (n,):
        raise ValueError("%s has %d rows; X has %d" % (what, arr.shape[0] if arr.ndim else 0, n))
    if arr.dtype.kind in "iu" or (arr.ndim == 1 and arr.dtype.kind == "f"):
        labels = arr.reshape(-1)
        if arr.dtype.kind == "f" and not np.all(np.isfinite(labels) &
                                                (labels == np.floor(labels))):
            raise ValueError("%s: labels must be integers" % what)
        if labels.size and (labels.min() < 0 or labels.max() >= n_out):
            bad = int(np.argmax((labels < 0) | (labels >= n_out)))
            raise ValueError("%s: label %r at row %d is outside [0, %d)"
                             % (what, labels[bad].item(), bad, n_out))
        return ctx.asarray(labels.astype(np.float32).reshape(-1, 1)), "sparse_cce"
    arr = check_float_array(arr, what)
    if arr.ndim != 2 or arr.shape[1] != n_out:
        raise ValueError("%s has shape %r: give (n,) integer labels or an (n, %d) float "
                         "array" % (what, arr.shape, n_out))
    if not np.all(np.isfinite(arr)):
        raise ValueError("%s holds NaN or inf values" % what)
    return ctx.asarray(arr), "cce"


class MLP:
    """Dense layers sizes[0] -> ... -> sizes[-1] on a Context's device.

    activations: one name per layer (len(sizes) - 1), or one name for every
    hidden layer with softmax last (as nnact-train builds it). Weights are
    drawn from seed on the host (same seed, same weights on any device).
    storage="float16" stores the per-batch activations as halves with
    dynamic loss scaling; weights stay float32.
    """

    def __init__(self, sizes, activations="relu", seed=0, ctx=None, storage="float32"):
        self.ctx = ctx or default_context()
        self._h = ffi.NULL
        self.sizes, self.activations = [], []
        sizes = [int(s) for s in sizes]
        if isinstance(activations, str):
            activations = [activations] * (len(sizes) - 2) + ["softmax"]
        activations = list(activations)
        if len(activations) != len(sizes) - 1:
            raise _invalid("%d layer sizes need %d activations, got %d"
                           % (len(sizes), len(sizes) - 1, len(activations)))
        if any(s <= 0 for s in sizes):
            raise _invalid("layer sizes must be >= 1: %r" % (sizes,))
        c_sizes = ffi.new("size_t[]", sizes)
        names = [ffi.new("char[]", str(a).encode()) for a in activations]
        c_acts = ffi.new("const char *[]", names)
        out = ffi.new("nnact_mlp **")
        with self.ctx._lock:
            check(lib.nnact_mlp_create(self.ctx._handle(), c_sizes, len(sizes), c_acts,
                                       int(seed), out))
            self._adopt(out[0])
        self.seed = int(seed)
        self.storage = storage

    def _adopt(self, handle):
        self._h = handle
        self.ctx._children.add(self)
        self.sizes = [int(lib.nnact_mlp_size(handle, i))
                      for i in range(lib.nnact_mlp_depth(handle) + 1)]
        self.activations = [ffi.string(lib.nnact_act_name(lib.nnact_mlp_act(handle, i).kind))
                            .decode() for i in range(len(self.sizes) - 1)]

    @classmethod
    def load(cls, path, ctx=None):
        """A model saved by MLP.save or nnact-train --save."""
        self = object.__new__(cls)
        self.ctx = ctx or default_context()
        self._h = ffi.NULL
        self.sizes, self.activations = [], []
        out = ffi.new("nnact_mlp **")
        with self.ctx._lock:
            check(lib.nnact_mlp_load(self.ctx._handle(), os.fsencode(path), out))
            self._adopt(out[0])
        self.seed = None
        return self

    # -- lifetime ---------------------------------------------------------
    def _release(self):
        h, self._h = self._h, ffi.NULL
        if h != ffi.NULL:
            lib.nnact_mlp_destroy(h)

    def close(self):
        with self.ctx._lock:
            self._release()

    def __del__(self):
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def _handle(self):
        if self._h == ffi.NULL:
            raise _invalid("this nnact.MLP is closed")
        self.ctx._handle()
        return self._h

    def __repr__(self):
        if self._h == ffi.NULL:
            return "<nnact.MLP (closed)>"
        return "<nnact.MLP %s (%s) storage %s>" % (
            "-".join(map(str, self.sizes)), ",".join(self.activations), self.storage)

    # -- properties -------------------------------------------------------
    @property
    def storage(self):
        with self.ctx._lock:
            return "float16" if lib.nnact_mlp_storage(self._handle()) == lib.NNACT_F16 \
                else "float32"

    @storage.setter
    def storage(self, dtype):
        with self.ctx._lock:
            check(lib.nnact_mlp_set_storage(self._handle(), DTYPES[dtype_name(dtype)]))

    @property
    def depth(self):
        return len(self.sizes) - 1

    def _param(self, getter, layer):
        if not 0 <= layer < self.depth:
            raise IndexError("layer %d of a %d-layer model" % (layer, self.depth))
        with self.ctx._lock:
            return Tensor._borrowed(self.ctx, getter(self._handle(), layer), self)

    @property
    def weights(self):
        """Layer i's W (in x out) as Tensors owned by the model."""
        return [self._param(lib.nnact_mlp_weights, i) for i in range(self.depth)]

    @property
    def biases(self):
        return [self._param(lib.nnact_mlp_bias, i) for i in range(self.depth)]

    @property
    def loss_scale(self):
        with self.ctx._lock:
            return lib.nnact_mlp_loss_scale(self._handle())

    @property
    def skipped_steps(self):
        with self.ctx._lock:
            return int(lib.nnact_mlp_skipped_steps(self._handle()))

    # -- inference --------------------------------------------------------
    def forward(self, X, out=None):
        """The network's output on X: a NumPy array in X's float dtype, or a
        Tensor when X is one (out= a Tensor to write into)."""
        as_tensor = isinstance(X, Tensor)
        x = _features(self.ctx, X, self.sizes[0])
        with self.ctx._lock:
            y = out if out is not None else self.ctx.empty((x.shape[0], self.sizes[-1]))
            if x.shape[0]:
                check(lib.nnact_mlp_forward(self._handle(), x._handle(), y._handle()))
        if as_tensor:
            return y
        res = y.get()
        dt = np.asarray(X).dtype
        return res if dt == np.float32 else res.astype(dt)

    predict = forward

    def evaluate(self, X, y):
        """(mean loss, accuracy) on X against labels or one-hot targets."""
        x = _features(self.ctx, X, self.sizes[0])
        t, lname = _targets(self.ctx, y, x.shape[0], self.sizes[-1])
        return self._evaluate(x, t, Loss(lname))

    def _evaluate(self, x, t, lo):
        value, acc = ffi.new("float *"), ffi.new("float *")
        with self.ctx._lock:
            check(lib.nnact_mlp_evaluate(self._handle(), x._handle(), t._handle(), lo._c,
                                         value, acc))
        stats["blocking_reads"] += 1
        return float(value[0]), float(acc[0])

    # -- training ---------------------------------------------------------
    def fit(self, X, y, epochs=10, batch_size=128, optimizer="adam", lr=None,
            validation=None, progress=True, schedule="cosine", shuffle=True, seed=None,
            devices=None):
        """Trains on X (n x sizes[0]) against y ((n,) integer labels or an
        (n, classes) float array) and returns the history: one dict per
        epoch with loss, accuracy (training, averaged over the epoch),
        val_loss, val_accuracy (when validation=(Xv, yv)) and seconds.

        optimizer: a name ("adam", "adamw", "sgd", "momentum", "nesterov")
        or an nnact.Optimizer; lr: its learning rate (None: the optimizer's
        default), decayed over the run by schedule "cosine" (nnact-train's
        default) or kept "constant". The last partial batch trains too.

        devices: data parallelism, one replica per entry (a Context, Device
        or selector; the first is the model's own device): batch_size stays
        the global batch, cut into one shard per replica in order, and the
        shard gradients are summed in replica order (nnact_mlps_allreduce_grads)
        before every replica takes the same step (doc/distributed.md)."""
        ctx = self.ctx
        x = _features(ctx, X, self.sizes[0])
        n = x.shape[0]
        t, lname = _targets(ctx, y, n, self.sizes[-1])
        lo = Loss(lname)
        opt = Optimizer(optimizer, lr=lr)
        if schedule not in ("cosine", "constant"):
            raise _invalid("schedule is 'cosine' or 'constant', not %r" % (schedule,))
        B = int(batch_size)
        if B < 1 or B > max(n, 1):
            raise _invalid("batch_size %d must be in [1, %d] (the training samples)" % (B, n))
        if int(epochs) < 0:
            raise _invalid("epochs must be >= 0")
        if n == 0:
            raise _invalid("no training samples")
        val = None
        if validation is not None:
            Xv, yv = validation
            xv = _features(ctx, Xv, self.sizes[0], "validation X")
            tv, vname = _targets(ctx, yv, xv.shape[0], self.sizes[-1], "validation y")
            val = (xv, tv, Loss(vname))
        rng = np.random.default_rng(self.seed if seed is None else seed)
        part = n % B
        history = []
        reps = Replicas(self, devices, x, t, B) if devices is not None else None
        with reps.locks() if reps else ctx._lock:
            h = self._handle()
            xb, tb = ctx.empty((B, x.shape[1])), ctx.empty((B, t.shape[1]))
            xp = tp = None
            if part:
                xp = self._view(xb, part)
                tp = self._view(tb, part)
            sums = reps.sums[0] if reps else ctx.empty((1, lib.NNACT_LOSS_SUMS))
            base_lr = opt.lr
            steps_per_epoch = (n + B - 1) // B
            total = float(epochs) * steps_per_epoch
            step = 0
            perm = np.arange(n, dtype=np.uintp)
            for e in range(1, int(epochs) + 1):
                if shuffle:
                    perm = rng.permutation(n).astype(np.uintp)
                cperm = ffi.from_buffer("size_t[]", perm)
                if e == 1 and reps:  # compile kernels before the clock starts
                    reps.warm_up(cperm, min(B, n), lo)
                elif e == 1:
                    self._warm_up(x, t, xb, tb, cperm, lo, B, part, xp, tp)
                t0 = time.perf_counter()
                check(lib.nnact_tensor_fill(sums._h, 0.0))
                if reps:
                    reps.zero_sums()
                for s in range(steps_per_epoch):
                    start = s * B
                    full = start + B <= n
                    if schedule == "cosine":
                        opt._c.lr = base_lr * 0.5 * (1.0 + math.cos(math.pi * step / total))
                    step += 1
                    if reps:  # each replica gathers its own shard
                        reps.step(cperm, start, B if full else part, lo, opt)
                        continue
                    xs, ts = (xb, tb) if full else (xp, tp)
                    check(lib.nnact_tensor_gather_rows(xs._h, x._h, cperm + start))
                    check(lib.nnact_tensor_gather_rows(ts._h, t._h, cperm + start))
                    check(lib.nnact_mlp_train_step_accumulate(h, xs._h, ts._h, lo._c, opt._c,
                                                              sums._h))
                if reps:
                    reps.merged_sums()
                value, acc = ffi.new("float *"), ffi.new("float *")
                check(lib.nnact_loss_sums_read(sums._h, value, acc))
                stats["blocking_reads"] += 1
                secs = time.perf_counter() - t0
                if not math.isfinite(value[0]):
                    raise FloatingPointError(
                        "training diverged in epoch %d: the loss is %g; try a smaller lr "
                        "(it was %g)" % (e, value[0], base_lr))
                rec = {"epoch": e, "loss": float(value[0]), "accuracy": float(acc[0]),
                       "seconds": secs}
                if val is not None:
                    rec["val_loss"], rec["val_accuracy"] = self._evaluate(*val)
                history.append(rec)
                if progress:
                    line = "epoch %2d/%d  loss %.4f  acc %.4f" % (e, epochs, rec["loss"],
                                                                 rec["accuracy"])
                    if val is not None:
                        line += "  val acc %.4f" % rec["val_accuracy"]
                    print(line + "  %.2f s" % secs, file=sys.stdout, flush=True)
            opt._c.lr = base_lr
        return history

    train = fit

    def _view(self, t, rows):
        out = ffi.new("nnact_tensor **")
        check(lib.nnact_tensor_wrap(self.ctx._handle(), lib.nnact_tensor_buffer(t._h), 0,
                                    rows, t.shape[1], out))
        return Tensor._wrap(self.ctx, out[0], "float32")

    def _warm_up(self, x, t, xb, tb, cperm, lo, B, part, xp, tp):
        """One forward and backward pass (gradients only; the weights stay)
        on the first batch, so epoch 1 does not pay for kernel builds."""
        xs, ts = (xb, tb) if x.shape[0] >= B else (xp, tp)
        check(lib.nnact_tensor_gather_rows(xs._h, x._h, cperm))
        check(lib.nnact_tensor_gather_rows(ts._h, t._h, cperm))
        lv, av = ffi.new("float *"), ffi.new("float *")
        check(lib.nnact_mlp_backprop(self._h, xs._h, ts._h, lo._c, lv, av))

    # -- files ------------------------------------------------------------
    def save(self, path):
        """Saves in nnact-train's format (atomically; CRC-checked)."""
        with self.ctx._lock:
            check(lib.nnact_mlp_save(self._handle(), os.fsencode(path)))
