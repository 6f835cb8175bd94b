"""nnact: libnnact-cl from Python -- neural-network arithmetic on any OpenCL
device (pocl on a CPU, or an AMD, Intel or NVIDIA GPU).

Three tiers:
  * nnact.compat.{activations, nnfs, vanillanets, mpneuralnetwork}: the
    NumPy "from scratch" libraries' own APIs, NumPy in and out;
  * device tensors: Context, Tensor and every operation of the C API
    (act_forward, softmax, gemm, dense_forward, loss, optim_step, ...);
  * the model: MLP with fit / evaluate / predict / save / load.

Arithmetic is float32 on the device (storage float32 or float16); NumPy
results come back in the input's float dtype.
"""
from ._lib import HEADER_VERSION as __version__, LIBRARY_VERSION as library_version
from ._lib import stats as _stats
from .errors import (NnactError, InvalidArgumentError, ShapeError, DeviceNotFoundError,
                     DeviceMemoryError, BuildError, UnsupportedError, NnactIOError,
                     OpenCLError, CommError)
from .context import (Context, Device, devices, select_device, default_context,
                      set_default_context)
from .tensor import Tensor
from .ops import (Act, Loss, Optimizer, LOSS_SUMS, act, activation_names, act_forward,
                  act_backward, softmax, softmax_backward, log_softmax,
                  log_softmax_backward, prelu, prelu_backward, gemm, dense_forward,
                  dense_backward, loss, loss_accumulate, loss_sums_read, optim_step,
                  gather_rows)
from .model import MLP
from .data import read_idx, load_fashion_mnist, spiral


def plot_history(history, path, title=None):
    """Loss and accuracy curves of MLP.fit's history (needs matplotlib)."""
    from .plot import plot_history as _plot
    return _plot(history, path, title)


def asarray(a, dtype="float32", ctx=None):
    """A Tensor on ctx (default: the default context)."""
    return (ctx or default_context()).asarray(a, dtype)


def empty(shape, dtype="float32", ctx=None):
    return (ctx or default_context()).empty(shape, dtype)
