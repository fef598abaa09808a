"""The BLAS thread policy fit applies while training (docs/performance.md has the measurements)."""

import numpy as np
from threadpoolctl import threadpool_info

from synaptica import Backprop, LogLikelihoodCost, SGD, fit
from synaptica.nn import mlp
from synaptica.parallel.blas import FEW_CORES, SMALL_BATCH, training_threads, usable_cores


def _blas_threads() -> int:
    return max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")


def test_auto_uses_one_thread_for_small_batches_and_few_cores():
    assert training_threads(10) == 1
    assert training_threads(SMALL_BATCH - 1) == 1
    assert training_threads(SMALL_BATCH) == (1 if usable_cores() <= FEW_CORES else None)


def test_an_explicit_choice_is_kept():
    assert training_threads(10, 3) == 3
    assert training_threads(512, None) is None


def test_fit_trains_under_the_policy_and_restores_the_threads_after(rng):
    before = _blas_threads()
    seen = []
    x = rng.random((40, 6), dtype=np.float32)
    y = rng.integers(0, 3, 40)
    model = mlp([6, 5, 3], rng=0)
    fit(model, Backprop(LogLikelihoodCost(), SGD(model.parameters(), 0.1)), (x, y), epochs=1, batch_size=10,
        verbose=False, callbacks=[lambda epoch, history, model: seen.append(_blas_threads())])
    assert seen == [1]
    assert _blas_threads() == before
