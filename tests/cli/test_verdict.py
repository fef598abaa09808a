"""The end-of-run verdict: a run that learned nothing says so, and a run that learned says nothing."""

import pytest

from synaptica.cli import main
from synaptica.cli.verdict import kept_validation_accuracy, verdict
from synaptica.train.history import History


def history(validation_accuracy, train_cost, restored_epoch=None):
    h = History(epochs=list(range(len(train_cost))),
                metrics={"validation_accuracy": validation_accuracy, "train_cost": train_cost})
    h.restored_epoch = restored_epoch
    return h


@pytest.mark.parametrize("accuracies, costs, restored, words", [
    ([0.12, 0.10], [2.30, 2.31], None, ["0.1000 is at chance level", "among 10 classes"]),
    ([0.15], [2.3], None, ["0.1500 is at chance level"]),                 # 1.5 / 10 is still chance
    ([0.80, 0.82], [0.50, 1.20], None, ["training cost ended at 1.2, far above the first epoch's 0.5"]),
    ([0.80, 0.10], [0.50, float("nan")], None, ["0.1000 is at chance", "ended at nan"]),
])
def test_a_run_that_did_not_learn_is_named(accuracies, costs, restored, words):
    message = verdict(history(accuracies, costs, restored), 10, eta=3.0)
    assert message.startswith("this run did not learn: ")
    for w in words:
        assert w in message
    assert "--eta than 3" in message


@pytest.mark.parametrize("accuracies, costs, restored", [
    ([0.50, 0.85], [1.0, 0.4], None),
    ([0.16], [2.2], None),                           # just above chance
    ([0.80, 0.12], [0.5, 0.9], 0),                   # the kept epoch (0) learned; the cost stayed within 2×
    ([], [], None),                                  # nothing measured: nothing to say
])
def test_a_run_that_learned_gets_no_warning(accuracies, costs, restored):
    assert verdict(history(accuracies, costs, restored), 10, eta=0.1) is None


def test_the_kept_accuracy_is_the_restored_epochs():
    assert kept_validation_accuracy(history([0.7, 0.9, 0.8], [1, 1, 1], restored_epoch=1)) == 0.9
    assert kept_validation_accuracy(history([0.7, 0.9, 0.8], [1, 1, 1])) == 0.8
    assert kept_validation_accuracy(history([], [])) is None


def test_train_warns_at_the_end_of_a_run_at_chance_and_exits_0(tmp_path, monkeypatch, capsys):
    """η = 20 saturates every sigmoid of a large-initialised network: the cost stays finite, the
    accuracy stays at chance; the run ends with the warning on standard error and status 0."""
    monkeypatch.chdir(tmp_path)
    status = main(["train", "--data", "digits", "--activation", "sigmoid", "--init", "large", "--eta", "20",
                   "--epochs", "2", "--quiet", "--out", str(tmp_path / "m.safetensors")])
    out, err = capsys.readouterr()
    assert status == 0
    assert err.startswith("synaptica train: warning: this run did not learn: ") and "chance level" in err
    assert "--eta than 20" in err and err.count("\n") == 1  # one paragraph, after everything else
    assert "Saved" in out


def test_a_good_run_ends_without_a_warning(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--data", "digits", "--hidden", "32", "--epochs", "2", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
