"""The parametric ReLU as an op: a leaky ReLU whose negative slope is learned."""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.tensor import Tensor


def prelu(x: Tensor, slope: Tensor) -> Tensor:
    """PReLU (He, Zhang, Ren and Sun 2015): x for x > 0, a·x otherwise, with a learned.

    ``slope`` holds one a shared by every unit (shape (1,)) or one per channel (shape (C,)), the
    channels on axis 1 as in ``torch.nn.functional.prelu``: (batch, C) or (batch, C, H, W).

    vjp, with g = ∂C/∂y:

        ∂C/∂x = g where x > 0, a·g elsewhere
        ∂C/∂a = Σ g·x over the entries with x ≤ 0 that share a (all of them, or one channel's)

    Reference: K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers: surpassing
    human-level performance on ImageNet classification", ICCV 2015 (arXiv:1502.01852).
    """
    if slope.ndim != 1:
        raise ShapeError(f"prelu: slope must be a vector, (1,) or (channels,), got shape {slope.shape}")
    per_channel = slope.size != 1
    if per_channel and (x.ndim < 2 or x.shape[1] != slope.size):
        raise ShapeError(f"prelu got input of shape {x.shape}; expected (batch, {slope.size}, ...) for "
                         f"{slope.size} slopes, one per channel on axis 1.")
    if per_channel:
        a = slope.data.reshape((1, slope.size) + (1,) * (x.ndim - 2))
    else:
        a = slope.data.reshape(())
    negative = x.data <= 0
    out = np.where(negative, a * x.data, x.data).astype(x.dtype, copy=False)

    def vjp(g):
        grad_x = np.where(negative, g * a, g).astype(x.dtype, copy=False) if x.requires_grad else None
        grad_slope = None
        if slope.requires_grad:
            contribution = np.where(negative, g * x.data, 0)
            if per_channel:
                axes = (0,) + tuple(range(2, x.ndim))
                grad_slope = contribution.sum(axis=axes).astype(slope.dtype, copy=False)
            else:
                grad_slope = np.reshape(contribution.sum(), (1,)).astype(slope.dtype, copy=False)
        return grad_x, grad_slope

    return Tensor.from_op(out, (x, slope), vjp, "prelu")
