"""Deep Dream: make the network exaggerate what it already sees in an image (Mordvintsev et al. 2015).

Seed notes 004: show the network an image, take the output a of some layer (a convolutional layer's
feature maps, or a hidden layer's vector), make "the positive dimensions more positive and the
negative ones more negative", and move the image by gradient descent towards that exaggerated
target. A target a + εa (every activation pushed further from zero) is exactly a step along the
gradient of

    D(x) = ½ ‖a(x)‖²        (here its mean, ½ mean(a²), so the value does not grow with the layer's size)

since ∂D/∂a = a. Deep Dream is therefore gradient *ascent* on D, starting from the given image rather
than from noise: whatever faintly excites the layer (the notes' rock that looks a little like a bear)
is strengthened until it shows. The steps are those of activation maximisation
(:func:`~synaptica.interpret.ascent.gradient_ascent`: mean step η per pixel, pixel clipping, and
jitter, which the original code uses too).

The original also works at several scales ("octaves"). Here the images are small (28 × 28) and the
networks' later layers already see most of the image, so a single scale is used.

Reference: A. Mordvintsev, C. Olah and M. Tyka, "Inceptionism: going deeper into neural networks",
Google Research blog, June 2015; and the deepdream notebook released with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synaptica.interpret.ascent import AscentResult, AscentSettings, gradient_ascent
from synaptica.interpret.probe import as_images, check_layer, forward_to, frozen, model_dtype
from synaptica.nn.module import Module
from synaptica.random import SeedLike
from synaptica.tensor import Tensor, no_grad

#: a short dream: 20 steps of 1% of the pixel range, jitter of one pixel, no penalty
DREAM_SETTINGS = AscentSettings(steps=20, step_size=0.01, jitter=1)


@dataclass(frozen=True)
class Dream:
    """The dreamed images (n, C, H, W), the layer, and ‖a‖ (the root-mean-square activation, (n,))
    of that layer before and after."""

    images: np.ndarray
    layer: int
    start_norm: np.ndarray
    end_norm: np.ndarray
    ascent: AscentResult


def half_mean_square(output: Tensor) -> Tensor:
    """½ mean(a²) over everything but the batch axis: D of the module docstring, one value per image."""
    return (output * output).mean(axis=tuple(range(1, output.ndim))) * 0.5


def deep_dream(model: Module, images: np.ndarray, layer: int, *, settings: AscentSettings = DREAM_SETTINGS,
               rng: SeedLike = None) -> Dream:
    """Amplify layer ``layer``'s activations by gradient ascent on the images (n, C, H, W) or one image.

    ``rng`` draws the jitter; the model's weights are not changed.
    """
    layer = check_layer(model, layer)
    images = as_images(images, model_dtype(model))

    def objective(net: Module, x: Tensor) -> Tensor:
        return half_mean_square(forward_to(net, x, layer))

    ascent = gradient_ascent(model, objective, images, settings, rng)
    start = objective_on(model, objective, images)
    return Dream(ascent.images, layer, np.sqrt(2 * start), np.sqrt(2 * ascent.objective[-1]), ascent)


def objective_on(model: Module, objective, images: np.ndarray) -> np.ndarray:
    """The objective of unshifted ``images`` with the weights frozen (no backward)."""
    with frozen(model), no_grad():
        return objective(model, Tensor(images)).data.copy()
