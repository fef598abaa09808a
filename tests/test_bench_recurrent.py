"""bench/recurrent.py runs end to end as a user runs it, on a subset of Fashion-MNIST."""

import json

import pytest

from tests.conftest import REPO, run_python


@pytest.mark.slow
def test_the_recurrent_benchmark_runs_and_reports_its_ratios(subset_dir, tmp_path):
    out = tmp_path / "recurrent.json"
    result = run_python([str(REPO / "bench" / "recurrent.py"), "--cell", "gru", "--limit", "640", "--epochs", "1",
                         "--repeats", "1", "--settle", "0", "--data", str(subset_dir), "--json", str(out)])
    assert result.returncode == 0, result.stderr
    assert "gru: synaptica/PyTorch s/epoch" in result.stdout
    record = json.loads(out.read_text())["results"][0]
    assert record["cell"] == "gru" and record["n_train"] == 640
    assert record["outputs_agree_to"] < 1e-4  # the same weights give the same logits in both libraries
    assert record["ratio_s_per_epoch"] > 0 and record["ratio_images_per_s"] > 0
