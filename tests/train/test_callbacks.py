"""Callbacks in fit: stopping with StopTraining, epoch schedules, Nielsen's halve-on-plateau schedule."""

import numpy as np
import pytest

from synaptica import Backprop, LogLikelihoodCost, SGD, fit
from synaptica.nn import Parameter, mlp
from synaptica.data import load_dataset
from synaptica.optim.schedules import cosine, step_decay
from synaptica.train import EpochSchedule, HalveOnPlateau, History, StopTraining


def _subset(fashion, n_train=1000, n_validation=500):
    return ((fashion.train.x[:n_train], fashion.train.y[:n_train]),
            (fashion.validation.x[:n_validation], fashion.validation.y[:n_validation]))


def _network(seed=0, eta=0.1):
    model = mlp([784, 30, 10], "relu", init="he", rng=seed)
    optimizer = SGD(model.parameters(), eta)
    return model, optimizer, Backprop(LogLikelihoodCost(), optimizer)


def _record_learning_rate(optimizer, into):
    """A callback keeping the η of the epoch's last step (put it before any callback that changes η)."""
    def record(epoch, history, model):
        into.append(optimizer.current_learning_rate)
    return record


# ------------------------------------------------------------------ StopTraining
def test_a_callback_stops_training_and_history_says_why(fashion, capsys):
    train, validation = _subset(fashion, 300, 200)
    model, _, rule = _network()
    seen = []

    def stop_after_epoch_1(epoch, history, model):
        if epoch == 1:
            raise StopTraining("enough for this test")

    def later(epoch, history, model):
        seen.append(epoch)

    history = fit(model, rule, train, epochs=10, batch_size=10, rng=0, validation=validation,
                  callbacks=[stop_after_epoch_1, later])
    assert history.epochs == [0, 1]
    assert seen == [0, 1]  # the callbacks after the stopping one still see the last epoch
    assert history.stopped_early and history.stop_reason == "enough for this test"
    assert "Stopping early: enough for this test." in capsys.readouterr().out


def test_a_stop_still_restores_the_best_epoch(fashion):
    train, validation = _subset(fashion, 300, 200)
    model, _, rule = _network(eta=0.1)
    snapshots = []

    def snapshot_then_stop(epoch, history, model):
        snapshots.append({k: v.copy() for k, v in model.state_dict().items()})
        if epoch == 4:
            raise StopTraining("stop at epoch 4")

    history = fit(model, rule, train, epochs=20, batch_size=10, rng=2, validation=validation,
                  restore_best=True, verbose=False, callbacks=[snapshot_then_stop])
    best = int(np.argmax(history.validation_accuracy))  # the first epoch with the best accuracy
    assert len(history.epochs) == 5 and history.restored_epoch == best == 3  # measured: 0.67 at epoch 3
    assert all(np.array_equal(model.state_dict()[k], snapshots[best][k]) for k in snapshots[best])


def test_patience_records_its_reason(fashion):
    train, validation = _subset(fashion, 300, 200)
    model = mlp([784, 10, 10], rng=0)
    rule = Backprop(LogLikelihoodCost(), SGD(model.parameters(), 1e-12))  # nothing can improve
    history = fit(model, rule, train, epochs=20, batch_size=50, rng=0, patience=2, validation=validation,
                  verbose=False)
    assert history.stopped_early and history.stop_reason.startswith("no better validation accuracy for 2 epochs")


# ------------------------------------------------------------------ EpochSchedule
def test_epoch_schedule_sets_eta_before_each_epoch(fashion):
    train, _ = _subset(fashion, 200)
    model, optimizer, rule = _network()
    used = []
    schedule = EpochSchedule(optimizer, step_decay(0.1, drop=0.5, every=2))
    assert optimizer.learning_rate == 0.1  # epoch 0's η is set when the callback is made
    fit(model, rule, train, epochs=5, batch_size=50, rng=0, verbose=False,
        callbacks=[_record_learning_rate(optimizer, used), schedule])
    assert used == [0.1, 0.1, 0.05, 0.05, 0.025]
    assert schedule.learning_rates == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]  # and epoch 5's, never used


def test_epoch_schedule_refuses_bad_values():
    optimizer = SGD([Parameter(np.zeros(3))], 0.1)
    with pytest.raises(ValueError, match="EpochSchedule: the schedule gave learning rate -1.0 for epoch 0"):
        EpochSchedule(optimizer, lambda epoch: -1.0)
    with pytest.raises(TypeError, match="EpochSchedule: schedule must be a callable"):
        EpochSchedule(optimizer, 0.1)
    with pytest.raises(TypeError, match="the optimizer's learning_rate is a step schedule"):
        EpochSchedule(SGD([Parameter(np.zeros(3))], step_decay(0.1, 0.5, 10)), step_decay(0.1, 0.5, 2))


