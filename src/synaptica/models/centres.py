"""The centres of an online k-means: a model whose state is k points in input space."""

from __future__ import annotations

import numpy as np

from synaptica.nn.module import Module
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor
from synaptica.unsupervised.distances import squared_distances, squared_norms
from synaptica.unsupervised.inputs import data_matrix
from synaptica.unsupervised.seeding import kmeans_plus_plus


class Centres(Module):
    """k centres μⱼ held as a buffer (``centres``, (k, d)): saved with the model, moved by a rule
    (:class:`~synaptica.rules.MiniBatchKMeans`), never by gradients.

    ``forward(x)`` is the inference path: the Euclidean distance of each input to each centre,
    (batch, k), so ``predict(model, x).argmin(axis=1)`` gives the clusters, as
    :meth:`synaptica.unsupervised.KMeans.transform` does.
    """

    buffer_names = ("centres",)

    def __init__(self, centres: np.ndarray):
        centres = np.asarray(centres)
        if centres.ndim != 2 or not len(centres):
            raise ValueError(f"Centres: expected an array of shape (k, features), got {centres.shape}")
        self.centres = centres.astype(centres.dtype if centres.dtype.kind == "f" else np.float64)

    @classmethod
    def seeded(cls, x, k: int, rng: SeedLike = None, dtype=np.float32) -> Centres:
        """k centres chosen among the rows of ``x`` (a sample of the data) by k-means++ with ``rng``."""
        x = data_matrix("Centres.seeded", x).astype(dtype, copy=False)
        if not 1 <= k <= len(x):
            raise ValueError(f"Centres.seeded: {len(x)} points cannot seed {k} centres; give at least {k} points")
        return cls(kmeans_plus_plus(x, k, as_generator(rng), squared_norms(x)))

    def forward(self, x: Tensor) -> Tensor:
        values = x.data if isinstance(x, Tensor) else np.asarray(x)
        return Tensor(np.sqrt(squared_distances(values.reshape(len(values), -1), self.centres)))

    def config(self) -> dict:
        return {"type": "Centres", "k": len(self.centres), "features": self.centres.shape[1]}

    def __repr__(self) -> str:
        return f"Centres({len(self.centres)} × {self.centres.shape[1]})"
