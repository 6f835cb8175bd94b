"""The seeds' APIs: golden values from their docs, their quirks, and every
compat function against a float64 NumPy reference (the seed formulas)."""
import numpy as np
import pytest

import nnact
import reference as ref
from nnact.compat import activations as A
from nnact.compat import mpneuralnetwork as M
from nnact.compat import nnfs as F
from nnact.compat import vanillanets as V


# -- seed 001: the activations module -------------------------------------
def test_seed001_golden_values():
    np.testing.assert_allclose(A.sigmoid(np.array([[1.0, -2.0, 3.0]])),
                               [[0.731, 0.119, 0.953]], atol=5e-4)
    np.testing.assert_allclose(A.relu(np.array([[-1.0, 0.0, 2.0]])), [[0.0, 0.0, 2.0]])
    probs = A.softmax(np.array([[2.0, 1.0, 0.1]]))
    np.testing.assert_allclose(probs, [[0.659, 0.242, 0.099]], atol=5e-4)
    assert probs.sum() == pytest.approx(1.0, abs=1e-6)
    z = np.array([[1.0, -1.0, 2.0]])
    a = A.activation_forward(z, "relu")
    np.testing.assert_array_equal(a, [[1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(A.activation_backward(z, a, "relu"), [[1.0, 0.0, 1.0]])


def test_seed001_quirks():
    z = np.random.default_rng(0).standard_normal((4, 5))
    a = A.softmax(z)
    np.testing.assert_array_equal(A.activation_backward(z, a, "softmax"), np.ones_like(a))
    np.testing.assert_array_equal(A.ACTIVATIONS["softmax"]["backward"](z, a), np.ones_like(a))
    s = A.sigmoid(z)
    # backward is f'(z), not dy * f'(z)
    ref.assert_fwd(A.activation_backward(z, s, "sigmoid"), s * (1 - s), "sigmoid'", 1e-5)
    assert set(A.ACTIVATIONS) >= {"sigmoid", "relu", "softmax", "tanh", "gelu", "mish"}
    assert isinstance(A.EPS, float) and 0 < A.EPS < 1e-6


def seed_sigmoid(x):  # as the seed's docs give it
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))


def seed_softmax(x):
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_seed001_against_its_formulas(rng, dtype):
    x = rng.uniform(-40, 40, size=(64, 100)).astype(dtype)
    for got, want, what in [(A.sigmoid(x), seed_sigmoid(x.astype(np.float64)), "sigmoid"),
                            (A.relu(x), np.maximum(0, x.astype(np.float64)), "relu"),
                            (A.softmax(x), seed_softmax(x.astype(np.float64)), "softmax")]:
        assert got.dtype == dtype and got.shape == x.shape, what
        ref.assert_fwd(got, ref.forward(what, x) if what != "softmax" else ref.softmax(x),
                       what, 4e-6, 1e-300 if what != "softmax" else 1e-12)
        if dtype == np.float32:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    s = A.sigmoid(x)
    d = A.sigmoid_derivative_from_activation(s)
    ref.assert_fwd(d, s.astype(np.float64) * (1 - s.astype(np.float64)), "sigmoid'", 1e-5,
                   1e-7)
    np.testing.assert_array_equal(A.relu_derivative_from_pre_activation(x),
                                  (x > 0).astype(dtype))


def test_seed001_every_name(rng):
    x = rng.uniform(-5, 5, size=(3, 40))
    for name in nnact.activation_names():
        y = A.activation_forward(x, name)
        assert y.shape == x.shape and y.dtype == x.dtype
        if name in ("softmax", "log_softmax"):
            continue
        ref.assert_fwd(y, ref.forward(name, x), name)
        g = A.activation_backward(x, y, name)
        a = nnact.Act(name)
        want = ref.derivative(name, x)
        if a.needs == "y":
            y64 = y.astype(np.float32).astype(np.float64)
            want = 1 - y64 ** 2 if name == "tanh" else y64 * (1 - y64)
        ref.assert_bwd(g, want, np.ones_like(x), name + "'")


def test_seed001_shapes():
    v = A.relu(np.array([-1.0, 2.0]))
    assert v.shape == (2,)
    t = A.sigmoid(np.zeros((2, 3, 4)))
    assert t.shape == (2, 3, 4) and np.all(t == 0.5)
    assert A.softmax(np.array([0.0, 0.0])).tolist() == [0.5, 0.5]
    assert A.relu(np.zeros((0, 3))).shape == (0, 3)
    with pytest.raises(TypeError, match="dtype"):
        A.relu(np.array([1, 2, 3]))
    with pytest.raises(ValueError):
        A.activation_forward(np.zeros(3), "no-such")


def test_seed001_model():
    model = A.NeuralNetworkModel(layer_sizes=[784, 128, 64, 10],
                                 activations=["relu", "relu", "softmax"])
    X = np.random.default_rng(3).standard_normal((32, 784)).astype(np.float32)
    out = model.forward(X)
    assert out.shape == (32, 10)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-5)
    # the same network in float64 NumPy, from the model's own weights
    h = X.astype(np.float64)
    for i, (W, b) in enumerate(zip(model.mlp.weights, model.mlp.biases)):
        h = h @ W.get().astype(np.float64) + b.get()
        h = np.maximum(h, 0) if i < 2 else ref.softmax(h)
    np.testing.assert_allclose(out, h, rtol=1e-4, atol=1e-6)


