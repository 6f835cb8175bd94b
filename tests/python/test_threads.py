"""Threads and lifetimes: one Context shared by threads, the GIL released
while a call waits, no leak over 10^5 calls."""
import threading
import time

import numpy as np

import nnact


def test_threads_share_a_context(ctx):
    errors = []

    def work(seed):
        try:
            rng = np.random.default_rng(seed)
            for _ in range(40):
                x = rng.standard_normal((16, 33)).astype(np.float32)
                got = nnact.act_forward(ctx.asarray(x), "relu").get()
                np.testing.assert_array_equal(got, np.maximum(x, 0))
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def _count_for(seconds, stop=None):
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end and not (stop and stop.is_set()):
        n += 1
    return n


def test_gil_released_while_waiting():
    """A Python thread keeps running while another waits on the device in a
    C call (cffi releases the GIL). Held, it would count ~0."""
    ctx = nnact.Context()
    a = ctx.asarray(np.ones((512, 512), np.float32))
    c = ctx.empty((512, 512))
    nnact.gemm(a, a, c)
    ctx.finish()
    t0 = time.perf_counter()
    nnact.gemm(a, a, c)
    ctx.finish()
    per = max(time.perf_counter() - t0, 1e-4)
    reps = int(min(400, max(4, 0.5 / per)))
    solo = _count_for(0.2) / 0.2
    counted = []
    started = threading.Event()

    def bg():
        started.set()
        counted.append(_count_for(60, stop))

    stop = threading.Event()
    th = threading.Thread(target=bg)
    for _ in range(reps):
        nnact.gemm(a, a, c)
    th.start()
    started.wait()
    t0 = time.perf_counter()
    ctx.finish()  # blocks in C
    waited = time.perf_counter() - t0
    stop.set()
    th.join()
    rate = counted[0] / max(time.perf_counter() - t0, 1e-9)
    ctx.close()
    assert waited > 0.05, "the wait was too short to tell (%.3f s)" % waited
    # the device's own threads share the cores, so not 100 %; held GIL gives ~0
    assert rate > 0.05 * solo, "background thread ran at %.1f%% of its solo rate" % (
        100 * rate / solo)


def _rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


def test_no_leak_over_many_calls(ctx):
    x = ctx.empty((0, 0))
    relu = nnact.Act("relu")
    for _ in range(2000):
        nnact.act_forward(x, relu, out=x)
    before = _rss_kib()
    for _ in range(100_000):
        nnact.act_forward(x, relu, out=x)
    small = np.ones((64, 64), np.float32)
    for _ in range(5000):
        ctx.asarray(small).get()
    grown = _rss_kib() - before
    assert grown < 8 * 1024, "RSS grew by %d KiB over 10^5 calls" % grown
