"""Stochastic gradient descent with Nielsen's L2 regularisation (network2.py)."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from synaptica.nn.module import Parameter
from synaptica.optim.base import Optimizer


class SGD(Optimizer):
    """Plain mini-batch SGD, with optional L2 weight shrinkage as in Nielsen's network2.

    Update for a weight w with gradient ∇ = (1/m) Σₓ ∂Cₓ/∂w (the batch-mean cost's gradient):

        w ← (1 − η λ / n) w − η ∇

    where λ is ``l2`` and n is ``n_examples``, the size of the whole training set (the L2 term
    (λ/2n) Σ w² is part of the cost per example). Biases (``regularized=False``) get only
    b ← b − η ∇. With ``l2=0`` this is Nielsen's network.py.

    Args:
        params: parameters to update.
        learning_rate: η.
        l2: λ, the regularisation parameter (0 for none).
        n_examples: n, the training-set size; required when l2 > 0.
    """

    def __init__(self, params: Iterable[Parameter], learning_rate: float, l2: float = 0.0,
                 n_examples: int | None = None):
        super().__init__(params, learning_rate)
        if l2 < 0:
            raise ValueError(f"SGD: l2 must be >= 0, got {l2}")
        if l2 > 0 and not n_examples:
            raise ValueError("SGD: l2 > 0 needs n_examples, the training-set size n in (1 − ηλ/n)")
        self.l2 = float(l2)
        self.n_examples = n_examples

    def update(self, param: Parameter, grad: np.ndarray, state: dict) -> None:
        if self.l2 and param.regularized:
            param.data *= 1.0 - self.learning_rate * self.l2 / self.n_examples
        param.data -= self.learning_rate * grad
