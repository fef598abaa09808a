"""Reductions over axes: sum, mean, max. Their vjps spread the output gradient back.

sum: every input contributed with weight 1, so each receives g. mean: weight 1/n. max: only the
largest input moved the output; ties share the gradient equally (as PyTorch's amax).
"""

from __future__ import annotations

import builtins

import numpy as np

from synaptica.tensor import Tensor


def _normalise_axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim if ndim else a for a in axes)


def _expand(g: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Give a reduced gradient back the size-1 axes it lost, so it broadcasts over the input."""
    return g if keepdims else np.expand_dims(g, axes)


def sum(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    """Σ over axes. vjp: g broadcast back to x's shape."""
    axes = _normalise_axes(axis, x.ndim)
    out = np.sum(x.data, axis=axes, keepdims=keepdims)

    def vjp(g):
        return (np.broadcast_to(_expand(g, axes, keepdims), x.shape).copy(),)

    return Tensor.from_op(np.asarray(out, dtype=x.dtype), (x,), vjp, "sum")


def mean(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    """Mean over axes. vjp: g / n broadcast back, n the number of elements averaged."""
    axes = _normalise_axes(axis, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes]))
    out = np.sum(x.data, axis=axes, keepdims=keepdims) / count if count else np.full(
        np.sum(x.data, axis=axes, keepdims=keepdims).shape, np.nan
    )

    def vjp(g):
        return (np.broadcast_to(_expand(g, axes, keepdims) / builtins.max(count, 1), x.shape).astype(x.dtype),)

    return Tensor.from_op(np.asarray(out, dtype=x.dtype), (x,), vjp, "mean")


def max(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    """Largest element over axes. vjp: g to the arg-max (shared equally among ties)."""
    axes = _normalise_axes(axis, x.ndim)
    out_kept = np.max(x.data, axis=axes, keepdims=True)

    def vjp(g):
        winners = x.data == out_kept
        share = winners / winners.sum(axis=axes, keepdims=True)
        return ((_expand(g, axes, keepdims) * share).astype(x.dtype),)

    out = out_kept if keepdims else np.squeeze(out_kept, axis=axes)
    return Tensor.from_op(np.asarray(out, dtype=x.dtype), (x,), vjp, "max")
