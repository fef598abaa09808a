"""k-means++ seeding: initial centres drawn far apart, with probability proportional to D².

Arthur and Vassilvitskii's k-means++ picks the first centre uniformly at random among the points,
then each next centre at random with probability D(x)² / Σ D(x')², where D(x) is the distance of x
to the nearest centre chosen so far. The expected inertia of the seeding alone is then within a
factor 8(ln k + 2) of the optimum.

The greedy variant (as in scikit-learn, and in Arthur and Vassilvitskii's own code) draws
2 + ⌊ln k⌋ candidates by D² sampling at each step and keeps the one that lowers the potential
Σ D(x)² most.

Reference: D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful seeding",
SODA 2007.
"""

from __future__ import annotations

import math

import numpy as np

from synaptica.unsupervised.distances import squared_distances


def kmeans_plus_plus(x: np.ndarray, k: int, rng: np.random.Generator, x_sq: np.ndarray) -> np.ndarray:
    """k initial centres (rows of x) chosen by greedy k-means++ with ``rng``; ``x_sq`` is ‖x‖² per row."""
    n = len(x)
    trials = 2 + int(math.log(k))
    centres = np.empty((k, x.shape[1]), dtype=x.dtype)
    centres[0] = x[rng.integers(n)]
    closest = squared_distances(x, centres[:1], x_sq)[:, 0]  # D(x)² to the centres so far
    potential = closest.sum(dtype=np.float64)
    for c in range(1, k):
        cumulative = np.cumsum(closest, dtype=np.float64)
        candidates = np.searchsorted(cumulative, rng.uniform(size=trials) * potential)
        candidates = np.minimum(candidates, n - 1)
        # D² if each candidate were added: one row per candidate, (trials, n)
        with_candidate = np.minimum(closest, squared_distances(x[candidates], x, x_sq[candidates]))
        potentials = with_candidate.sum(axis=1, dtype=np.float64)
        best = int(np.argmin(potentials))
        potential, closest = potentials[best], with_candidate[best]
        centres[c] = x[candidates[best]]
    return centres
