"""`synaptica train --model snn --rule stdp`, run as a user runs it, and its refusals."""

import re

import pytest

from synaptica.models.snn_file import load_spiking_network
from tests.conftest import fashion_subset, run_python

CLI = ["-m", "synaptica.cli"]


@pytest.fixture(scope="module")
def small_fashion(tmp_path_factory):
    """The first 360 training images (300 after the validation split) and 100 test images."""
    return fashion_subset(tmp_path_factory.mktemp("fashion-tiny"), 360, 100)


@pytest.mark.slow
def test_snn_learns_by_stdp_reports_its_speed_and_saves(tmp_path, small_fashion):
    out = tmp_path / "snn.safetensors"
    result = run_python([*CLI, "train", "--model", "snn", "--rule", "stdp", "--data", str(small_fashion),
                         "--neurons", "30", "--label", "200", "--out", str(out), "--log-dir", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    assert "SpikingNetwork(784 inputs → 30 LIF neurons" in result.stdout and "batch 16, 1 epochs" in result.stdout
    assert re.search(r"Epoch 0: [0-9.]+ spikes per image, each image shown [0-9.]+ times, mean θ [0-9.]+ mV", result.stdout)
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout).group(1))
    assert accuracy > 0.3  # chance is 0.1; about 0.5 after 300 images
    assert re.search(r"learnt at [0-9.]+ images/s, labelled and tested at [0-9.]+ images/s", result.stdout)
    network, metadata = load_spiking_network(out)
    assert network.neurons == 30 and (network.labels >= 0).any() and metadata["synaptica.test_accuracy"] == f"{accuracy:.4f}"


@pytest.mark.parametrize("options, message", [
    (["--model", "snn", "--rule", "stdp", "--data", "xor"], "--model snn needs grey images"),
    (["--model", "snn", "--data", "xor"], "--model snn learns by --rule stdp"),
    (["--rule", "stdp", "--data", "xor"], "--rule stdp trains a spiking network (--model snn), not --model mlp"),
])
def test_snn_refuses_non_image_data_and_other_rules_in_one_line(tmp_path, options, message):
    result = run_python([*CLI, "train", *options, "--log-dir", str(tmp_path)])
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
