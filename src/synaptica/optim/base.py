"""The optimizer loop. A concrete optimizer writes one method, ``update(param, grad, state)``,
which changes ``param.data`` in place; the base class skips parameters without a gradient and keeps
each parameter's state (velocities, moments) in a dict of its own."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from synaptica.nn.module import Parameter


class Optimizer:
    """Base class: holds the parameters, the learning rate and per-parameter state.

    Args:
        params: the parameters to update (``model.parameters()``).
        learning_rate: η > 0.
    """

    def __init__(self, params: Iterable[Parameter], learning_rate: float):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got no parameters to optimise")
        if not learning_rate > 0:
            raise ValueError(f"{type(self).__name__}: learning_rate must be > 0, got {learning_rate}")
        self.learning_rate = float(learning_rate)
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient."""
        for param, state in zip(self.params, self.state):
            if param.grad is not None:
                self.update(param, param.grad, state)

    def update(self, param: Parameter, grad: np.ndarray, state: dict) -> None:  # pragma: no cover
        raise NotImplementedError
