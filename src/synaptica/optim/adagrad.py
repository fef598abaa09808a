"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from synaptica.nn.module import Parameter
from synaptica.optim.base import LearningRate, Optimizer, Regularizer, check_range, step_by_root_mean


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan and Singer 2011): each coordinate's step is η / √(Σ g²), so weights
    with large past gradients slow down and rarely-moved weights keep a large step.

    With G the running sum of squared gradients (zero at first), for every parameter:

        G ← G + g ⊙ g
        w ← w − η g / (√G + ε)

    This is ``torch.optim.Adagrad`` with ``lr_decay=0``, ``initial_accumulator_value=0`` and no
    weight decay.

    Reference: J. Duchi, E. Hazan and Y. Singer, "Adaptive subgradient methods for online learning
    and stochastic optimization", JMLR 12, 2011.

    Args:
        params: parameters to update.
        learning_rate: η > 0 (default 0.01, as PyTorch), a number or a schedule ``step -> η``.
        eps: ε > 0, guarding the division (default 1e-10, as PyTorch).
        regularizers: clipping, penalties and constraints (:mod:`synaptica.optim.regularizers`).
    """

    def __init__(self, params: Iterable[Parameter], learning_rate: LearningRate = 1e-2, eps: float = 1e-10,
                 regularizers: Iterable[Regularizer] = ()):
        super().__init__(params, learning_rate, regularizers)
        self.eps = check_range("Adagrad", "eps", eps, 0.0, include_low=False)

    def update(self, param: Parameter, grad: np.ndarray, state: dict) -> None:
        if "sum_squares" not in state:
            state["sum_squares"] = np.zeros_like(param.data)
            state["scratch"] = np.empty_like(param.data)
        total, scratch = state["sum_squares"], state["scratch"]
        np.multiply(grad, grad, out=scratch)
        total += scratch                                    # G ← G + g²
        step_by_root_mean(param, grad, total, scratch, self.eps, self.current_learning_rate)
