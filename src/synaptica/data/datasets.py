"""The dataset registry: find, fetch, check and split the datasets the book uses.

``load_dataset("fashion-mnist")`` looks for the four IDX files in this order:

1. the ``data_dir`` argument;
2. the directory in ``SYNAPTICA_FASHION_MNIST_DIR``;
3. ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``), if it
   holds all four files and ``search_system`` is true;
4. the user cache, ``<cache>/fashion-mnist`` where ``<cache>`` is the ``cache_dir``
   argument, else ``SYNAPTICA_CACHE_DIR``, else ``~/.cache/synaptica``; files missing
   there are downloaded (when ``download`` is true) from the official site, or from the
   base URL in ``SYNAPTICA_FASHION_MNIST_URL``.

``"mnist"`` works the same way with ``SYNAPTICA_MNIST_DIR``, ``/usr/share/datasets/mnist``
and ``SYNAPTICA_MNIST_URL``. ``"digits"`` (the 8×8 handwritten digits, 1,797
images) is read from the CSV file scikit-learn ships; :mod:`synaptica.data.digits` says where
it is looked for and how it is split. Any existing directory holding the four standard files, of
any size, loads too. Nothing is kept in memory between calls.
"""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synaptica.data.idx import read_idx
from synaptica.errors import DataError, FormatError
from synaptica.io.atomic import atomic_write

__all__ = ["DATASETS", "Dataset", "Splits", "load_dataset", "check_labels"]

DATASETS: tuple[str, ...] = ("fashion-mnist", "mnist", "xor", "digits", "mnist1d")

_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_N_CLASSES = 10
_TIMEOUT_S = 60.0


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """One split: ``x`` (n, features) float32 inputs and ``y`` (n,) int64 labels.

    Image pixels are scaled to [0, 1] and flattened; ``image_shape`` (channels, rows,
    columns) says how to unflatten them, or is ``None`` for non-image data.
    """

    x: np.ndarray
    y: np.ndarray
    n_classes: int
    image_shape: tuple[int, ...] | None
    name: str

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise DataError(f"{self.name}: {len(self.x)} inputs but {len(self.y)} targets")

    def __len__(self) -> int:
        return len(self.x)

    def __repr__(self) -> str:
        return (f"Dataset(name={self.name!r}, x={self.x.dtype}{self.x.shape}, "
                f"y={self.y.dtype}{self.y.shape}, n_classes={self.n_classes}, "
                f"image_shape={self.image_shape})")


@dataclass(frozen=True, eq=False)
class Splits:
    """A dataset's training, validation (possibly ``None``) and test splits."""

    train: Dataset
    validation: Dataset | None
    test: Dataset


@dataclass(frozen=True)
class _Source:
    """Where a named IDX dataset can be found or fetched."""

    name: str
    dir_env: str
    system_dir: str
    url_env: str
    urls: tuple[str, ...]  # base URLs, tried in order
    install_hint: str  # how to get the files from the system's packages, if there is a way


_SOURCES = {
    "fashion-mnist": _Source(
        name="fashion-mnist",
        dir_env="SYNAPTICA_FASHION_MNIST_DIR",
        system_dir="/usr/share/datasets/fashion-mnist",
        url_env="SYNAPTICA_FASHION_MNIST_URL",
        urls=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        install_hint="install Debian's dataset-fashion-mnist package "
        "(apt install dataset-fashion-mnist)",
    ),
    "mnist": _Source(
        name="mnist",
        dir_env="SYNAPTICA_MNIST_DIR",
        system_dir="/usr/share/datasets/mnist",
        url_env="SYNAPTICA_MNIST_URL",
        urls=(
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
        ),
        install_hint="",
    ),
}


