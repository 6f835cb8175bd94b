"""Every status maps to its own exception class, which is also the builtin
a Python user expects, carries the C message, and pickles."""
import pickle

import numpy as np
import pytest

import nnact
from nnact import errors
from nnact._lib import lib

CASES = [
    (lib.NNACT_ERR_INVALID_ARG, nnact.InvalidArgumentError, ValueError),
    (lib.NNACT_ERR_SHAPE, nnact.ShapeError, ValueError),
    (lib.NNACT_ERR_NO_PLATFORM, nnact.DeviceNotFoundError, RuntimeError),
    (lib.NNACT_ERR_DEVICE_NOT_FOUND, nnact.DeviceNotFoundError, RuntimeError),
    (lib.NNACT_ERR_OUT_OF_MEMORY, nnact.DeviceMemoryError, MemoryError),
    (lib.NNACT_ERR_BUILD, nnact.BuildError, RuntimeError),
    (lib.NNACT_ERR_UNSUPPORTED, nnact.UnsupportedError, RuntimeError),
    (lib.NNACT_ERR_IO, nnact.NnactIOError, OSError),
    (lib.NNACT_ERR_OPENCL, nnact.OpenCLError, RuntimeError),
    (lib.NNACT_ERR_COMM, nnact.CommError, RuntimeError),
]


@pytest.mark.parametrize("status,cls,builtin", CASES)
def test_status_maps_to_class(status, cls, builtin):
    e = errors.error_for(status)
    assert type(e) is cls
    assert isinstance(e, builtin) and isinstance(e, nnact.NnactError)
    assert e.code == status and e.status.startswith("NNACT_ERR_")
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is cls and str(e2) == str(e) and e2.status == e.status


def test_every_status_is_covered():
    names = [n for n in dir(lib) if n.startswith("NNACT_ERR_")]
    assert sorted(getattr(lib, n) for n in names) == sorted(c[0] for c in CASES)


def test_invalid_argument_message(ctx):
    x = ctx.asarray(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="unknown activation 'nosuch'") as ei:
        nnact.act_forward(x, "nosuch")
    assert ei.value.status == "NNACT_ERR_INVALID_ARG"
    with pytest.raises(nnact.InvalidArgumentError, match="temperature"):
        nnact.softmax(x, temperature=0.0)
    with pytest.raises(nnact.InvalidArgumentError):
        nnact.softmax(x, temperature=float("nan"))


def test_shape_error(ctx):
    x = ctx.asarray(np.zeros((2, 3), np.float32))
    y = ctx.empty((3, 2))
    with pytest.raises(nnact.ShapeError) as ei:
        nnact.act_forward(x, "relu", out=y)
    assert isinstance(ei.value, ValueError) and ei.value.status == "NNACT_ERR_SHAPE"
    with pytest.raises(nnact.ShapeError, match="2x3"):
        nnact.gemm(x, x)


def test_device_not_found():
    with pytest.raises(nnact.DeviceNotFoundError, match="no-such-device-xyz") as ei:
        nnact.Context("no-such-device-xyz")
    assert isinstance(ei.value, RuntimeError)


def test_io_error(tmp_path):
    with pytest.raises(nnact.NnactIOError) as ei:
        nnact.read_idx(str(tmp_path / "missing.idx"))
    assert isinstance(ei.value, OSError)
    bad = tmp_path / "bad.nnact"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(OSError):
        nnact.MLP.load(str(bad))


def test_out_of_memory_or_shape(ctx):
    # 2^31 x 2^31 floats: beyond any device; the library says so instead of crashing
    with pytest.raises((MemoryError, ValueError)):
        ctx.empty((1 << 31, 1 << 31))
