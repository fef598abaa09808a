"""Softmax and log-softmax over an axis, computed stably.

softmax(z)ⱼ = e^(zⱼ) / Σₖ e^(zₖ). Subtracting max(z) first changes nothing mathematically and keeps
e^(·) ≤ 1, so large logits never overflow. log_softmax is computed directly as
(z − max) − log Σ e^(z − max), never as log(softmax(z)), which loses everything below ~1e-38.
"""

from __future__ import annotations

import numpy as np

from synaptica.tensor import Tensor


def softmax_array(z: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = z - z.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax_array(z: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Softmax along ``axis``. vjp: s ⊙ (g − Σ g ⊙ s), the Jacobian diag(s) − s sᵀ applied to g."""
    s = softmax_array(x.data, axis)

    def vjp(g):
        return (s * (g - (g * s).sum(axis=axis, keepdims=True)),)

    return Tensor.from_op(s, (x,), vjp, "softmax")


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log softmax along ``axis``. vjp: g − softmax ⊙ Σ g."""
    out = log_softmax_array(x.data, axis)

    def vjp(g):
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)

    return Tensor.from_op(out, (x,), vjp, "log_softmax")
