"""Searches that really train: on a Fashion-MNIST subset, through the library and the command line."""

import json
import re

import pytest

from synaptica.errors import DataError
from synaptica.search import ResultsFile, grid_search, load_space, run_search, run_trial
from synaptica.search.random_search import trial_params
from tests.conftest import REPO, run_python
from tests.search.spaces import CLI, write_space

KEYS = {"trial", "status", "params", "validation_accuracy", "validation_cost", "best_epoch", "train_cost",
        "epochs", "seconds", "reason", "settings"}


def test_help_names_every_option():
    result = run_python([*CLI, "search", "--help"])
    assert result.returncode == 0
    for option in ["SPACE.toml", "--sampler", "--trials", "--workers", "--results", "--seed", "--journal",
                   "--report", "--quiet", "grid", "random", "bayes", "synaptica[search]"]:
        assert option in result.stdout, option
    assert "search" in run_python([*CLI, "--help"]).stdout


def test_a_bad_space_is_refused_with_its_file_line_and_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[search.eta]\nlow = 0.0\nhigh = 1.0\n")
    result = run_python([*CLI, "search", str(path)], cwd=tmp_path)
    assert result.returncode == 2
    assert f"{path}, line 2: search.eta.low: must be > 0, got 0.0" in result.stderr
    assert "Traceback" not in result.stderr and not list(tmp_path.glob("*.jsonl"))


