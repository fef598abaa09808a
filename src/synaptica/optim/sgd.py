"""Stochastic gradient descent with Nielsen's L2 regularisation (network2.py) and optional momentum."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from synaptica.nn.module import Parameter
from synaptica.optim.base import LearningRate, Optimizer, Regularizer, check_range


class SGD(Optimizer):
    """Mini-batch SGD, with optional L2 weight shrinkage as in Nielsen's network2, and momentum.

    Without momentum, the update for a weight w with gradient ∇ = (1/m) Σₓ ∂Cₓ/∂w (the batch-mean
    cost's gradient) is

        w ← (1 − η λ / n) w − η ∇

    where λ is ``lmbda`` and n is ``n_examples``, the size of the whole training set (the L2 term
    (λ/2n) Σ w² is part of the cost per example). Biases (``regularized=False``) get only
    b ← b − η ∇. With ``lmbda=0`` this is Nielsen's network.py.

    With momentum μ > 0 (Polyak 1964; Sutskever et al. 2013), in PyTorch's formulation, the L2 term
    joins the gradient, g = ∇ + (λ/n) w for weights (g = ∇ for biases), and a velocity v (zero at
    first) accumulates it:

        v ← μ v + g
        w ← w − η v                    (heavy ball)
        w ← w − η (g + μ v)            (``nesterov=True``, Nesterov's accelerated gradient)

    With μ = 0 the heavy-ball rule is exactly the update above: w − η(∇ + (λ/n) w) = (1 − ηλ/n) w − η∇.

    References: Nielsen, Neural Networks and Deep Learning, ch. 3 (L2 regularisation); B. T. Polyak,
    "Some methods of speeding up the convergence of iteration methods", USSR Comput. Math. & Math.
    Phys. 4(5), 1964; Sutskever, Martens, Dahl and Hinton, "On the importance of initialization and
    momentum in deep learning", ICML 2013 (Nesterov momentum in this form).

    Args:
        params: parameters to update.
        learning_rate: η, a number or a schedule ``step -> η``.
        lmbda: λ, the regularisation parameter (0 for none).
        n_examples: n, the training-set size; required when lmbda > 0.
        momentum: μ ≥ 0 (0 for plain SGD).
        nesterov: use Nesterov's look-ahead form; needs momentum > 0.
        regularizers: clipping, penalties and constraints (:mod:`synaptica.optim.regularizers`).
    """

    def __init__(self, params: Iterable[Parameter], learning_rate: LearningRate, lmbda: float = 0.0,
                 n_examples: int | None = None, momentum: float = 0.0, nesterov: bool = False,
                 regularizers: Iterable[Regularizer] = ()):
        super().__init__(params, learning_rate, regularizers)
        if lmbda < 0:
            raise ValueError(f"SGD: lmbda must be >= 0, got {lmbda}")
        if lmbda > 0 and not n_examples:
            raise ValueError("SGD: lmbda > 0 needs n_examples, the training-set size n in (1 − ηλ/n)")
        self.lmbda = float(lmbda)
        self.n_examples = n_examples
        self.momentum = check_range("SGD", "momentum", momentum, 0.0)
        if nesterov and self.momentum == 0:
            raise ValueError("SGD: nesterov requires momentum > 0")
        self.nesterov = bool(nesterov)

    def update(self, param: Parameter, grad: np.ndarray, state: dict) -> None:
        eta = self.current_learning_rate
        if self.momentum == 0:
            if self.lmbda and param.regularized:
                param.data *= 1.0 - eta * self.lmbda / self.n_examples
            param.data -= eta * grad
            return

        if "velocity" not in state:
            state["velocity"] = np.zeros_like(param.data)
        velocity = state["velocity"]
        if self.lmbda and param.regularized:
            # g = ∇ + (λ/n) w, in a buffer of our own: grad may be shared and must stay as it is
            g = state.setdefault("gradient", np.empty_like(param.data))
            np.multiply(param.data, self.lmbda / self.n_examples, out=g)
            g += grad
        else:
            g = grad
        velocity *= self.momentum
        velocity += g
        direction = g + self.momentum * velocity if self.nesterov else velocity
        param.data -= eta * direction
