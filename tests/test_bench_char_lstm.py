"""bench/char_lstm.py runs end to end as a user runs it, and counts the work of its floor."""

import re
import shutil

import pytest

from tests.conftest import REPO, run_python


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bible") is None, reason="needs Debian's bible-kjv (scripts/setup.sh installs it)")
def test_the_character_benchmark_reports_both_ratios_and_the_products_floor():
    result = run_python([str(REPO / "bench" / "char_lstm.py"), "--steps", "1", "--warm-up", "0", "--threads", "1",
                         "--clock", "cpu"])
    assert result.returncode == 0, result.stderr
    ratios = re.findall(r"ratio (\d+\.\d+)", result.stdout)
    assert len(ratios) == 2 and all(float(r) > 0 for r in ratios), result.stdout
    # 100 steps × batch 32 through [1024 × (64 + 1 + 256)] and [1024 × (256 + 1 + 256)], then the
    # read-out 3,200 × 256 by 256 × 73 (the King James text's 73 characters), 2 operations each
    layers = 2 * 1024 * (64 + 1 + 256) * 3200 + 2 * 1024 * (256 + 1 + 256) * 3200
    assert f"({(layers + 2 * 3200 * 256 * 73) / 1e9:.2f} GFLOP" in result.stdout, result.stdout
