"""What a natural image looks like, as penalties and steps that keep gradient ascent near one.

Gradient ascent on the input alone finds images that excite a network but look like a broken
television (seed notes 004: the class images of an MNIST network "长得一点也不像" the digits, yet the
network classifies them as those digits). The notes' remedy is to subtract a penalty from the
objective, x* = argmax_x (yⁱ − Σᵢⱼ |xᵢⱼ|), and "if you also ask neighbouring pixels to have the same
colour, you should get better results". :class:`ImagePrior` holds those penalties, each computed
per image with the engine's ops, so its gradient comes from the same backward pass:

    R(x) = λ₁ Σ |x|                                  the notes' L1: little ink (sparse strokes)
         + λ₂ Σ x²                                   Simonyan et al. 2014's L2 on the class image
         + λ_tv Σ (x[i+1, j] − x[i, j])² + (x[i, j+1] − x[i, j])²
                                                     total variation with β = 2 (Mahendran and
                                                     Vedaldi 2015): neighbours alike

Two further priors act on the image between steps rather than through the objective (Yosinski et
al. 2015; Mordvintsev et al. 2015): **jitter** shifts the image by a random offset before each
gradient (so no pattern can depend on exact pixel positions) and **blur** smooths it with a small
Gaussian every few steps (so high frequencies, which the eye reads as noise, cannot build up).

References: K. Simonyan, A. Vedaldi and A. Zisserman, "Deep inside convolutional networks:
visualising image classification models and saliency maps", ICLR workshop 2014 (arXiv:1312.6034);
A. Mahendran and A. Vedaldi, "Understanding deep image representations by inverting them", CVPR 2015;
J. Yosinski, J. Clune, A. Nguyen, T. Fuchs and H. Lipson, "Understanding neural networks through deep
visualization", ICML deep learning workshop 2015; A. Mordvintsev, C. Olah and M. Tyka,
"Inceptionism: going deeper into neural networks", Google Research blog, 2015.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synaptica.data.augment import gaussian_smooth
from synaptica.tensor import Tensor


def _non_negative(name: str, value: float) -> float:
    value = float(value)
    if not value >= 0 or not np.isfinite(value):
        raise ValueError(f"ImagePrior: {name} must be a finite number >= 0, got {value}")
    return value


@dataclass(frozen=True)
class ImagePrior:
    """Penalty weights λ₁ (``l1``), λ₂ (``l2``), λ_tv (``tv``); 0 switches a term off.

    ``penalty(x)`` is R(x) of the module docstring for each image of a batch, shape (n,).
    Pixel sums are taken per image, so the weights mean the same thing for any batch size.
    """

    l1: float = 0.0
    l2: float = 0.0
    tv: float = 0.0

    def __post_init__(self) -> None:
        for name in ("l1", "l2", "tv"):
            _non_negative(name, getattr(self, name))

    @property
    def active(self) -> bool:
        return self.l1 > 0 or self.l2 > 0 or self.tv > 0

    def penalty(self, x: Tensor) -> Tensor | None:
        """R(x) per image (n,) for images (n, C, H, W); None when every weight is 0."""
        terms = []
        axes = (1, 2, 3)
        if self.l1 > 0:
            # Σ|x| as Σ x·sign(x): the same value, and its gradient is sign(x) (0 at 0, a subgradient)
            terms.append((x * np.sign(x.data)).sum(axis=axes) * self.l1)
        if self.l2 > 0:
            terms.append((x * x).sum(axis=axes) * self.l2)
        if self.tv > 0:
            terms.append(total_variation(x) * self.tv)
        if not terms:
            return None
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total


def total_variation(x: Tensor) -> Tensor:
    """Σ (x[i+1, j] − x[i, j])² + (x[i, j+1] − x[i, j])² over each image of (n, C, H, W) -> (n,)."""
    down = x[:, :, 1:, :] - x[:, :, :-1, :]
    right = x[:, :, :, 1:] - x[:, :, :, :-1]
    return (down * down).sum(axis=(1, 2, 3)) + (right * right).sum(axis=(1, 2, 3))


def jitter_offsets(rng: np.random.Generator, pixels: int) -> tuple[int, int]:
    """A random shift (rows, columns), each uniform in [−pixels, pixels]."""
    if pixels == 0:
        return 0, 0
    rows, columns = rng.integers(-pixels, pixels + 1, size=2)
    return int(rows), int(columns)


def blur(images: np.ndarray, sigma: float) -> np.ndarray:
    """Each channel of (n, C, H, W) smoothed by a Gaussian of standard deviation ``sigma`` pixels."""
    n, channels, height, width = images.shape
    smoothed = gaussian_smooth(images.reshape(n * channels, height, width), sigma)
    return smoothed.reshape(images.shape).astype(images.dtype, copy=False)
