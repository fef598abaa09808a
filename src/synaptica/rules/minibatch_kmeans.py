"""Mini-batch k-means: k-means as a rule of the training loop, one batch at a time.

Sculley's update moves each centre towards the points of a batch assigned to it, with a learning
rate that falls as the centre sees more points. For each x in the batch, with c its nearest centre
(found once, before any centre moves) and vⱼ the count of points centre j has taken so far::

    v_c ← v_c + 1,    η = 1 / v_c,    μ_c ← (1 − η) μ_c + η x

With η = 1/v each centre is the running mean of every point it has ever taken, so the per-point
loop is the same as one vectorised step per centre: with m_c points of the batch summing to S_c,

    μ_c ← μ_c + (S_c − m_c μ_c) / (v_c + m_c),    v_c ← v_c + m_c

which this rule applies (no Python loop over points). Unlike backprop, nothing is differentiated:
the model is a :class:`~synaptica.models.Centres` buffer and there is no optimizer.

Reference: D. Sculley, "Web-scale k-means clustering", WWW 2010.
"""

from __future__ import annotations

import numpy as np

from synaptica.models.centres import Centres
from synaptica.nn.module import Module
from synaptica.rules.base import State
from synaptica.unsupervised.distances import assign_and_sum, squared_norms


class MiniBatchKMeans:
    """Sculley's mini-batch k-means on the centres of a :class:`~synaptica.models.Centres` model.

    Fed ``(x,)`` batches by ``fit`` (inputs alone; labels in ``(x, y)`` batches are ignored); each
    step returns ``inertia`` (Σ ‖x − μ_c‖² over the batch, before the update) and ``loss`` (its mean
    per point). The per-centre counts vⱼ are the rule's state, saved in checkpoints.
    """

    name = "minibatch-kmeans"
    arguments = ()  # no cost, no optimizer: it moves centres by its own rule

    def __init__(self):
        self.counts: np.ndarray | None = None

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        if not isinstance(model, Centres):
            raise TypeError(f"MiniBatchKMeans trains the centres of a Centres model, got {type(model).__name__}; "
                            "build one with Centres.seeded(x_sample, k, rng)")
        if self.counts is None or len(self.counts) != len(model.centres):
            self.counts = np.zeros(len(model.centres), dtype=np.int64)

    def step(self, model: Module, batch: tuple) -> dict:
        centres = model.centres
        x = np.asarray(batch[0]).reshape(len(batch[0]), -1).astype(centres.dtype, copy=False)
        if x.shape[1] != centres.shape[1]:
            raise ValueError(f"MiniBatchKMeans: the centres have {centres.shape[1]} features but the batch's "
                             f"points have {x.shape[1]} (batch of shape {np.shape(batch[0])})")
        _, closest, sums, taken = assign_and_sum(x, centres, squared_norms(x))
        self.counts += taken
        seen = taken > 0
        centres[seen] += (sums[seen] - taken[seen, None] * centres[seen]) / self.counts[seen, None]
        inertia = float(closest.sum(dtype=np.float64))
        return {"loss": inertia / len(x), "inertia": inertia}

    def unbind(self, model: Module) -> None:
        """Nothing to undo: the counts stay with the rule, so a second ``fit`` continues the means."""

    def state_dict(self) -> State:
        return {} if self.counts is None else {"counts": self.counts.copy()}

    def load_state_dict(self, state: State) -> None:
        self.counts = np.asarray(state["counts"], dtype=np.int64).copy() if "counts" in state else None

    def __repr__(self) -> str:
        return "MiniBatchKMeans()"
