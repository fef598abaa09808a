"""Binarised images: the data a Bernoulli likelihood is defined on.

A Bernoulli decoder gives the probability of each pixel being on, p(x | z) = Πᵢ pᵢ^xᵢ (1 − pᵢ)^(1 − xᵢ),
which is a likelihood only for xᵢ ∈ {0, 1}. Grey-level images are made binary in one of two ways,
and log-likelihoods are comparable only between models evaluated on the same binarisation:

- **fixed threshold** (the default, ``threshold=0.5``): xᵢ = 1 where the intensity is > 0.5. The
  same data every run, so two libraries trained on it see identical pixels;
- **stochastic** (Salakhutdinov and Murray 2008, the usual "binarised MNIST" of the VAE papers):
  xᵢ ~ Bernoulli(intensityᵢ), drawn once from the Generator given (``rng=``), which makes the
  result a function of the seed.

Reference: R. Salakhutdinov and I. Murray, "On the quantitative analysis of deep belief networks",
ICML 2008.
"""

from __future__ import annotations

import numpy as np

from synaptica.random import SeedLike, as_generator


def binarize(x, threshold: float = 0.5, rng: SeedLike | None = None, dtype=np.float32) -> np.ndarray:
    """0/1 images from intensities in [0, 1]: above ``threshold`` (fixed), or, when ``rng`` is given,
    1 with probability equal to the intensity (stochastic; ``threshold`` is then unused).

    Raises:
        ValueError: intensities outside [0, 1] (the value and its index named), or a threshold
            outside (0, 1).
    """
    x = np.asarray(x)
    if x.size:
        low, high = float(x.min()), float(x.max())
        if not (0.0 <= low and high <= 1.0):
            bad = int(np.argmax((x < 0) | (x > 1) | np.isnan(x)))
            raise ValueError(f"binarize: intensities must lie in [0, 1]; the array of shape {x.shape} holds "
                             f"{_value_at(x, bad)} (range {low:g}..{high:g})")
    if rng is not None:
        return (as_generator(rng).random(x.shape) < x).astype(dtype)
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"binarize: threshold must be in (0, 1), got {threshold}")
    return (x > threshold).astype(dtype)


def _value_at(x: np.ndarray, flat: int) -> str:
    """``0.25 at (0, 3)``: the value at a flat index and its place."""
    return f"{x.flat[flat].item()!r} at {tuple(int(i) for i in np.unravel_index(flat, x.shape))}"


def check_binary(x: np.ndarray, who: str) -> None:
    """Refuse data that is not all 0s and 1s, naming its shape and the first value that is not."""
    x = np.asarray(x)
    bad = (x != 0) & (x != 1)
    if bad.any():
        first = int(np.argmax(bad))
        raise ValueError(
            f"{who}: a Bernoulli likelihood needs binary data (0 or 1), but the batch of shape {x.shape} holds "
            f"{_value_at(x, first)} ({int(bad.sum())} of {x.size} values are not 0 or 1); binarise it first with "
            "synaptica.data.binarize.binarize(x) (fixed threshold 0.5) or binarize(x, rng=seed) (stochastic)")