def load_dataset(
    name_or_dir: str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    search_system: bool = True,
) -> Splits:
    """Load a dataset by name (one of :data:`DATASETS`) or from a directory of IDX files.

    Names win over directories: to load a directory called ``mnist`` pass ``"./mnist"``.
    For IDX datasets the training files are split into train and validation, the last
    sixth (rounded down) being validation, so 60,000 examples give 50,000 and 10,000 as
    in Nielsen's ``mnist_loader``; the ``t10k`` files are the test split.

    ``data_dir``, ``download``, ``cache_dir`` and ``search_system`` (whether to look in
    ``/usr/share/datasets``) apply to the named IDX datasets only; see the module
    docstring for the search order. Raises :class:`~synaptica.errors.DataError` when the
    data cannot be found, fetched or does not agree with itself, and
    :class:`~synaptica.errors.FormatError` for a corrupt file.
    """
    key = str(name_or_dir).lower().replace("_", "-") if isinstance(name_or_dir, str) else None
    if key == "xor":
        _no_data_dir(data_dir, "xor")
        return _xor()
    if key == "digits":  # the 8×8 digits CSV shipped with scikit-learn: see synaptica.data.digits
        from synaptica.data.digits import load_digits  # imported here: that module imports this one

        return load_digits(data_dir, search_system)
    if key == "mnist1d":  # generated by the mnist1d package in a child process: see synaptica.data.mnist1d
        from synaptica.data.mnist1d import load_mnist1d

        _no_data_dir(data_dir, "mnist1d")
        return load_mnist1d(cache_dir)
    if key in _SOURCES:
        source = _SOURCES[key]
        directory = _locate(source, data_dir, cache_dir, download, search_system)
        return _load_idx_dir(directory, source.name)
    directory = Path(name_or_dir).expanduser()
    if str(name_or_dir).strip() and directory.is_dir():
        _no_data_dir(data_dir, str(name_or_dir))
        return _load_idx_dir(directory, directory.name or str(directory))
    raise DataError(
        f"unknown dataset {str(name_or_dir)!r}: not one of {', '.join(DATASETS)} "
        "and not an existing directory"
    )


def _no_data_dir(data_dir: object, what: str) -> None:
    if data_dir is not None:
        raise DataError(f"data_dir applies to the named IDX datasets only, not to {what}")


def _xor() -> Splits:
    """The four XOR examples; the third input is a constant bias input of 1."""
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    train = Dataset(x=x, y=y, n_classes=2, image_shape=None, name="xor")
    test = Dataset(x=x.copy(), y=y.copy(), n_classes=2, image_shape=None, name="xor")
    return Splits(train=train, validation=None, test=test)


def _find_files(directory: Path) -> dict[str, Path] | None:
    """Map each of the four parts to its file (raw preferred over .gz), or None if any is missing."""
    found = {}
    for part, stem in _FILES.items():
        for candidate in (directory / stem, directory / f"{stem}.gz"):
            if candidate.is_file():
                found[part] = candidate
                break
        else:
            return None
    return found


def _missing_message(directory: Path) -> str:
    wanted = ", ".join(f"{stem}[.gz]" for stem in _FILES.values())
    missing = [
        stem for stem in _FILES.values()
        if not (directory / stem).is_file() and not (directory / f"{stem}.gz").is_file()
    ]
    return f"{directory} lacks {', '.join(missing)} (looked for {wanted})"


