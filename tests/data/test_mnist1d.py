"""MNIST-1D: generated in a child process (the parent's random state untouched), cached without pickle."""

import numpy as np
import pytest

from synaptica.data import load_dataset
from synaptica.data.mnist1d import load_mnist1d
from synaptica.errors import FormatError


@pytest.mark.slow
def test_generated_once_then_read_from_the_cache(tmp_path, monkeypatch):
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    splits = load_mnist1d(tmp_path)
    np.testing.assert_array_equal(np.random.get_state()[1], before)      # the global stream is not touched
    assert splits.train.x.shape == (4000, 40) and splits.test.x.shape == (1000, 40)
    assert splits.train.x.dtype == np.float32 and splits.train.y.dtype == np.int64
    assert splits.validation is None
    assert np.bincount(splits.train.y).min() > 350                       # ten balanced classes
    assert abs(float(splits.train.x.mean())) < 0.05 and 0.9 < float(splits.train.x.std()) < 1.1
    monkeypatch.setenv("SYNAPTICA_CACHE_DIR", str(tmp_path))
    again = load_dataset("mnist1d")
    np.testing.assert_array_equal(again.test.x, splits.test.x)
    cached = tmp_path / "mnist1d.npz"
    arrays = dict(np.load(cached))
    arrays["x"] = arrays["x"][:10]
    np.savez(cached, **arrays)
    with pytest.raises(FormatError, match=r"mnist1d\.npz: x has shape \(10, 40\), expected \(4000, 40\)"):
        load_mnist1d(tmp_path)
    cached.write_bytes(b"not an archive")
    with pytest.raises(FormatError, match="not an MNIST-1D array file"):
        load_mnist1d(tmp_path)
