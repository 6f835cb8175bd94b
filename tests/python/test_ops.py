"""Every operation of the device tier against float64 NumPy references
within the library's bars."""
import numpy as np
import pytest

import nnact
import reference as ref

ELEMENTWISE = [n for n in nnact.activation_names() if n not in ("softmax", "log_softmax")]


def grid(rng, shape=(33, 65)):
    x = rng.uniform(-12, 12, size=shape).astype(np.float32)
    x.flat[:7] = [0.5, -0.5, 1e-3, -1e-3, 2.5, -2.5, 7.0]
    return x


def test_every_activation_is_covered():
    assert len(ELEMENTWISE) == 19
    assert set(ELEMENTWISE) <= set(ref.DEFAULTS) | {
        "identity", "sigmoid", "tanh", "relu", "selu", "gelu", "gelu_tanh", "mish",
        "softsign", "hardsigmoid", "hardswish", "relu6"}


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_act_forward_backward(ctx, rng, name):
    x = grid(rng)
    dy = rng.uniform(-2, 2, size=x.shape).astype(np.float32)
    xt, dyt = ctx.asarray(x), ctx.asarray(dy)
    y = nnact.act_forward(xt, name)
    ref.assert_fwd(y.get(), ref.forward(name, x), name + " fwd")
    a = nnact.Act(name)
    dx = nnact.act_backward(name, dyt, x=xt, y=y if a.needs == "y" else None)
    d = ref.derivative(name, x)
    if a.needs == "y":  # the derivative of the float32 y the kernel reads, as the C suites
        y64 = y.get().astype(np.float64)
        d = 1.0 - y64 * y64 if name == "tanh" else y64 * (1.0 - y64)
    ref.assert_bwd(dx.get(), dy.astype(np.float64) * d, dy, name + " bwd")


@pytest.mark.parametrize("name,alpha,beta", [("leaky_relu", 0.2, None), ("elu", 0.5, None),
                                             ("celu", 2.0, None), ("softplus", None, 3.0),
                                             ("swish", None, 1.7), ("hardtanh", -2.0, 0.5)])
def test_act_parameters(ctx, rng, name, alpha, beta):
    x = grid(rng)
    y = nnact.act_forward(ctx.asarray(x), name, alpha=alpha, beta=beta)
    ref.assert_fwd(y.get(), ref.forward(name, x, alpha, beta), name)


def test_act_in_place(ctx, rng):
    x = grid(rng)
    t = ctx.asarray(x)
    assert nnact.act_forward(t, "tanh", out=t) is t
    ref.assert_fwd(t.get(), np.tanh(x.astype(np.float64)), "tanh in place")


@pytest.mark.parametrize("T", [1.0, 0.5, 3.0])
def test_softmax_and_log_softmax(ctx, rng, T):
    x = rng.uniform(-30, 30, size=(17, 129)).astype(np.float32)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    xt, dyt = ctx.asarray(x), ctx.asarray(dy)
    y = nnact.softmax(xt, temperature=T)
    yr = ref.softmax(x, T)
    ref.assert_fwd(y.get(), yr, "softmax", abs_=1e-30)
    np.testing.assert_allclose(y.get().astype(np.float64).sum(axis=1), 1.0, atol=1e-6)
    dx = nnact.softmax_backward(y, dyt, temperature=T).get()
    want = ref.softmax_vjp_jacobian(yr, dy, T)
    np.testing.assert_allclose(dx, want, rtol=1e-5, atol=1e-6 * np.abs(dy).max())
    ly = nnact.log_softmax(xt, temperature=T)
    lr = ref.log_softmax(x, T)
    np.testing.assert_allclose(ly.get(), lr, rtol=4e-6, atol=4e-6)
    ldx = nnact.log_softmax_backward(ly, dyt, temperature=T).get()
    lwant = (dy - np.exp(lr) * dy.astype(np.float64).sum(axis=1, keepdims=True)) / T
    np.testing.assert_allclose(ldx, lwant, rtol=1e-5, atol=1e-5)


