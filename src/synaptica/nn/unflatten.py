"""Unflatten: flat input rows back into images, so a convolutional network reads the datasets as they are.

The datasets hold every image as one flat row of pixels, (batch, 784) for 28 × 28 images, which is
what a fully connected network wants. A convolutional layer needs the image's geometry,
(batch, C, H, W). Putting ``Unflatten((1, 28, 28))`` first makes the network itself own that
reshape, so ``fit``, ``evaluate``, ``predict``, ``synaptica evaluate`` and a saved model all keep
feeding it the same flat rows as any other network. It is the inverse of
:class:`synaptica.nn.Flatten`; neither copies data.
"""

from __future__ import annotations

import math

from synaptica import ops
from synaptica.checks import positive_ints
from synaptica.errors import ShapeError, shape_message
from synaptica.nn.module import Module
from synaptica.tensor import Tensor


class Unflatten(Module):
    """(batch, prod(shape)) -> (batch, *shape), row-major: the pixel order of the IDX files.

    Args:
        shape: the shape of one example, e.g. ``(1, 28, 28)`` for grey 28 × 28 images
            (channels, rows, columns).

    Raises:
        ShapeError: the input's trailing axes do not hold ``prod(shape)`` numbers.
    """

    def __init__(self, shape: tuple[int, ...]):
        self.shape = positive_ints("Unflatten", "shape", shape, "(1, 28, 28)")
        if not self.shape:
            raise ValueError(f"Unflatten: shape must hold at least one size, such as (1, 28, 28), got {shape!r}")

    def forward(self, x: Tensor) -> Tensor:
        size = math.prod(self.shape)
        if x.ndim < 2 or math.prod(x.shape[1:]) != size:
            raise ShapeError(shape_message(repr(self), x.shape, f"(batch, {size})"))
        return ops.reshape(x, (x.shape[0], *self.shape))

    def config(self) -> dict:
        return {"type": "Unflatten", "shape": list(self.shape)}

    def __repr__(self) -> str:
        return f"Unflatten({'×'.join(map(str, self.shape))})"
