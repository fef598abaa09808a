"""Inverted dropout as an op: multiply by a random mask of 0s and 1/(1 − p)s.

The layer (:class:`synaptica.nn.Dropout`) decides when to drop (training only) and owns the
Generator; this op draws one mask from the Generator it is given and applies it, so the same
Generator state gives the same mask.
"""

from __future__ import annotations

import numpy as np

from synaptica.tensor import Tensor


def dropout_mask(shape: tuple[int, ...], p: float, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """The scaled keep-mask: each entry is 1/(1 − p) with probability 1 − p and 0 otherwise.

    An entry is kept when a uniform draw u ∈ [0, 1) satisfies u ≥ p. Its mean is exactly 1, so
    x ⊙ mask has the expectation of x.
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    keep = rng.random(shape, dtype=np.float32) >= p
    mask = keep.astype(dtype)
    mask *= 1.0 / (1.0 - p)
    return mask


def dropout(x: Tensor, p: float, rng: np.random.Generator) -> Tensor:
    """x ⊙ m with m = :func:`dropout_mask` (entries 0 with probability p, else 1/(1 − p)).

    vjp: g ⊙ m. A dropped unit passes no gradient back, a kept one passes it scaled by 1/(1 − p),
    just as it scaled the activation.

    Reference: N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and R. Salakhutdinov, "Dropout:
    a simple way to prevent neural networks from overfitting", JMLR 15, 2014.
    """
    mask = dropout_mask(x.shape, p, rng, x.dtype)
    return Tensor.from_op(x.data * mask, (x,), lambda g: (g * mask,), "dropout")
