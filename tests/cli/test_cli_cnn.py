"""`synaptica train --model cnn`, run as a user runs it: a real process on real IDX files."""

import re

from tests.conftest import run_python

CLI = ["-m", "synaptica.cli"]


def test_cnn_trains_saves_and_evaluates(tmp_path, subset_dir):
    model = tmp_path / "cnn.safetensors"
    result = run_python([*CLI, "train", "--model", "cnn", "--data", str(subset_dir), "--epochs", "1",
                         "--out", str(model), "--log-dir", str(tmp_path / "runs")])
    assert result.returncode == 0, result.stderr
    assert "Conv2d(1→32, 5×5)" in result.stdout and "Adam" in result.stdout
    assert "η = 0.001, λ = 0.0, batch 64, 1 epochs" in result.stdout  # the CNN's own defaults
    assert re.search(r"Epoch 0: \d+ / 666", result.stdout)
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout).group(1))
    assert accuracy > 0.6
    evaluated = run_python([*CLI, "evaluate", str(model), "--data", str(subset_dir)])
    assert evaluated.returncode == 0, evaluated.stderr
    assert f"accuracy {accuracy:.4f}" in evaluated.stdout


def test_the_mlp_keeps_its_defaults_and_given_options_win(tmp_path, subset_dir):
    help_text = run_python([*CLI, "train", "--help"]).stdout
    assert "--model {mlp,cnn,snn,lstm,gru,rnn,irnn}" in help_text and "(default: mlp)" in help_text
    mlp = run_python([*CLI, "train", "--data", str(subset_dir), "--epochs", "1", "--log-dir", str(tmp_path)])
    assert mlp.returncode == 0, mlp.stderr
    assert "SGD, cost log-likelihood, η = 0.1, λ = 0.5, batch 32, 1 epochs" in mlp.stdout
    assert "Linear(784→256)" in mlp.stdout and "Conv2d" not in mlp.stdout


def test_cnn_refuses_a_cost_for_sigmoid_outputs(tmp_path, subset_dir):
    result = run_python([*CLI, "train", "--model", "cnn", "--data", str(subset_dir), "--cost", "quadratic",
                         "--log-dir", str(tmp_path)])
    assert result.returncode == 2 and "--model cnn outputs logits" in result.stderr
    assert "Traceback" not in result.stderr
