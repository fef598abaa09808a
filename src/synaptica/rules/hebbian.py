"""Hebbian learning: plain Hebb, Oja's rule and Sanger's generalised Hebbian algorithm.

"Cells that fire together wire together": a weight grows with the product of the activity on its two
sides. The three rules here train one linear layer without bias, y = W x (W of shape (k, n), x a
row of the batch), from the inputs alone: batches ``(x,)``, no targets, no cost, no gradient. Each
step averages the update over the batch (rows xᵦ, yᵦ = W xᵦ):

    Hebb    ΔW = η ⟨y xᵀ⟩                       (Hebb 1949)
    Oja     ΔW = η ⟨y xᵀ − diag(y²) W⟩          (Oja 1982; each unit on its own)
    Sanger  ΔW = η ⟨y xᵀ − LT[y yᵀ] W⟩          (Sanger 1989; LT keeps the lower triangle and diagonal)

**The inputs must be centred; the data does it, not the rule.** On average ⟨y xᵀ⟩ = W C with
C = ⟨x xᵀ⟩, which is the covariance only when the mean of x is zero. Centre the training data once
(``x - x.mean(axis=0)``) before ``fit``; uncentred inputs make the rules find the top eigenvectors of
the second-moment matrix, the first of them close to the mean.

Why plain Hebb diverges: its average step is ΔW = η W C, a linear system whose solution grows like
exp(η λ₁ t) along the top eigenvector of C. The weight's *direction* converges to the first principal
component, but nothing bounds its norm, which grows until it overflows. Oja's rule adds the decay
−y² w, the first-order term of normalising w after each Hebbian step; its stable fixed points are
±v₁, the unit-norm first principal component. Sanger's rule lets unit i decay by the units j ≤ i,
which amounts to Oja's rule for unit i on the input with the components of units 1…i−1 removed
(deflation); its stable fixed point is the first k principal components in order, v₁, …, vₖ, as
rows of W.

These are the rules' differences from backprop: no error signal, no cost, nothing sent backward;
each weight changes from the activities at its own two ends (and, for Oja and Sanger, the unit's own
output).

References:
    D. O. Hebb, The Organization of Behavior, 1949.
    E. Oja, "A simplified neuron model as a principal component analyzer", J. Math. Biology 15, 1982.
    T. D. Sanger, "Optimal unsupervised learning in a single-layer linear feedforward neural network",
    Neural Networks 2, 1989.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from synaptica.errors import NonFiniteError
from synaptica.nn.linear import Linear
from synaptica.nn.module import Module
from synaptica.rules.base import State
from synaptica.rules.layers import has_own_parameters, named_modules

LearningRate = float | Callable[[int], float]


class HebbianRule:
    """What the three rules share: the layer they train, η (a number or a schedule), the step count.

    A subclass writes :meth:`update`, the average ΔW/η of one batch. The learning rate is a number > 0
    or a schedule ``step -> η`` (such as those in :mod:`synaptica.optim.schedules`; Oja's convergence
    proof asks for Σηₜ = ∞ and Σηₜ² < ∞, e.g. ηₜ = η₀ / (1 + t/τ)).

    A step whose update would overflow the weights (plain Hebb, sooner or later) raises
    :class:`~synaptica.errors.NonFiniteError` and leaves them as they were.

    Step metrics: ``loss``, the batch's mean squared reconstruction error per input value,
    ‖x − yW‖²/n (what PCA minimises), and ``weight_norm``, the largest row norm of W.
    """

    name = "hebbian"
    arguments = ()  # no cost, no optimizer: each weight changes with the activity at its two ends

    def __init__(self, learning_rate: LearningRate = 0.01):
        if callable(learning_rate):
            self.learning_rate = learning_rate
        elif (isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool)
              and math.isfinite(learning_rate) and learning_rate > 0):
            self.learning_rate = float(learning_rate)
        else:
            raise ValueError(f"{type(self).__name__}: learning_rate must be a number > 0 or a schedule "
                             f"step -> η, got {learning_rate!r}")
        self.steps = 0
        self._layer: Linear | None = None

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        """Find the one bias-free :class:`~synaptica.nn.Linear` layer; refuse any other model."""
        self._layer = hebbian_layer(model, type(self).__name__)

    def unbind(self, model: Module) -> None:
        self._layer = None

    def rate(self) -> float:
        """η for the step about to be taken."""
        return float(self.learning_rate(self.steps)) if callable(self.learning_rate) else self.learning_rate

    def update(self, weight: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:  # pragma: no cover
        """The average ΔW/η over the batch (x: (batch, n), y = x Wᵀ: (batch, k))."""
        raise NotImplementedError

    def step(self, model: Module, batch: tuple) -> dict:
        if self._layer is None:
            raise RuntimeError(f"{type(self).__name__}: call bind(model, rng) before step (fit does it)")
        weight = self._layer.weight.data
        x = np.asarray(batch[0], dtype=weight.dtype).reshape(len(batch[0]), -1)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught below, by name
            y = x @ weight.T
            loss = float(np.mean((x - y @ weight) ** 2))
            updated = weight + (self.rate() * self.update(weight, x, y)).astype(weight.dtype)
        if not np.isfinite(updated).all():
            raise NonFiniteError(f"{type(self).__name__}: the update would make the weights of {self._layer!r} "
                                 f"non-finite (largest row norm {_largest_norm(weight):.3g}); plain "
                                 f"Hebbian learning grows without bound: use Oja or Sanger, or a smaller η")
        weight[...] = updated
        self.steps += 1
        return {"loss": loss, "weight_norm": _largest_norm(weight)}

    def state_dict(self) -> State:
        state = {"hebbian.steps": np.array(self.steps, dtype=np.int64)}
        if not callable(self.learning_rate):
            state["hebbian.learning_rate"] = np.array(self.learning_rate, dtype=np.float64)
        return state

    def load_state_dict(self, state: State) -> None:
        self.steps = int(state["hebbian.steps"])
        if "hebbian.learning_rate" in state:
            self.learning_rate = float(state["hebbian.learning_rate"])

    def __repr__(self) -> str:
        rate = "schedule" if callable(self.learning_rate) else f"η={self.learning_rate:g}"
        return f"{type(self).__name__}({rate})"


class Hebb(HebbianRule):
    """Plain Hebbian learning, ΔW = η ⟨y xᵀ⟩: its norm grows without bound (see the module docstring)."""

    name = "hebb"

    def update(self, weight: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return y.T @ x / len(x)


class Oja(HebbianRule):
    """Oja's rule, ΔW = η ⟨y xᵀ − diag(y²) W⟩: each unit converges to ±v₁, the unit-norm first
    principal component of centred inputs (every unit the same one: use :class:`Sanger` for more)."""

    name = "oja"

    def update(self, weight: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (y.T @ x - (y * y).sum(axis=0)[:, None] * weight) / len(x)


class Sanger(HebbianRule):
    """Sanger's generalised Hebbian algorithm, ΔW = η ⟨y xᵀ − LT[y yᵀ] W⟩: row i converges to ±vᵢ, the
    i-th principal component of centred inputs, in order of decreasing variance."""

    name = "sanger"

    def update(self, weight: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (y.T @ x - np.tril(y.T @ y) @ weight) / len(x)


def _largest_norm(weight: np.ndarray) -> float:
    """The largest row norm of W, in float64 (a float32 W near its overflow still has a finite norm)."""
    return float(np.linalg.norm(weight.astype(np.float64), axis=1).max())


def hebbian_layer(model: Module, rule: str) -> Linear:
    """The model's one :class:`Linear` layer without bias, or ValueError naming what stands in the way."""
    layers = [(name, module) for name, module in named_modules(model) if has_own_parameters(module)]
    for name, module in layers:
        why = ("it is not a linear layer" if not isinstance(module, Linear) else
               "it has a bias" if module.bias is not None else None)
        if why:
            raise ValueError(f"{rule} cannot train {name or 'the model'} {module!r}: {why}; a Hebbian rule "
                             f"trains one Linear(n, k, bias=False) on centred inputs")
    if len(layers) != 1:
        raise ValueError(f"{rule} trains one Linear(n, k, bias=False); the model has {len(layers)} layers with "
                         f"weights ({', '.join(name or 'the model' for name, _ in layers) or 'none'})")
    return layers[0][1]
