"""examples/snn.py on a few images: it learns, labels on training images, scores, draws and saves."""

import json
import re

import pytest

from synaptica.models.snn_file import load_spiking_network
from tests.conftest import REPO, run_python
from tests.png_check import assert_png_not_blank


@pytest.mark.slow
def test_the_snn_example_reports_accuracy_and_speed_and_draws_the_receptive_fields(tmp_path, fashion):
    saved, figures = tmp_path / "snn.safetensors", tmp_path / "figures.json"
    result = run_python([str(REPO / "examples" / "snn.py"), "--train", "160", "--label", "160", "--test", "200",
                         "--neurons", "25", "--out-dir", str(tmp_path), "--save", str(saved), "--json", str(figures)])
    assert result.returncode == 0, result.stderr
    assert re.search(r"learnt in \d+ s \([0-9.]+ images/s\)", result.stdout)
    results = json.loads(figures.read_text())
    assert results["test_accuracy"] > 0.25 and results["train_images"] == 160 and results["test_images"] == 200
    assert_png_not_blank(tmp_path / "snn_receptive_fields.png")
    network, metadata = load_spiking_network(saved)
    assert network.neurons == 25 and metadata["synaptica.test_accuracy"] == f"{results['test_accuracy']:.4f}"
