"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from synaptica.nn.module import Parameter
from synaptica.optim.adam import Adam
from synaptica.optim.base import LearningRate, Regularizer, check_range


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter 2019): weight decay applied to the weights directly, outside
    Adam's adaptive scaling, instead of as an L2 term in the gradient (which Adam would rescale, so
    that weights with large gradients would be barely regularised).

    Each step first shrinks every regularised parameter (weights; biases are left alone),

        w ← w − η λ w

    with λ = ``weight_decay``, then takes the :class:`Adam` step from the unchanged gradient g:

        m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g ⊙ g
        w ← w − η m̂ / (√v̂ + ε),   m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)

    The decay is scaled by η as in PyTorch's ``torch.optim.AdamW`` (the paper's schedule multiplier
    ηₜ times a fixed rate), so a learning-rate schedule scales it too. Unlike PyTorch, which decays
    every parameter in a group, only parameters with ``regularized=True`` decay.

    Reference: I. Loshchilov and F. Hutter, "Decoupled weight decay regularization", ICLR 2019
    (arXiv:1711.05101).

    Args:
        params: parameters to update.
        learning_rate: η > 0 (default 0.001), a number or a schedule ``step -> η``.
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε > 0 (default 1e-8).
        weight_decay: λ ≥ 0 (default 0.01, as PyTorch).
        regularizers: clipping, penalties and constraints (:mod:`synaptica.optim.regularizers`).
    """

    def __init__(self, params: Iterable[Parameter], learning_rate: LearningRate = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 regularizers: Iterable[Regularizer] = ()):
        super().__init__(params, learning_rate, betas, eps, regularizers)
        self.weight_decay = check_range("AdamW", "weight_decay", weight_decay, 0.0)

    def update(self, param: Parameter, grad: np.ndarray, state: dict) -> None:
        if self.weight_decay and param.regularized:
            param.data *= 1.0 - self.current_learning_rate * self.weight_decay
        super().update(param, grad, state)
