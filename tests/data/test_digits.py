"""The 8×8 digits: read from scikit-learn's real CSV file, split 1,197 / 300 / 300, and bad files refused."""

import gzip

import numpy as np
import pytest

from synaptica.data import load_dataset
from synaptica.data.digits import find_digits_file, load_digits, read_digits_csv
from synaptica.errors import DataError, FormatError


@pytest.fixture(scope="module")
def digits_file():
    try:
        return find_digits_file()
    except DataError as error:
        pytest.fail(f"the digits file is missing ({error}); the dev extra installs scikit-learn, which ships it")


@pytest.fixture(scope="module")
def table(digits_file):
    return read_digits_csv(digits_file)


def test_the_file_holds_1797_images_of_the_ten_digits(table):
    images, labels = table
    assert images.shape == (1797, 64) and images.dtype == np.uint8 and labels.shape == (1797,)
    assert images.max() == 16 and images.min() == 0
    assert np.array_equal(np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    # the first image is a zero, as in scikit-learn's load_digits
    assert labels[0] == 0 and images[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_splits_are_fixed_disjoint_and_cover_the_file(table):
    splits = load_dataset("digits")
    assert [len(s) for s in (splits.train, splits.validation, splits.test)] == [1197, 300, 300]
    for part in (splits.train, splits.validation, splits.test):
        assert part.x.dtype == np.float32 and part.y.dtype == np.int64 and part.x.shape[1] == 64
        assert part.n_classes == 10 and part.image_shape == (1, 8, 8) and part.name == "digits"
        assert 0 <= part.x.min() and part.x.max() <= 1
    again = load_digits()
    assert np.array_equal(again.train.x, splits.train.x) and np.array_equal(again.test.y, splits.test.y)
    images, labels = table
    rows = np.hstack([np.concatenate([s.x for s in (splits.train, splits.validation, splits.test)]) * 16,
                      np.concatenate([s.y for s in (splits.train, splits.validation, splits.test)])[:, None]])
    original = np.hstack([images, labels[:, None]]).astype(np.float64)
    def in_row_order(table):  # the rows sorted as whole rows: equal for the same multiset of images
        return table[np.lexsort(table.T[::-1])]

    assert np.array_equal(in_row_order(rows), in_row_order(original))


def test_data_dir_and_environment_point_at_a_file_or_directory(tmp_path, monkeypatch, digits_file):
    copy = tmp_path / "digits.csv.gz"
    copy.write_bytes(digits_file.read_bytes())
    assert find_digits_file(tmp_path) == copy and find_digits_file(copy) == copy
    monkeypatch.setenv("SYNAPTICA_DIGITS_DIR", str(tmp_path))
    assert find_digits_file() == copy
    assert len(load_dataset("digits").train) == 1197
    monkeypatch.setenv("SYNAPTICA_DIGITS_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match=r"\$SYNAPTICA_DIGITS_DIR: .*nowhere is neither"):
        load_dataset("digits")


def test_a_missing_file_says_how_to_get_it(monkeypatch):
    monkeypatch.delenv("SYNAPTICA_DIGITS_DIR", raising=False)
    with pytest.raises(DataError, match=r"not found \(search_system=False\).*pip install 'synaptica\[digits\]'"):
        load_dataset("digits", search_system=False)


def _write(path, lines):
    with gzip.open(path, "wt", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("change, message", [
    (lambda lines: lines[:-1], "expected 1797 lines.*found 1796"),
    (lambda lines: lines[:4] + [lines[4].rsplit(",", 1)[0]] + lines[5:], "line 5 has 64 fields; expected 65"),
    (lambda lines: lines[:2] + ["17" + lines[2][1:]] + lines[3:], r"line 3, pixel 0: value 17 is outside 0..16"),
    (lambda lines: lines[:-1] + [lines[-1].rsplit(",", 1)[0] + ",10"], "line 1797: label 10 is outside 0..9"),
    (lambda lines: ["x" + lines[0]] + lines[1:], "line 1 holds something other than numbers"),
    (lambda lines: ["0.5" + lines[0][1:]] + lines[1:], r"line 1, field 0: 0.5 is not an integer"),
])
def test_a_damaged_file_is_refused_with_the_line_at_fault(tmp_path, table, change, message):
    images, labels = table
    lines = [",".join(map(str, [*row, label])) for row, label in zip(images.tolist(), labels.tolist())]
    _write(tmp_path / "digits.csv.gz", change(lines))
    with pytest.raises(FormatError, match=message):
        load_digits(tmp_path)


def test_a_file_that_is_not_gzip_is_refused(tmp_path):
    (tmp_path / "digits.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(FormatError, match="cannot be read as a gzip-compressed text file"):
        load_digits(tmp_path)