def test_softmax_edge_rows(ctx):
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf], [0.0, np.nan, 1.0]],
                 np.float32)
    y = nnact.softmax(ctx.asarray(x)).get()
    np.testing.assert_allclose(y[0], ref.softmax(x[:1, [0, 2]])[0][[0]].tolist() + [0.0] +
                               ref.softmax(x[:1, [0, 2]])[0][[1]].tolist(), rtol=4e-6)
    assert (y[1] == 0).all() and np.isnan(y[2]).all()


def test_prelu(ctx, rng):
    x = grid(rng, (20, 8))
    alpha = rng.uniform(0, 0.5, size=(1, 8)).astype(np.float32)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    xt, at, dyt = ctx.asarray(x), ctx.asarray(alpha), ctx.asarray(dy)
    y = nnact.prelu(xt, at).get()
    x64, a64, d64 = x.astype(np.float64), alpha.astype(np.float64), dy.astype(np.float64)
    ref.assert_fwd(y, np.where(x64 > 0, x64, a64 * x64), "prelu")
    dx, da = nnact.prelu_backward(xt, at, dyt)
    ref.assert_bwd(dx.get(), d64 * np.where(x64 > 0, 1.0, a64), dy, "prelu dx")
    np.testing.assert_allclose(da.get(), (d64 * x64 * (x64 <= 0)).sum(axis=0, keepdims=True),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_gemm(ctx, rng, ta, tb):
    m, k, n = 19, 37, 23
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    c0 = rng.standard_normal((m, n)).astype(np.float32)
    c = ctx.asarray(c0)
    nnact.gemm(ctx.asarray(a), ctx.asarray(b), c, alpha=0.5, beta=2.0, trans_a=ta, trans_b=tb)
    A = a.T if ta else a
    B = b.T if tb else b
    want = 0.5 * A.astype(np.float64) @ B.astype(np.float64) + 2.0 * c0
    np.testing.assert_allclose(c.get(), want, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "gelu", None])
