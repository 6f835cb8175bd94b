"""MLP.fit(devices=[...]) on two pocl devices: reruns bit-identical, close to
one device at the same global batch, clear errors. pocl gives two devices
only with POCL_DEVICES set before it loads, so the training runs in a fresh
interpreter."""
import os
import subprocess
import sys
import textwrap

import pytest

import nnact

SCRIPT = textwrap.dedent('''
    import numpy as np, nnact
    pocl = [d for d in nnact.devices() if "Portable Computing Language" in d.platform_name]
    assert len(pocl) >= 2, pocl
    X, y = nnact.spiral(300, 3, seed=1)
    def run(devices, storage="float32"):
        ctx = nnact.Context(pocl[0].selector)
        m = nnact.MLP([2, 32, 32, 3], "relu", seed=5, ctx=ctx, storage=storage)
        devs = None if devices is None else [ctx] + list(devices)
        h = m.fit(X, y, epochs=3, batch_size=61, optimizer="sgd", lr=0.05,
                  progress=False, devices=devs)
        return [w.get() for w in m.weights] + [b.get() for b in m.biases], h
    a, ha = run([pocl[1].selector])
    b, hb = run([nnact.Context(pocl[1].selector)])
    assert all((u == v).all() for u, v in zip(a, b)), "reruns differ"
    assert [r["loss"] for r in ha] == [r["loss"] for r in hb]
    one, h1 = run(None)
    for u, v in zip(a, one):  # CLBlast sums the whole batch in another order
        np.testing.assert_allclose(u, v, rtol=0, atol=1e-4 * max(1.0, np.abs(v).max()))
    assert abs(ha[-1]["loss"] - h1[-1]["loss"]) < 1e-3 * h1[-1]["loss"], (ha, h1)
    f16, _ = run([pocl[1].selector], "float16")
    assert all(np.isfinite(w).all() for w in f16)
    ctx = nnact.Context(pocl[0].selector)
    m = nnact.MLP([2, 8, 3], "relu", seed=1, ctx=ctx)
    for devs, text in (([], "devices is empty"), ([pocl[1].selector], "devices[0] must be"),
                       ([ctx, ctx], "one Context twice"), ([ctx, 3], "not int")):
        try:
            m.fit(X, y, epochs=1, progress=False, devices=devs)
        except (nnact.InvalidArgumentError, TypeError) as e:  # a selector's type
            assert text in str(e), (text, str(e))
        else:
            raise AssertionError("devices=%r did not fail" % (devs,))
    print("ok")
''')


def test_fit_on_two_devices():
    if not any("Portable Computing Language" in d.platform_name for d in nnact.devices()):
        pytest.skip("pocl is not installed")
    env = dict(os.environ, POCL_DEVICES="pthread pthread", POCL_MAX_PTHREAD_COUNT="1")
    env.pop("NNACT_DEVICE", None)
    r = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr
