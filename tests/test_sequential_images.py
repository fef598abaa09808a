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


@pytest.mark.slow
def test_fashion_pixel_by_pixel_runs_784_steps_on_the_first_images(fashion, tmp_path):
    out = tmp_path / "pixels.png"
    result = run_python([str(REPO / "examples" / "sequential_images.py"), "--task", "fashion-pixels", "--train-limit",
                         "96", "--validation-limit", "48", "--test-limit", "40", "--epochs", "1", "--hidden", "8",
                         "--kinds", "rnn,irnn", "--out", str(out)])
    assert result.returncode == 0, result.stderr
    assert "pixel by pixel (784 steps), 96 / 48 / 40 images" in result.stdout
    with open(out.with_suffix(".csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["kind"] for row in rows] == ["rnn", "irnn"]
    for row in rows:                                   # 40 test images: accuracy is a multiple of 1/40
        assert float(row["test_accuracy"]) * 40 == pytest.approx(round(float(row["test_accuracy"]) * 40), abs=1e-6)
    assert_png_not_blank(out)


def test_permute_reads_every_image_in_one_fixed_order_and_only_pixel_tasks_take_it():
    code = ("import sys, numpy as np; sys.path.insert(0, 'examples'); import sequential_images as s\n"
            "from synaptica.data import load_dataset\n"
            "splits = load_dataset('digits')\n"
            "a = s.prepare(splits, s.parse_arguments(['--permute', '--train-limit', '50']))\n"
            "b = s.prepare(splits, s.parse_arguments(['--permute', '--seeds', '3']))\n"
            "plain = s.prepare(splits, s.parse_arguments([]))\n"
            "assert len(a.train) == 50 and len(a.test) == len(splits.test) and len(plain.train) == len(splits.train)\n"
            "assert np.array_equal(plain.train.x, splits.train.x)\n"
            "order = [np.flatnonzero((splits.train.x[:50] == a.train.x[:, [j]]).all(axis=0)) for j in range(64)]\n"
            "print(sum(len(o) == 1 for o in order), np.array_equal(a.test.x, b.test.x),\n"
            "      np.array_equal(np.sort(a.test.x, axis=1), np.sort(splits.test.x, axis=1)),\n"
            "      np.array_equal(a.test.x, splits.test.x))\n")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    unique, same_order, same_pixels, unchanged = result.stdout.split()
    assert int(unique) > 50                          # most columns traced to one original pixel
    assert (same_order, same_pixels, unchanged) == ("True", "True", "False")
    refused = run_python([str(REPO / "examples" / "sequential_images.py"), "--task", "fashion", "--permute"])
    assert refused.returncode == 2 and "--permute reorders the pixels" in refused.stderr
