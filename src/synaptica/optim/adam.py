"""Adam: adaptive moment estimation."""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from synaptica.nn.module import Parameter
from synaptica.optim.base import LearningRate, Optimizer, Regularizer, check_range


class Adam(Optimizer):
    """Adam (Kingma and Ba 2015): momentum on the gradient and RMSProp's scaling by its root mean
    square, both as exponential moving averages corrected for their start at zero.

    At the t-th update of a parameter (t = 1, 2, …), with m and v zero at first:

        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g ⊙ g
        m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)
        w ← w − η m̂ / (√v̂ + ε)

    The last line is computed in the equivalent form of the paper's section 2,
    w ← w − η (√(1 − β₂ᵗ) / (1 − β₁ᵗ)) m / (√v + ε √(1 − β₂ᵗ)), which needs no m̂ or v̂ arrays. Every
    array operation writes into the parameter's own buffers (m, v and one scratch array), so a step
    allocates nothing. This is ``torch.optim.Adam`` with ``amsgrad=False`` and no weight decay.

    Reference: D. P. Kingma and J. Ba, "Adam: A method for stochastic optimization", ICLR 2015
    (arXiv:1412.6980).

    Args:
        params: parameters to update.
        learning_rate: η > 0 (default 0.001), a number or a schedule ``step -> η``.
        betas: (β₁, β₂), each in [0, 1): the decay rates of the two moments (default (0.9, 0.999)).
        eps: ε > 0, guarding the division (default 1e-8).
        regularizers: clipping, penalties and constraints (:mod:`synaptica.optim.regularizers`);
            ``DecoupledWeightDecay`` there turns Adam into AdamW.
    """

    def __init__(self, params: Iterable[Parameter], learning_rate: LearningRate = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 regularizers: Iterable[Regularizer] = ()):
        super().__init__(params, learning_rate, regularizers)
        name = type(self).__name__
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (check_range(name, "beta1", beta1, 0.0, 1.0),
                      check_range(name, "beta2", beta2, 0.0, 1.0))
        self.eps = check_range(name, "eps", eps, 0.0, include_low=False)

    def update(self, param: Parameter, grad: np.ndarray, state: dict) -> None:
        if "step" not in state:
            state["step"] = 0
            state["m"] = np.zeros_like(param.data)
            state["v"] = np.zeros_like(param.data)
            state["scratch"] = np.empty_like(param.data)
        state["step"] += 1
        t = state["step"]
        m, v, scratch = state["m"], state["v"], state["scratch"]
        beta1, beta2 = self.betas

        np.multiply(grad, 1.0 - beta1, out=scratch)
        m *= beta1
        m += scratch                                        # m ← β₁ m + (1 − β₁) g
        np.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - beta2
        v *= beta2
        v += scratch                                        # v ← β₂ v + (1 − β₂) g²

        correction1 = 1.0 - beta1 ** t
        root_correction2 = math.sqrt(1.0 - beta2 ** t)
        np.sqrt(v, out=scratch)
        scratch += self.eps * root_correction2              # √v + ε √(1 − β₂ᵗ)
        np.divide(m, scratch, out=scratch)
        scratch *= self.current_learning_rate * root_correction2 / correction1
        param.data -= scratch                               # w ← w − η m̂ / (√v̂ + ε)
