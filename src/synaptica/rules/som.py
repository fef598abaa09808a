"""Kohonen's self-organizing map rules: the online rule, one example at a time, and the batch rule.

Both train the prototypes wᵢ of a :class:`~synaptica.models.SelfOrganizingMap` on inputs alone (labels
in ``(x, y)`` batches are ignored); nothing is differentiated and there is no optimizer. For an input
x with best-matching unit c (the nearest prototype), a unit i at grid distance d = ‖r_c − rᵢ‖ shares
in the update through the neighbourhood

    Gaussian:  h_ci(t) = exp(−d² / 2σ(t)²)
    bubble:    h_ci(t) = 1 when |Δrow| < σ(t) and |Δcolumn| < σ(t), else 0   (MiniSom's bubble)
    triangle:  h_ci(t) = max(0, σ(t) − |Δrow|) · max(0, σ(t) − |Δcolumn|)        (MiniSom's triangle)

The triangle is MiniSom's as it is: not scaled to 1 at the BMU (h_cc = σ²), so early steps overshoot
(η h_cc = 8 at σ = 4, η = 0.5) and the map is rebuilt from the latest examples until σ and η have
fallen; MiniSom's digits example, and the quantization error of 3.05 it reports, use it.

**Online** (Kohonen 1982, 1990, eq. 3), for each example in turn, t counting examples:

    wᵢ ← wᵢ + η(t) h_ci(t) (x − wᵢ)

**Batch** (Kohonen 1990 §III; Kohonen, *Self-Organizing Maps*, 2001, §3.14), for each batch, t
counting batches: every x of the batch finds its BMU with the prototypes as they were, then

    wᵢ ← Σₓ h_{c(x)i}(t) x / Σₓ h_{c(x)i}(t)          (units with Σ h = 0 keep their prototype)

Schedules. σ and η fall over the run's T steps (``iterations``: examples for the online rule, batches
for the batch rule) by MiniSom's default *asymptotic decay*,

    σ(t) = σ₀ / (1 + t / (T/2)),   η(t) = η₀ / (1 + t / (T/2))

which ends at a third of the start after T steps and keeps falling (slowly) past T; Kohonen (1990)
asks only that η(t) and the neighbourhood's width decrease monotonically. σ = 0 is the BMU alone:
the online rule is then competitive learning (online k-means with rate η). The step counter t is the
rule's state, saved in checkpoints, so a resumed run continues the schedules exactly.

References:
    T. Kohonen, "Self-organized formation of topologically correct feature maps", Biological
    Cybernetics 43, 1982.
    T. Kohonen, "The self-organizing map", Proceedings of the IEEE 78(9), 1990.
    G. Vettigli, MiniSom (github.com/JustGlowing/minisom): the decay, neighbourhoods, PCA
    initialisation and error definitions matched here.
"""

from __future__ import annotations

import numpy as np

from synaptica.models.som import SelfOrganizingMap
from synaptica.nn.module import Module
from synaptica.rules.base import State
from synaptica.unsupervised.distances import nearest, squared_norms

NEIGHBOURHOODS = ("gaussian", "bubble", "triangle")


def asymptotic_decay(start: float, t: int, iterations: int) -> float:
    """start / (1 + t / (T/2)): MiniSom's default decay of σ and η."""
    return start / (1 + t / (iterations / 2))


