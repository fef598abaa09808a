"""examples/rbm.py, examples/dbn.py and bench/rbm.py run end to end as a user runs them, on small subsets."""

import json
import re

import pytest

from tests.conftest import REPO, run_python
from tests.png_check import assert_png_not_blank


@pytest.mark.slow
def test_the_rbm_example_prints_its_figures_and_draws_filters_and_samples(tmp_path, fashion):
    result = run_python([str(REPO / "examples" / "rbm.py"), "--rule", "cd", "--examples", "1000", "--epochs", "1",
                         "--hidden", "30", "--ais-chains", "10", "--ais-betas", "200", "--gibbs-steps", "20",
                         "--out-dir", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    assert re.search(r"Epoch 0: test pseudo-likelihood -\d+\.\d+", result.stdout)
    assert float(re.search(r"exact pseudo-likelihood \(1,000 test images\): (-[\d.]+)", result.stdout).group(1)) < 0
    assert re.search(r"test log-likelihood -[\d.]+ nats per image", result.stdout)
    assert_png_not_blank(tmp_path / "rbm_cd_filters.png")
    assert_png_not_blank(tmp_path / "rbm_cd_samples.png")


@pytest.mark.slow
def test_the_dbn_example_reads_and_writes(tmp_path, fashion):
    result = run_python([str(REPO / "examples" / "dbn.py"), "--hidden", "40", "--examples", "1000",
                         "--pretrain-epochs", "1", "--epochs", "1", "--write-epochs", "2", "--gibbs-steps", "20",
                         "--out-dir", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    assert "wrote 100 digits, ten of each label" in result.stdout
    assert re.search(r"test accuracy after 1 epochs of fine-tuning: DBN 0\.\d+ .* random start 0\.\d+", result.stdout)
    assert_png_not_blank(tmp_path / "dbn_digits_written.png")
    assert_png_not_blank(tmp_path / "dbn_accuracy.png")


@pytest.mark.slow
def test_the_bench_compares_with_scikit_learn(tmp_path, fashion):
    record = tmp_path / "rbm.json"
    result = run_python([str(REPO / "bench" / "rbm.py"), "--examples", "500", "--epochs", "1", "--hidden", "20",
                         "--pl-examples", "50", "--ais-chains", "5", "--ais-betas", "50", "--json", str(record)])
    assert result.returncode == 0, result.stderr
    rows = json.loads(record.read_text())["rows"]
    assert set(rows) == {"scikit-learn PCD-1", "synaptica PCD-1", "synaptica CD-1"}
    assert all(row["pseudo_likelihood"] < 0 and row["seconds"] > 0 for row in rows.values())
    assert "pseudo-likelihood ratio" in result.stdout and "log_likelihood" in rows["synaptica CD-1"]
