"""Pooling: condense each feature map by summarising every kh × kw window in one number.

Pooling usually follows a convolutional layer (Nielsen, ch. 6). Each channel is pooled on its own;
window (i, j) covers rows sh·i … sh·i + kh − 1 and columns sw·j … sw·j + kw − 1 of the (padded)
map, and the stride defaults to the window size, so windows tile the map without overlap.

- **max pooling** outputs the largest activation in the window: it asks *whether* a feature was
  found anywhere in the region and throws away exactly where. Its gradient goes to that one
  input (the first in row-major order on a tie, as PyTorch does); the others get 0. A NaN in the
  window makes the output NaN, and its gradient goes to the window's last NaN, again as PyTorch.
- **average pooling** outputs the mean: ∂out/∂x = 1/(kh·kw) for every input of the window
  (padding zeros count towards the mean, PyTorch's ``count_include_pad=True``).
- **L2 pooling** outputs √(Σ x²) over the window, "a way of condensing information" that, unlike
  max pooling, hears from every unit: ∂out/∂x = x / out (taken as 0 where out = 0, a window of
  zeros, where the square root has no derivative).

Every op walks the kh·kw offsets inside the window (never the pixels): for offset (p, q) it takes
the strided view of the pixel at (p, q) of every window, so the forward pass is kh·kw vectorised
steps, and the backward pass adds one slab of gradients per offset back into the image
(overlapping windows, stride < kernel, accumulate correctly). Outputs keep their input's memory
layout.

References: Nielsen, Neural Networks and Deep Learning, ch. 6 ("Pooling layers"); LeCun et al.,
"Gradient-based learning applied to document recognition", 1998 (subsampling layers); Boureau,
Ponce and LeCun, "A theoretical analysis of feature pooling in visual recognition", ICML 2010.
"""

from __future__ import annotations

import numpy as np

from synaptica.ops._windows import (
    as_pair, check_images, check_pool_padding, offset_view, offsets, output_size, pad, unpad,
)
from synaptica.tensor import Tensor


def in_layout_of(out: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``g`` in the memory layout of ``out`` (copied only when they differ), so that the vjp's
    elementwise work runs over matching strides; mixed layouts make NumPy several times slower."""
    if g.strides == out.strides:
        return g
    copy = np.empty_like(out, dtype=g.dtype)
    copy[...] = g
    return copy


def _geometry(name: str, x: Tensor, kernel_size, stride, padding):
    kernel = as_pair(kernel_size, "kernel_size", name)
    stride = kernel if stride is None else as_pair(stride, "stride", name)
    padding = as_pair(padding, "padding", name, minimum=0)
    check_pool_padding(name, kernel, padding)
    check_images(name, x.shape, kernel, padding)
    out_size = (output_size(x.shape[2], kernel[0], stride[0], padding[0]),
                output_size(x.shape[3], kernel[1], stride[1], padding[1]))
    return kernel, stride, padding, out_size


def max_pool2d(x: Tensor, kernel_size, stride=None, padding: int = 0) -> Tensor:
    """out[n, c, i, j] = max over the window of x_pad[n, c, sh·i + p, sw·j + q] (padding is −∞).

    Args:
        x: (batch, C, H, W).
        kernel_size: the window, an int or (rows, columns).
        stride: step between windows (default: the window size).
        padding: −∞ border added on every side, at most half the window.

    vjp: the gradient of each output goes to the input that was the maximum of its window (for a
    window holding NaN, whose output is NaN, to its last NaN in row-major order, as PyTorch does).
    """
    kernel, stride, padding, out_size = _geometry("max_pool2d", x, kernel_size, stride, padding)
    x_pad = pad(x.data, padding, -np.inf)
    where = offsets(kernel)
    best = offset_view(x_pad, where[0], stride, out_size).copy(order="K")
    for offset in where[1:]:
        np.maximum(best, offset_view(x_pad, offset, stride, out_size), out=best)

    def vjp(g):
        g = in_layout_of(best, g)
        grad = np.zeros_like(x_pad)
        unclaimed = None  # windows whose maximum no earlier offset has taken (ties go to the first)
        for k, offset in enumerate(where):
            winner = offset_view(x_pad, offset, stride, out_size) == best
            if unclaimed is None:
                unclaimed = ~winner
            else:
                winner &= unclaimed
                if k < len(where) - 1:
                    unclaimed ^= winner  # winner ⊆ unclaimed, so this removes the windows just taken
            target = offset_view(grad, offset, stride, out_size)
            if stride[0] >= kernel[0] and stride[1] >= kernel[1]:  # windows do not overlap: assign
                np.multiply(g, winner, out=target)
            else:
                target += g * winner
        if np.isnan(best).any():  # NaN equals nothing, so those windows took nothing above
            unclaimed = np.isnan(best)
            for offset in reversed(where):  # the last NaN of each such window
                winner = np.isnan(offset_view(x_pad, offset, stride, out_size)) & unclaimed
                unclaimed ^= winner
                offset_view(grad, offset, stride, out_size)[...] += g * winner
        return (unpad(grad, padding),)

    return Tensor.from_op(best, (x,), vjp, "max_pool2d")


def avg_pool2d(x: Tensor, kernel_size, stride=None, padding: int = 0) -> Tensor:
    """out[n, c, i, j] = (1 / kh·kw) Σ over the window of x_pad[n, c, sh·i + p, sw·j + q].

    Args as :func:`max_pool2d`; the padding is zeros and counts towards the mean.
    vjp: every input of a window receives g / (kh·kw) from it.
    """
    kernel, stride, padding, out_size = _geometry("avg_pool2d", x, kernel_size, stride, padding)
    x_pad = pad(x.data, padding)
    where = offsets(kernel)
    total = offset_view(x_pad, where[0], stride, out_size).copy(order="K")
    for offset in where[1:]:
        total += offset_view(x_pad, offset, stride, out_size)
    scale = x.dtype.type(1.0 / len(where))
    total *= scale

    def vjp(g):
        grad = np.zeros_like(x_pad)
        share = in_layout_of(total, g) * scale
        for offset in where:
            offset_view(grad, offset, stride, out_size)[...] += share
        return (unpad(grad, padding),)

    return Tensor.from_op(total, (x,), vjp, "avg_pool2d")


def l2_pool2d(x: Tensor, kernel_size, stride=None) -> Tensor:
    """out[n, c, i, j] = √(Σ over the window of x[n, c, sh·i + p, sw·j + q]²), Nielsen's L2 pooling.

    The same as PyTorch's ``lp_pool2d`` with ``norm_type=2``. No padding (zeros would add nothing
    to the sum of squares; PyTorch offers none either).
    vjp: ∂out/∂x = x / out for each input of the window (0 where out = 0).
    """
    kernel, stride, padding, out_size = _geometry("l2_pool2d", x, kernel_size, stride, 0)
    where = offsets(kernel)
    first = offset_view(x.data, where[0], stride, out_size)
    squares = np.multiply(first, first, order="K")
    for offset in where[1:]:
        view = offset_view(x.data, offset, stride, out_size)
        squares += view * view
    out = np.sqrt(squares, out=squares)

    def vjp(g):
        grad = np.zeros_like(x.data)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(out > 0, in_layout_of(out, g) / out, 0).astype(x.dtype, copy=False)
        for offset in where:
            target = offset_view(grad, offset, stride, out_size)
            target += offset_view(x.data, offset, stride, out_size) * ratio
        return (grad,)

    return Tensor.from_op(out, (x,), vjp, "l2_pool2d")
