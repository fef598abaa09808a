"""The command line, run as a user runs it: a real process on real IDX files."""

import re

import pytest

from tests.conftest import run_python

CLI = ["-m", "synaptica.cli"]


def test_help_lists_every_documented_option():
    result = run_python([*CLI, "train", "--help"])
    assert result.returncode == 0
    for option in ["--data", "--hidden", "--activation", "--cost", "--init", "--eta", "--lmbda",
                   "--batch-size", "--epochs", "--rule", "--seed", "--out", "--patience", "--history"]:
        assert option in result.stdout, option
    assert "feedback-alignment" in result.stdout and "NAME_OR_DIR" in result.stdout
    evaluate_help = run_python([*CLI, "evaluate", "--help"])
    assert "MODEL" in evaluate_help.stdout and "--data" in evaluate_help.stdout


def test_train_on_a_subset_directory_then_evaluate(tmp_path, subset_dir):
    model = tmp_path / "net.safetensors"
    history = tmp_path / "history.jsonl"
    result = run_python([*CLI, "train", "--data", str(subset_dir), "--epochs", "3", "--hidden", "30",
                         "--activation", "sigmoid", "--cost", "cross-entropy", "--init", "nielsen",
                         "--eta", "0.5", "--batch-size", "10", "--seed", "1", "--out", str(model),
                         "--history", str(history), "--log-dir", str(tmp_path / "runs")])
    assert result.returncode == 0, result.stderr
    assert re.search(r"Epoch 2: \d+ / 666", result.stdout)
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout).group(1))
    assert accuracy > 0.7
    assert len(history.read_text().splitlines()) == 3
    evaluated = run_python([*CLI, "evaluate", str(model), "--data", str(subset_dir)])
    assert evaluated.returncode == 0, evaluated.stderr
    assert f"accuracy {accuracy:.4f}" in evaluated.stdout
    assert "true\\pred" in evaluated.stdout and len(evaluated.stdout.strip().splitlines()) == 12


def test_feedback_alignment_from_the_command_line(subset_dir, tmp_path):
    result = run_python([*CLI, "train", "--data", str(subset_dir), "--epochs", "2", "--rule",
                         "feedback-alignment", "--quiet"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Test accuracy" in result.stdout and "Epoch" not in result.stdout


@pytest.mark.parametrize("spelling", ["direct-feedback-alignment", "dfa"])
def test_direct_feedback_alignment_from_the_command_line(subset_dir, tmp_path, spelling):
    result = run_python([*CLI, "train", "--data", str(subset_dir), "--epochs", "2", "--rule", spelling,
                         "--hidden", "64,64", "--activation", "tanh", "--optimizer", "adam", "--eta", "0.001"],
                        cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rule direct-feedback-alignment" in result.stdout
    assert float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout).group(1)) > 0.6
    unknown = run_python([*CLI, "train", "--rule", "dfb"], cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown rule 'dfb'" in unknown.stderr and "dfa = direct-" in unknown.stderr


def test_evolution_strategies_from_the_command_line(tmp_path):
    result = run_python([*CLI, "train", "--rule", "es", "--data", "digits", "--hidden", "32", "--activation", "tanh",
                         "--init", "xavier", "--eta", "0.03", "--population", "50", "--sigma", "0.05",
                         "--batch-size", "200", "--epochs", "12"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rule evolution-strategies, Adam" in result.stdout  # Adam by default for this rule
    assert re.search(r"generation 50: loss [0-9.]+  fitness_mean -[0-9.]+  fitness_max -[0-9.]+  "
                     r"held-out accuracy [0-9.]+  \([0-9.]+ generations/s\)", result.stdout)
    assert float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout).group(1)) > 0.5  # chance: 0.1
    misplaced = run_python([*CLI, "train", "--sigma", "0.1"], cwd=tmp_path)
    assert misplaced.returncode == 2 and "--sigma belongs to --rule evolution-strategies" in misplaced.stderr


def test_bad_input_gives_a_clear_error_and_exit_status_2(tmp_path):
    missing = run_python([*CLI, "train", "--data", str(tmp_path)])
    assert missing.returncode == 2 and "train-images-idx3-ubyte" in missing.stderr
    assert "Traceback" not in missing.stderr
    not_a_model = tmp_path / "x.safetensors"
    not_a_model.write_bytes(b"\x80\x04junk")
    refused = run_python([*CLI, "evaluate", str(not_a_model)])
    assert refused.returncode == 2 and "pickle" in refused.stderr
    sizes = run_python([*CLI, "train", "--hidden", "30,-1"])
    assert sizes.returncode == 2 and "positive" in sizes.stderr


@pytest.mark.slow
def test_the_default_network_reaches_088_on_fashion_mnist(fashion, tmp_path):
    """`synaptica train` with its defaults (the README's main job) reaches ≥ 0.88 test accuracy."""
    result = run_python([*CLI, "train", "--quiet"], timeout=900, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout).group(1))
    assert accuracy >= 0.88, result.stdout
