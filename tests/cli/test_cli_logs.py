"""`synaptica train` logs every run into its own directory, and draws it with --plot."""

import json
import re

from synaptica.train.logs import COLUMNS, read_log
from tests.conftest import run_python
from tests.png_check import assert_png_not_blank

CLI = ["-m", "synaptica.cli"]
SMALL = ["--epochs", "2", "--hidden", "20", "--batch-size", "20"]


def test_help_lists_the_log_options():
    result = run_python([*CLI, "train", "--help"])
    assert "--log-dir" in result.stdout and "--plot" in result.stdout


def test_every_run_gets_a_directory_under_runs_with_its_epoch_logs(tmp_path, subset_dir):
    result = run_python([*CLI, "train", "--data", str(subset_dir), *SMALL, "--seed", "4",
                         "--history", str(tmp_path / "history.jsonl")], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (run,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"\d{8}-\d{6}-seed4", run.name)
    # no pictures unless asked; the run's checkpoints (the newest 3)
    assert sorted(p.name for p in run.iterdir()) == ["checkpoints", "history.csv", "history.jsonl"]
    assert len(list((run / "checkpoints").iterdir())) == 2
    assert f"Logs in runs/{run.name}: checkpoints, history.csv, history.jsonl" in result.stdout
    rows = read_log(run / "history.csv")
    assert rows == read_log(run / "history.jsonl") and [r["epoch"] for r in rows] == [0, 1]
    assert all(r["learning_rate"] == 0.1 for r in rows)
    # the same numbers as --history, which writes History.as_rows() at the end
    at_end = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert [{k: r[k] for k in at_end[0]} for r in rows] == at_end


def test_plot_draws_the_curves_and_the_speed_of_learning(tmp_path, subset_dir):
    logs = tmp_path / "logs"
    result = run_python([*CLI, "train", "--data", str(subset_dir), *SMALL, "--activation", "sigmoid",
                         "--hidden", "20,20", "--log-dir", str(logs), "--plot", "--quiet"])
    assert result.returncode == 0, result.stderr
    (run,) = logs.iterdir()
    assert sorted(p.name for p in run.iterdir()) == ["checkpoints", "curves.png", "gradient_norms.csv",
                                                     "gradient_norms.png", "history.csv", "history.jsonl"]
    assert_png_not_blank(run / "curves.png")
    assert_png_not_blank(run / "gradient_norms.png")
    header, *rows = (run / "gradient_norms.csv").read_text().splitlines()
    assert header == "epochs,hidden layer 1,hidden layer 2,output layer" and len(rows) == 3
    assert list(read_log(run / "history.csv")[0]) == list(COLUMNS)


def test_plot_without_matplotlib_stops_before_training_with_the_fix(tmp_path, subset_dir):
    code = ("import sys; sys.modules['matplotlib'] = None  # as if it were not installed\n"
            "from synaptica.cli import main\n"
            f"sys.exit(main(['train', '--data', {str(subset_dir)!r}, '--epochs', '1', '--plot', "
            f"'--log-dir', {str(tmp_path / 'runs')!r}]))")
    result = run_python(code)
    assert result.returncode == 2, result.stderr
    assert "pip install 'synaptica[plot]'" in result.stderr and "Traceback" not in result.stderr
    assert "Epoch" not in result.stdout and not (tmp_path / "runs").exists()
