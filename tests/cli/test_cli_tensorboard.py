"""`synaptica train --tensorboard DIR`: TensorBoard event files next to the run's CSV log, equal to it."""

from synaptica.train.logs import read_log
from tests.conftest import run_python
from tests.tensorboard_events import event_files, summaries

CLI = ["-m", "synaptica.cli"]


def test_help_lists_the_option():
    result = run_python([*CLI, "train", "--help"])
    assert "--tensorboard DIR" in result.stdout and "tensorboard --logdir DIR" in " ".join(result.stdout.split())


def test_a_run_writes_its_epochs_scalars_gradient_norms_and_weight_histograms(tmp_path):
    result = run_python([*CLI, "train", "--data", "digits", "--epochs", "2", "--hidden", "20,12",
                         "--batch-size", "20", "--tensorboard", "tb", "--quiet"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (run,) = (tmp_path / "runs").iterdir()
    (events,) = (tmp_path / "tb").iterdir()
    assert events.name == run.name and len(event_files(events)) == 1
    assert f"TensorBoard events in tb/{run.name} (view with: tensorboard --logdir tb)" in result.stdout
    scalars, histograms = summaries(events)
    rows = read_log(run / "history.csv")
    assert [row["epoch"] for row in rows] == [0, 1]
    for name in ["train_cost", "train_accuracy", "validation_cost", "validation_accuracy", "learning_rate",
                 "seconds"]:
        assert list(scalars[name]) == [0, 1], name
        for row in rows:
            assert abs(scalars[name][row["epoch"]] - row[name]) <= 1e-6 * abs(row[name]), (name, row)
    norms = {tag: values for tag, values in scalars.items() if tag.startswith("gradient_norm/")}
    assert sorted(norms) == ["gradient_norm/hidden_layer_1", "gradient_norm/hidden_layer_2",
                             "gradient_norm/output_layer"]
    assert all(list(values) == [0, 1] and all(v > 0 for v in values.values()) for values in norms.values())
    assert sorted(histograms) == [f"weights/layers.{i}.{kind}" for i in (0, 2, 4) for kind in ("bias", "weight")]
    sizes = {"weights/layers.0.weight": 64 * 20, "weights/layers.2.weight": 20 * 12, "weights/layers.4.weight": 12 * 10,
             "weights/layers.0.bias": 20, "weights/layers.2.bias": 12, "weights/layers.4.bias": 10}
    for tag, steps in histograms.items():
        assert list(steps) == [0, 1] and all(h.num == sizes[tag] for h in steps.values()), tag


def test_without_tensorboardx_the_command_stops_before_training_with_the_fix(tmp_path):
    code = ("import sys; sys.modules['tensorboardX'] = None  # as if it were not installed\n"
            "from synaptica.cli import main\n"
            f"sys.exit(main(['train', '--data', 'digits', '--epochs', '1', '--tensorboard', "
            f"{str(tmp_path / 'tb')!r}, '--log-dir', {str(tmp_path / 'runs')!r}]))")
    result = run_python(code)
    assert result.returncode == 2, result.stderr
    assert "pip install 'synaptica[tensorboard]'" in result.stderr and "Traceback" not in result.stderr
    assert "Epoch" not in result.stdout and not (tmp_path / "runs").exists() and not (tmp_path / "tb").exists()


def test_a_file_in_place_of_the_directory_stops_the_command_at_once(tmp_path):
    (tmp_path / "tb").write_text("not a directory")
    result = run_python([*CLI, "train", "--data", "digits", "--epochs", "1", "--tensorboard", "tb"], cwd=tmp_path)
    assert result.returncode == 2
    assert "--tensorboard 'tb' is a file, not a directory" in result.stderr and "Epoch" not in result.stdout
    assert not (tmp_path / "runs").exists()


def test_a_resumed_run_continues_its_events_in_the_same_directory(tmp_path):
    first = run_python([*CLI, "train", "--data", "digits", "--epochs", "1", "--hidden", "12", "--tensorboard", "tb",
                        "--quiet"], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (run,) = (tmp_path / "runs").iterdir()
    second = run_python([*CLI, "train", "--resume", f"runs/{run.name}", "--epochs", "2", "--quiet"], cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert f"TensorBoard events in tb/{run.name}" in second.stdout  # the setting kept with the checkpoint
    assert [p.name for p in (tmp_path / "tb").iterdir()] == [run.name]
    assert len(event_files(tmp_path / "tb" / run.name)) == 2
    scalars, histograms = summaries(tmp_path / "tb" / run.name)
    rows = read_log(run / "history.csv")
    assert [row["epoch"] for row in rows] == [0, 1] and list(scalars["validation_accuracy"]) == [0, 1]
    assert all(abs(scalars["validation_accuracy"][r["epoch"]] - r["validation_accuracy"]) < 1e-6 for r in rows)
    assert all(list(steps) == [0, 1] for steps in histograms.values())
