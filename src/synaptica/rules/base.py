"""The learning-rule seam.

Training calls ``rule.step(model, batch) -> metrics`` and nothing else, so backprop, feedback
alignment and every later rule plug into the same loop. A rule decides what signal reaches each
parameter's ``.grad``; its optimizer decides how ``.grad`` becomes an update.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from synaptica.errors import NonFiniteError
from synaptica.losses import Cost
from synaptica.nn.module import Module
from synaptica.optim.base import Optimizer
from synaptica.tensor import Tensor


class LearningRule(Protocol):
    def bind(self, model: Module, rng: np.random.Generator) -> None:
        """Make any per-model state (feedback matrices, predictors) before training."""

    def step(self, model: Module, batch: tuple[np.ndarray, np.ndarray]) -> dict:
        """One update from one mini-batch; returns metrics such as ``{"loss": ..., "correct": ...}``."""


def gradient_step(model: Module, batch: tuple[np.ndarray, np.ndarray], cost: Cost, optimizer: Optimizer) -> dict:
    """Forward, cost, backward, optimizer step: one step of any rule that shapes ``.grad`` through the graph.

    The cost is checked before the update, so a non-finite loss leaves the weights as they were.
    Returns ``loss`` and, for class labels, ``correct`` (how many arg-max outputs match).
    """
    x, y = batch
    output = model(Tensor(x))
    loss = cost(output, y)
    value = float(loss.data)
    if not math.isfinite(value):
        raise NonFiniteError(f"the cost is {value}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    metrics = {"loss": value}
    if y.ndim == 1:
        metrics["correct"] = int(np.count_nonzero(output.data.argmax(axis=1) == y))
    return metrics
