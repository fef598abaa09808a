"""Sliding windows over images: the geometry shared by convolution and pooling.

An image batch is channels-first, (batch, C, H, W). A window of kh × kw pixels slides over each
image in steps of the stride (sh, sw), after ``padding`` (ph, pw) rows and columns have been added
on every side. Window (i, j) covers the padded rows sh·i … sh·i + kh − 1 and columns
sw·j … sw·j + kw − 1, so there are

    H_out = ⌊(H + 2·ph − kh) / sh⌋ + 1     W_out = ⌊(W + 2·pw − kw) / sw⌋ + 1

of them per axis. Each window is a neuron's local receptive field (Nielsen, ch. 6).

Two ways to walk the windows are used, both without a Python loop over pixels:

- :func:`windows` returns a strided view (batch, C, H_out, W_out, kh, kw) of the padded batch: no
  copy, every window's pixels addressable at once (for convolution's im2col);
- :func:`offset_view` gives, for one offset (p, q) inside the window, the (batch, C, H_out, W_out)
  view of the pixel at that offset in every window. Looping over the kh·kw offsets (not the pixels)
  is how pooling computes its outputs and how every backward pass adds window gradients back into
  the image (col2im).
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError, shape_message

Pair = tuple[int, int]


def as_pair(value, name: str, where: str, minimum: int = 1) -> Pair:
    """An int or a pair of ints as (rows, columns); raises ValueError naming ``where`` otherwise."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(f"{where}: {name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{where}: {name} must be >= {minimum}, got {value!r}")
    return int(values[0]), int(values[1])


def pair_text(pair: Pair) -> str:
    """``5×5`` for a pair of sizes."""
    return f"{pair[0]}×{pair[1]}"


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Number of window positions along one axis: ⌊(size + 2·padding − kernel) / stride⌋ + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def check_images(where: str, shape: tuple, kernel: Pair, padding: Pair, channels: int | None = None) -> None:
    """Raise :class:`ShapeError` unless ``shape`` is (batch, C, H, W) with a window that fits.

    ``where`` names the layer or op; ``channels`` is the channel count the layer expects (None: any).
    """
    expected = f"(batch, {'C' if channels is None else channels}, H, W)"
    if len(shape) != 4:
        if len(shape) == 3:
            hint = ("Images need a channel axis: add one with x[:, None] (grey images have 1 channel) "
                    "or x.reshape(len(x), 1, H, W).")
        elif len(shape) == 2:
            hint = ("Flat images must become (batch, C, H, W): start the network with Unflatten((1, 28, 28)) "
                    "or pass x.reshape(len(x), 1, 28, 28).")
        else:
            hint = None
        raise ShapeError(shape_message(where, shape, expected, hint))
    if channels is not None and shape[1] != channels:
        raise ShapeError(shape_message(
            where, shape, expected, f"The input has {shape[1]} channels but the layer expects {channels}."))
    padded = (shape[2] + 2 * padding[0], shape[3] + 2 * padding[1])
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise ShapeError(shape_message(
            where, shape, expected,
            f"The {pair_text(kernel)} window is larger than the padded input {pair_text(padded)} "
            f"(image {pair_text(shape[2:])} with padding {pair_text(padding)})."))


def check_pool_padding(where: str, kernel: Pair, padding: Pair) -> None:
    """Pooling pads by at most half the window (as PyTorch requires), so no window is all padding."""
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{where}: padding {padding} must be at most half the window {pair_text(kernel)}")


def pad(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """``x`` with ``padding`` rows and columns of ``value`` added on every side (no copy if none)."""
    if padding == (0, 0):
        return x
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def unpad(x: np.ndarray, padding: Pair) -> np.ndarray:
    """The inverse of :func:`pad`: a view without the border."""
    ph, pw = padding
    return x[:, :, ph:x.shape[2] - ph, pw:x.shape[3] - pw]


def windows(x: np.ndarray, kernel: Pair, stride: Pair) -> np.ndarray:
    """Strided view (batch, C, H_out, W_out, kh, kw) of every window of a (padded) batch; no copy."""
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = stride
    h_out, w_out = (h - kh) // sh + 1, (w - kw) // sw + 1
    sn, sc, sy, sx = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (n, c, h_out, w_out, kh, kw), (sn, sc, sy * sh, sx * sw, sy, sx), writeable=False)


def offset_view(x: np.ndarray, offset: Pair, stride: Pair, out_size: Pair) -> np.ndarray:
    """The pixel at ``offset`` (p, q) of every window: x[:, :, p + sh·i, q + sw·j] for all (i, j)."""
    p, q = offset
    sh, sw = stride
    h_out, w_out = out_size
    return x[:, :, p:p + sh * (h_out - 1) + 1:sh, q:q + sw * (w_out - 1) + 1:sw]


def offsets(kernel: Pair):
    """Every (p, q) inside a kh × kw window, in row-major order (index p·kw + q)."""
    return [(p, q) for p in range(kernel[0]) for q in range(kernel[1])]
