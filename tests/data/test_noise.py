"""Corruptions for denoising autoencoders: the fraction masked, the noise's moments, targets untouched,
the same seed giving the same noise, dtypes, and arguments refused with their values."""

import numpy as np
import pytest

from synaptica.data.loaders import ArraySource
from synaptica.data.noise import GaussianNoise, MaskingNoise


@pytest.fixture
def x():
    """Positive values, so a zero can only come from the mask."""
    return np.random.default_rng(0).uniform(0.1, 1.0, size=(400, 250)).astype(np.float32)


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.3, 0.75])
def test_masking_zeroes_the_fraction_asked_and_keeps_the_rest_exactly(x, fraction):
    noisy = MaskingNoise(fraction)(x, np.random.default_rng(1))
    zeroed = noisy == 0
    # 100,000 Bernoulli(ν) draws: their mean lies within 5 standard deviations of ν
    assert abs(zeroed.mean() - fraction) <= 5 * np.sqrt(fraction * (1 - fraction) / x.size) + 1e-12
    np.testing.assert_array_equal(noisy[~zeroed], x[~zeroed])
    assert noisy.shape == x.shape and noisy.dtype == x.dtype
    assert abs(zeroed.mean(axis=1) - fraction).max() < 0.15  # every example loses about ν of its values


def test_masking_keeps_integer_pixels_integers():
    pixels = np.full((10, 784), 200, dtype=np.uint8)
    noisy = MaskingNoise(0.5)(pixels, np.random.default_rng(0))
    assert noisy.dtype == np.uint8 and set(np.unique(noisy)) == {0, 200}


def test_gaussian_noise_has_the_standard_deviation_asked_and_clips(x):
    noisy = GaussianNoise(0.2)(x, np.random.default_rng(1))
    assert noisy.dtype == np.float32 and noisy.shape == x.shape
    difference = (noisy - x).astype(np.float64)
    assert abs(difference.mean()) < 0.003 and difference.std() == pytest.approx(0.2, rel=0.01)
    clipped = GaussianNoise(0.5, clip=(0, 1))(x, np.random.default_rng(1))
    assert clipped.min() == 0 and clipped.max() == 1
    assert GaussianNoise(0.1)(np.zeros((3, 4), np.uint8), np.random.default_rng(0)).dtype == np.float32
    np.testing.assert_array_equal(GaussianNoise(0)(x, np.random.default_rng(0)), x)


@pytest.mark.parametrize("noise", [MaskingNoise(0.3), GaussianNoise(0.1)])
def test_the_same_seed_gives_the_same_noise_and_another_seed_other_noise(x, noise):
    first, again = noise(x, np.random.default_rng(7)), noise(x, np.random.default_rng(7))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, noise(x, np.random.default_rng(8)))


@pytest.mark.parametrize("noise", [MaskingNoise(0.3), GaussianNoise(0.1)])
def test_a_source_corrupts_the_inputs_and_never_the_targets(x, noise):
    """``ArraySource(x, x, augment=noise)`` yields the (noisy input, clean target) pairs of a denoising
    autoencoder, the same for the same seed."""
    source = ArraySource(x, x, batch_size=64, augment=noise)
    batches = list(source.batches(None, np.random.default_rng(3)))
    inputs, targets = (np.concatenate(part) for part in zip(*batches))
    order = np.random.default_rng(3).permutation(len(x))
    np.testing.assert_array_equal(targets, x[order])  # the clean rows, in the epoch's order
    assert not np.array_equal(inputs, targets)
    again = list(source.batches(None, np.random.default_rng(3)))
    np.testing.assert_array_equal(np.concatenate([batch[0] for batch in again]), inputs)


@pytest.mark.parametrize("make, message", [
    (lambda: MaskingNoise(1.0), r"fraction must be in \[0, 1\).*got 1.0"),
    (lambda: MaskingNoise(-0.1), "fraction must be a finite number >= 0, got -0.1"),
    (lambda: MaskingNoise(float("nan")), "fraction must be a finite number >= 0, got nan"),
    (lambda: GaussianNoise(-1), "std must be a finite number >= 0, got -1"),
    (lambda: GaussianNoise(float("inf")), "std must be a finite number >= 0, got inf"),
    (lambda: GaussianNoise(0.1, clip=(1, 0)), r"clip must be \(low, high\) with finite low < high, got \(1, 0\)"),
])
def test_bad_arguments_are_refused_with_their_values(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_repr_names_the_settings():
    assert repr(MaskingNoise(0.25)) == "MaskingNoise(0.25)"
    assert repr(GaussianNoise(0.1, clip=(0, 1))) == "GaussianNoise(0.1, clip=(0, 1))"
