"""nnact.MLP: fit on the spiral set, evaluate, predict, save and load in
both directions with nnact-train, host reads per epoch, bad input."""
import os
import subprocess

import numpy as np
import pytest

import nnact
import reference as ref

TRAIN = os.environ.get("NNACT_TRAIN")


@pytest.fixture(scope="module")
def spiral():
    X, y = nnact.spiral(500, 3, seed=1)
    Xv, yv = nnact.spiral(150, 3, seed=2)
    return X, y, Xv, yv


def test_fit_spiral(spiral):
    X, y, Xv, yv = spiral
    m = nnact.MLP([2, 64, 64, 3], "relu", seed=3)
    assert m.activations == ["relu", "relu", "softmax"]
    reads = nnact._stats["blocking_reads"]
    hist = m.fit(X, y, epochs=25, batch_size=64, lr=0.02, validation=(Xv, yv), progress=False)
    # one read of the loss sums per epoch, one per validation pass
    assert nnact._stats["blocking_reads"] - reads == 2 * 25
    assert len(hist) == 25 and set(hist[0]) == {"epoch", "loss", "accuracy", "val_loss",
                                                "val_accuracy", "seconds"}
    assert hist[-1]["loss"] < hist[0]["loss"]
    assert hist[-1]["val_accuracy"] >= 0.85, hist[-1]  # chance is 1/3
    loss, acc = m.evaluate(Xv, yv)
    assert acc == pytest.approx(hist[-1]["val_accuracy"]) and loss > 0
    p = m.predict(Xv)
    assert p.shape == (len(Xv), 3) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert (p.argmax(1) == yv).mean() == pytest.approx(acc)
    # the same forward in float64 NumPy from the model's weights
    h = Xv.astype(np.float64)
    for i, (W, b) in enumerate(zip(m.weights, m.biases)):
        h = h @ W.get() + b.get()
        h = np.maximum(h, 0) if i < 2 else ref.softmax(h)
    np.testing.assert_allclose(p, h, rtol=1e-4, atol=1e-6)
    assert m.predict(Xv.astype(np.float64)).dtype == np.float64


def test_fit_one_hot_sgd_f16(spiral):
    X, y, Xv, yv = spiral
    onehot = np.eye(3, dtype=np.float32)[y]
    m = nnact.MLP([2, 64, 64, 3], ["gelu", "relu", "softmax"], seed=4, storage="float16")
    assert m.storage == "float16"
    hist = m.fit(X, onehot, epochs=30, batch_size=50, optimizer="adam", lr=0.01,
                 schedule="constant", progress=False)
    assert len(hist) == 30 and "val_loss" not in hist[0]
    assert m.evaluate(Xv, yv)[1] >= 0.7  # float32 storage gives 0.79 here
    assert m.loss_scale >= 1 and m.skipped_steps >= 0


def test_fit_is_reproducible(spiral):
    X, y, _, _ = spiral
    a = nnact.MLP([2, 16, 3], "relu", seed=9)
    b = nnact.MLP([2, 16, 3], "relu", seed=9)
    ha = a.fit(X, y, epochs=3, batch_size=32, progress=False)
    hb = b.fit(X, y, epochs=3, batch_size=32, progress=False)
    assert [h["loss"] for h in ha] == [h["loss"] for h in hb]
    np.testing.assert_array_equal(a.weights[0].get(), b.weights[0].get())


def test_partial_last_batch(spiral):
    X, y, _, _ = spiral
    m = nnact.MLP([2, 8, 3], "relu", seed=1)
    before = m.weights[0].get()
    m.fit(X[:70], y[:70], epochs=1, batch_size=64, progress=False)  # 64 + 6
    assert not np.array_equal(before, m.weights[0].get())


def test_bad_input(spiral):
    X, y, _, _ = spiral
    m = nnact.MLP([2, 8, 3], "relu")
    with pytest.raises(ValueError, match="label"):
        m.fit(X, np.full(len(X), 3), epochs=1, progress=False)
    with pytest.raises(ValueError, match="rows"):
        m.fit(X, y[:-1], epochs=1, progress=False)
    bad = X.copy()
    bad[5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        m.fit(bad, y, epochs=1, progress=False)
    with pytest.raises(ValueError, match="columns|shape"):
        m.predict(np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match="batch_size"):
        m.fit(X[:10], y[:10], batch_size=11, progress=False)
    with pytest.raises(TypeError):
        m.fit(X.astype(np.int32), y, progress=False)
    with pytest.raises(ValueError):
        nnact.MLP([2, 8, 3], ["relu"])
    with pytest.raises(ValueError, match="activation"):
        nnact.MLP([2, 8, 3], ["relu", "nope"])
    with pytest.raises(FloatingPointError, match="diverged"):
        nnact.MLP([2, 8, 3], "relu").fit(X, y, epochs=2, optimizer="sgd", lr=1e30,
                                         progress=False)


def test_save_load_python(tmp_path, spiral):
    X, y, Xv, _ = spiral
    m = nnact.MLP([2, 32, 3], "gelu", seed=5)
    m.fit(X, y, epochs=2, progress=False)
    path = tmp_path / "m.nnact"
    m.save(str(path))
    m2 = nnact.MLP.load(path)
    assert m2.sizes == [2, 32, 3] and m2.activations == ["gelu", "softmax"]
    np.testing.assert_array_equal(m2.predict(Xv), m.predict(Xv))


@pytest.mark.skipif(not TRAIN, reason="NNACT_TRAIN (the nnact-train binary) not set")
def test_models_move_between_python_and_nnact_train(tmp_path, spiral):
    X, y, Xv, _ = spiral
    # Python -> nnact-train: it loads the file, evaluates, and writes it back unchanged
    m = nnact.MLP([2, 24, 3], "relu", seed=6)
    m.fit(X, y, epochs=3, progress=False)
    a, b = tmp_path / "py.nnact", tmp_path / "back.nnact"
    m.save(str(a))
    r = subprocess.run([TRAIN, "--load", str(a), "--data", "spiral", "--save", str(b),
                        "--tune", "off"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "evaluation: test loss" in r.stdout
    assert a.read_bytes() == b.read_bytes()
    # nnact-train -> Python
    c, d = tmp_path / "c.nnact", tmp_path / "d.nnact"
    r = subprocess.run([TRAIN, "--data", "spiral", "--layers", "2,16,3", "--epochs", "2",
                        "--save", str(c), "--tune", "off"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    m2 = nnact.MLP.load(str(c))
    assert m2.sizes == [2, 16, 3]
    m2.save(str(d))
    assert c.read_bytes() == d.read_bytes()
    p = m2.predict(Xv)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
