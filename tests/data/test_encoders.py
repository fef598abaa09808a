"""Poisson rate coding: counts of the right mean and law, from the Generator given, and refusals."""

import numpy as np
import pytest

from synaptica.data.encoders import SpikeTrains, poisson_spikes
from synaptica.errors import DataError


def test_spike_counts_have_the_poisson_rate_of_each_intensity():
    """2,000 images of 4 pixels, 700 steps of 0.5 ms at up to 63.75 Hz: a pixel of intensity x has a
    mean count of 22.3 x per image (standard error ≤ 0.11), and its per-step counts are Poisson(x r dt):
    the fraction of empty steps is e^{-x r dt} (standard error ≤ 2·10⁻⁴). Tolerances are 10 standard
    errors: with the fixed seed the test is deterministic, and no other seed would fail it either."""
    intensities = np.array([0.0, 0.25, 0.5, 1.0], dtype=np.float32)
    trains = poisson_spikes(np.tile(intensities, (2000, 1)), 700, 63.75, 0.0005, np.random.default_rng(0))
    counts = trains.counts()
    np.testing.assert_allclose(counts.mean(axis=0), intensities * 63.75 * 0.35, atol=1.1)
    assert counts[:, 0].sum() == 0  # intensity 0 never fires
    np.testing.assert_allclose(counts[:, 1:].var(axis=0) / counts[:, 1:].mean(axis=0), 1.0, atol=0.1)  # Poisson: var = mean
    raster = trains.dense()
    empty = (raster == 0).mean(axis=(0, 1))
    np.testing.assert_allclose(empty, np.exp(-intensities * 63.75 * 0.0005), atol=2e-3)
    assert raster.sum() == len(trains.step)


def test_the_trains_are_sorted_by_step_and_the_same_for_the_same_seed():
    x = np.random.default_rng(1).random((5, 30))
    a, b = (poisson_spikes(x, 50, 100.0, 0.001, np.random.default_rng(7)) for _ in range(2))
    np.testing.assert_array_equal(a.pixel, b.pixel)
    rows = a.step.astype(np.int64) * a.batch + a.image
    assert np.all(np.diff(rows) >= 0)
    other = poisson_spikes(x, 50, 100.0, 0.001, np.random.default_rng(8))
    assert not np.array_equal(a.dense(), other.dense())


def test_replacing_some_images_keeps_the_others():
    rng = np.random.default_rng(0)
    x = rng.random((4, 10))
    first, again = poisson_spikes(x, 40, 300.0, 0.001, rng), poisson_spikes(x[[1, 3]], 40, 300.0, 0.001, rng)
    merged = first.replace(np.array([1, 3]), again).dense()
    np.testing.assert_array_equal(merged[:, [0, 2]], first.dense()[:, [0, 2]])
    np.testing.assert_array_equal(merged[:, [1, 3]], again.dense())
    np.testing.assert_array_equal(first.select(np.array([0, 2])).dense(), first.dense()[:, [0, 2]])


def test_bad_intensities_and_settings_are_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(DataError, match="intensities must lie in \\[0, 1\\].*from 0 to 255"):
        poisson_spikes(np.array([[0.0, 255.0]]), 10, 60.0, 0.001, rng)
    with pytest.raises(DataError, match="intensities must lie in"):
        poisson_spikes(np.array([[np.nan, 0.5]]), 10, 60.0, 0.001, rng)
    with pytest.raises(DataError, match="expected a batch of images"):
        poisson_spikes(np.zeros(5), 10, 60.0, 0.001, rng)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        poisson_spikes(np.zeros((1, 5)), 0, 60.0, 0.001, rng)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        poisson_spikes(np.zeros((1, 5)), 10, 60.0, 0.001, 0)


def test_a_raster_of_counts_becomes_trains_and_back():
    raster = np.random.default_rng(2).poisson(0.3, (9, 2, 4)).astype(np.int32)
    np.testing.assert_array_equal(SpikeTrains.from_raster(raster).dense(), raster)
    with pytest.raises(ValueError, match="expected \\(steps, batch, inputs\\) spike counts"):
        SpikeTrains.from_raster(np.full((2, 2), 0.5))
