"""`synaptica train` with the regularised-MLP options: --optimizer, --dropout, --augment, --schedule."""

import re

import pytest

from tests.conftest import REPO, run_python

CLI = ["-m", "synaptica.cli"]


def test_help_lists_the_regularisation_options():
    result = run_python([*CLI, "train", "--help"])
    assert result.returncode == 0, result.stderr
    for option in ["--optimizer", "--dropout", "--augment", "--schedule", "cosine", "shift", "adam"]:
        assert option in result.stdout, option


def test_adam_dropout_shift_and_cosine_train_then_evaluate(tmp_path, subset_dir):
    model = tmp_path / "net.safetensors"
    result = run_python([*CLI, "train", "--data", str(subset_dir), "--hidden", "64", "--optimizer", "adam",
                         "--eta", "0.001", "--lmbda", "0", "--dropout", "0.2", "--augment", "shift",
                         "--schedule", "cosine", "--batch-size", "32", "--epochs", "2", "--seed", "3",
                         "--out", str(model), "--log-dir", str(tmp_path / "runs")])
    assert result.returncode == 0, result.stderr
    assert "Dropout(0.2)" in result.stdout and "Adam" in result.stdout
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout).group(1))
    assert accuracy > 0.6, result.stdout
    evaluated = run_python([*CLI, "evaluate", str(model), "--data", str(subset_dir)])
    assert evaluated.returncode == 0, evaluated.stderr
    assert f"accuracy {accuracy:.4f}" in evaluated.stdout  # dropout is off at evaluation


def test_the_defaults_are_unchanged_by_the_new_options(tmp_path, subset_dir):
    """Without the new options the run is plain SGD, no dropout, no shifts: the same numbers as naming
    their defaults explicitly."""
    common = [*CLI, "train", "--data", str(subset_dir), "--hidden", "30", "--epochs", "1", "--quiet",
              "--log-dir", str(tmp_path / "runs")]
    plain = run_python(common)
    explicit = run_python([*common, "--optimizer", "sgd", "--dropout", "0", "--augment", "none",
                           "--schedule", "constant"])
    assert plain.returncode == 0 and explicit.returncode == 0, plain.stderr + explicit.stderr
    accuracy = re.compile(r"Test accuracy: ([0-9.]+ \(\d+ / \d+\), cost [0-9.]+)")
    assert accuracy.search(plain.stdout).group(1) == accuracy.search(explicit.stdout).group(1)


def test_a_bad_dropout_is_a_clear_error(tmp_path, subset_dir):
    result = run_python([*CLI, "train", "--data", str(subset_dir), "--dropout", "1.5", "--epochs", "1",
                         "--log-dir", str(tmp_path / "runs")])
    assert result.returncode == 2 and "dropout" in result.stderr and "1.5" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_the_command_line_recipe_is_the_example_recipe(fashion, tmp_path):
    """`synaptica train` with the recipe's flags builds, shuffles, drops, shifts and schedules exactly as
    examples/regularised_mlp.py does (one epoch of a small network on the full training set), so the
    figure measured with the example holds for the command line too."""
    cli = run_python([*CLI, "train", "--hidden", "64", "--optimizer", "adam", "--eta", "0.001", "--lmbda", "0",
                      "--dropout", "0.2", "--augment", "shift", "--schedule", "cosine", "--batch-size", "128",
                      "--epochs", "2", "--seed", "5", "--log-dir", str(tmp_path / "runs")])
    example = run_python([str(REPO / "examples" / "regularised_mlp.py"), "--hidden", "64", "--epochs", "2",
                          "--seed", "5"])
    assert cli.returncode == 0 and example.returncode == 0, cli.stderr + example.stderr
    epoch_lines = [re.findall(r"Epoch \d: \d+ / 10000", run.stdout) for run in (cli, example)]
    assert len(epoch_lines[0]) == 2 and epoch_lines[0] == epoch_lines[1], epoch_lines
    accuracies = [re.search(r"Test accuracy: ([0-9.]+)", run.stdout).group(1) for run in (cli, example)]
    assert accuracies[0] == accuracies[1], accuracies


def test_every_optimizer_by_name_trains(tmp_path, subset_dir):
    """--optimizer takes any of the library's optimizers; λ becomes their L2 penalty."""
    result = run_python([*CLI, "train", "--data", str(subset_dir), "--hidden", "32", "--optimizer", "rmsprop",
                         "--eta", "0.001", "--lmbda", "1", "--epochs", "1", "--log-dir", str(tmp_path / "runs")])
    assert result.returncode == 0, result.stderr
    assert "RMSProp" in result.stdout
    assert float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout).group(1)) > 0.5, result.stdout
