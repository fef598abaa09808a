"""Tests for the dataset registry: real files, a real local HTTP server, no mocks."""

from __future__ import annotations

import functools
import os
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from synaptica.data import DATASETS, Dataset, Splits, load_dataset, read_idx, write_idx
from synaptica.errors import DataError, FormatError

FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not (FASHION / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed",
)
STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
ENV_VARS = ("SYNAPTICA_FASHION_MNIST_DIR", "SYNAPTICA_FASHION_MNIST_URL", "SYNAPTICA_MNIST_DIR",
            "SYNAPTICA_MNIST_URL", "SYNAPTICA_CACHE_DIR")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No test sees the caller's dataset settings; none may touch the real ~/.cache."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def write_fake_mnist(directory: Path, n_train: int, n_test: int, *, gz: bool = True,
                     seed: int = 0) -> dict[str, np.ndarray]:
    """Write four small IDX files shaped like MNIST; return the arrays written."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {
        STEMS[0]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        STEMS[1]: rng.integers(0, 10, n_train, dtype=np.uint8),
        STEMS[2]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        STEMS[3]: rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for stem, array in arrays.items():
        write_idx(directory / (f"{stem}.gz" if gz else stem), array)
    return arrays


# --- the real dataset -----------------------------------------------------------------


@needs_fashion
def test_fashion_mnist_from_the_debian_package():
    splits = load_dataset("fashion-mnist")
    assert isinstance(splits, Splits)
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (50000, 10000, 10000)
    for part in (splits.train, splits.validation, splits.test):
        assert isinstance(part, Dataset)
        assert part.x.dtype == np.float32 and part.x.shape == (len(part), 784)
        assert part.y.dtype == np.int64 and part.y.shape == (len(part),)
        assert part.x.min() == 0.0 and part.x.max() == 1.0
        assert part.y.min() == 0 and part.y.max() == 9
        assert part.n_classes == 10 and part.image_shape == (1, 28, 28)
        assert part.name == "fashion-mnist"
    # The validation set is the last 10,000 training images, as in Nielsen's loader.
    images = read_idx(FASHION / "train-images-idx3-ubyte.gz")
    assert np.array_equal(splits.validation.x, images[50000:].reshape(10000, 784) / np.float32(255))
    assert np.array_equal(splits.train.x[:3], images[:3].reshape(3, 784) / np.float32(255))


def test_named_dataset_honours_data_dir_and_environment(tmp_path, monkeypatch):
    write_fake_mnist(tmp_path / "mine", 60, 12)
    assert len(load_dataset("fashion-mnist", data_dir=tmp_path / "mine").test) == 12
    monkeypatch.setenv("SYNAPTICA_FASHION_MNIST_DIR", str(tmp_path / "mine"))
    splits = load_dataset("Fashion_MNIST")
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (50, 10, 12)


def test_directory_from_environment_must_hold_the_files(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("SYNAPTICA_MNIST_DIR", str(tmp_path / "empty"))
    with pytest.raises(DataError, match=r"SYNAPTICA_MNIST_DIR.*lacks train-images-idx3-ubyte"):
        load_dataset("mnist")


# --- directories of IDX files ---------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_subset_directory_splits_off_the_last_sixth(tmp_path, gz):
    arrays = write_fake_mnist(tmp_path / "subset", 4000, 500, gz=gz)
    splits = load_dataset(tmp_path / "subset")
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (3334, 666, 500)
    assert splits.train.name == "subset"
    labels = arrays["train-labels-idx1-ubyte"]
    assert np.array_equal(splits.train.y, labels[:3334])
    assert np.array_equal(splits.validation.y, labels[3334:])
    assert np.array_equal(splits.test.x, arrays["t10k-images-idx3-ubyte"].reshape(500, 784) / np.float32(255))
    assert splits.test.x.dtype == np.float32 and splits.test.y.dtype == np.int64


def test_directory_given_as_string_with_tilde(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write_fake_mnist(tmp_path / "digits", 12, 3)
    assert len(load_dataset("~/digits").train) == 10


def test_tiny_training_set_has_no_validation_split(tmp_path):
    write_fake_mnist(tmp_path / "tiny", 5, 2)
    splits = load_dataset(str(tmp_path / "tiny"))
    assert splits.validation is None and len(splits.train) == 5


def test_missing_file_lists_what_was_looked_for(tmp_path):
    write_fake_mnist(tmp_path / "partial", 12, 3)
    (tmp_path / "partial" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError) as info:
        load_dataset(tmp_path / "partial")
    message = str(info.value)
    assert "lacks t10k-labels-idx1-ubyte" in message
    for stem in STEMS:
        assert f"{stem}[.gz]" in message


def test_image_and_label_counts_must_agree(tmp_path):
    write_fake_mnist(tmp_path / "d", 12, 3)
    write_idx(tmp_path / "d" / "train-labels-idx1-ubyte.gz", np.zeros(11, dtype=np.uint8))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz holds 12 images but "
                                        r".*train-labels-idx1-ubyte.gz holds 11 labels: 1 image\(s\) have no "
                                        r"label, from index 11"):
        load_dataset(tmp_path / "d")
    write_idx(tmp_path / "d" / "t10k-labels-idx1-ubyte.gz", np.zeros(5, dtype=np.uint8))
    write_idx(tmp_path / "d" / "train-labels-idx1-ubyte.gz", np.zeros(12, dtype=np.uint8))
    with pytest.raises(DataError, match=r"holds 3 images but .*t10k-labels-idx1-ubyte.gz holds 5 labels: "
                                        r"2 label\(s\) have no image, from index 3"):
        load_dataset(tmp_path / "d")


def test_labels_must_be_class_indices(tmp_path):
    write_fake_mnist(tmp_path / "d", 12, 3)
    write_idx(tmp_path / "d" / "t10k-labels-idx1-ubyte.gz", np.array([1, 10, 2], dtype=np.uint8))
    with pytest.raises(DataError, match=r"label 10 at index 1 is outside 0\.\.9"):
        load_dataset(tmp_path / "d")


@pytest.mark.parametrize("labels, complaint", [
    (np.array([1, 2, 3, 0, -1, 5, -7, 9, 1, 1, 2, 3], np.int8),
     r"label -1 at index 4 is outside 0\.\.9, the first of 2 such label\(s\)"),
    (np.array([1, 2, 3, 0, 1, 5, 7, 9, 1, 1, 2, 300], np.int16),
     r"label 300 at index 11 is outside 0\.\.9, the first of 1 such label\(s\)"),
    (np.arange(12, dtype=np.float32) % 10, r"labels are float32; class labels must be integers"),
])
def test_labels_that_are_not_class_indices_are_refused_naming_the_file(tmp_path, labels, complaint):
    write_fake_mnist(tmp_path / "d", 12, 3)
    write_idx(tmp_path / "d" / "train-labels-idx1-ubyte.gz", labels)
    with pytest.raises(DataError, match=complaint) as error:
        load_dataset(tmp_path / "d")
    assert str(tmp_path / "d" / "train-labels-idx1-ubyte.gz") in str(error.value)


def test_labels_of_another_integer_type_load(tmp_path):
    arrays = write_fake_mnist(tmp_path / "d", 12, 3)
    write_idx(tmp_path / "d" / "t10k-labels-idx1-ubyte.gz", arrays[STEMS[3]].astype(np.int32))
    assert load_dataset(tmp_path / "d").test.y.tolist() == arrays[STEMS[3]].tolist()


@pytest.mark.parametrize("n_train, n_test, which", [(0, 3, "training"), (12, 0, "test")])
def test_an_empty_split_is_refused_naming_both_files(tmp_path, n_train, n_test, which):
    write_fake_mnist(tmp_path / "d", n_train, n_test)
    images, labels = STEMS[:2] if which == "training" else STEMS[2:]
    with pytest.raises(DataError, match=rf"the {which} set is empty: .*{images}.gz holds 0 images and "
                                        rf".*{labels}.gz 0 labels"):
        load_dataset(tmp_path / "d")


def test_test_images_of_another_size_are_refused_naming_both_files(tmp_path):
    write_fake_mnist(tmp_path / "d", 12, 3)
    write_idx(tmp_path / "d" / "t10k-images-idx3-ubyte.gz", np.zeros((3, 32, 32), dtype=np.uint8))
    with pytest.raises(DataError, match=r"the test images in .*t10k-images-idx3-ubyte.gz are 32×32 pixels but "
                                        r"the training images in .*train-images-idx3-ubyte.gz are 28×28"):
        load_dataset(tmp_path / "d")


def test_images_must_be_three_dimensional_uint8(tmp_path):
    write_fake_mnist(tmp_path / "d", 12, 3)
    write_idx(tmp_path / "d" / "t10k-images-idx3-ubyte.gz", np.zeros((3, 784), dtype=np.uint8))
    with pytest.raises(FormatError, match=r"t10k-images-idx3-ubyte.gz: expected \(n, rows, columns\)"):
        load_dataset(tmp_path / "d")


def test_corrupt_file_in_a_directory_is_a_format_error(tmp_path):
    write_fake_mnist(tmp_path / "d", 12, 3)
    path = tmp_path / "d" / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(FormatError, match="train-images-idx3-ubyte.gz: corrupt gzip"):
        load_dataset(tmp_path / "d")


# --- xor and unknown names ------------------------------------------------------------


def test_xor():
    splits = load_dataset("xor")
    assert splits.validation is None
    for part in (splits.train, splits.test):
        assert part.x.dtype == np.float32 and part.y.dtype == np.float32
        assert np.array_equal(part.x, [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
        assert np.array_equal(part.y, [[0], [1], [1], [0]])
        assert part.n_classes == 2 and part.image_shape is None and part.name == "xor"
    assert not np.shares_memory(splits.train.x, splits.test.x)


def test_unknown_name_lists_the_known_ones(tmp_path):
    assert DATASETS == ("fashion-mnist", "mnist", "xor", "digits", "mnist1d")
    with pytest.raises(DataError) as info:
        load_dataset(str(tmp_path / "cifar"))
    for name in DATASETS:
        assert name in str(info.value)
    with pytest.raises(DataError, match="unknown dataset ''"):
        load_dataset("")  # not the current directory


def test_data_dir_only_applies_to_named_idx_datasets(tmp_path):
    with pytest.raises(DataError, match="data_dir"):
        load_dataset("xor", data_dir=tmp_path)


def test_dataset_checks_lengths_and_is_frozen():
    with pytest.raises(DataError, match="3 inputs but 2 targets"):
        Dataset(np.zeros((3, 2), np.float32), np.zeros(2, np.int64), 2, None, "bad")
    data = Dataset(np.zeros((3, 2), np.float32), np.zeros(3, np.int64), 2, None, "ok")
    with pytest.raises(AttributeError):
        data.x = None  # type: ignore[misc]
    assert "float32(3, 2)" in repr(data)


# --- downloading ----------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def http_root(tmp_path, monkeypatch):
    """A real HTTP server on 127.0.0.1 serving a directory; yields (directory, base URL)."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "www"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(("name", "url_env"), [("fashion-mnist", "SYNAPTICA_FASHION_MNIST_URL"),
                                               ("mnist", "SYNAPTICA_MNIST_URL")])
