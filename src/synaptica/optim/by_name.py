"""Optimizers by name, for the command line and hyper-parameter search: one place that turns
``("adam", η, λ)`` into an optimizer, so both front ends build the same thing from the same words."""

from __future__ import annotations

from typing import Iterable

from synaptica.nn.module import Parameter
from synaptica.optim.adagrad import Adagrad
from synaptica.optim.adam import Adam
from synaptica.optim.adamw import AdamW
from synaptica.optim.base import LearningRate, Optimizer
from synaptica.optim.regularizers import L2
from synaptica.optim.rmsprop import RMSProp
from synaptica.optim.sgd import SGD

#: The optimizers a name can choose.
OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSProp,
                                          "adagrad": Adagrad}


def make_optimizer(name: str, params: Iterable[Parameter], learning_rate: LearningRate, *, lmbda: float = 0.0,
                   n_examples: int | None = None, momentum: float = 0.0) -> Optimizer:
    """The optimizer called ``name`` (a key of :data:`OPTIMIZERS`) with learning rate η.

    Nielsen's L2 regularisation λ (the cost gains (λ/2n) Σ w²) is SGD's own weight shrink,
    w ← (1 − ηλ/n) w − η∇, for SGD; any other optimizer receives the same term as an
    :class:`~synaptica.optim.regularizers.L2` penalty on its gradient, so a given λ means the same
    cost whatever the optimizer. ``n_examples`` (n) is needed when λ > 0. Momentum μ is SGD's only.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose from {sorted(OPTIMIZERS)}")
    if name == "sgd":
        return SGD(params, learning_rate, lmbda=lmbda, n_examples=n_examples, momentum=momentum)
    if momentum:
        raise ValueError(f"momentum belongs to SGD; {name} keeps its own running averages (got momentum={momentum})")
    penalty = [L2(lmbda, n_examples)] if lmbda > 0 else []
    return OPTIMIZERS[name](params, learning_rate, regularizers=penalty)
