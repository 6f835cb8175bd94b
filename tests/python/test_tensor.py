"""Device tensors: round trips, host copies, refusals, lifetimes."""
import gc

import numpy as np
import pytest

import nnact


def test_round_trip_float32_without_copy(ctx, rng):
    a = rng.standard_normal((37, 53)).astype(np.float32)
    before = nnact._stats["host_copies"]
    t = ctx.asarray(a)
    assert nnact._stats["host_copies"] == before, "a C-contiguous float32 array was copied"
    assert t.shape == (37, 53) and t.dtype == "float32"
    out = np.empty_like(a)
    assert t.get(out=out) is out
    np.testing.assert_array_equal(out, a)
    assert nnact._stats["host_copies"] == before


@pytest.mark.parametrize("make", [
    lambda a: a.astype(np.float64),
    lambda a: np.asfortranarray(a),
    lambda a: np.repeat(a, 2, axis=1)[:, ::2],
])
def test_anything_else_exactly_one_copy(ctx, rng, make):
    a = rng.standard_normal((16, 24)).astype(np.float32)
    b = make(a)
    before = nnact._stats["host_copies"]
    t = ctx.asarray(b)
    assert nnact._stats["host_copies"] == before + 1
    np.testing.assert_array_equal(t.get(), a)


def test_float16_storage(ctx, rng):
    a = rng.standard_normal((9, 31)).astype(np.float32)
    t = ctx.asarray(a, dtype="float16")
    assert t.dtype == "float16"
    got = t.get()
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, a.astype(np.float16))  # both round to nearest even
    h = ctx.asarray(a.astype(np.float16), dtype="f16")
    np.testing.assert_array_equal(h.get(), a.astype(np.float16))


def test_one_d_is_a_row(ctx):
    t = ctx.asarray(np.arange(5, dtype=np.float32))
    assert t.shape == (1, 5)


@pytest.mark.parametrize("bad", [np.arange(6).reshape(2, 3), np.ones((2, 2), bool),
                                 np.ones((2, 2), np.complex64),
                                 np.array([[object()]], dtype=object)])
def test_wrong_dtypes_are_refused(ctx, bad):
    with pytest.raises(TypeError, match="dtype"):
        ctx.asarray(bad)


def test_three_d_refused(ctx):
    with pytest.raises(ValueError, match="2-D"):
        ctx.asarray(np.zeros((2, 2, 2), np.float32))


def test_no_implicit_conversion(ctx):
    t = ctx.asarray(np.ones((2, 2), np.float32))
    with pytest.raises(TypeError, match=r"\.get\(\)"):
        np.asarray(t)
    with pytest.raises(TypeError):
        np.add(t, 1)


def test_out_checks(ctx):
    t = ctx.asarray(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError):
        t.get(out=np.empty((2, 3), np.float64))
    with pytest.raises(ValueError):
        t.get(out=np.empty((3, 2), np.float32))
    with pytest.raises(ValueError):
        t.get(out=np.empty((3, 6), np.float32)[:2, :3])
    with pytest.raises(ValueError):
        t.set(np.ones((3, 3), np.float32))


def test_empty_tensors(ctx):
    t = ctx.asarray(np.zeros((0, 4), np.float32))
    assert t.shape == (0, 4)
    assert t.get().shape == (0, 4)
    y = nnact.act_forward(t, "relu")
    assert y.shape == (0, 4)


def test_fill_and_nan_kept(ctx):
    t = ctx.empty((3, 3)).fill(2.5)
    np.testing.assert_array_equal(t.get(), np.full((3, 3), 2.5, np.float32))
    t.set(np.full((3, 3), np.nan, np.float32))
    assert np.isnan(nnact.act_forward(t, "sigmoid").get()).all()


def test_tensor_of_another_context(ctx):
    with nnact.Context(ctx.device.selector) as other:
        a = ctx.asarray(np.ones((2, 2), np.float32))
        b = other.asarray(np.ones((2, 2), np.float32))
        with pytest.raises(ValueError, match="different"):
            nnact.act_forward(a, "relu", out=b)


def test_closed_context():
    c = nnact.Context()
    t = c.asarray(np.ones((2, 2), np.float32))
    c.close()
    assert c.closed
    with pytest.raises(ValueError, match="closed|released"):
        t.get()
    with pytest.raises(ValueError, match="closed"):
        c.empty((2, 2))
    c.close()  # idempotent


def test_tensor_keeps_context_alive():
    t = nnact.Context().asarray(np.full((2, 2), 3.0, np.float32))
    gc.collect()
    np.testing.assert_array_equal(t.get(), np.full((2, 2), 3.0, np.float32))
    assert not t.ctx.closed


def test_devices_listed(nn, ctx):
    devs = nn.devices()
    assert devs and any(d.name == ctx.device.name for d in devs)
    assert nn.select_device(ctx.device.selector).name == ctx.device.name
    assert "nnact.Context" in repr(ctx) and ctx.device.name in repr(ctx)