# ------------------------------------------------------------------ HalveOnPlateau: the exact rule
# patience 2: the epochs marked * are the second in a row without beating the best so far
PLATEAU_ACCURACIES = [0.50, 0.60, 0.60, 0.55,      # best 0.60 at epoch 1; epochs 2, 3 no gain -> halve at 3*
                      0.70, 0.70, 0.65,            # best 0.70 at 4; 5, 6 -> halve at 6*
                      0.69, 0.71, 0.60, 0.60,      # 7 no gain, 8 a new best (count restarts), 9, 10 -> 10*
                      0.60, 0.60, 0.60, 0.60, 0.60, 0.60, 0.60, 0.60]   # -> 12*, 14*, 16*, 18* (η₀/128)


def test_halve_on_plateau_halves_at_the_right_epochs_and_stops_at_one_128th():
    optimizer = SGD([Parameter(np.zeros(3))], 0.8)
    schedule = HalveOnPlateau(optimizer, patience=2)
    history = History()
    rates_after = []
    for epoch, accuracy in enumerate(PLATEAU_ACCURACIES):
        history.epochs.append(epoch)
        history.validation_accuracy.append(accuracy)
        if epoch < 18:
            schedule(epoch, history, None)
        else:
            with pytest.raises(StopTraining, match=r"fell to 0.00625 = η₀/128 after 7 reductions"):
                schedule(epoch, history, None)
        rates_after.append(optimizer.learning_rate)
    assert [epoch for epoch, _ in schedule.halvings] == [3, 6, 10, 12, 14, 16, 18]
    assert [rate for _, rate in schedule.halvings] == [0.8 / 2 ** k for k in range(1, 8)]
    assert rates_after[:3] == [0.8, 0.8, 0.8] and rates_after[3] == 0.4 and rates_after[9] == 0.2
    assert optimizer.learning_rate == 0.8 / 128


def test_halve_on_plateau_needs_validation_and_a_numeric_eta():
    optimizer = SGD([Parameter(np.zeros(3))], 0.5)
    with pytest.raises(ValueError, match=r"pass fit\(..., validation=\(x, y\)\)"):
        HalveOnPlateau(optimizer)(0, History(), None)
    with pytest.raises(TypeError, match="HalveOnPlateau: the optimizer's learning_rate is a step schedule"):
        HalveOnPlateau(SGD([Parameter(np.zeros(3))], step_decay(0.1, 0.5, 10)))
    with pytest.raises(ValueError, match="patience must be an integer >= 1"):
        HalveOnPlateau(optimizer, patience=0)


def _replay(accuracies, patience):
    """The rule written out once more, independently: (epoch of each halving)."""
    best, waited, halved = -1.0, 0, []
    for epoch, accuracy in enumerate(accuracies):
        if accuracy > best:
            best, waited = accuracy, 0
        else:
            waited += 1
            if waited == patience:
                halved.append(epoch)
                waited = 0
    return halved


@pytest.mark.slow
def test_halve_on_plateau_in_a_real_run_stops_at_one_128th(fashion):
    train, validation = _subset(fashion, 1000, 500)
    model, optimizer, rule = _network(seed=0, eta=0.1)
    schedule = HalveOnPlateau(optimizer, patience=3)
    used = []
    history = fit(model, rule, train, epochs=300, batch_size=10, rng=0, validation=validation, verbose=False,
                  callbacks=[_record_learning_rate(optimizer, used), schedule])
    assert history.stopped_early and "η₀/128 after 7 reductions" in history.stop_reason
    assert len(history.epochs) < 300 and optimizer.learning_rate == 0.1 / 128
    halved_at = [epoch for epoch, _ in schedule.halvings]
    assert halved_at == _replay(history.validation_accuracy, patience=3)
    assert halved_at[-1] == history.epochs[-1]  # it stopped at the seventh halving
    for epoch, eta in enumerate(used):  # each epoch trained with η₀ / 2^(halvings before it)
        assert eta == 0.1 / 2 ** sum(h < epoch for h in halved_at)


def test_a_schedule_reaching_zero_ends_the_run_and_keeps_the_best_weights(subset_dir):
    """cosine(η, epochs) is 0 one epoch past the end: the run ends cleanly and restore_best still works."""
    data = load_dataset(subset_dir)
    train = (data.train.x[:1000], data.train.y[:1000])
    model = mlp([784, 30, 10], rng=0)
    optimizer = SGD(model.parameters(), learning_rate=0.5)
    history = fit(model, Backprop(LogLikelihoodCost(), optimizer), train, epochs=3, batch_size=10, rng=0,
                  validation=(data.validation.x, data.validation.y), restore_best=True, verbose=False,
                  callbacks=[EpochSchedule(optimizer, cosine(0.5, 3))])
    assert history.epochs == [0, 1, 2]
    assert history.stop_reason == "the learning-rate schedule reached 0 at epoch 3"
