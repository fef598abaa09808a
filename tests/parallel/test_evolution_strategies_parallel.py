"""Evolution strategies on every executor: the same seed gives bitwise the same weights, a killed worker
changes nothing, and only seeds, θ and the mini-batch cross to the workers."""

import os
import signal
import time

import numpy as np
import pytest

from synaptica import LogLikelihoodCost, fit
from synaptica.nn import mlp
from synaptica.optim import Adam
from synaptica.parallel import SerialExecutor
from synaptica.parallel.process_pool import collect
from synaptica.rules import EvolutionStrategies


def _train(digits_like, executor, generations=6):
    x, y = digits_like
    model = mlp([64, 16, 10], "tanh", init="xavier", rng=0)
    rule = EvolutionStrategies(LogLikelihoodCost(), Adam(model.parameters(), 0.03), population=20, sigma=0.05,
                               executor=executor)
    history = fit(model, rule, (x, y), epochs=1, batch_size=len(x) // generations, rng=3, verbose=False)
    return np.concatenate([p.data.ravel() for p in model.parameters()]), history


@pytest.fixture(scope="module")
def digits_like():
    from synaptica.data import load_dataset

    train = load_dataset("digits").train
    return train.x[:600], train.y[:600]


def test_the_same_seed_gives_bitwise_the_same_weights_on_every_executor(digits_like, pool, ray_cluster):
    in_process, history = _train(digits_like, None)
    assert len(history.step_losses[0]) == 6
    for executor in (SerialExecutor(), pool, ray_cluster):
        weights, other = _train(digits_like, executor)
        assert np.array_equal(weights, in_process), executor.name
        assert np.array_equal(other.step_losses[0], history.step_losses[0]), executor.name


class _KillDuringGeneration:
    """The pool, except that in generation ``at`` one worker is killed once the population is handed out."""

    def __init__(self, pool, at: int):
        self.pool, self.at, self.name = pool, at, "process"
        self.workers = pool.workers

    def map(self, task, payloads):
        futures = [self.pool.submit(task, payload, f"{task} #{i}") for i, payload in enumerate(payloads)]
        if payloads[0]["generation"] == self.at:
            os.kill(self.pool.worker_pids()[0], signal.SIGKILL)
        return collect(futures)


def test_a_worker_killed_during_a_generation_changes_nothing(digits_like, pool):
    """Kill one pool worker in the middle of generation 4: its slice of the population is scored again."""
    expected, _ = _train(digits_like, None, generations=8)
    restarts = pool.restarts
    weights, _ = _train(digits_like, _KillDuringGeneration(pool, at=4), generations=8)
    assert np.array_equal(weights, expected)
    deadline = time.monotonic() + 30  # the pool notices the death on its own thread
    while pool.restarts == restarts and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool.restarts == restarts + 1
