"""Per-epoch CSV and JSON-lines logs: one row per finished epoch, on disk as soon as the epoch ends."""

import csv
import json

import numpy as np
import pytest

from synaptica import Backprop, LogLikelihoodCost, SGD, fit
from synaptica.nn import mlp
from synaptica.train import CsvLog, EpochSchedule, JsonlLog
from synaptica.train.logs import COLUMNS, read_log
from synaptica.train.run_logs import RunLogs, new_run_directory


@pytest.fixture(scope="module")
def small(fashion):
    return (fashion.train.x[:400], fashion.train.y[:400]), (fashion.validation.x[:200], fashion.validation.y[:200])


def _net_and_rule(learning_rate=0.1):
    net = mlp([784, 16, 10], "relu", init="he", rng=0)
    optimizer = SGD(net.parameters(), learning_rate)
    return net, Backprop(LogLikelihoodCost(), optimizer), optimizer


def test_logs_hold_one_row_per_epoch_equal_to_the_history(tmp_path, small):
    train, validation = small
    net, rule, optimizer = _net_and_rule()
    logs = [CsvLog(tmp_path / "h.csv", optimizer), JsonlLog(tmp_path / "h.jsonl", optimizer)]
    history = fit(net, rule, train, epochs=3, batch_size=20, rng=0, validation=validation, verbose=False,
                  callbacks=logs)
    expected = [{**row, "learning_rate": 0.1} for row in history.as_rows()]
    for path in ["h.csv", "h.jsonl"]:
        rows = read_log(tmp_path / path)
        assert rows == expected, path  # floats survive the text exactly (repr / JSON round trip)
    with open(tmp_path / "h.csv", newline="") as f:
        assert next(csv.reader(f)) == list(COLUMNS)


def test_every_finished_epoch_is_on_disk_before_the_next_begins_and_after_a_crash(tmp_path, small):
    train, _ = small
    net, rule, optimizer = _net_and_rule()
    csv_path, jsonl_path = tmp_path / "h.csv", tmp_path / "h.jsonl"
    seen = []

    def read_then_crash(epoch, history, model):
        seen.append((len(read_log(csv_path)), len(jsonl_path.read_text().splitlines())))
        if epoch == 1:
            raise RuntimeError("the machine went down")

    with pytest.raises(RuntimeError, match="went down"):
        fit(net, rule, train, epochs=5, batch_size=20, rng=0, verbose=False,
            callbacks=[CsvLog(csv_path, optimizer), JsonlLog(jsonl_path, optimizer), read_then_crash])
    assert seen == [(1, 1), (2, 2)]
    assert [row["epoch"] for row in read_log(csv_path)] == [0, 1]
    assert [row["epoch"] for row in read_log(jsonl_path)] == [0, 1]


@pytest.mark.parametrize("schedule_first", [True, False])
def test_the_learning_rate_column_is_each_epochs_own_rate(tmp_path, small, schedule_first):
    """Whether the schedule callback runs before or after the log, the row holds the η the epoch used."""
    train, _ = small
    net, rule, optimizer = _net_and_rule()
    schedule = EpochSchedule(optimizer, lambda epoch: 0.1 / 2 ** epoch)
    log = CsvLog(tmp_path / "h.csv", optimizer)
    fit(net, rule, train, epochs=3, batch_size=20, rng=0, verbose=False,
        callbacks=[schedule, log] if schedule_first else [log, schedule])
    assert [row["learning_rate"] for row in read_log(tmp_path / "h.csv")] == [0.1, 0.05, 0.025]


def test_what_is_unknown_is_empty_in_csv_and_null_in_json(tmp_path, small):
    """No optimizer: no learning rate; a NaN measurement: no number; no validation: no such column."""
    train, _ = small
    net, rule, _ = _net_and_rule()
    fit(net, rule, train, epochs=2, batch_size=20, rng=0, verbose=False,
        evaluators=[lambda model: {"probe_cost": float("nan")}],
        callbacks=[CsvLog(tmp_path / "h.csv"), JsonlLog(tmp_path / "h.jsonl")])
    with open(tmp_path / "h.csv", newline="") as f:
        reader = csv.DictReader(f)
        first = list(reader)[0]
    assert reader.fieldnames == ["epoch", "train_cost", "train_accuracy", "probe_cost", "learning_rate", "seconds"]
    assert first["probe_cost"] == first["learning_rate"] == ""
    assert float(first["train_cost"]) > 0

    def no_constants(token):
        raise AssertionError(f"{token} is not JSON")

    rows = [json.loads(line, parse_constant=no_constants) for line in (tmp_path / "h.jsonl").read_text().splitlines()]
    assert rows[1]["probe_cost"] is None and rows[1]["learning_rate"] is None
    assert "validation_accuracy" not in rows[1]
    assert rows[1]["epoch"] == 1 and rows[1]["seconds"] > 0


def test_a_new_log_replaces_an_old_file_and_a_missing_directory_is_named(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text("old contents\n")
    JsonlLog(path)
    assert path.read_text() == ""
    with pytest.raises(FileNotFoundError, match="missing"):
        CsvLog(tmp_path / "missing" / "h.csv")


def test_run_directories_are_named_by_time_and_seed_and_never_reused(tmp_path):
    now = 1_700_000_000.0
    first = new_run_directory(tmp_path / "runs", 7, now=now)
    second = new_run_directory(tmp_path / "runs", 7, now=now)
    assert first.name.endswith("-seed7") and second.name == first.name + "-2"
    assert len(first.name) == len("20231114-221320-seed7") and first.is_dir() and second.is_dir()
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ValueError, match="'.*a-file' is a file, not a directory"):
        new_run_directory(tmp_path / "a-file", 0)


def test_run_logs_write_the_histories_and_with_plot_the_pictures(tmp_path, small):
    from tests.png_check import assert_png_not_blank

    train, validation = small
    net, rule, optimizer = _net_and_rule()
    run = RunLogs(new_run_directory(tmp_path, 0), optimizer, plot=True, cost=rule.cost,
                  speed_batch=(train[0][:100], train[1][:100]), model=net)
    history = fit(net, rule, train, epochs=2, batch_size=20, rng=0, validation=validation, verbose=False,
                  callbacks=run.callbacks)
    files = run.finish(history)
    assert [f.name for f in files] == ["curves.png", "gradient_norms.csv", "gradient_norms.png",
                                       "history.csv", "history.jsonl"]
    for png in ["curves.png", "gradient_norms.png"]:
        assert_png_not_blank(run.directory / png)
    with open(run.directory / "gradient_norms.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epochs"]) for r in rows] == [0, 1, 2]
    assert np.isclose(float(rows[-1]["output layer"]), run.speeds.norms["output layer"][-1])
    with pytest.raises(ValueError, match="speed_batch"):
        RunLogs(tmp_path, optimizer, plot=True)
