"""The training loop: history, early stopping, non-finite stops, determinism, no global RNG."""

import random

import numpy as np
import pytest

from synaptica import Backprop, LogLikelihoodCost, NonFiniteError, QuadraticCost, SGD, fit
from synaptica.nn import mlp
from tests.conftest import run_python


def _small(fashion, n=2000):
    return fashion.train.x[:n], fashion.train.y[:n]


def _setup(seed=0, sizes=(784, 30, 10), eta=3.0):
    model = mlp(list(sizes), "sigmoid", output_activation="sigmoid", init="large", rng=seed)
    return model, Backprop(QuadraticCost(), SGD(model.parameters(), eta))


def test_history_and_nielsen_style_output(fashion, capsys):
    model, rule = _setup()
    history = fit(model, rule, _small(fashion), epochs=3, batch_size=10, rng=0,
                  validation=(fashion.validation.x[:1000], fashion.validation.y[:1000]))
    out = capsys.readouterr().out
    assert "Epoch 2: " in out and " / 1000" in out and "cost" in out
    assert history.epochs == [0, 1, 2] and len(history.validation_accuracy) == 3
    assert len(history.step_losses[0]) == 200
    assert history.train_cost[-1] < history.train_cost[0]
    assert history.validation_accuracy[-1] > 0.5


def test_early_stopping_after_patience_epochs(fashion, capsys):
    model = mlp([784, 10, 10], rng=0)
    # a learning rate this small cannot move validation accuracy by a single example per epoch
    rule = Backprop(LogLikelihoodCost(), SGD(model.parameters(), 1e-12))
    history = fit(model, rule, _small(fashion, 500), epochs=20, batch_size=50, rng=0, patience=2,
                  validation=(fashion.validation.x[:200], fashion.validation.y[:200]))
    assert history.stopped_early and len(history.epochs) == 3
    assert "Stopping early" in capsys.readouterr().out


def test_nan_in_batch_17_names_epoch_batch_and_layer(fashion):
    x, y = (a.copy() for a in _small(fashion, 1000))
    model, rule = _setup()
    order = np.random.default_rng(5).permutation(len(x))  # fit's first shuffle with rng=5
    x[order[17 * 10 + 3], 100] = np.nan  # one pixel of the 4th example of batch 17
    before = None

    def remember(epoch, history, m):
        nonlocal before
        before = [p.data.copy() for p in m.parameters()]

    with pytest.raises(NonFiniteError) as error:
        fit(model, rule, (x, y), epochs=1, batch_size=10, rng=5, verbose=False, callbacks=[remember])
    message = str(error.value)
    assert "epoch 0, batch 17" in message
    assert "layers.0 Linear(784→30)" in message and "input itself is non-finite (example 3" in message
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_training_leaves_global_random_state_alone(fashion):
    np.random.seed(1)
    random.seed(1)
    numpy_state, python_state = np.random.get_state(), random.getstate()
    model, rule = _setup()
    fit(model, rule, _small(fashion, 300), epochs=1, batch_size=10, rng=0, verbose=False)
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(numpy_state[1:2], after[1:2])) and numpy_state[2] == after[2]
    assert random.getstate() == python_state


def test_reseeding_numpy_globals_changes_nothing(fashion):
    def run(callbacks):
        model, rule = _setup(seed=2)
        fit(model, rule, _small(fashion, 500), epochs=2, batch_size=10, rng=3, verbose=False, callbacks=callbacks)
        return [p.data for p in model.parameters()]

    plain = run([])
    meddled = run([lambda epoch, history, model: np.random.seed(123)])
    assert all(np.array_equal(a, b) for a, b in zip(plain, meddled))


DETERMINISM = """
import hashlib, numpy as np
from synaptica import Backprop, QuadraticCost, SGD, fit
from synaptica.data import load_dataset
train = load_dataset("fashion-mnist").train
from synaptica.nn import mlp
model = mlp([784, 30, 10], "sigmoid", output_activation="sigmoid", init="large", rng={seed})
history = fit(model, Backprop(QuadraticCost(), SGD(model.parameters(), 3.0)), (train.x[:10000], train.y[:10000]),
              epochs=2, batch_size=10, rng={seed}, verbose=False)
digest = hashlib.sha256()
for p in model.parameters():
    digest.update(p.data.tobytes())
for losses in history.step_losses:
    digest.update(losses.tobytes())
print(digest.hexdigest())
"""


def test_same_seed_in_two_processes_gives_bitwise_equal_weights(fashion):
    first, second, other = (run_python(DETERMINISM.format(seed=s)) for s in (4, 4, 5))
    for result in (first, second, other):
        assert result.returncode == 0, result.stderr
    assert first.stdout == second.stdout
    assert first.stdout != other.stdout


def test_bad_arguments_are_refused(fashion):
    model, rule = _setup()
    with pytest.raises(ValueError, match="inputs but"):
        fit(model, rule, (fashion.train.x[:10], fashion.train.y[:9]), epochs=1, batch_size=5)
    with pytest.raises(ValueError, match="batch_size"):
        fit(model, rule, _small(fashion, 10), epochs=1, batch_size=0)
    with pytest.raises(ValueError, match="learning_rate must be > 0, got -1"):
        SGD(model.parameters(), -1)


class _ForgetsInTheLastEpoch:
    """A rule that trains as ``rule`` does, then zeroes every weight after each step of the last
    epoch: whatever the trajectory, the last epoch ends at chance, below the best one."""

    def __init__(self, rule, steps_before_the_last_epoch):
        self.rule, self.cost, self.steps_left = rule, rule.cost, steps_before_the_last_epoch

    def bind(self, model, rng):
        self.rule.bind(model, rng)

    def step(self, model, batch):
        metrics = self.rule.step(model, batch)
        self.steps_left -= 1
        if self.steps_left < 0:
            for p in model.parameters():
                p.data[...] = 0
        return metrics


def test_restore_best_puts_back_the_best_validation_epoch(fashion, capsys):
    model, rule = _setup(seed=1)
    snapshots = []
    history = fit(model, _ForgetsInTheLastEpoch(rule, 3 * 100), _small(fashion, 1000), epochs=4, batch_size=10,
                  rng=1, restore_best=True, validation=(fashion.validation.x[:300], fashion.validation.y[:300]),
                  callbacks=[lambda epoch, h, m: snapshots.append([p.data.copy() for p in m.parameters()])])
    best = int(np.argmax(history.validation_accuracy))
    assert best != 3 and history.validation_accuracy[3] < 0.2  # zero weights: one class for every input
    assert history.restored_epoch == best
    assert all(np.array_equal(p.data, q) for p, q in zip(model.parameters(), snapshots[best]))
    assert f"Restored the weights of epoch {best}" in capsys.readouterr().out
