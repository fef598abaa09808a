"""Anomaly detection without labels: score how unlike the training data a point is.

A model of the normal data is fitted on normal points alone; a new point's score is how badly that
model explains it, higher for points more likely anomalous:

- PCA: the reconstruction error ‖x − x̂‖² with x̂ = μ + (x − μ) Vₖ Vₖᵀ, the squared distance of x
  from the k-dimensional affine subspace the normal data lie near;
- k-means: the squared distance minⱼ ‖x − μⱼ‖² to the nearest of k centres of the normal data;
- an autoencoder: its reconstruction error ‖x − x̂‖², the nonlinear counterpart of PCA's;
- a variational auto-encoder: −log p(x), the negative log-likelihood of the binarised point under
  the generative model, estimated by importance sampling (:meth:`synaptica.models.VAE.log_likelihood`).

The scores are judged by the area under the ROC curve (:func:`auroc`): the probability that a
random anomaly scores above a random normal point, 0.5 for chance and 1 for a perfect ranking, with
no threshold to choose. The one-class protocol (:func:`one_class_auroc`) trains on the training
images of one class and scores the whole test set, the other classes being the anomalies (Ruff et
al., "Deep one-class classification", ICML 2018, and the papers after it).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from synaptica.random import SeedLike, as_generator, stream
from synaptica.unsupervised.distances import nearest
from synaptica.unsupervised.inputs import check_features, check_fitted, data_matrix
from synaptica.unsupervised.kmeans import KMeans
from synaptica.unsupervised.pca import PCA

#: A fitted scorer: points (n, d) → anomaly scores (n,), higher for more anomalous points.
Scorer = Callable[[np.ndarray], np.ndarray]


def auroc(scores, is_anomaly) -> float:
    """Area under the ROC curve of ``scores`` for the labels ``is_anomaly`` (True: anomaly).

    Computed from ranks, as the Mann–Whitney U statistic: with R the sum of the anomalies' ranks
    among all scores (1 for the lowest), n₊ anomalies and n₋ normal points,

        AUROC = (R − n₊(n₊ + 1)/2) / (n₊ n₋)

    Tied scores share the average of their ranks, so a tie between an anomaly and a normal point
    counts one half, as the trapezoids of the ROC curve do.
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    positive = np.asarray(is_anomaly).ravel().astype(bool)
    if len(scores) != len(positive):
        raise ValueError(f"auroc: {len(scores)} scores but {len(positive)} labels")
    if not np.isfinite(scores).all():
        raise ValueError("auroc: the scores hold NaN or infinite values")
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"auroc needs anomalies and normal points, got {n_pos} anomalies and {n_neg} normal points")
    order = np.argsort(scores, kind="stable")
    ordered = scores[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])  # the first index of each run of ties
    ends = np.r_[starts[1:], len(ordered)]
    ranks = np.empty(len(scores))
    ranks[order] = np.repeat((starts + ends + 1) / 2, ends - starts)  # 1-based ranks, ties averaged
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def pca_scores(pca: PCA, x) -> np.ndarray:
    """‖x − x̂‖², the squared error of each point's reconstruction from a fitted PCA."""
    x = data_matrix("pca_scores", x)
    error = x - pca.inverse_transform(pca.transform(x))
    return np.einsum("ij,ij->i", error, error)


def kmeans_scores(kmeans: KMeans, x) -> np.ndarray:
    """minⱼ ‖x − μⱼ‖², the squared distance of each point to the nearest fitted centre."""
    check_fitted(kmeans, "cluster_centers_")
    x = check_features("kmeans_scores", data_matrix("kmeans_scores", x), kmeans.n_features_in_)
    centres = kmeans.cluster_centers_
    return nearest(x.astype(centres.dtype, copy=False), centres)[1].astype(np.float64)


def autoencoder_scores(model, x, batch_size: int = 1000) -> np.ndarray:
    """‖x − x̂‖², the squared error of each point's reconstruction x̂ = model(x) by an autoencoder."""
    from synaptica.train.evaluate import predict

    x = data_matrix("autoencoder_scores", x)
    error = predict(model, x, batch_size).astype(np.float64) - x
    return np.einsum("ij,ij->i", error, error)


