"""Gradient ascent on the input: the loop that activation maximisation and Deep Dream share.

Training holds the input fixed and moves the weights downhill on the cost; here the weights are
fixed and the input moves uphill on an objective (seed notes 004: "我们现在是把input x 作为要找的参数").
For a batch of images, each with its own objective Jₖ (a class score, a channel's mean activation)
and the penalty R of an :class:`~synaptica.interpret.priors.ImagePrior`, one step is

    gₖ  = ∂(Jₖ − R)/∂xₖ                            one backward pass for the whole batch
    xₖ ← clip(xₖ + η gₖ / mean|gₖ|, low, high)      a step of mean size η per pixel

Dividing by the mean absolute gradient (as Mordvintsev et al.'s Deep Dream code does) makes η a
distance in pixel units, whatever the scale of the objective: η = 0.01 moves a [0, 1] image by about
1% of its range per step, so the same η serves a logit, a log-probability or a layer's squared norm.
Clipping to the pixel range keeps the image one the network could actually be shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from synaptica.interpret.priors import ImagePrior, blur, jitter_offsets
from synaptica.interpret.probe import frozen
from synaptica.nn.module import Module
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor

#: ``objective(model, images) -> (n,)`` scores, one per image, to be increased
Objective = Callable[[Module, Tensor], Tensor]


@dataclass(frozen=True)
class AscentSettings:
    """How to climb: ``steps`` of mean size ``step_size`` (pixel units), the image prior, the pixel
    range (None: unclipped), jitter in pixels, and a Gaussian blur of ``blur_sigma`` every
    ``blur_every`` steps (0: no blur)."""

    steps: int = 100
    step_size: float = 0.01
    prior: ImagePrior = ImagePrior()
    pixel_range: tuple[float, float] | None = (0.0, 1.0)
    jitter: int = 0
    blur_sigma: float = 0.0
    blur_every: int = 4

    def __post_init__(self) -> None:
        if self.steps < 0 or self.jitter < 0 or self.blur_every < 1:
            raise ValueError(f"steps and jitter must be >= 0 and blur_every >= 1, got steps={self.steps}, "
                             f"jitter={self.jitter}, blur_every={self.blur_every}")
        if not self.step_size > 0 or not self.blur_sigma >= 0:
            raise ValueError(f"step_size must be > 0 and blur_sigma >= 0, got {self.step_size} and {self.blur_sigma}")
        if self.pixel_range is not None and not self.pixel_range[0] < self.pixel_range[1]:
            raise ValueError(f"pixel_range must be (low, high) with low < high, got {self.pixel_range}")


@dataclass(frozen=True)
class AscentResult:
    """The images reached (n, C, H, W) and the objective Jₖ (without the penalty) before every step
    and after the last, shape (steps + 1, n). With jitter, the values before a step are those of the
    shifted image the step was computed on; the last row is always the unshifted final image."""

    images: np.ndarray
    objective: np.ndarray


def clip(images: np.ndarray, pixel_range: tuple[float, float] | None) -> np.ndarray:
    return images if pixel_range is None else np.clip(images, pixel_range[0], pixel_range[1])


def gradient_ascent(model: Module, objective: Objective, start: np.ndarray, settings: AscentSettings,
                    rng: SeedLike = None) -> AscentResult:
    """Climb ``objective`` from the images ``start`` (n, C, H, W); the model's weights stay as they were.

    ``rng`` draws the jitter offsets (unused without jitter): the same seed gives the same images.
    """
    generator = as_generator(rng)
    dtype = np.asarray(start).dtype
    images = clip(np.array(start, copy=True), settings.pixel_range)
    history = []
    with frozen(model):
        for step in range(settings.steps):
            rows, columns = jitter_offsets(generator, settings.jitter)
            shifted = np.roll(images, (rows, columns), axis=(2, 3))
            value, gradient = objective_and_gradient(model, objective, shifted, settings.prior)
            history.append(value)
            gradient = np.roll(gradient, (-rows, -columns), axis=(2, 3))
            scale = np.abs(gradient).mean(axis=(1, 2, 3), keepdims=True)
            images = images + settings.step_size * gradient / np.maximum(scale, np.finfo(images.dtype).tiny)
            if settings.blur_sigma > 0 and (step + 1) % settings.blur_every == 0:
                images = blur(images, settings.blur_sigma)
            images = clip(images, settings.pixel_range).astype(dtype, copy=False)
        history.append(objective(model, Tensor(images)).data.copy())
    return AscentResult(images, np.array(history))


def objective_and_gradient(model: Module, objective: Objective, images: np.ndarray,
                           prior: ImagePrior) -> tuple[np.ndarray, np.ndarray]:
    """Jₖ for each image (n,) and ∂(Jₖ − R(xₖ))/∂xₖ (n, C, H, W), from one backward pass.

    The images of a batch do not interact (the model is in evaluation mode), so the gradient of the
    sum over the batch is, image by image, the gradient of each image's own objective.
    """
    x = Tensor(images, requires_grad=True)
    value = objective(model, x)
    if value.shape != (len(images),):
        raise ValueError(f"the objective must give one score per image, shape ({len(images)},); got {value.shape}")
    total = value
    penalty = prior.penalty(x)
    if penalty is not None:
        total = total - penalty
    total.sum().backward()
    gradient = x.grad if x.grad is not None else np.zeros_like(images)
    return value.data.copy(), gradient
