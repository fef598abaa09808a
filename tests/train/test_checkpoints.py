"""Checkpoints: a run stopped after an epoch, or between two steps, and resumed gives bit for bit the
weights, history and test figures of the run that was never stopped, for every rule, with dropout and
augmentation on; old checkpoints are pruned, torn writes cleaned, and a mismatched run refused."""

import json
import os

import numpy as np
import pytest

from synaptica import Backprop, LogLikelihoodCost, SGD, fit
from synaptica.data import load_dataset
from synaptica.data.augment import Augment, Shift
from synaptica.nn import mlp
from synaptica.optim import Adam
from synaptica.parallel import ProcessExecutor
from synaptica.rules import DirectFeedbackAlignment, EvolutionStrategies, FeedbackAlignment, SyntheticGradients
from synaptica.train import evaluate
from synaptica.train.callbacks import EpochSchedule, HalveOnPlateau, StopTraining
from synaptica.train.checkpoints import Checkpoint, checkpoint_metadata, checkpoint_name, latest_checkpoint
from synaptica.train.interrupt import StopRequest, TrainingInterrupted

DIGITS = load_dataset("digits")
X, Y = DIGITS.train.x[:400], DIGITS.train.y[:400]
VALIDATION = (DIGITS.validation.x, DIGITS.validation.y)


def _rule(name: str, model, executor=None):
    cost = LogLikelihoodCost()
    if name == "backprop":
        return Backprop(cost, SGD(model.parameters(), 0.05, momentum=0.9))
    if name == "feedback-alignment":
        return FeedbackAlignment(cost, SGD(model.parameters(), 0.05))
    if name == "direct-feedback-alignment":
        return DirectFeedbackAlignment(cost, Adam(model.parameters(), 0.003))
    if name == "synthetic-gradients":  # its predictors are made at the first step, after the checkpoint loads
        return SyntheticGradients(cost, Adam(model.parameters(), 0.003), conditional=True, predictor_learning_rate=0.003)
    return EvolutionStrategies(cost, Adam(model.parameters(), 0.02), population=8, sigma=0.05, executor=executor)


def _train(rule_name, directory, epochs=4, resume=None, callbacks=(), executor=None, keep=10):
    """The same seeded run every time: dropout and shifted images on, one Generator for weights and batches."""
    rng = np.random.default_rng(5)
    model = mlp([64, 24, 10], "tanh", rng=rng, dropout=0.2)
    rule = _rule(rule_name, model, executor)
    checkpoint = Checkpoint(directory, keep=keep)
    history = fit(model, rule, (X, Y), epochs=epochs, batch_size=20, rng=rng, validation=VALIDATION,
                  restore_best=True, augment=Augment([Shift(1)], image_shape=(8, 8)), verbose=False,
                  callbacks=[*callbacks, checkpoint], resume=resume)
    return model, history, checkpoint


def _assert_same_run(first, second):
    (model_a, history_a, _), (model_b, history_b, _) = first, second
    for (name, a), (_, b) in zip(model_a.state_dict().items(), model_b.state_dict().items()):
        assert np.array_equal(a, b), name
    assert history_a.metrics == history_b.metrics and history_a.epochs == history_b.epochs
    assert all(np.array_equal(a, b) for a, b in zip(history_a.step_losses, history_b.step_losses))
    assert history_a.restored_epoch == history_b.restored_epoch
    test_a = evaluate(model_a, DIGITS.test.x, DIGITS.test.y, LogLikelihoodCost())
    test_b = evaluate(model_b, DIGITS.test.x, DIGITS.test.y, LogLikelihoodCost())
    assert (test_a.correct, test_a.cost) == (test_b.correct, test_b.cost)


@pytest.mark.parametrize("rule_name", ["backprop", "feedback-alignment", "direct-feedback-alignment",
                                       "evolution-strategies", "synthetic-gradients"])
def test_a_run_resumed_after_epoch_2_equals_the_run_never_stopped(rule_name, tmp_path):
    whole = _train(rule_name, tmp_path / "whole")
    assert [p.name for p in whole[2].saved] == [checkpoint_name(e, 0) for e in range(1, 5)]
    resumed = _train(rule_name, tmp_path / "resumed", resume=tmp_path / "whole" / checkpoint_name(2, 0))
    assert len(resumed[1].epochs) == 4  # the two epochs of the checkpoint and two more
    _assert_same_run(whole, resumed)


