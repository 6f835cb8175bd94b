"""read_idx on generated IDX files, the history pictures."""
import gzip
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import nnact

TRAIN = os.environ.get("NNACT_TRAIN")


def write_idx(path, arr, compress=False):
    data = struct.pack(">BBBB", 0, 0, 8, arr.ndim) + b"".join(
        struct.pack(">I", d) for d in arr.shape) + arr.astype(np.uint8).tobytes()
    (gzip.open if compress else open)(path, "wb").write(data)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx(tmp_path, compress):
    a = (np.arange(2 * 3 * 4) % 251).astype(np.uint8).reshape(2, 3, 4)
    p = tmp_path / ("a.idx" + (".gz" if compress else ""))
    write_idx(p, a, compress)
    got = nnact.read_idx(str(p))
    assert got.dtype == np.uint8 and got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, a)


def test_read_idx_truncated(tmp_path):
    p = tmp_path / "t.idx"
    write_idx(p, np.ones((4, 4), np.uint8))
    p.write_bytes(p.read_bytes()[:-3])
    with pytest.raises(OSError, match="truncated|short|end"):
        nnact.read_idx(str(p))


matplotlib = pytest.importorskip("matplotlib", reason="python3-matplotlib is optional")


def test_plot_history(tmp_path):
    hist = [{"epoch": e, "loss": 1.0 / e, "accuracy": 0.5 + e / 20, "val_loss": 1.1 / e,
             "val_accuracy": 0.5 + e / 25, "seconds": 0.1} for e in range(1, 6)]
    out = tmp_path / "curve.png"
    nnact.plot_history(hist, str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(not TRAIN, reason="NNACT_TRAIN (the nnact-train binary) not set")
def test_plot_module_on_nnact_train_history(tmp_path):
    csv = tmp_path / "run.csv"
    r = subprocess.run([TRAIN, "--data", "spiral", "--epochs", "3", "--history", str(csv),
                        "--tune", "off"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    png = tmp_path / "run.png"
    r = subprocess.run([sys.executable, "-m", "nnact.plot", str(csv), str(png)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert png.stat().st_size > 1000
    r = subprocess.run([sys.executable, "-m", "nnact.plot", str(tmp_path / "none.csv"),
                        str(png)], capture_output=True, text=True)
    assert r.returncode == 1 and "nnact.plot:" in r.stderr
