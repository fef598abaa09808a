"""Ops that move elements without changing them: reshape, transpose, indexing.

Their vjps move the gradient back: reshape it to the input's shape, apply the inverse
permutation, or scatter-add it into the indexed positions.
"""

from __future__ import annotations

import numpy as np

from synaptica.tensor import Tensor


def reshape(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The same elements in a new shape. vjp: g reshaped back."""
    out = x.data.reshape(shape)
    return Tensor.from_op(out, (x,), lambda g: (g.reshape(x.shape),), "reshape")


def transpose(x: Tensor, axes: tuple[int, ...] | None = None) -> Tensor:
    """Permute axes (reverse them when ``axes`` is None). vjp: the inverse permutation."""
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = tuple(a % x.ndim for a in axes)
    inverse = tuple(np.argsort(axes))
    out = np.transpose(x.data, axes)
    return Tensor.from_op(out, (x,), lambda g: (np.transpose(g, inverse),), "transpose")


def getitem(x: Tensor, index) -> Tensor:
    """x[index] with NumPy's basic or advanced indexing. vjp: scatter-add g into zeros of x's shape."""
    if isinstance(index, Tensor):
        index = index.data.astype(np.intp)
    out = x.data[index]

    def vjp(g):
        grad = np.zeros_like(x.data)
        np.add.at(grad, index, g)  # add.at: repeated indices each add their share
        return (grad,)

    return Tensor.from_op(np.array(out, copy=True), (x,), vjp, "getitem")
