"""Activation maximisation: the input a trained network responds to most, for a filter or a class.

Seed notes 004 ("What does CNN learn?") define the degree to which the k-th filter of a layer is
activated as the sum of its feature map, aᵏ = Σᵢⱼ aᵏᵢⱼ, and find the image that maximises it by
gradient ascent on the input, x* = argmaxₓ aᵏ; for a neuron after ``Flatten`` (or a class output yⁱ)
the same with x* = argmaxₓ aʲ. A filter's image shows a texture (each unit sees a small patch, so
the best image repeats the pattern everywhere); a class's image shows what the whole network takes
for that class, which without a prior is noise the network nevertheless classifies with certainty.

Here the quantities maximised are:

- a **channel** k of layer l: the *mean* of its feature map, aᵏ / (H·W) (the same maximiser as the
  notes' sum, with a value that does not grow with the map's size); for a layer with flat output
  (n, d), the k-th unit aₖ itself;
- a **class** c: its logit z_c (default), the output of the last layer before any softmax, or its
  log-probability log softmax(z)_c. Simonyan et al. (2014) maximise the logit, because raising a
  probability can be done by lowering the other classes' scores rather than by showing class c.
  The logit has a second advantage with a prior: the gradient of log p_c is (1 − p_c) ∂z_c/∂x
  (plus the others' terms), which fades as p_c → 1, so any fixed penalty halts the climb short of
  certainty (measured with weak priors: the least certain class ended between 0.98 and 0.998),
  while the logit keeps its pull and the images end with p_c ≥ 0.999.

Both subtract a prior R(x) (:mod:`synaptica.interpret.priors`; the notes' Σ|x| by default for
classes, argmaxₓ (yⁱ − Σᵢⱼ |xᵢⱼ|)), start from a seeded near-grey image, and climb with
:func:`~synaptica.interpret.ascent.gradient_ascent`.

References: D. Erhan, Y. Bengio, A. Courville and P. Vincent, "Visualizing higher-layer features of
a deep network", University of Montreal technical report 1341, 2009; K. Simonyan, A. Vedaldi and
A. Zisserman, "Deep inside convolutional networks: visualising image classification models and
saliency maps", ICLR workshop 2014 (arXiv:1312.6034).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synaptica.errors import ShapeError
from synaptica.interpret.ascent import AscentResult, AscentSettings, gradient_ascent
from synaptica.interpret.priors import ImagePrior
from synaptica.interpret.probe import (
    check_classes, check_layer, class_scores, forward_to, frozen, model_dtype, n_classes,
)
from synaptica.nn.module import Module
from synaptica.ops.softmax import softmax_array
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor, no_grad

#: for classes: the notes' L1 prior and a little total variation, jitter of one pixel. With the logit
#: score, a small trained Fashion-MNIST CNN reached p(c | x) >= 0.999 for all ten classes (seeds 0-2)
#: with images of mean pixel 0.3; a Gaussian blur every 4 steps lowered the least certain class to
#: between 0.98 and 0.996, so the blur is left off.
CLASS_SETTINGS = AscentSettings(steps=150, step_size=0.01, prior=ImagePrior(l1=0.01, tv=0.02), jitter=1)
#: for channels: a little L2 and total variation (textures are fine-grained)
CHANNEL_SETTINGS = AscentSettings(steps=100, step_size=0.01, prior=ImagePrior(l2=0.001, tv=0.01), jitter=1)


@dataclass(frozen=True)
class ClassImages:
    """Images (n, C, H, W) maximising ``classes`` (n,); ``probabilities`` (n,) is p(class | image) at the
    end; ``score`` says what was maximised; ``ascent`` holds the climb."""

    images: np.ndarray
    classes: np.ndarray
    probabilities: np.ndarray
    score: str
    ascent: AscentResult


@dataclass(frozen=True)
class ChannelImages:
    """Images (n, C, H, W) maximising the mean activation of ``channels`` (n,) of layer ``layer``;
    ``activations`` (n,) are those means at the end, ``start_activations`` at the start."""

    images: np.ndarray
    layer: int
    channels: np.ndarray
    activations: np.ndarray
    start_activations: np.ndarray
    ascent: AscentResult


def grey_start(count: int, image_shape: tuple[int, ...], rng: np.random.Generator,
               pixel_range: tuple[float, float] | None = (0.0, 1.0), dtype=np.float32) -> np.ndarray:
    """``count`` images near the middle of the pixel range, with a little seeded noise (2% of the range)."""
    low, high = pixel_range if pixel_range is not None else (-1.0, 1.0)
    middle, spread = (low + high) / 2, 0.02 * (high - low)
    return (middle + spread * rng.standard_normal((count, *image_shape))).astype(dtype)


def maximize_class(model: Module, classes, image_shape: tuple[int, ...], *, score: str = "logit",
                   settings: AscentSettings = CLASS_SETTINGS, start: np.ndarray | None = None,
                   rng: SeedLike = None) -> ClassImages:
    """One image per entry of ``classes`` that the model assigns to that class, by gradient ascent.

    Args:
        model: a trained :class:`Sequential` network (its weights are not changed).
        classes: class indices (int or list); all are climbed together, one image each.
        image_shape: (C, H, W) of the model's inputs, e.g. (1, 28, 28).
        score: ``"logit"`` (Simonyan et al.'s S_c) or ``"log-probability"`` (log softmax of the logits).
        settings: steps, step size, prior, pixel range, jitter and blur.
        start: starting images (n, C, H, W); default :func:`grey_start` from ``rng``.
        rng: seed or Generator for the start and the jitter.
    """
    generator = as_generator(rng)
    classes = check_classes(classes, n_classes(model, tuple(image_shape)))
    if start is None:
        start = grey_start(len(classes), tuple(image_shape), generator, settings.pixel_range, model_dtype(model))
    elif np.shape(start) != (len(classes), *image_shape):
        raise ShapeError(f"maximize_class: start has shape {np.shape(start)}; expected {(len(classes), *image_shape)}")
    rows = np.arange(len(classes))

    def objective(net: Module, x: Tensor) -> Tensor:
        return class_scores(net, x, score)[rows, classes]

    ascent = gradient_ascent(model, objective, start, settings, generator)
    return ClassImages(ascent.images, classes, class_probabilities(model, ascent.images)[rows, classes], score, ascent)


def maximize_channel(model: Module, layer: int, channels, image_shape: tuple[int, ...], *,
                     settings: AscentSettings = CHANNEL_SETTINGS, start: np.ndarray | None = None,
                     rng: SeedLike = None) -> ChannelImages:
    """One image per entry of ``channels`` maximising that channel's mean activation at ``layer``.

    ``layer`` indexes the model's layers (0-based); a channel is a feature map for image-shaped
    outputs (n, C, H, W) and a unit for flat outputs (n, d). Other arguments as :func:`maximize_class`.

    A unit behind a ReLU that is off everywhere in the start image gets no gradient (the ReLU's
    slope is 0 there), so its image stays at the start (its ``activations`` stay 0). Maximising the
    convolution's own output, the layer before the ReLU, always has a gradient.
    """
    generator = as_generator(rng)
    layer = check_layer(model, layer)
    channels = np.atleast_1d(np.asarray(channels))
    available = layer_width(model, layer, tuple(image_shape))
    if channels.dtype.kind not in "iu" or channels.ndim != 1 or len(channels) == 0:
        raise ValueError(f"channels must be a non-empty list of integers, got {channels!r}")
    if channels.min() < 0 or channels.max() >= available:
        raise ValueError(f"channel {int(channels.max() if channels.max() >= available else channels.min())} "
                         f"does not exist: layer {layer} has channels 0 to {available - 1}")
    if start is None:
        start = grey_start(len(channels), tuple(image_shape), generator, settings.pixel_range, model_dtype(model))
    elif np.shape(start) != (len(channels), *image_shape):
        raise ShapeError(f"maximize_channel: start has shape {np.shape(start)}; "
                         f"expected {(len(channels), *image_shape)}")

    def objective(net: Module, x: Tensor) -> Tensor:
        return channel_means(forward_to(net, x, layer), channels)

    ascent = gradient_ascent(model, objective, start, settings, generator)
    return ChannelImages(ascent.images, layer, channels, ascent.objective[-1], ascent.objective[0], ascent)


def channel_means(output: Tensor, channels: np.ndarray) -> Tensor:
    """For image k of the batch, the mean of channel ``channels[k]`` of ``output`` (n, C, H, W) or unit (n, d)."""
    picked = output[np.arange(len(channels)), channels]
    return picked.mean(axis=tuple(range(1, picked.ndim))) if picked.ndim > 1 else picked


def layer_width(model: Module, layer: int, image_shape: tuple[int, ...]) -> int:
    """The number of channels (or units) layer ``layer`` gives for one image of ``image_shape``."""
    with frozen(model), no_grad():
        output = forward_to(model, Tensor(np.zeros((1, *image_shape), model_dtype(model))), layer)
    if output.ndim < 2:
        raise ShapeError(f"layer {layer} gives output of shape {output.shape}; it has no channels to maximise")
    return output.shape[1]


def class_probabilities(model: Module, images: np.ndarray) -> np.ndarray:
    """softmax of the class scores (n, classes) for images (n, C, H, W)."""
    with frozen(model), no_grad():
        logits = class_scores(model, Tensor(np.asarray(images, model_dtype(model))), "logit").data
    return softmax_array(logits.astype(np.float64))
