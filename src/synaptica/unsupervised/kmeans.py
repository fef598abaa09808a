"""k-means clustering by Lloyd's algorithm, seeded by k-means++, with restarts.

An estimator in scikit-learn's shape, not a rule of the training loop: ``KMeans(k).fit(x)`` returns
the estimator, whose fitted attributes end in ``_``. Its online form, mini-batch k-means, is a rule
of the loop (:mod:`synaptica.rules.minibatch_kmeans`).
"""

from __future__ import annotations

import numpy as np

from synaptica.checks import non_negative_float, positive_int
from synaptica.parallel.blas import blas_threads, training_threads
from synaptica.random import SeedLike, as_generator
from synaptica.unsupervised.distances import label_sums, nearest, two_nearest, squared_distances, squared_norms
from synaptica.unsupervised.inputs import check_features, check_fitted, data_matrix
from synaptica.unsupervised.seeding import kmeans_plus_plus


class KMeans:
    """Partition points into k clusters, each represented by the mean of its points.

    Lloyd's objective, the inertia, is the sum of squared distances of the points to their centres::

        J(c, μ) = Σᵢ ‖xᵢ − μ_{cᵢ}‖²

    Lloyd's algorithm lowers it by alternating its two minimisations until nothing changes:
    assign each point to its nearest centre (cᵢ = argminⱼ ‖xᵢ − μⱼ‖², the E-step), then move each
    centre to the mean of its points (μⱼ = mean of {xᵢ : cᵢ = j}, the M-step). Neither step can raise
    J, so it converges, but to a local minimum that depends on the start: the starts are chosen by
    k-means++ D² sampling (:mod:`synaptica.unsupervised.seeding`, Arthur and Vassilvitskii 2007), and
    ``n_init`` runs from different starts keep the one of lowest inertia.

    The distances are one matrix product per block of points (‖x‖² − 2x·μ + ‖μ‖²,
    :mod:`synaptica.unsupervised.distances`), so memory stays bounded for any number of points;
    an iteration measures only the points whose label may have changed (Hamerly's bounds) and
    corrects the cluster sums by the points that changed label (:func:`lloyd`), with the labels of
    Lloyd's algorithm. The products have k columns, as a training step's have a batch's rows, so they run on the BLAS
    threads ``fit`` would give a batch of k (:func:`synaptica.parallel.blas.training_threads`: one
    for k < 64 or on a machine of two cores, where a second OpenBLAS thread spins after each small
    product and measured 3× slower). A run stops when no label changes, when the centres moved by
    at most ``tol`` times the mean variance of the features (Σⱼ ‖μⱼ′ − μⱼ‖² ≤ tol · mean variance, scikit-learn's criterion), or
    after ``max_iter`` iterations; the labels are then those of the final centres. A cluster left
    empty takes the point farthest from its centre, as in scikit-learn.

    Args:
        n_clusters: k, at most the number of points.
        n_init: runs from different k-means++ starts (1 when ``init`` is an array).
        max_iter: Lloyd iterations per run at the most.
        tol: the relative centre shift under which a run has converged.
        init: ``"k-means++"`` or an array of k initial centres.
        random_state: seed or Generator (:func:`synaptica.random.as_generator`) for the seeding.

    Fitted attributes: ``cluster_centers_`` (k, d), ``labels_`` (n,), ``inertia_`` (J), ``n_iter_``
    (iterations of the best run), ``n_features_in_``.

    Reference: S. Lloyd, "Least squares quantization in PCM", IEEE Trans. Information Theory 28, 1982.
    """

    def __init__(self, n_clusters: int = 8, *, n_init: int = 10, max_iter: int = 300, tol: float = 1e-4,
                 init="k-means++", random_state: SeedLike = None):
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.random_state = random_state

    def fit(self, x) -> KMeans:
        """Cluster the rows of ``x``; returns the estimator."""
        owner = repr(self)
        x = data_matrix(f"{owner}.fit", x)
        k = positive_int(owner, "n_clusters", self.n_clusters)
        n_init = positive_int(owner, "n_init", self.n_init)
        max_iter = positive_int(owner, "max_iter", self.max_iter)
        tol = non_negative_float(owner, "tol", self.tol) * float(np.mean(np.var(x, axis=0)))
        if k > len(x):
            raise ValueError(f"{owner}: {len(x)} points cannot make {k} clusters; "
                             f"give at least {k} points or ask for at most {len(x)} clusters")
        initial = self._initial_centres(owner, x, k)
        rng = as_generator(self.random_state)
        x_sq = squared_norms(x)
        best = None
        with blas_threads(training_threads(k)):  # products with k columns: fit's policy for a batch of k
            for _ in range(1 if initial is not None else n_init):
                start = initial.copy() if initial is not None else kmeans_plus_plus(x, k, rng, x_sq)
                run = lloyd(x, start, x_sq, max_iter, tol)
                if best is None or run[2] < best[2]:
                    best = run
        self.cluster_centers_, self.labels_, self.inertia_, self.n_iter_ = best
        self.n_features_in_ = x.shape[1]
        return self

    def fit_predict(self, x) -> np.ndarray:
        """``fit(x).labels_``."""
        return self.fit(x).labels_

    def predict(self, x) -> np.ndarray:
        """The index of the nearest fitted centre of each point."""
        return nearest(self._checked(x, "predict"), self.cluster_centers_)[0]

    def transform(self, x) -> np.ndarray:
        """The Euclidean distance of each point to each centre, (n, k)."""
        x = self._checked(x, "transform")
        return np.sqrt(np.concatenate([squared_distances(x[i:i + 4096], self.cluster_centers_)
                                       for i in range(0, len(x), 4096)]))

    def score(self, x) -> float:
        """Minus the inertia of ``x`` under the fitted centres (higher is better, as scikit-learn)."""
        return -float(nearest(self._checked(x, "score"), self.cluster_centers_)[1].sum(dtype=np.float64))

    def _checked(self, x, method: str) -> np.ndarray:
        check_fitted(self, "cluster_centers_")
        owner = f"{self!r}.{method}"
        return check_features(owner, data_matrix(owner, x), self.n_features_in_).astype(
            self.cluster_centers_.dtype, copy=False)

    def _initial_centres(self, owner: str, x: np.ndarray, k: int) -> np.ndarray | None:
        if isinstance(self.init, str):
            if self.init != "k-means++":
                raise ValueError(f"{owner}: init must be 'k-means++' or an array of centres, got {self.init!r}")
            return None
        centres = np.asarray(self.init, dtype=x.dtype)
        if centres.shape != (k, x.shape[1]):
            raise ValueError(f"{owner}: init holds centres of shape {centres.shape}, expected ({k}, {x.shape[1]}) "
                             f"for {k} clusters of points with {x.shape[1]} features")
        return centres

    def __repr__(self) -> str:
        return f"KMeans(n_clusters={self.n_clusters})"


