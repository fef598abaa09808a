"""RMSProp: divide the gradient by a running average of its recent magnitude."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from synaptica.nn.module import Parameter
from synaptica.optim.base import LearningRate, Optimizer, Regularizer, check_range, step_by_root_mean


class RMSProp(Optimizer):
    """RMSProp (Hinton's Coursera lecture 6e; Tieleman and Hinton 2012): Adagrad's per-coordinate
    scaling, but with an exponential moving average of g² in place of the ever-growing sum, so the
    step does not shrink to nothing.

    With s the mean square (zero at first) and decay α, for every parameter:

        s ← α s + (1 − α) g ⊙ g
        w ← w − η g / (√s + ε)

    This is ``torch.optim.RMSprop`` with ``centered=False``, ``momentum=0`` and no weight decay.

    Reference: T. Tieleman and G. Hinton, Lecture 6.5 (6e), "rmsprop: Divide the gradient by a running
    average of its recent magnitude", COURSERA: Neural Networks for Machine Learning, 2012.

    Args:
        params: parameters to update.
        learning_rate: η > 0 (default 0.01, as PyTorch), a number or a schedule ``step -> η``.
        alpha: α in [0, 1), the decay of the mean square (default 0.99).
        eps: ε > 0, guarding the division (default 1e-8).
        regularizers: clipping, penalties and constraints (:mod:`synaptica.optim.regularizers`).
    """

    def __init__(self, params: Iterable[Parameter], learning_rate: LearningRate = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8, regularizers: Iterable[Regularizer] = ()):
        super().__init__(params, learning_rate, regularizers)
        self.alpha = check_range("RMSProp", "alpha", alpha, 0.0, 1.0)
        self.eps = check_range("RMSProp", "eps", eps, 0.0, include_low=False)

    def update(self, param: Parameter, grad: np.ndarray, state: dict) -> None:
        if "mean_square" not in state:
            state["mean_square"] = np.zeros_like(param.data)
            state["scratch"] = np.empty_like(param.data)
        mean_square, scratch = state["mean_square"], state["scratch"]
        np.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - self.alpha
        mean_square *= self.alpha
        mean_square += scratch                              # s ← α s + (1 − α) g²
        step_by_root_mean(param, grad, mean_square, scratch, self.eps, self.current_learning_rate)
