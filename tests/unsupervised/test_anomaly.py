"""Anomaly scores and AUROC: the rank formula against scikit-learn, and the one-class protocol on
two Fashion-MNIST classes."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from synaptica.unsupervised import KMeans, PCA
from synaptica.unsupervised.anomaly import (SCORERS, auroc, kmeans_scores, one_class_auroc, pca_scores)
from tests.conftest import REPO, run_python


@pytest.mark.parametrize("seed", range(4))
def test_auroc_matches_scikit_learn_with_and_without_ties(seed):
    rng = np.random.default_rng(seed)
    labels = rng.random(500) < 0.2
    for scores in (rng.normal(size=500) + labels, rng.integers(0, 4, 500), np.ones(500)):
        assert auroc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


def test_auroc_of_a_perfect_and_a_reversed_ranking():
    labels = np.array([0, 0, 1, 1], bool)
    assert auroc([1, 2, 3, 4], labels) == 1.0 and auroc([4, 3, 2, 1], labels) == 0.0


def test_auroc_refuses_what_it_cannot_rank():
    with pytest.raises(ValueError, match="needs anomalies and normal points, got 0 anomalies and 3"):
        auroc([1, 2, 3], [False] * 3)
    with pytest.raises(ValueError, match="3 scores but 2 labels"):
        auroc([1, 2, 3], [True, False])
    with pytest.raises(ValueError, match="NaN"):
        auroc([1, np.nan], [True, False])


def test_scores_are_the_squared_reconstruction_and_centre_distances(images):
    pca = PCA(10).fit(images[:500])
    x = images[500:510]
    np.testing.assert_allclose(pca_scores(pca, x), ((x - pca.inverse_transform(pca.transform(x))) ** 2).sum(1))
    kmeans = KMeans(3, n_init=1, random_state=0).fit(images[:500])
    np.testing.assert_allclose(kmeans_scores(kmeans, x), kmeans.transform(x).min(axis=1) ** 2, rtol=1e-9)


@pytest.mark.parametrize("scorer, options", [("pca", {"n_components": 10}), ("kmeans", {"n_clusters": 5}),
                                             ("autoencoder", {"epochs": 2, "hidden": (64,), "code": 8}),
                                             ("vae", {"epochs": 2, "hidden": (64,), "latent": 8, "samples": 5})])
def test_one_class_protocol_finds_sneakers_among_trousers(fashion, scorer, options):
    """Trousers (1) against sneakers (7), 2,000 training images of the normal class: a clear case."""
    train, test = fashion.train, fashion.test
    keep_train, keep_test = np.isin(train.y, [1, 7]), np.isin(test.y, [1, 7])
    x_train, y_train = train.x[keep_train][:4000], train.y[keep_train][:4000]
    value = one_class_auroc(SCORERS[scorer], x_train, y_train, test.x[keep_test], test.y[keep_test], 1, rng=0,
                            **options)
    assert value > 0.95


def test_one_class_protocol_refuses_a_class_without_training_points(images):
    with pytest.raises(ValueError, match="no training points of class 3"):
        one_class_auroc(SCORERS["pca"], images[:10], np.zeros(10, int), images[:10], np.zeros(10, int), 3)


@pytest.mark.slow
def test_the_example_prints_a_table_with_a_mean_row(fashion):
    result = run_python([str(REPO / "examples" / "one_class.py"), "--scorers", "pca,kmeans", "--classes", "1,7",
                         "--clusters", "5"])
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert rows["class"][-2:] == ["pca", "kmeans"] and set(rows) >= {"1", "7", "mean", "seconds"}
    assert all(float(value) > 0.9 for value in rows["mean"][1:])