class _StopAt:
    """Asks for a stop after step ``step`` of epoch ``epoch``, as Ctrl-C would (put before the Checkpoint)."""

    def __init__(self, stop: StopRequest, epoch: int, step: int):
        self.stop, self.epoch, self.step = stop, epoch, step

    def __call__(self, epoch, history, model):
        pass

    def after_step(self, epoch, index, metrics, model):
        if (epoch, index) == (self.epoch, self.step):
            self.stop.request("SIGINT")


@pytest.mark.parametrize("rule_name", ["backprop", "evolution-strategies", "synthetic-gradients"])
def test_a_run_stopped_between_two_steps_resumes_exactly(rule_name, tmp_path):
    whole = _train(rule_name, tmp_path / "whole")
    stop = StopRequest()
    rng = np.random.default_rng(5)
    model = mlp([64, 24, 10], "tanh", rng=rng, dropout=0.2)
    with pytest.raises(TrainingInterrupted) as stopped:
        fit(model, _rule(rule_name, model), (X, Y), epochs=4, batch_size=20, rng=rng, validation=VALIDATION,
            restore_best=True, augment=Augment([Shift(1)], image_shape=(8, 8)), verbose=False,
            callbacks=[_StopAt(stop, 1, 6), Checkpoint(tmp_path / "stopped", stop=stop)])
    assert (stopped.value.signal_name, stopped.value.epoch, stopped.value.step) == ("SIGINT", 1, 7)
    assert stopped.value.path.name == checkpoint_name(1, 7) and stopped.value.path.is_file()
    # the epoch's seconds so far travel with it, so the resumed epoch's time counts both parts
    assert json.loads(checkpoint_metadata(stopped.value.path)["synaptica.run"])["seconds_before"] > 0
    # the resumed run has the same callbacks (the stopper, which no longer fires) and continues mid-epoch
    resumed = _train(rule_name, tmp_path / "resumed", resume=tmp_path / "stopped",
                     callbacks=[_StopAt(StopRequest(), -1, -1)])
    _assert_same_run(whole, resumed)


def test_evolution_strategies_resume_on_worker_processes_equals_the_serial_run(tmp_path):
    whole = _train("evolution-strategies", tmp_path / "whole", epochs=3)
    with ProcessExecutor(2) as executor:
        resumed = _train("evolution-strategies", tmp_path / "resumed", epochs=3, executor=executor,
                         resume=tmp_path / "whole" / checkpoint_name(1, 0))
    _assert_same_run(whole, resumed)


def test_a_source_without_state_stops_at_the_end_of_the_epoch(tmp_path):
    class Batches:  # a plain source: it cannot say where an epoch stands
        def batches(self, model, rng):
            for start in range(0, 200, 20):
                yield X[start:start + 20], Y[start:start + 20]

    stop = StopRequest()
    model = mlp([64, 10, 10], "tanh", rng=0)
    with pytest.raises(TrainingInterrupted) as stopped:
        fit(model, Backprop(LogLikelihoodCost(), SGD(model.parameters(), 0.1)), Batches(), epochs=5, rng=0,
            verbose=False, callbacks=[_StopAt(stop, 1, 3), Checkpoint(tmp_path, stop=stop)])
    assert (stopped.value.epoch, stopped.value.step) == (2, 0)
    assert stopped.value.path.name == checkpoint_name(2, 0)


