"""`synaptica train --model lstm` (and gru, rnn, irnn), run as a user runs it: a real process on real IDX files."""

import re

import numpy as np
import pytest

from synaptica.nn import GRU, LSTM, RNN, Linear, Unflatten
from synaptica.nn.sequence_models import sequence_classifier
from synaptica.recipes import RECURRENT_DEFAULTS, recipe
from tests.conftest import run_python

CLI = ["-m", "synaptica.cli"]


@pytest.mark.slow
def test_gru_reads_images_row_by_row_trains_saves_and_evaluates(tmp_path, subset_dir):
    model = tmp_path / "gru.safetensors"
    result = run_python([*CLI, "train", "--model", "gru", "--data", str(subset_dir), "--epochs", "2",
                         "--out", str(model), "--log-dir", str(tmp_path / "runs")])
    assert result.returncode == 0, result.stderr
    assert "Unflatten(28×28)" in result.stdout and "GRU(28→128)" in result.stdout and "Adam" in result.stdout
    assert "η = 0.001, λ = 0.0, batch 64, 2 epochs" in result.stdout
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout).group(1))
    assert accuracy > 0.3  # 4,000 images, two epochs: about 0.5 (chance is 0.1)
    evaluated = run_python([*CLI, "evaluate", str(model), "--data", str(subset_dir)])
    assert evaluated.returncode == 0, evaluated.stderr
    assert f"accuracy {accuracy:.4f}" in evaluated.stdout


def test_recurrent_models_refuse_a_cost_for_sigmoid_outputs(tmp_path, subset_dir):
    result = run_python([*CLI, "train", "--model", "lstm", "--data", str(subset_dir), "--cost", "quadratic",
                         "--log-dir", str(tmp_path)])
    assert result.returncode == 2 and "--model lstm outputs logits" in result.stderr
    assert "Traceback" not in result.stderr


def test_each_kind_builds_its_cell_and_the_recurrent_recipe():
    expected = {"rnn": (RNN, "tanh"), "irnn": (RNN, "relu"), "lstm": (LSTM, None), "gru": (GRU, None)}
    for kind, (cls, nonlinearity) in expected.items():
        net = sequence_classifier(kind, (1, 28, 28), 10, rng=0)
        unflatten, layer, linear = net.layers
        assert isinstance(unflatten, Unflatten) and unflatten.shape == (28, 28)
        assert type(layer) is cls and (layer.input_size, layer.hidden_size) == (28, 128)
        assert isinstance(linear, Linear) and linear.out_features == 10
        if nonlinearity:
            assert layer.options["nonlinearity"] == nonlinearity
        settings = recipe(kind, "backprop")
        assert settings["optimizer"] == "adam" and all(settings[k] == v for k, v in RECURRENT_DEFAULTS.items())
    irnn = sequence_classifier("irnn", (8, 8), 10, pixel_by_pixel=True, rng=0)
    assert irnn.layers[0].shape == (64, 1) and np.array_equal(irnn.layers[1].weight_hh_l0.data, np.eye(128))
