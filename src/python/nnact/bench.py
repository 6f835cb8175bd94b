"""Benchmarks of the Python front end (python3 -m nnact.bench --help).

  overhead   the time the wrapper adds to one C call: nnact.act_forward on
             a 0x0 tensor (no device work) against the same call in a C
             loop compiled into the extension, both medians, same process
  compat     each compat activation and the seed 001 model forward against
             the seeds' own NumPy formulas, side by side, by batch size,
             and the crossover batch where the device wins
  fit        MLP.fit against nnact-train on Fashion-MNIST (784-256-128-10,
             batch 128, Adam, cosine), run alternately, seconds per epoch
             and test accuracy

Every figure is printed with the device and the CPU model it ran on.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy as np


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
            else:
                name = platform.processor()
        with open("/proc/cpuinfo") as f:
            flags = next((ln for ln in f if ln.startswith("flags")), "")
        isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
        return "%s (%s, %d cores)" % (name, isa, os.cpu_count() or 0)
    except OSError:
        return platform.processor() or "unknown CPU"


def median_call_ns(fn, calls):
    t = []
    pc = time.perf_counter_ns
    for _ in range(calls):
        a = pc()
        fn()
        t.append(pc() - a)
    t.sort()
    return t[len(t) // 2]


def bench_overhead(calls=20000):
    import nnact
    from nnact import ops
    from nnact._lib import lib
    ctx = nnact.default_context()
    x = ctx.empty((0, 0))
    relu = nnact.Act("relu")
    # the timer's own cost, subtracted from the Python medians
    timer = median_call_ns(lambda: None, calls)
    for _ in range(2000):
        nnact.act_forward(x, relu, out=x)
    rounds = []
    for _ in range(5):  # alternate, take the median of the rounds
        c_ns = ops.c_loop_overhead_ns(x, "relu", calls)
        py_ns = median_call_ns(lambda: nnact.act_forward(x, relu, out=x), calls) - timer
        rounds.append((py_ns, c_ns))
    py_ns = statistics.median(r[0] for r in rounds)
    c_ns = statistics.median(r[1] for r in rounds)
    raw = median_call_ns(lambda: lib.nnact_tensor_rows(x._h), calls) - timer
    return {"bench": "overhead", "python_call_us": py_ns / 1e3, "c_call_us": c_ns / 1e3,
            "added_us": (py_ns - c_ns) / 1e3, "raw_cffi_call_us": raw / 1e3,
            "calls": calls, "rounds": 5}


# The seeds' formulas, as their docs write them (NumPy, the input's dtype).
def seed_sigmoid(x):
    return 1 / (1 + np.exp(-np.clip(x, -500, 500)))


def seed_relu(x):
    return np.maximum(0, x)


def seed_softmax(x):
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def seed_swish(x):  # mpneuralnetwork
    return x / (1 + np.exp(-x))


def seed_tanh(x):
    return np.tanh(x)


def best_of(fn, reps):
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_compat(batches=(32, 128, 512, 1024, 2048, 4096), cols=128, reps=15):
    from nnact.compat import activations as A
    from nnact.compat import mpneuralnetwork as M
    cases = [("activations.sigmoid", A.sigmoid, seed_sigmoid),
             ("activations.relu", A.relu, seed_relu),
             ("activations.softmax", A.softmax, seed_softmax),
             ("mpneuralnetwork.Swish", M.Swish().forward, seed_swish),
             ("mpneuralnetwork.Tanh", M.Tanh().forward, seed_tanh)]
    rng = np.random.default_rng(0)
    rows = []
    for name, ours, theirs in cases:
        for b in batches:
            x = rng.standard_normal((b, cols)).astype(np.float32)
            ours(x), theirs(x)
            t_ours, t_np = [], []
            for _ in range(3):  # alternate
                t_ours.append(best_of(lambda: ours(x), reps))
                t_np.append(best_of(lambda: theirs(x), reps))
            rows.append({"bench": "compat", "op": name, "batch": b, "cols": cols,
                         "nnact_ms": min(t_ours) * 1e3, "numpy_ms": min(t_np) * 1e3,
                         "numpy_over_nnact": min(t_np) / min(t_ours)})
    # the seed 001 model: NeuralNetworkModel([784, 128, 64, 10]) forward
    model = A.NeuralNetworkModel([784, 128, 64, 10], ["relu", "relu", "softmax"])
    Ws = [w.get() for w in model.mlp.weights]
    bs = [b.get() for b in model.mlp.biases]

    def numpy_forward(X):
        h = X
        for i, (W, bb) in enumerate(zip(Ws, bs)):
            h = h @ W + bb
            h = seed_relu(h) if i < 2 else seed_softmax(h)
        return h

    for b in batches:
        X = rng.standard_normal((b, 784)).astype(np.float32)
        model.forward(X), numpy_forward(X)
        t_ours, t_np = [], []
        for _ in range(3):
            t_ours.append(best_of(lambda: model.forward(X), reps))
            t_np.append(best_of(lambda: numpy_forward(X), reps))
        rows.append({"bench": "compat", "op": "activations.NeuralNetworkModel.forward",
                     "batch": b, "cols": 784, "nnact_ms": min(t_ours) * 1e3,
                     "numpy_ms": min(t_np) * 1e3, "numpy_over_nnact": min(t_np) / min(t_ours)})
    return rows


def crossover(rows):
    """op -> the smallest batch from which nnact is faster at every larger
    measured batch (None: NumPy is faster throughout)."""
    out = {}
    for op in dict.fromkeys(r["op"] for r in rows):
        rs = sorted((r for r in rows if r["op"] == op), key=lambda r: r["batch"])
        cross = None
        for i in range(len(rs)):
            if all(r["numpy_over_nnact"] > 1 for r in rs[i:]):
                cross = rs[i]["batch"]
                break
        out[op] = cross
    return out


def run_train(exe, epochs, data):
    r = subprocess.run([exe, "--data", data, "--epochs", str(epochs), "--seed", "42"],
                       capture_output=True, text=True, timeout=3600)
    if r.returncode:
        raise RuntimeError("nnact-train failed: " + r.stderr)
    secs = [float(m) for m in re.findall(r"^epoch +\d+/\d+ .* ([0-9.]+) s$", r.stdout, re.M)]
    acc = float(re.search(r"test_accuracy=([0-9.]+)", r.stdout).group(1))
    return secs, acc


def run_fit(epochs, data):
    import nnact
    Xtr, ytr, Xte, yte = nnact.load_fashion_mnist(data)
    m = nnact.MLP([784, 256, 128, 10], "relu", seed=42)
    hist = m.fit(Xtr, ytr, epochs=epochs, batch_size=128, optimizer="adam", lr=1e-3,
                 schedule="cosine", progress=False, seed=42)
    return [h["seconds"] for h in hist], m.evaluate(Xte, yte)[1]


def bench_fit(exe, epochs=10, rounds=2, data="/usr/share/datasets/fashion-mnist"):
    rows = []
    for r in range(rounds):  # alternate the two, nnact-train first
        t_secs, t_acc = run_train(exe, epochs, data)
        p_secs, p_acc = run_fit(epochs, data)
        tail = slice(1, None) if epochs > 1 else slice(None)
        rows.append({"bench": "fit", "round": r + 1, "epochs": epochs,
                     "nnact_train_s_per_epoch": statistics.mean(t_secs[tail]),
                     "mlp_fit_s_per_epoch": statistics.mean(p_secs[tail]),
                     "fit_over_train": statistics.mean(p_secs[tail]) /
                     statistics.mean(t_secs[tail]),
                     "nnact_train_test_accuracy": t_acc, "mlp_fit_test_accuracy": p_acc})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m nnact.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--what", default="overhead,compat",
                    help="comma list of overhead, compat, fit (default overhead,compat)")
    ap.add_argument("--nnact-train", default="nnact-train", help="the nnact-train binary")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    a = ap.parse_args(argv)
    import nnact
    dev = nnact.default_context().device.name
    head = {"device": dev, "cpu": cpu_model(), "date": time.strftime("%Y-%m-%d %H:%M UTC",
                                                                     time.gmtime())}
    print(json.dumps(head) if a.json else "# %s on '%s', %s" % (head["cpu"], dev, head["date"]))
    what = a.what.split(",")
    rows = []
    if "overhead" in what:
        rows.append(bench_overhead())
    if "compat" in what:
        rows += bench_compat()
    if "fit" in what:
        rows += bench_fit(a.nnact_train, a.epochs, a.rounds)
    for r in rows:
        if a.json:
            print(json.dumps(r))
        elif r["bench"] == "overhead":
            print("overhead: Python call %.2f us, C loop %.2f us, added %.2f us (medians of "
                  "%d calls x %d rounds); raw cffi call %.2f us"
                  % (r["python_call_us"], r["c_call_us"], r["added_us"], r["calls"],
                     r["rounds"], r["raw_cffi_call_us"]))
        elif r["bench"] == "compat":
            print("compat %-40s batch %5d x %-4d nnact %8.3f ms  numpy %8.3f ms  numpy/nnact "
                  "%5.2f" % (r["op"], r["batch"], r["cols"], r["nnact_ms"], r["numpy_ms"],
                             r["numpy_over_nnact"]))
        else:
            print("fit round %d (%d epochs): nnact-train %.3f s/epoch, MLP.fit %.3f s/epoch "
                  "(%.3fx); test accuracy %.4f / %.4f"
                  % (r["round"], r["epochs"], r["nnact_train_s_per_epoch"],
                     r["mlp_fit_s_per_epoch"], r["fit_over_train"],
                     r["nnact_train_test_accuracy"], r["mlp_fit_test_accuracy"]))
    compat_rows = [r for r in rows if r["bench"] == "compat"]
    if compat_rows:
        for op, b in crossover(compat_rows).items():
            line = {"bench": "crossover", "op": op, "batch": b}
            print(json.dumps(line) if a.json else "crossover %-40s %s" % (
                op, "from batch %d" % b if b else "NumPy faster at every measured batch"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