def test_keep_holds_the_newest_files_and_a_torn_write_is_cleaned(tmp_path):
    torn = tmp_path / f".{checkpoint_name(0, 0)}.0123456789ab.tmp"
    tmp_path.mkdir(exist_ok=True)
    torn.write_bytes(b"half a checkpoint")
    unrelated = tmp_path / "notes.tmp"
    unrelated.write_text("mine")
    _train("backprop", tmp_path, epochs=5, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [checkpoint_name(4, 0), checkpoint_name(5, 0), "notes.tmp"]
    assert latest_checkpoint(tmp_path).name == checkpoint_name(5, 0)


def test_a_finished_run_resumed_trains_no_more_and_reports_the_same(tmp_path):
    whole = _train("backprop", tmp_path / "whole", epochs=3)
    again = _train("backprop", tmp_path / "again", epochs=3, resume=tmp_path / "whole")
    _assert_same_run(whole, again)


def test_a_run_stopped_by_a_callback_stays_stopped_when_resumed(tmp_path):
    def stop_after_epoch_1(epoch, history, model):
        if epoch == 1:
            raise StopTraining("enough")

    whole = _train("backprop", tmp_path / "whole", callbacks=[stop_after_epoch_1])
    assert whole[1].epochs == [0, 1] and whole[1].stop_reason == "enough"
    resumed = _train("backprop", tmp_path / "resumed", callbacks=[stop_after_epoch_1], resume=tmp_path / "whole")
    _assert_same_run(whole, resumed)
    assert resumed[1].stopped_early


def test_schedules_carry_their_state_into_the_resumed_run(tmp_path):
    def run(directory, resume=None):
        model = mlp([64, 16, 10], "sigmoid", rng=1)
        optimizer = SGD(model.parameters(), 0.5)
        callbacks = [EpochSchedule(optimizer, lambda e: 0.5 / (1 + e)), HalveOnPlateau(optimizer, patience=1),
                     Checkpoint(directory)]
        fit(model, Backprop(LogLikelihoodCost(), optimizer), (X, Y), epochs=5, batch_size=10, rng=1,
            validation=VALIDATION, verbose=False, callbacks=callbacks, resume=resume)
        return optimizer.learning_rate, callbacks[0].learning_rates, callbacks[1].halvings, model

    whole, resumed = run(tmp_path / "a"), run(tmp_path / "b", resume=tmp_path / "a" / checkpoint_name(3, 0))
    assert whole[:3] == resumed[:3]
    assert all(np.array_equal(p.data, q.data) for p, q in zip(whole[3].parameters(), resumed[3].parameters()))


def test_a_checkpoint_of_another_model_or_rule_is_refused(tmp_path):
    _train("backprop", tmp_path, epochs=1)
    model = mlp([64, 30, 10], "tanh", rng=0)
    with pytest.raises(ValueError, match="another model"):
        fit(model, Backprop(LogLikelihoodCost(), SGD(model.parameters(), 0.1)), (X, Y), epochs=2, batch_size=20,
            verbose=False, resume=tmp_path)
    model = mlp([64, 24, 10], "tanh", rng=0, dropout=0.2)
    with pytest.raises(ValueError, match="another rule"):
        fit(model, FeedbackAlignment(LogLikelihoodCost(), SGD(model.parameters(), 0.1)), (X, Y), epochs=2,
            batch_size=20, validation=VALIDATION, restore_best=True, verbose=False,
            callbacks=[Checkpoint(tmp_path / "x")], resume=tmp_path)


def test_resume_names_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        latest_checkpoint(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="holds no checkpoint"):
        latest_checkpoint(tmp_path)


def test_a_checkpoint_is_written_atomically_with_every_generator(tmp_path):
    """The file carries each Generator's state, the model's dropout Generator included."""
    _train("backprop", tmp_path, epochs=1)
    state = json.loads(checkpoint_metadata(latest_checkpoint(tmp_path))["synaptica.run"])
    assert {"run", "model/layers.2.rng"} <= set(state["generators"])
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    with pytest.raises(RuntimeError, match="fit hands the callback its run"):
        Checkpoint(tmp_path).save()


def test_a_damaged_checkpoint_is_refused_naming_the_tensor(tmp_path):
    from synaptica.errors import FormatError
    from synaptica.io.safetensors_format import load_tensors, save_tensors

    _train("backprop", tmp_path, epochs=1)
    path = latest_checkpoint(tmp_path)
    tensors, metadata = load_tensors(path)
    tensors["model/layers.0.weight"][0, 0] += 1.0  # one weight changed after saving, checksums kept
    save_tensors(path, tensors, metadata)
    with pytest.raises(FormatError, match=r"model/layers\.0\.weight.*an older checkpoint"):
        _train("backprop", tmp_path / "again", epochs=2, resume=path)
