"""Deep Style: an image with one image's content and another's style (Gatys, Ecker and Bethge 2015).

Seed notes 004: pass the content image through a CNN; its filter outputs say *what* is in it. Pass
the style image through the same CNN, but keep only the *correlations between* filter outputs:
which features occur together, wherever they are, is the image's style. Then search, by gradient
steps on the image, for an image whose filter outputs are like the first image's and whose filter
correlations are like the second's.

With Fˡ the (Nˡ × Mˡ) matrix of layer l's feature maps for the image sought (Nˡ maps of Mˡ = H·W
positions), Pˡ the same for the content image and Aˡ the Gram matrix of the style image:

    content:   L_content = ½ Σᵢⱼ (Fˡᵢⱼ − Pˡᵢⱼ)²                           at one layer l
    Gram:      Gˡ = Fˡ Fˡᵀ,   Gˡᵢⱼ = Σₖ Fˡᵢₖ Fˡⱼₖ                         (Nˡ × Nˡ)
    style:     Eˡ = Σᵢⱼ (Gˡᵢⱼ − Aˡᵢⱼ)² / (4 (Nˡ)² (Mˡ)²),   L_style = Σₗ wₗ Eˡ,  wₗ = 1 / (number of layers)
    total:     L = α L_content + β L_style

Gatys et al. use the 19-layer VGG network trained on ImageNet (content at conv4_2, style at
conv1_1 … conv5_1), start from white noise and minimise L with L-BFGS. The same algorithm runs here
on whatever trained :class:`Sequential` CNN is given, such as a small Fashion-MNIST network: by
default the content layer is the activation after the last convolution and the style layers are the
activations after every convolution. The image is the only thing optimised, by the library's own
:class:`~synaptica.optim.Adam` (one Parameter: the image), and is clipped to the pixel range after
every step. The network's weights do not move (:func:`~synaptica.interpret.probe.frozen`).

Reference: L. A. Gatys, A. S. Ecker and M. Bethge, "A neural algorithm of artistic style",
arXiv:1508.06576, 2015 (and "Image style transfer using convolutional neural networks", CVPR 2016).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synaptica.errors import ShapeError
from synaptica.interpret.probe import (
    FLAT_LAYERS, IMAGE_LAYERS, as_images, check_layer, forward_collect, frozen, layers_of, model_dtype,
)
from synaptica.nn.conv import Conv2d, Flatten
from synaptica.nn.module import Module, Parameter
from synaptica.optim.adam import Adam
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor, no_grad


@dataclass(frozen=True)
class StyleResult:
    """The image found (C, H, W); the unweighted ``content_loss`` and ``style_loss`` before every step
    and after the last, each of length steps + 1; and the layers used."""

    image: np.ndarray
    content_loss: np.ndarray
    style_loss: np.ndarray
    content_layer: int
    style_layers: tuple[int, ...]


def gram_matrix(features: Tensor) -> Tensor:
    """G = F Fᵀ for each image of (n, N, H, W) feature maps -> (n, N, N), F the (N, H·W) matrix of maps."""
    if features.ndim != 4:
        raise ShapeError(f"gram_matrix: expected feature maps (n, channels, H, W), got shape {features.shape}; "
                         "choose a convolutional layer (before Flatten) for the style")
    n, channels = features.shape[:2]
    f = features.reshape(n, channels, -1)
    return f @ f.transpose(0, 2, 1)


def content_loss(features: Tensor, target: np.ndarray) -> Tensor:
    """½ Σ (F − P)² for one image's features against the content image's (both the same shape)."""
    difference = features - target
    return (difference * difference).sum() * 0.5


def style_layer_loss(features: Tensor, target_gram: np.ndarray) -> Tensor:
    """Eˡ = Σ (G − A)² / (4 N² M²) for one image's (1, N, H, W) feature maps and the style image's Gram matrix."""
    _, channels, height, width = features.shape
    difference = gram_matrix(features) - target_gram
    return (difference * difference).sum() * (1.0 / (4.0 * channels ** 2 * (height * width) ** 2))


def conv_feature_layers(model: Module) -> list[int]:
    """For each Conv2d, the index of its activation (the layer right after it, if that is not a pooling
    or another convolution), else the Conv2d itself: where Gatys et al. read features (after ReLU)."""
    layers = layers_of(model)
    found = []
    for i, layer in enumerate(layers):
        if isinstance(layer, Conv2d):
            after = i + 1 if i + 1 < len(layers) and not layer_changes_shape(layers[i + 1]) else i
            found.append(after)
    if not found:
        raise ValueError(f"the model has no Conv2d layer, so it has no feature maps to take a style from; "
                         f"its layers are: {', '.join(repr(layer) for layer in layers)}")
    return found


def layer_changes_shape(layer: Module) -> bool:
    """Whether a layer is a pooling, convolution, flatten or fully connected layer (not an activation)."""
    return isinstance(layer, (*IMAGE_LAYERS, *FLAT_LAYERS, Flatten))


def style_transfer(model: Module, content: np.ndarray, style: np.ndarray, *, content_layer: int | None = None,
                   style_layers: list[int] | None = None, content_weight: float = 1.0, style_weight: float = 1e4,
                   steps: int = 200, learning_rate: float = 0.02,
                   pixel_range: tuple[float, float] | None = (0.0, 1.0), start: np.ndarray | None = None,
                   rng: SeedLike = None) -> StyleResult:
    """Find an image with ``content``'s features and ``style``'s Gram matrices (each image (C, H, W) or (H, W)).

    Args:
        content_layer: the layer whose feature maps must match the content image's (default: the
            activation after the last convolution).
        style_layers: the layers whose Gram matrices must match the style image's (default: the
            activation after every convolution), weighted equally.
        content_weight, style_weight: α and β. Only their ratio matters to the result's look; the
            default α/β = 10⁻⁴ is the smaller of Gatys et al.'s two ratios. On a small Fashion-MNIST
            CNN, from white noise, 200 steps lowered the content loss to a quarter and the style
            loss to a sixth; with α/β = 10⁻³ the content won (content to 1/25, style only to 0.6).
        steps, learning_rate: Adam steps on the image and their size (pixel units).
        start: the starting image; default white noise, uniform over ``pixel_range``, from ``rng``.
    """
    if steps < 0 or not learning_rate > 0 or content_weight < 0 or style_weight < 0:
        raise ValueError("style_transfer: steps must be >= 0, learning_rate > 0 and the weights >= 0")
    dtype = model_dtype(model)
    content = as_images(content, dtype)
    style = as_images(style, dtype)
    if len(content) != 1 or len(style) != 1 or content.shape != style.shape:
        raise ShapeError(f"style_transfer: expected one content and one style image of the same shape, got "
                         f"shapes {content.shape} and {style.shape}")
    defaults = conv_feature_layers(model)
    content_layer = check_layer(model, defaults[-1] if content_layer is None else content_layer)
    style_layers = tuple(check_layer(model, i) for i in (defaults if style_layers is None else style_layers))
    if not style_layers:
        raise ValueError("style_transfer: give at least one style layer")
    low, high = pixel_range if pixel_range is not None else (0.0, 1.0)
    if start is None:
        start = as_generator(rng).uniform(low, high, size=content.shape)
    image = Parameter(as_images(start, dtype).copy(), regularized=False)
    if image.shape != content.shape:
        raise ShapeError(f"style_transfer: start has shape {image.shape}; expected {content.shape}")
    wanted = sorted({content_layer, *style_layers})

    with frozen(model):
        with no_grad():
            content_target = forward_collect(model, Tensor(content), [content_layer])[content_layer].data.copy()
            style_features = forward_collect(model, Tensor(style), list(style_layers))
            gram_targets = {i: gram_matrix(style_features[i]).data.copy() for i in style_layers}

        def losses(x: Tensor) -> tuple[Tensor, Tensor]:
            features = forward_collect(model, x, wanted)
            style_total = style_layer_loss(features[style_layers[0]], gram_targets[style_layers[0]])
            for i in style_layers[1:]:
                style_total = style_total + style_layer_loss(features[i], gram_targets[i])
            return content_loss(features[content_layer], content_target), style_total * (1.0 / len(style_layers))

        optimizer = Adam([image], learning_rate=learning_rate)
        content_history, style_history = [], []
        for _ in range(steps):
            optimizer.zero_grad()
            content_value, style_value = losses(image)
            content_history.append(content_value.item())
            style_history.append(style_value.item())
            (content_value * content_weight + style_value * style_weight).backward()
            optimizer.step()
            if pixel_range is not None:
                np.clip(image.data, low, high, out=image.data)
        with no_grad():
            content_value, style_value = losses(Tensor(image.data))
        content_history.append(content_value.item())
        style_history.append(style_value.item())
    return StyleResult(image.data[0].copy(), np.array(content_history), np.array(style_history), content_layer,
                       style_layers)
