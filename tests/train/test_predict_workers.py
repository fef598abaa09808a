"""predict() runs batches side by side in threads: the outputs must not depend on how many."""

import numpy as np
import pytest

from synaptica.errors import ShapeError
from synaptica.nn import Module, cnn, mlp
from synaptica.tensor import is_recording
from synaptica.train import evaluate, predict
from synaptica.parallel.blas import blas_threads, inference_workers, usable_cores


@pytest.mark.parametrize("model", [mlp([784, 64, 10], "relu", init="he", rng=1), cnn((1, 28, 28), 10, rng=2)],
                         ids=["mlp", "cnn"])
def test_outputs_are_bitwise_the_same_for_any_number_of_workers(model):
    """As the docstring promises, whatever BLAS thread count is set around the call (several here, as
    on any multi-core machine): one worker computes every batch with one BLAS thread too."""
    x = np.random.default_rng(0).random((2000, 784), dtype=np.float32)
    with blas_threads(4):
        outputs = {workers: predict(model, x, batch_size=500, workers=workers) for workers in (1, 2, "auto")}
    assert outputs[1].shape == (2000, 10)
    np.testing.assert_array_equal(outputs[1], outputs[2])
    np.testing.assert_array_equal(outputs[1], outputs["auto"])


@pytest.mark.parametrize("workers", [3, "auto"])
def test_small_batches_side_by_side_equal_one_after_another(workers):
    rng = np.random.default_rng(0)
    x = rng.random((250, 784), dtype=np.float32)
    for model in (mlp([784, 64, 10], "relu", init="he", rng=1), cnn((1, 28, 28), 10, rng=2)):
        alone = predict(model, x, batch_size=40, workers=1)
        side_by_side = predict(model, x, batch_size=40, workers=workers)
        assert side_by_side.shape == (250, 10)
        np.testing.assert_array_equal(alone, side_by_side)


def test_every_worker_runs_without_recording_and_restores_the_mode():
    seen = []

    class Probe(Module):
        def forward(self, x):
            seen.append(is_recording())
            return x

    probe = Probe()
    probe.train()
    predict(probe, np.zeros((10, 3), np.float32), batch_size=2, workers=3)
    assert seen == [False] * 5
    assert probe.training


def test_a_shape_error_in_a_worker_reaches_the_caller():
    model = mlp([784, 30, 10], "sigmoid", rng=0)
    with pytest.raises(ShapeError, match=r"Linear\(784→30\) got input of shape \(2, 100\)"):
        predict(model, np.zeros((5, 100), np.float32), batch_size=2, workers=2)


def test_evaluate_counts_the_same_with_parallel_batches():
    rng = np.random.default_rng(3)
    x, y = rng.random((300, 784), dtype=np.float32), rng.integers(0, 10, 300)
    model = mlp([784, 32, 10], "relu", init="he", rng=4)
    assert evaluate(model, x, y, batch_size=64).correct == int(np.sum(predict(model, x, workers=1).argmax(1) == y))


def test_the_worker_policy():
    assert inference_workers(1) == 1                        # one batch: nothing to share
    assert 1 <= inference_workers(100) <= usable_cores()
    assert inference_workers(100, 3) == 3
    for bad in (0, -1, 1.5, "many", True):
        with pytest.raises(ValueError, match="workers must be 'auto' or an integer >= 1"):
            inference_workers(10, bad)
