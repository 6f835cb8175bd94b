"""The benchmark module runs (a smoke test; timings are not asserted)."""
import json

from nnact import bench


def test_overhead_bench_runs():
    r = bench.bench_overhead(calls=500)
    assert r["python_call_us"] > 0 and r["c_call_us"] > 0


def test_compat_bench_and_crossover(capsys):
    rows = bench.bench_compat(batches=(8, 16), cols=8, reps=1)
    assert {r["op"] for r in rows} >= {"activations.relu", "activations.NeuralNetworkModel.forward"}
    fake = [{"op": "a", "batch": b, "numpy_over_nnact": v} for b, v in
            [(32, 0.5), (64, 1.2), (128, 0.9), (256, 1.5), (512, 2.0)]]
    assert bench.crossover(fake) == {"a": 256}
    assert bench.main(["--what", "overhead", "--json"]) == 0
    lines = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert "cpu" in lines[0] and lines[1]["bench"] == "overhead"