def pca_scorer(x_train, rng: SeedLike = None, n_components: int | float = 0.9) -> Scorer:
    """Fit PCA on the normal points; score by reconstruction error."""
    pca = PCA(n_components).fit(x_train)
    return lambda x: pca_scores(pca, x)


def kmeans_scorer(x_train, rng: SeedLike = None, n_clusters: int = 10, n_init: int = 3) -> Scorer:
    """Fit k-means on the normal points; score by the squared distance to the nearest centre."""
    kmeans = KMeans(n_clusters, n_init=n_init, random_state=stream(rng, "kmeans")).fit(x_train)
    return lambda x: kmeans_scores(kmeans, x)


def autoencoder_scorer(x_train, rng: SeedLike = None, hidden=(256,), code: int = 32, epochs: int = 10,
                       batch_size: int = 64, eta: float = 1e-3) -> Scorer:
    """Train a dense autoencoder (``hidden`` layers, a ``code`` of that many units) on the normal
    points with the quadratic cost and Adam; score by reconstruction error."""
    from synaptica.losses import QuadraticCost
    from synaptica.models import dense_autoencoder
    from synaptica.optim import Adam
    from synaptica.rules import Backprop
    from synaptica.train.fit import fit

    x_train = data_matrix("autoencoder_scorer", x_train).astype(np.float32, copy=False)
    generator = as_generator(rng)
    model = dense_autoencoder(x_train.shape[1], list(hidden), code, rng=stream(generator, "weights"))
    fit(model, Backprop(QuadraticCost(), Adam(model.parameters(), eta)), x_train, epochs=epochs,
        batch_size=batch_size, rng=stream(generator, "training"), verbose=False)
    return lambda x: autoencoder_scores(model, x)


def vae_scores(model, x, samples: int = 10, rng: SeedLike = None) -> np.ndarray:
    """−log p(x) of each point under a trained :class:`~synaptica.models.VAE`, the points binarised at
    the fixed threshold 0.5, estimated with ``samples`` importance samples (1: the −ELBO)."""
    from synaptica.data.binarize import binarize

    x = data_matrix("vae_scores", x)
    return -model.log_likelihood(binarize(x), samples=samples, rng=rng, batch_size=max(1, 10_000 // samples))


def vae_scorer(x_train, rng: SeedLike = None, hidden=(256,), latent: int = 16, epochs: int = 10,
               batch_size: int = 100, eta: float = 1e-3, samples: int = 10) -> Scorer:
    """Train a dense Gaussian VAE (Bernoulli decoder) on the normal points binarised at 0.5 with the
    variational rule and Adam; score by the importance-sampled −log p(x), ``samples`` draws a point."""
    from synaptica.data.binarize import binarize
    from synaptica.models import dense_vae
    from synaptica.optim import Adam
    from synaptica.rules import Variational
    from synaptica.train.fit import fit

    x_train = binarize(data_matrix("vae_scorer", x_train))
    generator = as_generator(rng)
    model = dense_vae(x_train.shape[1], list(hidden), latent, rng=stream(generator, "weights"))
    fit(model, Variational(Adam(model.parameters(), eta)), x_train, epochs=epochs, batch_size=batch_size,
        rng=stream(generator, "training"), verbose=False)
    scoring = stream(generator, "scoring")
    return lambda x: vae_scores(model, x, samples, scoring)


#: The scorers by name: each ``make(x_train, rng, **options) -> scorer``.
SCORERS = {"pca": pca_scorer, "kmeans": kmeans_scorer, "autoencoder": autoencoder_scorer, "vae": vae_scorer}


def one_class_auroc(make_scorer: Callable[..., Scorer], x_train, y_train, x_test, y_test, normal: int,
                    rng: SeedLike = None, **options) -> float:
    """The one-class protocol for class ``normal``: fit a scorer on the training points of that class
    alone, score every test point, and return the AUROC with the other classes as anomalies."""
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    x_normal = np.asarray(x_train)[y_train == normal]
    if not len(x_normal):
        raise ValueError(f"one_class_auroc: no training points of class {normal}")
    scorer = make_scorer(x_normal.reshape(len(x_normal), -1), rng, **options)
    return auroc(scorer(np.asarray(x_test).reshape(len(x_test), -1)), y_test != normal)
