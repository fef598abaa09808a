"""examples/sequential_images.py, run as a user runs it: the 8×8 digits read pixel by pixel."""

import csv
import re

import pytest

from tests.conftest import REPO, run_python
from tests.png_check import assert_png_not_blank


@pytest.mark.slow
def test_recurrent_kinds_learn_digits_read_pixel_by_pixel(tmp_path):
    """Three epochs of 64-step sequences: each kind is well above chance (0.1); about 0.5 measured."""
    out = tmp_path / "digits.png"
    result = run_python([str(REPO / "examples" / "sequential_images.py"), "--epochs", "3", "--kinds", "rnn,lstm",
                         "--out", str(out)])
    assert result.returncode == 0, result.stderr
    assert "pixel by pixel (64 steps)" in result.stdout
    with open(out.with_suffix(".csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["kind"] for row in rows] == ["rnn", "lstm"]
    for row in rows:
        assert float(row["test_accuracy"]) > 0.2, row
        assert len(row["validation_accuracy"].split()) == 3
    assert re.search(r"lstm\s+0\.\d{4}", result.stdout)
    assert_png_not_blank(out)
