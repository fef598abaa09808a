"""examples/vae.py and bench/vae.py run as a user runs them, on the 8×8 digits: the figures they
print are there and sensible, and the PNGs are drawn."""

import json
import re

import pytest

from tests.conftest import REPO, run_python
from tests.png_check import assert_png_not_blank


@pytest.mark.slow
def test_the_example_draws_samples_and_a_latent_walk_and_reports_both_codes(tmp_path):
    result = run_python([str(REPO / "examples" / "vae.py"), "--data", "digits", "--epochs", "10", "--batch-size", "32",
                         "--test", "100", "--hidden", "64", "--latent", "4", "--variables", "4", "--classes", "4",
                         "--samples", "200", "--out", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    found = re.search(r"test −ELBO ([0-9.]+), test −log p\(x\) ([0-9.]+)", result.stdout)
    elbo, nll = float(found.group(1)), float(found.group(2))
    assert nll <= elbo + 0.2 and elbo < 30  # 64 coin flips would be 44.4 nats
    categorical = float(re.search(r"categorical VAE, 4 × 4: test −ELBO ([0-9.]+)", result.stdout).group(1))
    assert categorical < 35
    for name in ("vae_samples_digits.png", "vae_walk_digits.png", "categorical_vae_samples_digits.png"):
        assert_png_not_blank(tmp_path / name)


@pytest.mark.slow
def test_the_benchmark_prints_both_likelihoods_and_the_ratio(tmp_path):
    out = tmp_path / "vae.json"
    result = run_python([str(REPO / "bench" / "vae.py"), "--data", "digits", "--epochs", "10", "--batch-size", "32",
                         "--hidden", "64", "--latent", "4", "--samples", "100", "--test", "100", "--json", str(out)])
    assert result.returncode == 0, result.stderr
    assert "synaptica/PyTorch: s/epoch" in result.stdout and "−log p(x) synaptica − PyTorch" in result.stdout
    record = json.loads(out.read_text())
    assert abs(record["nll_difference"]) < 2.0  # the same model trained twice: within the 2 nats
    assert record["synaptica"]["nll"] < 35 and record["pytorch"]["nll"] < 35
