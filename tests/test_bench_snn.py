"""bench/snn.py runs, and its PyTorch twin simulates the same network as synaptica does."""

import re

from tests.conftest import REPO, run_python


def test_the_snn_bench_runs_and_the_pytorch_twin_spikes_alike(fashion):
    result = run_python([str(REPO / "bench" / "snn.py"), "--images", "16", "--neurons", "40", "--repeats", "1"])
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[2:4]}
    assert set(rows) == {"learn", "test"} and all(float(row[3]) > 0 for row in rows.values())
    equal = float(re.search(r"equal spike counts on (\d+)% of images", result.stdout).group(1))
    difference = float(re.search(r"ΔW largest difference ([0-9.e+-]+)", result.stdout).group(1))
    assert equal >= 80 and difference < 1e-5
