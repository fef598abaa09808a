"""bench/: the hand-written NumPy floor trains exactly as synaptica does, and bench/mlp.py and
bench/step_instructions.py run end to end as a user runs them, on a subset of Fashion-MNIST."""

import json

import numpy as np
import pytest

from synaptica import Backprop, SGD, fit
from synaptica.losses import get_cost
from synaptica.nn import Linear, mlp
from tests.conftest import REPO, run_python

BENCH = REPO / "bench"


@pytest.fixture
def numpy_floor(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import numpy_floor as module

    return module


@pytest.mark.parametrize("sizes, batch_size, examples", [
    ([784, 30, 10], 10, 100), ([784, 100, 10], 10, 100), ([784, 100, 10], 500, 3000),
], ids=["a", "b", "b-batch-500"])
def test_the_numpy_floor_trains_exactly_as_synaptica_does(fashion, numpy_floor, sizes, batch_size, examples):
    """From the same initial weights and seed, the floor's weights after one epoch equal synaptica's to
    float32 rounding: the same arithmetic, so ``synaptica / floor`` is the price of the engine alone.
    Ten steps at batch 10 (the (W aᵀ)ᵀ product), and six at batch 500 over three gathered blocks
    (a Wᵀ). Longer runs drift apart: η = 3 on saturated sigmoids amplifies rounding (at batch 10
    in (b), 3e-6 after 10 steps, 3e-4 after 60)."""
    x, y = fashion.train.x[:examples], fashion.train.y[:examples]
    net = mlp(sizes, "sigmoid", output_activation="sigmoid", init="large", rng=3)
    layers = [layer for layer in net.layers if isinstance(layer, Linear)]
    initial = [layer.weight.data.copy() for layer in layers]
    weights = [w.copy() for w in initial]
    biases = [layer.bias.data.copy() for layer in layers]
    floor = numpy_floor.NumpyTrainer(weights, biases, x, y, batch_size=batch_size, eta=3.0, seed=5, threads=1)
    floor.epoch()
    fit(net, Backprop(get_cost("quadratic"), SGD(net.parameters(), learning_rate=3.0)), (x, y),
        epochs=1, batch_size=batch_size, rng=5, verbose=False, blas=1)
    for layer, w, b, w0 in zip(layers, weights, biases, initial):
        np.testing.assert_allclose(w, layer.weight.data, rtol=0, atol=1e-5)
        np.testing.assert_allclose(b, layer.bias.data, rtol=0, atol=1e-5)
        assert np.abs(w - w0).max() > 1e-3, "the floor did not train"


def test_the_benchmark_runs_and_reports_every_ratio(subset_dir, tmp_path):
    """Configuration (a), one epoch on the 3,334 training images of a subset: synaptica, PyTorch and the
    floor each train and learn, and the ratios a reader looks for are printed and saved."""
    out = tmp_path / "a.json"
    result = run_python([str(BENCH / "mlp.py"), "--config", "a", "--epochs", "1", "--repeats", "1",
                         "--settle", "0", "--data", str(subset_dir), "--json", str(out)])
    assert result.returncode == 0, result.stderr
    for line in ("synaptica/PyTorch: s/epoch", "NumPy floor/PyTorch: s/epoch", "synaptica overhead over the NumPy floor"):
        assert line in result.stdout, result.stdout
    record = json.loads(out.read_text())["results"][0]
    assert record["config"] == "a" and record["n_train"] == 3334
    for name in ("synaptica", "pytorch", "numpy"):
        assert record[name]["s_per_epoch"] > 0 and record[name]["test_accuracy"] > 0.2, (name, record[name])
    assert record["ratio_s_per_epoch"] == pytest.approx(record["synaptica"]["s_per_epoch"] / record["pytorch"]["s_per_epoch"])
    assert record["numpy_ratio_s_per_epoch"] == pytest.approx(record["numpy"]["s_per_epoch"] / record["pytorch"]["s_per_epoch"])


@pytest.mark.slow
def test_instruction_counts_split_a_step_by_library(subset_dir):
    """Configuration (a) under callgrind, 10 and 30 steps of each implementation: the same matrix
    products, so the BLAS instructions per step agree; the engine's extra work shows in Python and NumPy."""
    result = run_python([str(BENCH / "step_instructions.py"), "--config", "a", "--steps", "10,30",
                         "--data", str(subset_dir)], timeout=900)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: [float(v) for v in line.split()[-3:]] for line in result.stdout.splitlines()
            if line.split() and line.split()[0] in ("Python", "NumPy", "BLAS", "total")}
    assert set(rows) == {"Python", "NumPy", "BLAS", "total"}, result.stdout
    synaptica_blas, floor_blas, _ = rows["BLAS"]
    assert floor_blas > 100 and abs(synaptica_blas - floor_blas) < 0.02 * floor_blas, result.stdout
    # each row is the difference of a 10- and a 30-step run over 20 steps, and the interpreter's noise
    # (garbage collection, caches) moves the floor's small Python row by tens of thousands either way
    # (−9.7 and +70.4 thousand measured): only the interpreter and NumPy together, and the total, compare
    interpreter = [rows["Python"][k] + rows["NumPy"][k] for k in (0, 1)]
    assert interpreter[0] > interpreter[1] and rows["total"][0] > rows["total"][1], result.stdout
    assert "synaptica / floor:" in result.stdout


@pytest.mark.slow
def test_the_unsupervised_bench_runs_and_both_libraries_agree(fashion):
    result = run_python([str(BENCH / "unsupervised.py"), "--examples", "1000", "--repeats", "1", "--max-iter", "5"])
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[2:]}
    assert set(rows) == {"kmeans", "pca"} and "iterations 5 / 5" in result.stdout
    assert all(float(rows[name][3]) > 0 for name in rows)