def test_tensors_stay_on_device(ctx):
    x = ctx.asarray(np.array([[-1.0, 0.5]], np.float32))
    y = A.relu(x)
    assert isinstance(y, nnact.Tensor)
    np.testing.assert_array_equal(y.get(), [[0.0, 0.5]])
    g = A.activation_backward(x, y, "relu")
    assert isinstance(g, nnact.Tensor) and g.get().tolist() == [[0.0, 1.0]]


# -- nnfs (000, 003) --------------------------------------------------------
def test_nnfs_dense_and_activations(rng):
    np.random.seed(5)
    d = F.Dense(6, 4)
    assert d.W.shape == (6, 4) and d.b.shape == (1, 4) and d.W.dtype == np.float64
    d.W[...] = rng.standard_normal((6, 4))
    d.b[...] = rng.standard_normal((1, 4))
    X = rng.standard_normal((10, 6))
    out = d.forward(X)
    assert d.X_input is X and out.dtype == np.float64
    np.testing.assert_allclose(out, X @ d.W + d.b, rtol=1e-5, atol=1e-5)
    g = rng.standard_normal((10, 4))
    names = [n for n, _, _ in d.trainable]
    dW_ref = d.trainable[0][2]
    dx = d.backward(g)
    assert names == ["W", "b"] and dW_ref is d.dW  # optimizers hold these references
    np.testing.assert_allclose(d.dW, X.T @ g, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(d.db, g.sum(axis=0, keepdims=True), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dx, g @ d.W.T, rtol=1e-4, atol=1e-4)
    d.W -= 0.1 * d.dW  # an nnfs optimizer's in-place update reaches the next forward
    np.testing.assert_allclose(d.forward(X), X @ d.W + d.b, rtol=1e-5, atol=1e-5)
    assert d.name == "dense.0"
    s = F.Sigmoid()
    y = s.forward(out)
    assert s.output is y and s.name == "sigmoid.0"
    ref.assert_fwd(y, ref.forward("sigmoid", out), "nnfs sigmoid")
    gs = s.backward(g)
    y64 = y.astype(np.float32).astype(np.float64)
    ref.assert_bwd(gs, g * y64 * (1 - y64), g, "nnfs sigmoid bwd")
    sm = F.Softmax()
    p = sm.forward(out)
    np.testing.assert_allclose(sm.backward(g), ref.softmax_vjp_jacobian(p, g), rtol=1e-5,
                               atol=1e-6)
    r = F.ReLU()
    r.forward(out)
    # float32 arithmetic on the device: float64 values come back rounded once
    np.testing.assert_allclose(r.backward(g), g * (out.astype(np.float32) > 0), rtol=6e-8)


# -- VanillaNets (004) --------------------------------------------------------
def test_vanillanets(rng):
    x = rng.standard_normal((8, 12))
    x[0, :3] = 0.0
    dv = rng.standard_normal(x.shape)
    r = V.ReLU()
    assert r.forward(x) is None
    np.testing.assert_allclose(r.output, np.maximum(0, x), rtol=6e-8)
    r.backward(dv)
    want = dv.copy()
    want[x <= 0] = 0
    np.testing.assert_allclose(r.dinputs, want, rtol=6e-8)
    assert (r.dinputs[x <= 0] == 0).all()
    lr = V.LeakyReLU()
    lr.forward(x)
    np.testing.assert_allclose(lr.output, np.where(x > 0, x, 0.1 * x), rtol=1e-6)
    lr.backward(dv)
    want = dv.copy()
    want[x <= 0] *= 0.1
    np.testing.assert_allclose(lr.dinputs, want, rtol=1e-6)
    sm = V.Softmax()
    sm.forward(x)
    np.testing.assert_allclose(sm.output, ref.softmax(x), rtol=4e-6)
    sm.backward(dv)
    np.testing.assert_allclose(sm.dinputs, ref.softmax_vjp_jacobian(sm.output, dv),
                               rtol=1e-5, atol=1e-6)
    t = V.Tanh()
    t.forward(x)
    t.backward(dv)
    o = t.output.astype(np.float32).astype(np.float64)
    ref.assert_bwd(t.dinputs, dv * (1 - o ** 2), dv, "vn tanh")
    s = V.Sigmoid()
    s.forward(x)
    s.backward(dv)
    o = s.output.astype(np.float32).astype(np.float64)
    ref.assert_bwd(s.dinputs, dv * o * (1 - o), dv, "vn sigmoid")
    li = V.Linear()
    li.forward(x)
    li.backward(dv)
    assert li.output is x and li.dinputs is not dv and (li.dinputs == dv).all()


# -- mpneuralnetwork (002) -------------------------------------------------------
def test_mpneuralnetwork(rng):
    x = rng.standard_normal((6, 10)).astype(np.float32)
    x[0, :2] = 0.0
    g = rng.standard_normal(x.shape).astype(np.float32)
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    for cls, name in [(M.ReLU, "relu"), (M.Swish, "swish"), (M.Tanh, "tanh"),
                      (M.Sigmoid, "sigmoid")]:
        layer = cls()
        y = layer.forward(x, training=True)
        assert layer.input is x and layer.params == {}
        ref.assert_fwd(y, ref.forward(name, x), name)
        ref.assert_bwd(layer.backward(g), g64 * ref.derivative(name, x), g, name + " bwd")
    p = M.PReLU()
    assert p.alpha == 0.01 and p.get_config()["alpha"] == 0.01
    ref.assert_fwd(p.forward(x), np.maximum(0.01 * x64, x64), "prelu")
    want = g64 * np.where(x64 < 0, 0.01, 1.0)  # the seed's where(x < 0, alpha, 1)
    ref.assert_bwd(p.backward(g), want, g, "prelu bwd (1 at exactly 0)")
    p2 = M.PReLU(alpha=2.0)
    ref.assert_fwd(p2.forward(x), np.maximum(2.0 * x64, x64), "prelu alpha 2", 1e-6)
    sm = M.Softmax(temperature=2.0, epsilon=1e-8)
    y = sm.forward(x)
    T = 2.0 + 1e-8
    np.testing.assert_allclose(y, ref.softmax(x, T), rtol=4e-6)
    want = (y * (g - (y * g).sum(axis=1, keepdims=True))) / T
    np.testing.assert_allclose(sm.backward(g), want, rtol=1e-5, atol=1e-6)