def test_download_into_the_cache(tmp_path, monkeypatch, http_root, name, url_env):
    root, url = http_root
    arrays = write_fake_mnist(root, 60, 20)
    monkeypatch.setenv(url_env, url)
    cache = tmp_path / "cache"
    splits = load_dataset(name, cache_dir=cache, search_system=False)
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (50, 10, 20)
    assert np.array_equal(splits.test.y, arrays["t10k-labels-idx1-ubyte"])
    assert sorted(p.name for p in (cache / name).iterdir()) == sorted(f"{s}.gz" for s in STEMS)
    # Once cached, nothing more is fetched.
    monkeypatch.setenv(url_env, url + "gone/")
    again = load_dataset(name, cache_dir=cache, search_system=False, download=False)
    assert np.array_equal(again.train.x, splits.train.x)


def test_cache_directory_from_environment(tmp_path, monkeypatch, http_root):
    root, url = http_root
    write_fake_mnist(root, 12, 3)
    monkeypatch.setenv("SYNAPTICA_FASHION_MNIST_URL", url)
    monkeypatch.setenv("SYNAPTICA_CACHE_DIR", str(tmp_path / "envcache"))
    assert len(load_dataset("fashion-mnist", search_system=False).test) == 3
    assert (tmp_path / "envcache" / "fashion-mnist" / "t10k-images-idx3-ubyte.gz").is_file()


