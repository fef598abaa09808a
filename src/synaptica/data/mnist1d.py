"""MNIST-1D (Greydanus 2020): ten one-dimensional "digit" signals, small enough to study on a laptop.

Each example is a length-40 signal made from one of ten fixed 12-point templates by random padding,
translation, scaling, shear, correlated and independent noise; 4,000 training and 1,000 test
examples. It separates models better than MNIST does: the published table (Greydanus, "Scaling
down deep learning with MNIST-1D", 2020/2024) is logistic regression 32 %, MLP 68 %, CNN 94 %,
GRU 91 % test accuracy.

The ``mnist1d`` package (the ``mnist1d`` extra) *generates* the data with its default arguments
(seed 42), so nothing is downloaded. Two of its habits are kept away from synaptica: its
generator seeds NumPy's and Python's *global* random state, and its cache is a pickle file. So the
generation runs in a child Python process, which writes plain arrays to an ``.npz`` file; this
module reads that file with ``allow_pickle=False`` and keeps it in the user cache
(``$SYNAPTICA_CACHE_DIR`` or ``~/.cache/synaptica``, ``mnist1d.npz``), written atomically. The
package's download and pickle paths are never used.

Splits: the package's own 4,000 / 1,000 cut as training and test; no validation split (the
published figures use none). ``x`` is float32 of shape (n, 40), one signal per row; a recurrent
network reads it as 40 steps of one number.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from synaptica.data.datasets import Dataset, Splits
from synaptica.errors import DataError, FormatError
from synaptica.io.atomic import atomic_write

__all__ = ["load_mnist1d", "LENGTH", "N_TRAIN", "N_TEST"]

LENGTH, N_TRAIN, N_TEST, N_CLASSES = 40, 4000, 1000, 10
_CACHE_NAME = "mnist1d.npz"
_KEYS = ("x", "y", "x_test", "y_test")
_GENERATE = """
import sys
import numpy as np
from mnist1d.data import get_dataset_args, make_dataset
data = make_dataset(get_dataset_args())
np.savez(sys.argv[1], **{key: np.asarray(data[key]) for key in ("x", "y", "x_test", "y_test")})
"""


def load_mnist1d(cache_dir: str | os.PathLike[str] | None = None) -> Splits:
    """MNIST-1D's 4,000 training and 1,000 test signals (generated once, then read from the cache)."""
    root = Path(cache_dir or os.environ.get("SYNAPTICA_CACHE_DIR") or "~/.cache/synaptica").expanduser()
    cached = root / _CACHE_NAME
    if not cached.is_file():
        root.mkdir(parents=True, exist_ok=True)
        _generate(cached)
    arrays = _read(cached)
    train = Dataset(arrays["x"], arrays["y"], N_CLASSES, None, "mnist1d")
    test = Dataset(arrays["x_test"], arrays["y_test"], N_CLASSES, None, "mnist1d")
    return Splits(train=train, validation=None, test=test)


def _generate(target: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        made = Path(scratch) / "mnist1d.npz"
        env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
        result = subprocess.run([sys.executable, "-c", _GENERATE, str(made)], capture_output=True, text=True,
                                env=env, stdin=subprocess.DEVNULL, timeout=600)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no message"])[-1]
            if "No module named 'mnist1d'" in result.stderr:
                raise DataError("mnist1d: the generator is the mnist1d package: "
                                "pip install 'synaptica[mnist1d]'")
            raise DataError(f"mnist1d: generating the dataset failed: {last}")
        _read(made)                                    # check before it enters the cache
        with atomic_write(target) as f:
            f.write(made.read_bytes())


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in _KEYS}
    except (OSError, ValueError, KeyError) as error:
        raise FormatError(f"{path}: not an MNIST-1D array file ({error}); delete it to generate it again") from None
    shapes = {"x": (N_TRAIN, LENGTH), "y": (N_TRAIN,), "x_test": (N_TEST, LENGTH), "y_test": (N_TEST,)}
    for key, shape in shapes.items():
        if arrays[key].shape != shape:
            raise FormatError(f"{path}: {key} has shape {arrays[key].shape}, expected {shape}; delete the file "
                              f"to generate it again")
    for key in ("y", "y_test"):
        if arrays[key].min() < 0 or arrays[key].max() >= N_CLASSES:
            raise FormatError(f"{path}: {key} holds labels outside 0..9")
    return {"x": arrays["x"].astype(np.float32), "y": arrays["y"].astype(np.int64),
            "x_test": arrays["x_test"].astype(np.float32), "y_test": arrays["y_test"].astype(np.int64)}
