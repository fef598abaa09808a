"""TensorBoard logs: every epoch's log row, each layer's ‖∂C/∂b‖ and weight histograms, read back."""

import sys

import numpy as np
import pytest

from synaptica import Backprop, LogLikelihoodCost, SGD, fit
from synaptica.data import load_dataset
from synaptica.nn import mlp
from synaptica.train import LayerSpeedMonitor, TensorBoardLog
from synaptica.train.logs import epoch_row
from tests.tensorboard_events import event_files, read_events, summaries


@pytest.fixture(scope="module")
def digits():
    data = load_dataset("digits")
    return (data.train.x[:600], data.train.y[:600]), (data.validation.x, data.validation.y)


def _net_and_rule():
    net = mlp([64, 16, 12, 10], "sigmoid", init="nielsen", rng=0)
    optimizer = SGD(net.parameters(), 0.5)
    return net, Backprop(LogLikelihoodCost(), optimizer), optimizer


def test_scalars_equal_the_history_and_every_weight_has_a_histogram_per_epoch(tmp_path, digits):
    train, validation = digits
    net, rule, optimizer = _net_and_rule()
    batch = (train[0][:200], train[1][:200])
    speeds = LayerSpeedMonitor(LogLikelihoodCost(), *batch)
    log = TensorBoardLog(tmp_path / "tb", optimizer, cost=LogLikelihoodCost(), speed_batch=batch)
    history = fit(net, rule, train, epochs=3, batch_size=20, rng=0, validation=validation, verbose=False,
                  callbacks=[speeds, log])
    (path,) = event_files(tmp_path / "tb")
    scalars, histograms = summaries(tmp_path / "tb")

    rows = [epoch_row(history, i, None) for i in range(3)]
    expected = {name: {row["epoch"]: row[name] for row in rows} for name in rows[0] if name != "epoch"}
    expected["learning_rate"] = {0: 0.5, 1: 0.5, 2: 0.5}
    expected.update({f"gradient_norm/{layer.replace(' ', '_')}": dict(enumerate(norms))
                     for layer, norms in speeds.norms.items()})
    assert set(scalars) == set(expected) >= {"train_cost", "train_accuracy", "validation_cost",
                                             "validation_accuracy", "learning_rate", "seconds",
                                             "gradient_norm/hidden_layer_1", "gradient_norm/hidden_layer_2",
                                             "gradient_norm/output_layer"}
    for tag, values in expected.items():
        assert list(scalars[tag]) == [0, 1, 2], tag
        assert scalars[tag] == pytest.approx(values, rel=1e-6), tag  # stored as float32

    names = [name for name, _ in net.named_parameters()]
    assert set(histograms) == {f"weights/{name}" for name in names} and len(names) == 6
    for name, parameter in net.named_parameters():
        steps = histograms[f"weights/{name}"]
        assert list(steps) == [0, 1, 2]
        last = steps[2]  # after the last epoch: the model's weights now
        values = np.asarray(parameter.data, dtype=np.float64)
        assert last.num == values.size and sum(last.bucket) == values.size
        assert (last.min, last.max) == (pytest.approx(values.min()), pytest.approx(values.max()))
        assert last.sum == pytest.approx(values.sum(), abs=1e-9)
    assert read_events(path)[0].file_version == "brain.Event:2"


def test_each_epoch_is_on_disk_before_the_next_begins(tmp_path, digits):
    train, _ = digits
    net, rule, optimizer = _net_and_rule()
    log = TensorBoardLog(tmp_path, optimizer, histograms=False)
    seen = []

    def read_then_crash(epoch, history, model):
        scalars, histograms = summaries(tmp_path)
        seen.append((sorted(scalars["train_cost"]), histograms))
        if epoch == 1:
            raise RuntimeError("the machine went down")

    with pytest.raises(RuntimeError, match="went down"):
        fit(net, rule, train, epochs=5, batch_size=20, rng=0, verbose=False, callbacks=[log, read_then_crash])
    log.close()
    assert seen == [([0], {}), ([0, 1], {})]
    scalars, _ = summaries(tmp_path)
    assert set(scalars) == {"train_cost", "train_accuracy", "learning_rate", "seconds"}


def test_a_resumed_run_marks_where_its_events_take_over(tmp_path, digits):
    from synaptica.train.checkpoints import Checkpoint

    train, _ = digits
    net, rule, optimizer = _net_and_rule()
    fit(net, rule, train, epochs=2, batch_size=20, rng=0, verbose=False,
        callbacks=[TensorBoardLog(tmp_path / "tb", optimizer, histograms=False), Checkpoint(tmp_path / "ck")])
    net, rule, optimizer = _net_and_rule()
    fit(net, rule, train, epochs=3, batch_size=20, rng=0, verbose=False, resume=tmp_path / "ck",
        callbacks=[TensorBoardLog(tmp_path / "tb", optimizer, histograms=False), Checkpoint(tmp_path / "ck")])
    first, second = event_files(tmp_path / "tb")
    purge = [e for e in read_events(second) if e.HasField("session_log")]
    # START at epoch 2: TensorBoard drops the steps from 2 on that earlier files hold
    assert [(e.step, e.session_log.status) for e in purge] == [(2, 1)]
    assert sorted({e.step for e in read_events(second) if e.summary.value}) == [2]
    assert sorted({e.step for e in read_events(first) if e.summary.value}) == [0, 1]


def test_without_tensorboardx_the_log_refuses_at_once_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # as if it were not installed
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'synaptica\[tensorboard\]'"):
        TensorBoardLog(tmp_path / "tb")
    assert not (tmp_path / "tb").exists()


def test_the_cost_and_the_speed_batch_come_together(tmp_path):
    with pytest.raises(ValueError, match="both the cost and the speed_batch"):
        TensorBoardLog(tmp_path, cost=LogLikelihoodCost())


def test_only_the_adapter_imports_tensorboardx():
    from tests.conftest import REPO

    users = sorted(path.relative_to(REPO / "src").as_posix() for path in (REPO / "src").rglob("*.py")
                   if any(f"{word} tensorboardX" in path.read_text(encoding="utf-8") for word in ("import", "from")))
    assert users == ["synaptica/train/tensorboard.py"]


def test_importing_the_library_and_the_command_line_leaves_tensorboardx_out():
    from tests.conftest import run_python

    result = run_python("import sys, synaptica, synaptica.train, synaptica.cli, synaptica.cli.train\n"
                        "assert 'tensorboardX' not in sys.modules, 'imported eagerly'")
    assert result.returncode == 0, result.stderr
