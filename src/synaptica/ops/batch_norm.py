"""Batch normalisation as one fused op with a hand-written backward.

Channels sit on axis 1: (batch, C), (batch, C, L) or (batch, C, H, W). Each channel c is normalised
over every other axis (the batch and, for images, all positions), m values in all:

    μ_c = (1/m) Σ x,   σ²_c = (1/m) Σ (x − μ_c)²         (the biased variance)
    x̂ = (x − μ_c) / √(σ²_c + ε),   y = γ_c x̂ + β_c

Written as a chain of elementary ops this would be a dozen graph nodes, each with its own temporary
arrays; fused, the backward is three reductions and one elementwise expression (the compact form
below), which matters for convolutional layers with large feature maps.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.tensor import Tensor


def _channel_view(shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The axes reduced per channel, and the shape that makes a (C,) vector broadcast over x."""
    axes = (0,) + tuple(range(2, len(shape)))
    return axes, (1, shape[1]) + (1,) * (len(shape) - 2)


def batch_norm(x: Tensor, gamma: Tensor, beta: Tensor, eps: float = 1e-5,
               mean: np.ndarray | None = None, var: np.ndarray | None = None
               ) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """y = γ (x − μ) / √(σ² + ε) + β per channel (axis 1); returns ``(y, μ, σ²)``.

    Training (``mean`` and ``var`` not given): μ and σ² are the batch's own per-channel mean and
    biased variance, returned so that the layer can update its running averages. They depend on x,
    so the backward pass goes through them as well. With g = ∂C/∂y, σ̂ = √(σ² + ε) and ⟨·⟩ the mean
    over a channel's m values, the compact form of Ioffe and Szegedy's derivative is

        ∂C/∂β = Σ g,    ∂C/∂γ = Σ g x̂,
        ∂C/∂x = (γ / σ̂) (g − ⟨g⟩ − x̂ ⟨g x̂⟩)

    (the two subtracted terms are the gradient flowing through μ and through σ²: the output cannot
    change by shifting or scaling a channel as a whole).

    Evaluation (``mean`` and ``var`` given, e.g. the running averages): a fixed affine map per channel,
    so ∂C/∂x = g γ / σ̂, with the same ∂C/∂γ and ∂C/∂β.

    Reference: S. Ioffe and C. Szegedy, "Batch normalization: accelerating deep network training by
    reducing internal covariate shift", ICML 2015 (arXiv:1502.03167).

    Args:
        x: (batch, C, ...) with at least two axes.
        gamma, beta: (C,) scale and shift.
        eps: ε > 0, added to the variance.
        mean, var: (C,) statistics to use instead of the batch's (both or neither).
    """
    if x.ndim < 2:
        raise ShapeError(f"batch_norm got input of shape {x.shape}; expected (batch, C, ...) with the channels "
                         "on axis 1.")
    channels = x.shape[1]
    if gamma.shape != (channels,) or beta.shape != (channels,):
        raise ShapeError(f"batch_norm: gamma {gamma.shape} and beta {beta.shape} must both be ({channels},), "
                         f"one per channel of the input {x.shape}")
    axes, column = _channel_view(x.shape)
    count = x.size // channels if channels else 0
    data = x.data
    training = mean is None
    if training != (var is None):
        raise ValueError("batch_norm: give both mean and var (evaluation) or neither (training)")
    if training:
        if count < 2:
            raise ShapeError(f"batch_norm got input of shape {x.shape}: training needs more than one value "
                             "per channel to estimate a variance (a batch of at least 2).")
        mean = data.mean(axis=axes)
        centred = data - mean.reshape(column)
        var = np.square(centred).mean(axis=axes)
    else:
        mean = np.asarray(mean, dtype=x.dtype)
        var = np.asarray(var, dtype=x.dtype)
        if mean.shape != (channels,) or var.shape != (channels,):
            raise ShapeError(f"batch_norm: mean {mean.shape} and var {var.shape} must both be ({channels},)")
        centred = data - mean.reshape(column)
    inverse_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    normalised = centred * inverse_std.reshape(column)                 # x̂
    out = normalised * gamma.data.reshape(column) + beta.data.reshape(column)

    def vjp(g):
        grad_beta = g.sum(axis=axes) if beta.requires_grad else None
        grad_gamma = (g * normalised).sum(axis=axes) if gamma.requires_grad or (training and x.requires_grad) else None
        grad_x = None
        if x.requires_grad:
            scale = (gamma.data * inverse_std).reshape(column)          # γ / σ̂
            if training:
                mean_g = (g.sum(axis=axes) / count).reshape(column)     # ⟨g⟩
                mean_gx = (grad_gamma / count).reshape(column)          # ⟨g x̂⟩
                grad_x = scale * (g - mean_g - normalised * mean_gx)
            else:
                grad_x = g * scale
        return grad_x, (grad_gamma if gamma.requires_grad else None), grad_beta

    return Tensor.from_op(out, (x, gamma, beta), vjp, "batch_norm"), mean, var
