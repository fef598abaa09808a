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
    assert f"row {order[17 * 10 + 3]} of the data, feature [100]" in message  # the row to fix in the data
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def _overflowing(batch_size):
    """An update that overflows float32 weights while its own cost is finite: η = 1e300."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 5)).astype(np.float32), rng.integers(0, 3, 40)
    model = mlp([5, 8, 3], "relu", rng=0)
    kept = [p.data.copy() for p in model.parameters()]
    with pytest.raises(NonFiniteError) as error, np.errstate(over="ignore", invalid="ignore"):
        fit(model, Backprop(LogLikelihoodCost(), SGD(model.parameters(), 1e300)), (x, y), epochs=3,
            batch_size=batch_size, rng=0, verbose=False)
    assert all(np.array_equal(p.data, k) for p, k in zip(model.parameters(), kept))  # put back, finite
    return str(error.value)


def test_an_update_that_overflows_the_weights_is_caught_at_the_next_cost_and_undone():
    message = _overflowing(batch_size=10)
    assert "epoch 0, batch 1" in message and "an earlier update of this epoch made" in message
    assert "non-finite (NaN or infinite) while its cost was finite" in message
    assert "put back to those from before epoch 0" in message


def test_an_update_that_overflows_the_weights_in_the_last_step_is_caught_before_evaluation():
    message = _overflowing(batch_size=40)  # one step per epoch: no later cost in the epoch shows it
    assert message.startswith("an update in epoch 0 made") and "weights of layers." in message


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


def test_restore_best_puts_back_the_best_validation_epoch(fashion, capsys):
    """The situation is constructed, not hoped for: after epoch 2 a callback spoils the weights and
    stalls learning, so the last epochs are certainly worse than the best one."""
    model, rule = _setup(seed=1, eta=3.0)
    snapshots = []

    def snapshot_then_spoil(epoch, h, m):
        snapshots.append([p.data.copy() for p in m.parameters()])
        if epoch == 2:
            for p in m.parameters():
                p.data[...] = 0.0  # every output σ(0): the same guess for every image
            rule.optimizer.learning_rate = 1e-12

    history = fit(model, rule, _small(fashion, 1000), epochs=5, batch_size=10, rng=1, restore_best=True,
                  validation=(fashion.validation.x[:300], fashion.validation.y[:300]),
                  callbacks=[snapshot_then_spoil])
    best = int(np.argmax(history.validation_accuracy))
    assert best <= 2 and max(history.validation_accuracy[3:]) < history.validation_accuracy[best]
    assert history.restored_epoch == best
    assert all(np.array_equal(p.data, q) for p, q in zip(model.parameters(), snapshots[best]))
    assert f"Restored the weights of epoch {best}" in capsys.readouterr().out


def test_labels_a_network_cannot_have_are_refused_naming_the_first():
    x = np.zeros((6, 4), np.float32)
    model = mlp([4, 3], "relu", rng=0)
    rule = Backprop(LogLikelihoodCost(), SGD(model.parameters(), 0.1))
    with pytest.raises(ValueError, match=r"2 class labels are negative, the first at index 3 \(-1\)"):
        fit(model, rule, (x, np.array([0, 1, 2, -1, 0, -2])), epochs=1, batch_size=2, verbose=False)
    with pytest.raises(ValueError, match=r"label 3 \(example \d of the batch\) is not a class of an output with 3 units"):
        fit(model, rule, (x, np.array([0, 1, 2, 3, 0, 1])), epochs=1, batch_size=6, verbose=False)
    with pytest.raises(ValueError, match=r"targets of shape \(6,\) \(float64\)"):
        fit(model, rule, (x, np.zeros(6)), epochs=1, batch_size=6, verbose=False)
    with pytest.raises(ValueError, match="hold no examples"):
        fit(model, rule, (x[:0], np.zeros(0, int)), epochs=1, batch_size=6, verbose=False)


def test_evaluate_refuses_targets_that_do_not_match_naming_the_first():
    from synaptica.train import evaluate

    model, x = mlp([4, 3], "relu", rng=0), np.zeros((5, 4), np.float32)
    with pytest.raises(ValueError, match="5 inputs but 4 targets"):
        evaluate(model, x, np.zeros(4, int))
    with pytest.raises(ValueError, match=r"2 labels are not classes of the model's 3 outputs \(0..2\), the first at index 3 \(5\)"):
        evaluate(model, x, np.array([0, 1, 2, 5, -1]))