def test_dense(ctx, rng, name):
    x = rng.standard_normal((12, 30)).astype(np.float32)
    W = rng.standard_normal((30, 7)).astype(np.float32) * 0.3
    b = rng.standard_normal((1, 7)).astype(np.float32)
    dy = rng.standard_normal((12, 7)).astype(np.float32)
    xt, Wt, bt = ctx.asarray(x), ctx.asarray(W), ctx.asarray(b)
    y, z = nnact.dense_forward(xt, Wt, bt, name, keep_z=True)
    z64 = x.astype(np.float64) @ W.astype(np.float64) + b
    np.testing.assert_allclose(z.get(), z64, rtol=1e-5, atol=1e-5)
    if name is None:
        g = dy.astype(np.float64)
        y64 = z64
    elif name == "softmax":
        y64 = ref.softmax(z64)
        g = ref.softmax_vjp_jacobian(y64, dy)
    else:
        y64 = ref.forward(name, z64)
        g = dy * ref.derivative(name, z.get())
    np.testing.assert_allclose(y.get(), y64, rtol=1e-4, atol=1e-5)
    dW, db, dx = nnact.dense_backward(xt, Wt, ctx.asarray(dy), name, z=z, y=y)
    np.testing.assert_allclose(dW.get(), x.T.astype(np.float64) @ g, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(db.get(), g.sum(axis=0, keepdims=True), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dx.get(), g @ W.T.astype(np.float64), rtol=1e-4, atol=1e-4)


def test_losses(ctx, rng):
    n, k = 40, 5
    logits = rng.standard_normal((n, k)).astype(np.float32)
    labels = rng.integers(0, k, n)
    onehot = np.eye(k, dtype=np.float32)[labels]
    p = ref.softmax(logits)
    pt = ctx.asarray(p.astype(np.float32))
    v, acc, g = nnact.loss(pt, ctx.asarray(onehot), "cce", want_grad=True)
    np.testing.assert_allclose(v, -np.log(np.clip(p[np.arange(n), labels], 1e-7, 1)).mean(),
                               rtol=1e-5)
    assert acc == pytest.approx((p.argmax(1) == labels).mean())
    np.testing.assert_allclose(g.get(), -onehot / np.clip(p, 1e-7, 1) / n, rtol=1e-5)
    v2, acc2, _ = nnact.loss(pt, ctx.asarray(labels.astype(np.float32).reshape(-1, 1)),
                             "sparse_cce")
    assert v2 == pytest.approx(v, rel=1e-6) and acc2 == pytest.approx(acc)
    lt = ctx.asarray(logits)
    v3, _, g3 = nnact.loss(lt, ctx.asarray(onehot), "softmax_cce", want_grad=True)
    np.testing.assert_allclose(v3, -np.log(p[np.arange(n), labels]).mean(), rtol=1e-5)
    np.testing.assert_allclose(g3.get(), (p - onehot) / n, rtol=1e-4, atol=1e-7)
    t = rng.standard_normal((n, k)).astype(np.float32)
    v4, _, g4 = nnact.loss(lt, ctx.asarray(t), "mse", want_grad=True)
    d = logits.astype(np.float64) - t
    np.testing.assert_allclose(v4, (d ** 2).mean(), rtol=1e-5)
    np.testing.assert_allclose(g4.get(), 2 * d / d.size, rtol=1e-5)
    with pytest.raises(ValueError, match="row 3"):
        bad = labels.astype(np.float32).reshape(-1, 1)
        bad[3] = 7.0
        nnact.loss(pt, ctx.asarray(bad), "sparse_cce")
    sums = ctx.zeros((1, nnact.LOSS_SUMS))
    nnact.loss_accumulate(pt, ctx.asarray(onehot), sums, "cce")
    nnact.loss_accumulate(pt, ctx.asarray(onehot), sums, "cce")
    sv, sa = nnact.loss_sums_read(sums)
    assert sv == pytest.approx(v, rel=1e-5) and sa == pytest.approx(acc)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam", "adamw"])
def test_optimizer_steps(ctx, rng, name):
    p0 = rng.standard_normal((6, 9)).astype(np.float32)
    grads = [rng.standard_normal(p0.shape).astype(np.float32) for _ in range(3)]
    p, s1, s2 = ctx.asarray(p0), ctx.zeros(p0.shape), ctx.zeros(p0.shape)
    opt = nnact.Optimizer(name, lr=0.05)
    c = opt._c
    P = p0.astype(np.float64)
    m = np.zeros_like(P)
    v = np.zeros_like(P)
    for t, g in enumerate(grads, 1):
        nnact.optim_step(p, ctx.asarray(g), t, opt, s1, s2)
        g = g.astype(np.float64)
        if name in ("sgd", "momentum"):
            if c.momentum > 0:
                m = c.momentum * m + g
                g = m
            P = P - c.lr * g
        else:
            if name == "adam":
                g = g + c.weight_decay * P
            else:
                P = P - c.lr * c.weight_decay * P
            m = c.beta1 * m + (1 - c.beta1) * g
            v = c.beta2 * v + (1 - c.beta2) * g * g
            mh = m / (1 - c.beta1 ** t)
            vh = v / (1 - c.beta2 ** t)
            P = P - c.lr * mh / (np.sqrt(vh) + c.eps)
    np.testing.assert_allclose(p.get(), P, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError):
        nnact.optim_step(p, ctx.asarray(grads[0]), 1, "adam", s1, s2, lr=float("nan"))
    with pytest.raises(ValueError):
        nnact.optim_step(p, ctx.asarray(grads[0]), 0, "sgd")


def test_gather_rows(ctx, rng):
    src = rng.standard_normal((10, 4)).astype(np.float32)
    rows = [9, 0, 3, 3]
    got = nnact.gather_rows(ctx.asarray(src), rows).get()
    np.testing.assert_array_equal(got, src[rows])
    with pytest.raises(ValueError, match="10"):
        nnact.gather_rows(ctx.asarray(src), [10])
    with pytest.raises(ValueError):
        nnact.gather_rows(ctx.asarray(src), [-1])
    with pytest.raises(TypeError):
        nnact.gather_rows(ctx.asarray(src), [0.5])
