"""Corruptions for denoising autoencoders: inputs with part of their content destroyed.

A denoising autoencoder (Vincent, Larochelle, Bengio and Manzagol 2008) is given a corrupted input
x̃ ~ q(x̃ | x) and trained to reconstruct the clean x. It cannot copy its input, so it must learn how
the values depend on each other, and its code becomes a better feature than a plain autoencoder's.
The corruptions here are augmentations (``noise(x_batch, rng) -> x_batch``): a batch source applies
them to the inputs and never to the targets, so::

    source = ArraySource(x, x, batch_size=64, augment=MaskingNoise(0.3))

yields (corrupted input, clean target) pairs, drawn afresh for every block of every epoch from the
run's Generator, so the same seed gives the same noise.

    MaskingNoise(ν)       each input value set to 0 with probability ν (Vincent et al.'s choice)
    GaussianNoise(σ)      x̃ = x + ε, ε ~ N(0, σ²) for each value, optionally clipped to a range

Reference: P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol, "Extracting and composing robust
features with denoising autoencoders", ICML 2008.
"""

from __future__ import annotations

import math

import numpy as np

from synaptica.data.augment import _non_negative


def _float_dtype(x: np.ndarray):
    """The dtype of a corrupted batch: the input's if it is floating point, float32 otherwise."""
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float32)


class MaskingNoise:
    """Zero each input value independently with probability ``fraction`` (ν in [0, 1)).

    The rest are left exactly as they were; on average a fraction ν of the values of every example
    is destroyed. The result has the input's shape and dtype (integer pixels stay integers).
    """

    def __init__(self, fraction: float):
        number = _non_negative("MaskingNoise", "fraction", fraction)
        if number >= 1:
            raise ValueError(f"MaskingNoise: fraction must be in [0, 1) (1 would zero every input), got {fraction!r}")
        self.fraction = number

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = np.asarray(x)
        kept = rng.random(x.shape, dtype=np.float32) >= self.fraction
        return np.where(kept, x, np.zeros((), dtype=x.dtype))

    def __repr__(self) -> str:
        return f"MaskingNoise({self.fraction:g})"


class GaussianNoise:
    """Add independent Gaussian noise of standard deviation ``std`` to every input value.

    Args:
        std: σ ≥ 0.
        clip: (low, high) to clip the noisy values to, e.g. (0, 1) to keep pixels pixels; None keeps them.

    The result has the input's shape, and its dtype if floating point (float32 for integer inputs).
    """

    def __init__(self, std: float, clip: tuple[float, float] | None = None):
        self.std = _non_negative("GaussianNoise", "std", std)
        if clip is not None:
            low, high = (float(value) for value in clip)
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(f"GaussianNoise: clip must be (low, high) with finite low < high, got {clip!r}")
            clip = (low, high)
        self.clip = clip

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = np.asarray(x)
        dtype = _float_dtype(x)
        work = np.float64 if dtype == np.float64 else np.float32
        noisy = x.astype(work) + self.std * rng.standard_normal(x.shape, dtype=work)
        if self.clip is not None:
            np.clip(noisy, *self.clip, out=noisy)
        return noisy.astype(dtype, copy=False)

    def __repr__(self) -> str:
        extra = "" if self.clip is None else f", clip=({self.clip[0]:g}, {self.clip[1]:g})"
        return f"GaussianNoise({self.std:g}{extra})"