def user_cache(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The user cache: ``cache_dir``, else ``$SYNAPTICA_CACHE_DIR``, else ``~/.cache/synaptica``."""
    return Path(cache_dir or os.environ.get("SYNAPTICA_CACHE_DIR") or "~/.cache/synaptica").expanduser()


def _locate(source: _Source, data_dir: str | os.PathLike[str] | None,
            cache_dir: str | os.PathLike[str] | None, download: bool,
            search_system: bool) -> Path:
    """Return the directory holding the four files, downloading them if need be."""
    explicit = data_dir if data_dir is not None else os.environ.get(source.dir_env) or None
    if explicit is not None:
        directory = Path(explicit).expanduser()
        if _find_files(directory) is None:
            where = "data_dir" if data_dir is not None else f"${source.dir_env}"
            raise DataError(f"{source.name}: {where}: {_missing_message(directory)}")
        return directory
    system = Path(source.system_dir)
    if search_system and _find_files(system) is not None:
        return system
    cache = user_cache(cache_dir) / source.name
    if _find_files(cache) is None:
        fix = (f"To fix: {source.install_hint + ', or ' if source.install_hint else ''}"
               f"put the four files in a directory and pass it as data_dir= (or set "
               f"${source.dir_env})")
        if not download:
            raise DataError(f"{source.name}: not found and download=False: "
                            f"{_missing_message(cache)}. {fix}")
        _download_missing(source, cache, fix)
    return cache


def _download_missing(source: _Source, cache: Path, fix: str) -> None:
    """Download each missing file (as .gz) into ``cache``, trying each base URL in turn."""
    override = os.environ.get(source.url_env)
    bases = (override,) if override else source.urls
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{source.name}: cannot create cache directory {cache}: {exc}. {fix}") from exc
    for stem in _FILES.values():
        if (cache / stem).is_file() or (cache / f"{stem}.gz").is_file():
            continue
        failures = []
        for base in bases:
            url = base.rstrip("/") + f"/{stem}.gz"
            try:
                _download(url, cache / f"{stem}.gz")
                break
            # URLError and HTTPError are OSErrors; FormatError and bad URLs are ValueErrors.
            except (OSError, ValueError, http.client.HTTPException) as exc:
                failures.append(f"{url} ({exc})")
        else:
            raise DataError(f"{source.name}: download failed: {'; '.join(failures)}. {fix}")


def _download(url: str, target: Path) -> None:
    """Fetch ``url`` to a temporary file, check it parses as IDX, then move it to ``target`` (atomically)."""
    with atomic_write(target, check=read_idx) as out:
        request = urllib.request.Request(url, headers={"User-Agent": "synaptica"})
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
        except urllib.error.HTTPError as exc:
            exc.close()  # an HTTPError holds the open response
            raise


def _load_idx_dir(directory: Path, name: str) -> Splits:
    """Load the four IDX files in ``directory`` and split off the validation set."""
    files = _find_files(directory)
    if files is None:
        raise DataError(f"{name}: {_missing_message(directory)}")
    train = _load_pair(files["train_images"], files["train_labels"], name)
    test = _load_pair(files["test_images"], files["test_labels"], name)
    for split, part in ((train, "train"), (test, "test")):
        if not len(split):
            raise DataError(f"{name}: the {'training' if part == 'train' else 'test'} set is empty: "
                            f"{files[part + '_images']} holds 0 images and {files[part + '_labels']} 0 labels")
    if test.image_shape != train.image_shape:
        size = lambda shape: "×".join(map(str, shape[1:]))  # noqa: E731
        raise DataError(f"{name}: the test images in {files['test_images']} are {size(test.image_shape)} pixels "
                        f"but the training images in {files['train_images']} are {size(train.image_shape)}; "
                        f"a network takes one size")
    n_validation = len(train) // 6
    if n_validation == 0:
        return Splits(train=train, validation=None, test=test)
    cut = len(train) - n_validation
    return Splits(
        train=Dataset(train.x[:cut], train.y[:cut], _N_CLASSES, train.image_shape, name),
        validation=Dataset(train.x[cut:], train.y[cut:], _N_CLASSES, train.image_shape, name),
        test=test,
    )


def check_labels(labels: np.ndarray, n_classes: int, source: str = "labels") -> None:
    """Refuse labels that are not class indices 0 .. n_classes − 1: a float dtype, negative values
    (NumPy would take −1 for the last class) or values ≥ ``n_classes`` (an ``IndexError`` later).

    Raises:
        DataError: naming ``source`` (the file), the dtype, or how many labels are out of range and
            the first of them with its index.
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise DataError(f"{source}: labels are {labels.dtype}; class labels must be integers "
                        f"0..{n_classes - 1} (IDX type 0x08, uint8)")
    bad = (labels < 0) | (labels >= n_classes)
    if bad.any():
        first = int(np.argmax(bad.reshape(-1)))
        raise DataError(f"{source}: label {labels.reshape(-1)[first]} at index {first} is outside "
                        f"0..{n_classes - 1}, the first of {int(bad.sum()):,} such label(s)")


def _load_pair(images_path: Path, labels_path: Path, name: str) -> Dataset:
    """Read one images file and its labels file, check they agree, and scale the pixels."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise FormatError(f"{images_path}: expected (n, rows, columns) uint8 images, "
                          f"found {images.dtype} of shape {images.shape}")
    if labels.ndim != 1:
        raise FormatError(f"{labels_path}: expected (n,) labels, found {labels.dtype} of shape {labels.shape}")
    if len(images) != len(labels):
        first = min(len(images), len(labels))
        unmatched = "image(s) have no label" if len(images) > first else "label(s) have no image"
        raise DataError(f"{name}: {images_path} holds {len(images)} images but {labels_path} holds "
                        f"{len(labels)} labels: {abs(len(images) - len(labels))} {unmatched}, from index {first}")
    check_labels(labels, _N_CLASSES, f"{name}: {labels_path}")
    n, rows, columns = images.shape
    x = np.divide(images.reshape(n, rows * columns), 255, dtype=np.float32)
    return Dataset(x=x, y=labels.astype(np.int64), n_classes=_N_CLASSES,
                   image_shape=(1, rows, columns), name=name)