class _SOMRule:
    """What the two rules share: their settings, the schedule, the neighbourhood and the step counter."""

    name = ""
    arguments = ()  # no cost, no optimizer: it moves prototypes by its own rule

    def __init__(self, iterations: int, sigma: float = 1.0, learning_rate: float = 0.5,
                 neighbourhood: str = "gaussian"):
        owner = type(self).__name__
        if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 1:
            raise ValueError(f"{owner}: iterations (the run's length T for the schedules) must be an integer >= 1, "
                             f"got {iterations!r}")
        if not sigma >= 0 or not learning_rate > 0:
            raise ValueError(f"{owner}: sigma must be >= 0 and learning_rate > 0, got {sigma!r} and {learning_rate!r}")
        if neighbourhood not in NEIGHBOURHOODS:
            raise ValueError(f"{owner}: unknown neighbourhood {neighbourhood!r}; choose from {list(NEIGHBOURHOODS)}")
        self.iterations, self.sigma, self.learning_rate = int(iterations), float(sigma), float(learning_rate)
        self.neighbourhood = neighbourhood
        self.t = 0

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        if not isinstance(model, SelfOrganizingMap):
            raise TypeError(f"{type(self).__name__} trains the prototypes of a SelfOrganizingMap, got "
                            f"{type(model).__name__}; build one with SelfOrganizingMap.pca(rows, columns, x)")

    def unbind(self, model: Module) -> None:
        """Nothing to undo: the step counter stays with the rule, so a second ``fit`` continues the schedules."""

    def sigma_at(self, t: int) -> float:
        return asymptotic_decay(self.sigma, t, self.iterations)

    def learning_rate_at(self, t: int) -> float:
        return asymptotic_decay(self.learning_rate, t, self.iterations)

    def spread(self, grid: np.ndarray, winners: np.ndarray, sigma: float) -> np.ndarray:
        """h_{c,i} for each winner c (rows) and every unit i (columns)."""
        offsets = grid[winners][:, None, :] - grid[None, :, :]
        if self.neighbourhood == "bubble":
            return (np.abs(offsets) < sigma).all(axis=2).astype(np.float64)
        if self.neighbourhood == "triangle":
            return np.clip(sigma - np.abs(offsets), 0, None).prod(axis=2)
        squared = (offsets ** 2).sum(axis=2)
        if sigma == 0:
            return (squared == 0).astype(np.float64)
        return np.exp(-squared / (2 * sigma * sigma))

    def state_dict(self) -> State:
        return {"som.t": np.array(self.t, dtype=np.int64)}

    def load_state_dict(self, state: State) -> None:
        self.t = int(state["som.t"])

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(iterations={self.iterations}, sigma={self.sigma}, "
                f"learning_rate={self.learning_rate}, neighbourhood={self.neighbourhood!r})")


def _batch_inputs(owner: str, model: SelfOrganizingMap, batch: tuple) -> np.ndarray:
    return model.inputs(owner, np.asarray(batch[0]).reshape(len(batch[0]), -1))


class OnlineSOM(_SOMRule):
    """Kohonen's online rule, one example at a time in the batch's order (t counts examples).

    Each step returns ``loss``, the mean distance of the batch's points to their BMUs as the map stood
    before each point's update (the running quantization error), with ``sigma`` and ``learning_rate``
    at the batch's last example."""

    name = "som"

    def step(self, model: Module, batch: tuple) -> dict:
        prototypes = model.prototypes
        x = _batch_inputs("OnlineSOM", model, batch)
        norms = squared_norms(prototypes)
        distance = 0.0
        for point in x:
            partial = norms - 2 * (prototypes @ point)
            winner = int(partial.argmin())
            distance += float(np.sqrt(max(partial[winner] + point @ point, 0.0)))
            sigma, rate = self.sigma_at(self.t), self.learning_rate_at(self.t)
            h = (self.spread(model.grid, np.array([winner]), sigma)[0] * rate).astype(prototypes.dtype, copy=False)
            moved = np.flatnonzero(h)
            if len(moved) == len(h):  # a Gaussian reaches every unit: update in place, without gathering rows
                change = point - prototypes
                change *= h[:, None]
                prototypes += change
                norms = squared_norms(prototypes)
            else:
                prototypes[moved] += h[moved, None] * (point - prototypes[moved])
                norms[moved] = squared_norms(prototypes[moved])
            self.t += 1
        return {"loss": distance / len(x), "sigma": sigma, "learning_rate": rate}


class BatchSOM(_SOMRule):
    """The batch SOM: each batch sets every prototype to the neighbourhood-weighted mean of the batch's
    points (t counts batches; ``learning_rate`` is not used). Each step returns ``loss``, the mean
    distance of the batch's points to their BMUs before the update, and ``sigma``."""

    name = "batch-som"

    def step(self, model: Module, batch: tuple) -> dict:
        prototypes = model.prototypes
        x = _batch_inputs("BatchSOM", model, batch)
        winners, closest = nearest(x, prototypes)
        sigma = self.sigma_at(self.t)
        h = self.spread(model.grid, np.arange(model.units), sigma)[winners]  # (points, units)
        weight = h.sum(axis=0)
        moved = weight > 0
        prototypes[moved] = ((h.T @ x)[moved] / weight[moved, None]).astype(prototypes.dtype, copy=False)
        self.t += 1
        return {"loss": float(np.sqrt(closest.astype(np.float64)).mean()), "sigma": sigma}