def lloyd(x: np.ndarray, centres: np.ndarray, x_sq: np.ndarray, max_iter: int,
          tol: float) -> tuple[np.ndarray, np.ndarray, float, int]:
    """One run of Lloyd's algorithm from ``centres``: (centres, labels, inertia, iterations).

    The labels are Lloyd's, but an iteration measures distances only for the points whose label may
    have changed, by Hamerly's bounds (Hamerly 2010). Each point keeps an upper bound u on its
    distance to its own centre and a lower bound l on its distance to every other centre; when the
    centres move by δⱼ, the triangle inequality keeps them bounds after u += δ_{own}, l −= maxⱼ δⱼ.
    A point with u < l is still nearest its own centre and is skipped; the others (all of them in the
    first iteration, few once the centres settle) get their two nearest centres by one distance
    product (:func:`~synaptica.unsupervised.distances.two_nearest`), and exact bounds again. The
    bounds are widened by the rounding of a float distance (``slack``), so that rounding cannot
    skip a point whose label would change.

    The sums of each cluster's points are not summed again either: they are kept in float64 and
    corrected by the points whose label changed (:func:`~synaptica.unsupervised.distances.label_sums`
    of those alone, +1 for the new cluster and −1 for the old). float32 images sum exactly in float64
    (24-bit mantissas over a range of far fewer than 53 bits), so the corrected sums are the sums a
    fresh pass would give.

    Reference: G. Hamerly, "Making k-means even faster", SIAM International Conference on Data
    Mining, 2010.
    """
    n, k = len(x), len(centres)
    # the rounding of ‖x‖² − 2x·c + ‖c‖² (centres are means of points: ‖c‖² ≤ max ‖x‖²)
    slack = 64 * float(np.finfo(x.dtype).eps) * 2 * float(x_sq.max())
    labels = np.zeros(n, dtype=np.int64)
    upper, lower = np.full(n, np.inf), np.zeros(n)
    members = sums = counts = None  # the labels the sums and counts are of
    previous = None
    for iteration in range(1, max_iter + 1):
        stale = np.flatnonzero(upper >= lower)
        if len(stale):
            whole = len(stale) == n
            near, first, second = two_nearest(x if whole else x[stale], centres, x_sq if whole else x_sq[stale])
            labels = labels.copy()
            labels[stale] = near
            upper[stale] = np.sqrt(first + slack)
            lower[stale] = np.sqrt(np.maximum(second - slack, 0))
        if members is None:
            members, sums, counts = labels.copy(), label_sums(x, labels, k), np.bincount(labels, minlength=k)
        else:
            changed = np.flatnonzero(labels != members)
            if len(changed):
                new, old = labels[changed], members[changed]
                sums += label_sums(x[changed], new, k, minus=old)
                counts += np.bincount(new, minlength=k) - np.bincount(old, minlength=k)
                members[changed] = new
        if (counts == 0).any():
            closest = np.sum((x - centres[labels]) ** 2, axis=1)
            _relocate_empty(x, members, closest, sums, counts)
            members = None  # the sums are no longer those of one label per point: summed afresh next
            upper[:] = np.inf  # a centre now sits on a point: every bound is measured again
        moved = (sums / counts[:, None]).astype(x.dtype)
        delta = np.sqrt(np.sum((moved.astype(np.float64) - centres) ** 2, axis=1))
        centres = moved
        if previous is not None and np.array_equal(labels, previous):
            break
        if float(np.sum(delta ** 2)) <= tol:
            break
        upper += delta[labels] * (1 + 1e-6)
        lower -= delta.max() * (1 + 1e-6)
        previous = labels
    labels, closest = nearest(x, centres, x_sq)  # the labels of the final centres
    return centres, labels, float(closest.sum(dtype=np.float64)), iteration


def _relocate_empty(x, members, closest, sums, counts) -> None:
    """Give each empty cluster one of the points farthest from their centres (moved out of theirs,
    unless alone there): ``sums`` and ``counts`` change in place (``closest``: each point's squared
    distance to its centre)."""
    empty = np.flatnonzero(counts == 0)
    farthest = np.argsort(closest, kind="stable")[::-1][:len(empty)]
    for cluster, point in zip(empty, farthest):
        old = members[point]
        if counts[old] > 1:
            sums[old] -= x[point]
            counts[old] -= 1
        sums[cluster], counts[cluster] = x[point], 1