@pytest.mark.slow
def test_random_search_with_two_workers_writes_every_trial_and_prints_the_sorted_table(tmp_path, subset_dir):
    space_path = write_space(tmp_path, "[search.eta]\nlow = 0.01\nhigh = 1.0\nlog = true\n\n"
                                      "[search.lmbda]\nchoices = [0.0, 5.0]\n", dataset=str(subset_dir))
    results = tmp_path / "results.jsonl"
    result = run_python([*CLI, "search", str(space_path), "--sampler", "random", "--trials", "4", "--workers", "2",
                         "--seed", "3", "--results", str(results)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert sorted(r["trial"] for r in records) == [0, 1, 2, 3]
    space = load_space(space_path)
    for r in records:
        assert set(r) == KEYS and r["status"] == "ok" and r["reason"] is None and r["epochs"] == 1
        assert r["params"] == trial_params(space, 3, r["trial"])  # the seeded proposals, whoever ran them
        assert r["settings"]["hidden"] == [10] and r["settings"]["eta"] == r["params"]["eta"]
        assert 0.1 < r["validation_accuracy"] <= 1 and r["seconds"] > 0
    # the table: best validation accuracy first, one row per trial
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+(0\.\d{4})\s", result.stdout, flags=re.M)
    assert [int(rank) for rank, _, _ in rows] == [1, 2, 3, 4]
    accuracies = [float(a) for _, _, a in rows]
    assert accuracies == sorted(accuracies, reverse=True)
    best = max(records, key=lambda r: (r["validation_accuracy"], -r["trial"]))
    assert int(rows[0][1]) == best["trial"] and accuracies[0] == round(best["validation_accuracy"], 4)
    # a worker process and this process train the same trial to the same numbers
    again = run_trial(best["trial"], best["params"], best["settings"])
    assert again["validation_accuracy"] == best["validation_accuracy"]
    assert again["validation_cost"] == best["validation_cost"]
    # the report again, from the file alone
    report = run_python([*CLI, "search", str(space_path), "--report", "--results", str(results)], cwd=tmp_path)
    assert report.returncode == 0 and report.stdout.strip() in result.stdout


@pytest.mark.slow
def test_a_diverging_trial_is_recorded_as_failed_and_the_search_goes_on(tmp_path, subset_dir):
    # η = 100 with leaky ReLU units really diverges on these images: the logits overflow to ±inf
    # within a dozen steps, so the cost becomes NaN and fit raises NonFiniteError.
    space = load_space(write_space(tmp_path, "[search.eta]\nchoices = [0.1, 100.0, 0.3]\n", dataset=str(subset_dir),
                                   activation="leaky-relu", hidden=[30], train_examples=2000))
    results = ResultsFile(tmp_path / "results.jsonl")
    log = tmp_path / "progress.txt"
    with open(log, "w") as out:
        first = run_search(space, grid_search(space), results, trials=1, out=out)
    assert [r["trial"] for r in first] == [0]
    recorded_before = results.path.read_bytes()
    with open(log, "w") as out:
        records = run_search(space, grid_search(space), results, trials=None, out=out)  # resumes: trials 1, 2
    assert results.path.read_bytes().startswith(recorded_before)  # nothing recorded is lost or rewritten
    assert results.read() == records and [r["trial"] for r in records] == [0, 1, 2]
    ok_0, failed, ok_2 = records
    assert failed["status"] == "failed" and failed["params"] == {"eta": 100.0}
    assert failed["validation_accuracy"] is None
    assert failed["reason"].startswith("diverged: non-finite cost at epoch 0, batch ")
    assert "Lower the learning rate" in failed["reason"]
    assert ok_0["status"] == ok_2["status"] == "ok" and ok_2["validation_accuracy"] > 0.5
    assert "trial 1 (eta=100): failed: diverged" in log.read_text()
    # a third run has nothing left to do and changes nothing
    with open(log, "w") as out:
        assert run_search(space, grid_search(space), results, trials=None, out=out) == records
    assert "nothing to run" in log.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["process", "ray"])
def test_a_search_runs_its_trials_on_the_executor_named(tmp_path, subset_dir, executor):
    """Two trials on two workers of a process pool or of a Ray cluster started on this machine: the
    records are those this process computes for the same trials."""
    space_path = write_space(tmp_path, "[search.eta]\nchoices = [0.05, 0.5]\n", dataset=str(subset_dir))
    results = tmp_path / "results.jsonl"
    result = run_python([*CLI, "search", str(space_path), "--sampler", "grid", "--workers", "2", "--executor",
                         executor, "--results", str(results)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"2 workers ({executor})" in result.stdout
    records = sorted((json.loads(line) for line in results.read_text().splitlines()), key=lambda r: r["trial"])
    assert [r["params"]["eta"] for r in records] == [0.05, 0.5]
    for record in records:
        again = run_trial(record["trial"], record["params"], record["settings"], blas=1)
        assert again["validation_accuracy"] == record["validation_accuracy"]


def test_an_error_that_is_not_divergence_stops_the_search_but_keeps_what_finished(tmp_path, subset_dir):
    missing = tmp_path / "no-such-data"
    space = load_space(write_space(tmp_path, f"[search.dataset]\nchoices = {json.dumps([str(subset_dir), str(missing)])}\n",
                                   train_examples=300, validation_examples=100, hidden=[5]))
    results = ResultsFile(tmp_path / "results.jsonl")
    with open(tmp_path / "progress.txt", "w") as out, pytest.raises(DataError) as caught:
        run_search(space, grid_search(space), results, trials=None, out=out)
    assert "no-such-data" in str(caught.value)
    assert any("raised by trial 1" in note for note in caught.value.__notes__)
    assert [r["trial"] for r in results.read()] == [0]



@pytest.mark.slow
def test_the_example_space_runs_on_fashion_mnist(tmp_path, fashion):
    result = run_python([*CLI, "search", str(REPO / "examples" / "search.toml"), "--sampler", "grid",
                         "--trials", "1", "--quiet"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [record] = [json.loads(line) for line in (tmp_path / "search.results.jsonl").read_text().splitlines()]
    assert record["params"] == {"eta": 0.05, "lmbda": 0.0} and record["validation_accuracy"] > 0.6
    assert "trial 0 (eta" not in result.stdout  # --quiet: no progress lines
    assert "1 trial: 1 finished, 0 failed. Best: trial 0, validation accuracy" in result.stdout


def test_optuna_is_never_imported_by_the_core_and_its_absence_names_the_extra(tmp_path):
    core = run_python("import sys, synaptica, synaptica.search, synaptica.cli\n"
                      "synaptica.cli.build_parser()\n"
                      "print('optuna' in sys.modules)")
    assert core.returncode == 0, core.stderr
    assert core.stdout.strip() == "False"
    space = tmp_path / "space.toml"
    space.write_text("[search.eta]\nchoices = [0.1]\n")
    missing = run_python("import sys; sys.modules['optuna'] = None  # as if it were not installed\n"
                         "from synaptica.cli import main\n"
                         f"sys.exit(main(['search', {str(space)!r}, '--sampler', 'bayes']))", cwd=tmp_path)
    assert missing.returncode == 2
    assert "bayes sampler needs Optuna" in missing.stderr and "pip install 'synaptica[search]'" in missing.stderr
    assert "Traceback" not in missing.stderr


@pytest.mark.slow
@pytest.mark.parametrize("optimizer, eta, lmbda", [("sgd", 0.3, 1.0), ("adam", 0.003, 5.0)])
def test_a_trial_trains_exactly_as_synaptica_train_does(tmp_path, subset_dir, optimizer, eta, lmbda):
    # λ is SGD's weight shrink and Adam's L2 penalty, in a trial as on the command line
    options = {"hidden": [10], "epochs": 2, "batch_size": 20, "lmbda": lmbda, "seed": 4, "optimizer": optimizer}
    train = run_python([*CLI, "train", "--data", str(subset_dir), "--hidden", "10", "--epochs", "2",
                        "--batch-size", "20", "--eta", str(eta), "--lmbda", str(lmbda), "--seed", "4",
                        "--optimizer", optimizer], cwd=tmp_path)
    assert train.returncode == 0, train.stderr
    accuracies = [float(a) for a in re.findall(r"^Epoch \d+: \d+ / \d+\s+accuracy ([0-9.]+)", train.stdout, re.M)]
    assert len(accuracies) == 2
    space = load_space(write_space(tmp_path, f"[search.eta]\nchoices = [{eta}]\n", dataset=str(subset_dir),
                                   train_examples=3334, validation_examples=666, **options))
    record = run_trial(0, {"eta": eta}, space.settings({"eta": eta}))
    assert record["settings"]["lmbda"] == lmbda
    assert record["status"] == "ok" and record["epochs"] == 2
    assert f"{record['validation_accuracy']:.4f}" == f"{max(accuracies):.4f}"
    assert record["best_epoch"] == accuracies.index(max(accuracies))


@pytest.mark.parametrize("optimizer, rule, eta", [("sgd", "feedback-alignment", 0.01), ("adam", "backprop", 0.01),
                                                  ("adamw", "backprop", 0.01), ("rmsprop", "backprop", 0.001),
                                                  ("adagrad", "backprop", 0.1),
                                                  ("adam", "direct-feedback-alignment", 0.01)])
def test_every_optimizer_and_rule_a_space_may_name_trains(tmp_path, subset_dir, optimizer, rule, eta):
    fixed = {"dataset": str(subset_dir), "validation_examples": 300, "epochs": 2, "optimizer": optimizer,
             "rule": rule}
    if optimizer == "sgd":
        fixed["momentum"] = 0.9
    space = load_space(write_space(tmp_path, f"[search.eta]\nchoices = [{eta}]\n", **fixed))
    record = run_trial(0, {"eta": eta}, space.settings({"eta": eta}))
    # 100 steps on 1,000 images: far from trained, but far from chance (0.1)
    assert record["status"] == "ok" and record["validation_accuracy"] > 0.3, record
    assert record["settings"]["optimizer"] == optimizer and record["settings"]["rule"] == rule
    assert record["settings"]["momentum"] == (0.9 if optimizer == "sgd" else 0.0)
