"""The learning-rule seam.

Training calls a rule through five methods and nothing else, so backprop, feedback alignment, direct
feedback alignment, evolution strategies and every later rule plug into the same loop:

    rule.bind(model, rng)        make per-model state (feedback matrices, predictors) from the rule's
                                 own random stream; check that the rule can train this model
    rule.step(model, batch)      one update from one batch; returns named metrics ({"loss": ...})
    rule.unbind(model)           training is over: undo anything done to the model
    rule.state_dict()            everything needed to resume exactly (optimizer moments, matrices,
    rule.load_state_dict(state)  step counters) as NumPy arrays, and putting it back

A batch is what the data source yields: ``(x, y)`` for labelled arrays, ``(x,)`` for inputs alone,
whose target is then the input itself (an autoencoder learns to reproduce what it sees).

Most rules decide what signal reaches each parameter's ``.grad`` and leave the update to an
optimizer: they derive from :class:`GradientRule` and write one method, :meth:`GradientRule.gradients`.
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

#: A rule's saved state: names to arrays (scalars as 0-d arrays), ready for a safetensors file.
State = dict[str, np.ndarray]


class LearningRule(Protocol):
    name: str

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        """Make any per-model state before training, drawing randomness only from ``rng``."""

    def step(self, model: Module, batch: tuple) -> dict:
        """One update from one batch; returns metrics such as ``{"loss": ..., "correct": ...}``."""

    def unbind(self, model: Module) -> None:
        """Training has ended (or failed): leave the model as a plain model again."""

    def state_dict(self) -> State:
        """The rule's state (its optimizer's included), to resume training exactly."""

    def load_state_dict(self, state: State) -> None:
        """Put back what :meth:`state_dict` returned."""


def inputs_and_targets(batch: tuple) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` from a batch; a batch of inputs alone, ``(x,)``, is its own target."""
    if len(batch) == 1:
        return batch[0], batch[0]
    if len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError(f"a batch is (x, y) or (x,), got a tuple of {len(batch)} items")


def prefixed(prefix: str, state: State) -> State:
    """``state`` with every key under ``prefix`` (``"optimizer."``), to nest one state in another."""
    return {prefix + key: value for key, value in state.items()}


def unprefixed(prefix: str, state: State) -> State:
    """The entries of ``state`` under ``prefix``, with the prefix removed."""
    return {key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)}


def checked_cost(loss: Tensor | float) -> float:
    """The cost as a float, or NonFiniteError when it is NaN or infinite (before any update)."""
    value = float(loss.data) if isinstance(loss, Tensor) else float(loss)
    if not math.isfinite(value):
        raise NonFiniteError(f"the cost is {value}")
    return value


def batch_metrics(value: float, output: np.ndarray, y: np.ndarray) -> dict:
    """``loss`` and, for class labels, ``correct`` (how many arg-max outputs match the label)."""
    metrics = {"loss": value}
    if y.ndim == 1:
        metrics["correct"] = int(np.count_nonzero(output.argmax(axis=1) == y))
    return metrics


class GradientRule:
    """A rule that fills each parameter's ``.grad`` and hands it to an optimizer.

    A subclass writes :meth:`gradients` (and :meth:`bind` if it keeps per-model state); this class
    does the rest: the optimizer step, and the state of the optimizer for checkpoints. The cost is
    checked before the update, so a non-finite loss leaves the weights as they were.
    """

    name = "gradient-rule"
    #: what :func:`~synaptica.rules.make_rule` passes to the constructor, in order
    arguments = ("cost", "optimizer")

    def __init__(self, cost: Cost, optimizer: Optimizer):
        if not isinstance(cost, Cost):
            raise TypeError(f"{type(self).__name__}: cost must be a Cost (e.g. LogLikelihoodCost()), got {cost!r}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: optimizer must be an Optimizer "
                            f"(e.g. SGD(model.parameters(), 0.1)), got {optimizer!r}")
        self.cost = cost
        self.optimizer = optimizer

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        """Nothing to make by default."""

    def unbind(self, model: Module) -> None:
        """Nothing to undo by default."""

    def gradients(self, model: Module, batch: tuple) -> dict:  # pragma: no cover - every rule writes it
        """Fill ``.grad`` of the parameters from one batch; return the metrics of :func:`batch_metrics`."""
        raise NotImplementedError

    def step(self, model: Module, batch: tuple) -> dict:
        metrics = self.gradients(model, batch)
        self.optimizer.step()
        return metrics

    def state_dict(self) -> State:
        return prefixed("optimizer.", self.optimizer.state_dict())

    def load_state_dict(self, state: State) -> None:
        self.optimizer.load_state_dict(unprefixed("optimizer.", state))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.cost.name}, {type(self.optimizer).__name__})"


def gradient_step(model: Module, batch: tuple, cost: Cost, optimizer: Optimizer) -> dict:
    """Forward, cost, backward, optimizer step: one step of exact backpropagation.

    Returns ``loss`` and, for class labels, ``correct``. Kept for code that trains without a rule
    object; :class:`~synaptica.rules.Backprop` is the same step.
    """
    metrics = backprop_gradients(model, batch, cost, optimizer)
    optimizer.step()
    return metrics


def model_input(x: np.ndarray, dtype: np.dtype) -> Tensor:
    """The batch's inputs as a Tensor in the model's dtype (``dtype``: its parameters'), cast when they
    differ, as ``predict`` does (no copy when they agree): float64 data trains a float32 model."""
    return Tensor(np.asarray(x, dtype=dtype))


def backprop_gradients(model: Module, batch: tuple, cost: Cost, optimizer: Optimizer) -> dict:
    """Forward, cost, ``optimizer.zero_grad()``, backward: ``.grad`` holds ∂C/∂w for every parameter."""
    x, y = inputs_and_targets(batch)
    output = model(model_input(x, optimizer.params[0].dtype))
    loss = cost(output, y)
    value = checked_cost(loss)
    optimizer.zero_grad()
    loss.backward()
    return batch_metrics(value, output.data, y)
