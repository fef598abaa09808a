"""The two things a CNN shows without any search: its first-layer kernels and its feature maps.

Seed notes 004: the first convolutional layer's filters are easy to read, because each is a small
matrix over pixels: its values *are* the pattern it detects (an edge at some angle, a blob). A
second layer's filter looks at the first layer's pooled maps, not at pixels, so its weights say
little; for those, look at what the layer outputs for a given image (its feature maps, Zeiler and
Fergus 2014) or search for the image it prefers (:mod:`synaptica.interpret.maximize`).

Reference: M. D. Zeiler and R. Fergus, "Visualizing and understanding convolutional networks",
ECCV 2014, 818–833.
"""

from __future__ import annotations

import numpy as np

from synaptica.interpret.probe import as_images, check_layer, forward_to, frozen, layers_of, model_dtype
from synaptica.nn.conv import Conv2d
from synaptica.nn.module import Module
from synaptica.tensor import Tensor, no_grad


def first_conv(model: Module) -> tuple[int, Conv2d]:
    """(index, layer) of the model's first :class:`Conv2d`; a ValueError naming the layers if it has none."""
    layers = layers_of(model)
    for i, layer in enumerate(layers):
        if isinstance(layer, Conv2d):
            return i, layer
    raise ValueError("the model has no Conv2d layer, so it has no filters to draw (a fully connected network's "
                     f"first-layer weights are not small kernels); its layers are: "
                     f"{', '.join(repr(layer) for layer in layers)}")


def first_layer_filters(model: Module) -> np.ndarray:
    """A copy of the first convolution's kernels, (F, C, kh, kw): filter f's weights over each input channel."""
    return first_conv(model)[1].weight.data.copy()


def feature_maps(model: Module, image: np.ndarray, layer: int) -> np.ndarray:
    """Layer ``layer``'s output for one image (C, H, W) or (H, W): (channels, H', W') maps, or (units,)."""
    layer = check_layer(model, layer)
    images = as_images(image, model_dtype(model))
    if len(images) != 1:
        raise ValueError(f"feature_maps takes one image, got a batch of {len(images)}")
    with frozen(model), no_grad():
        return forward_to(model, Tensor(images), layer).data[0].copy()