def test_only_missing_files_are_downloaded(tmp_path, monkeypatch, http_root):
    root, url = http_root
    write_fake_mnist(root, 12, 3)
    cache = tmp_path / "cache" / "fashion-mnist"
    write_fake_mnist(cache, 12, 4, seed=7)
    (cache / "train-images-idx3-ubyte.gz").unlink()
    monkeypatch.setenv("SYNAPTICA_FASHION_MNIST_URL", url)
    splits = load_dataset("fashion-mnist", cache_dir=tmp_path / "cache", search_system=False)
    assert len(splits.test) == 4  # the cached test files were kept


def test_http_404_names_the_url(tmp_path, monkeypatch, http_root):
    root, url = http_root
    write_fake_mnist(root, 12, 3)
    (root / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("SYNAPTICA_FASHION_MNIST_URL", url)
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as info:
        load_dataset("fashion-mnist", cache_dir=cache, search_system=False)
    message = str(info.value)
    assert f"{url}t10k-labels-idx1-ubyte.gz" in message and "404" in message
    assert "dataset-fashion-mnist" in message and "data_dir" in message
    # The three good files were kept; nothing half-written was left behind.
    assert sorted(p.name for p in (cache / "fashion-mnist").iterdir()) == sorted(
        f"{s}.gz" for s in STEMS[:3])


def test_download_that_is_not_idx_is_rejected_and_not_cached(tmp_path, monkeypatch, http_root):
    root, url = http_root
    write_fake_mnist(root, 12, 3)
    (root / "train-images-idx3-ubyte.gz").write_bytes(b"<html>Access denied</html>")
    monkeypatch.setenv("SYNAPTICA_FASHION_MNIST_URL", url)
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match=f"{url}train-images-idx3-ubyte.gz .*bad magic number"):
        load_dataset("fashion-mnist", cache_dir=cache, search_system=False)
    assert not (cache / "fashion-mnist" / "train-images-idx3-ubyte.gz").exists()
    assert not [p for p in (cache / "fashion-mnist").iterdir() if p.name.endswith(".part")]


def test_unreachable_server_names_the_url(tmp_path, monkeypatch):
    with socket.socket() as probe:  # find a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = f"http://127.0.0.1:{port}/"
    monkeypatch.setenv("SYNAPTICA_MNIST_URL", dead)
    with pytest.raises(DataError, match=f"{dead}train-images-idx3-ubyte.gz .*refused"):
        load_dataset("mnist", cache_dir=tmp_path / "cache", search_system=False)


def test_no_download_when_disabled(tmp_path):
    with pytest.raises(DataError) as info:
        load_dataset("fashion-mnist", cache_dir=tmp_path / "cache", search_system=False,
                     download=False)
    message = str(info.value)
    assert "download=False" in message and "dataset-fashion-mnist" in message
    assert not (tmp_path / "cache").exists()


def test_default_cache_is_under_home(tmp_path, monkeypatch, http_root):
    root, url = http_root
    write_fake_mnist(root, 12, 3)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SYNAPTICA_FASHION_MNIST_URL", url)
    load_dataset("fashion-mnist", search_system=False)
    cached = tmp_path / ".cache" / "synaptica" / "fashion-mnist"
    assert sorted(os.listdir(cached)) == sorted(f"{s}.gz" for s in STEMS)
