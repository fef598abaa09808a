"""The 8×8 handwritten digits (UCI "optdigits"), read from the CSV file scikit-learn ships.

1,797 images of the digits 0–9, each 8×8 pixels with integer values 0..16: the test part of
Alpaydin and Kaynak's "Optical Recognition of Handwritten Digits" set in the UCI repository (32×32
bitmaps from 43 writers, counted in non-overlapping 4×4 blocks). It is the set behind
scikit-learn's ``load_digits``, whose packages ship it as ``sklearn/datasets/data/digits.csv.gz``:
one image a line, 64 pixel values row by row and then the label, 65 integers separated by commas.

The file is read directly, without importing scikit-learn. ``load_digits`` looks for it in this order:

1. the ``data_dir`` argument: a directory holding ``digits.csv.gz`` (or ``digits.csv``), or the file;
2. the same in ``SYNAPTICA_DIGITS_DIR``;
3. the installed scikit-learn package, found by looking for its directory on ``sys.path`` (the
   package is never imported or run): ``pip install 'synaptica[digits]'`` installs it;
4. Debian's ``python3-sklearn`` package, ``/usr/lib/python3/dist-packages/sklearn/datasets/data``.

Splits: the 1,797 images are shuffled once by ``numpy.random.default_rng(0).permutation`` (a fixed
order, the same on every machine) and cut into 1,197 training, 300 validation and 300 test images.
Pixels are divided by 16, so inputs lie in [0, 1].

Reference: E. Alpaydin and C. Kaynak, "Cascading classifiers", Kybernetika 34(4), 1998; UCI Machine
Learning Repository, "Optical Recognition of Handwritten Digits" (1998).
"""

from __future__ import annotations

import gzip
import os
import sys
import zlib
from pathlib import Path

import numpy as np

from synaptica.data.datasets import Dataset, Splits
from synaptica.errors import DataError, FormatError

FILE_NAMES = ("digits.csv.gz", "digits.csv")
DEBIAN_DIR = Path("/usr/lib/python3/dist-packages/sklearn/datasets/data")
N_IMAGES = 1797
N_TRAIN, N_VALIDATION = 1197, 300  # the remaining 300 are the test split
SPLIT_SEED = 0
MAX_PIXEL = 16
IMAGE_SHAPE = (1, 8, 8)
N_CLASSES = 10


def load_digits(data_dir: str | os.PathLike[str] | None = None, search_system: bool = True) -> Splits:
    """The digits split 1,197 / 300 / 300 (module docstring), ``x`` float32 in [0, 1], ``y`` int64.

    Raises :class:`~synaptica.errors.DataError` when the file cannot be found (saying how to get it)
    and :class:`~synaptica.errors.FormatError` when it is not the 1,797 × 65 table it should be.
    """
    path = find_digits_file(data_dir, search_system)
    images, labels = read_digits_csv(path)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(images))
    x = np.divide(images[order], MAX_PIXEL, dtype=np.float32)
    y = labels[order]
    cuts = (0, N_TRAIN, N_TRAIN + N_VALIDATION, len(images))
    train, validation, test = (Dataset(x[a:b], y[a:b], N_CLASSES, IMAGE_SHAPE, "digits")
                               for a, b in zip(cuts[:-1], cuts[1:]))
    return Splits(train=train, validation=validation, test=test)


def find_digits_file(data_dir: str | os.PathLike[str] | None = None, search_system: bool = True) -> Path:
    """The path of ``digits.csv.gz`` (or ``digits.csv``), searched in the order of the module docstring."""
    explicit = data_dir if data_dir is not None else os.environ.get("SYNAPTICA_DIGITS_DIR") or None
    if explicit is not None:
        where = "data_dir" if data_dir is not None else "$SYNAPTICA_DIGITS_DIR"
        found = _in_place(Path(explicit).expanduser())
        if found is None:
            raise DataError(f"digits: {where}: {explicit} is neither a digits CSV file nor a directory "
                            f"holding {' or '.join(FILE_NAMES)}")
        return found
    searched = []
    if search_system:
        package = _installed_sklearn_data_dir()
        for directory in ([package] if package else []) + [DEBIAN_DIR]:
            searched.append(str(directory))
            found = _in_place(directory)
            if found is not None:
                return found
    looked = f" (looked in {', '.join(searched)})" if searched else " (search_system=False)"
    raise DataError(f"digits: digits.csv.gz not found{looked}. To fix: pip install 'synaptica[digits]' "
                    "(scikit-learn's package ships the file), or apt install python3-sklearn, or put "
                    "digits.csv.gz in a directory and pass it as data_dir= (or set $SYNAPTICA_DIGITS_DIR)")


def _in_place(path: Path) -> Path | None:
    """``path`` itself when it is a file, else the first of :data:`FILE_NAMES` inside it."""
    if path.is_file():
        return path
    for name in FILE_NAMES:
        if (path / name).is_file():
            return path / name
    return None


def _installed_sklearn_data_dir() -> Path | None:
    """scikit-learn's ``datasets/data`` directory if the package is installed, found on ``sys.path``
    without importing anything (the library never imports a module a file or a setting names)."""
    for entry in sys.path:
        candidate = Path(entry or ".") / "sklearn" / "datasets" / "data"
        if candidate.is_dir():
            return candidate
    return None


def read_digits_csv(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read the digits CSV (gzip-compressed when the name ends in .gz).

    Returns ``(images, labels)``: images (1797, 64) uint8 in 0..16 and labels (1797,) int64 in 0..9.
    Every line must hold 65 integers; the error names the file, the line and what was wrong.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="ascii") as f:
                text = f.read()
        else:
            text = path.read_text(encoding="ascii")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot be read as a {'gzip-compressed ' if path.suffix == '.gz' else ''}"
                          f"text file: {exc}") from exc
    lines = text.splitlines()
    if len(lines) != N_IMAGES:
        raise FormatError(f"{path}: expected {N_IMAGES} lines (one image each), found {len(lines)}")
    table = np.empty((N_IMAGES, 65), dtype=np.float64)
    for number, line in enumerate(lines, start=1):
        fields = line.split(",")
        if len(fields) != 65:
            raise FormatError(f"{path}: line {number} has {len(fields)} fields; expected 65 "
                              "(64 pixels and the label)")
        try:
            table[number - 1] = [float(field) for field in fields]
        except ValueError:
            raise FormatError(f"{path}: line {number} holds something other than numbers: {line[:80]!r}") from None
    not_integer = np.argwhere(~np.isfinite(table) | (table != np.round(table)))
    if len(not_integer):
        row, column = not_integer[0]
        raise FormatError(f"{path}: line {row + 1}, field {column}: {table[row, column]} is not an integer")
    table = table.astype(np.int64)
    images, labels = table[:, :64], table[:, 64]
    bad_pixel = np.argwhere((images < 0) | (images > MAX_PIXEL))
    if len(bad_pixel):
        row, column = bad_pixel[0]
        raise FormatError(f"{path}: line {row + 1}, pixel {column}: value {images[row, column]} "
                          f"is outside 0..{MAX_PIXEL}")
    bad_label = np.flatnonzero((labels < 0) | (labels >= N_CLASSES))
    if len(bad_label):
        row = bad_label[0]
        raise FormatError(f"{path}: line {row + 1}: label {labels[row]} is outside 0..{N_CLASSES - 1}")
    return images.astype(np.uint8), labels
