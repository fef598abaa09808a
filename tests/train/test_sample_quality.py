"""The Fréchet distance against closed forms and scipy's matrix square root; the sample scores."""

import numpy as np
import pytest
import scipy.linalg

from synaptica.nn import mlp
from synaptica.train.sample_quality import SampleQuality, frechet_distance, gaussian_statistics


def random_covariance(rng, d):
    a = rng.standard_normal((d, d + 3))
    return a @ a.T / (d + 3)


def scipy_frechet(mu1, s1, mu2, s2):
    """The usual reference formula (Heusel et al.'s code): ‖Δμ‖² + tr(S1 + S2 − 2 sqrtm(S1 S2))."""
    cross = scipy.linalg.sqrtm(s1 @ s2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(cross).real)


def test_one_dimensional_gaussians_are_the_squared_difference_of_means_and_deviations():
    # W2(N(m1, σ1²), N(m2, σ2²))² = (m1 − m2)² + (σ1 − σ2)²
    assert frechet_distance([1.0], [[4.0]], [-2.0], [[0.25]]) == pytest.approx(9.0 + 1.5 ** 2, rel=1e-12)


def test_commuting_covariances_give_the_sum_over_axes():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    a, b = rng.uniform(0.1, 3.0, 5), rng.uniform(0.1, 3.0, 5)
    mu1, mu2 = rng.standard_normal(5), rng.standard_normal(5)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("d", [2, 10, 64])
def test_matches_scipys_matrix_square_root_and_is_symmetric(d):
    rng = np.random.default_rng(d)
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    s1, s2 = random_covariance(rng, d), random_covariance(rng, d)
    ours = frechet_distance(mu1, s1, mu2, s2)
    assert ours == pytest.approx(scipy_frechet(mu1, s1, mu2, s2), rel=1e-7)
    assert ours == pytest.approx(frechet_distance(mu2, s2, mu1, s1), rel=1e-9)
    assert frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=1e-8)


def test_samples_of_two_gaussians_estimate_their_distance():
    rng = np.random.default_rng(0)
    s1, s2 = random_covariance(rng, 4), random_covariance(rng, 4)
    mu2 = np.array([1.0, 0.0, -1.0, 0.5])
    x = rng.multivariate_normal(np.zeros(4), s1, 200_000)
    y = rng.multivariate_normal(mu2, s2, 200_000)
    estimate = frechet_distance(*gaussian_statistics(x), *gaussian_statistics(y))
    assert estimate == pytest.approx(frechet_distance(np.zeros(4), s1, mu2, s2), rel=0.02)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="one dimension"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="n >= 2"):
        gaussian_statistics(np.zeros((1, 3)))


def test_real_images_score_near_zero_and_reach_every_class(fashion):
    x, y = fashion.train.x[:3000], fashion.train.y[:3000]
    classifier = mlp([784, 32, 10], "relu", rng=0)
    from synaptica import Backprop, LogLikelihoodCost, fit
    from synaptica.optim import Adam

    fit(classifier, Backprop(LogLikelihoodCost(), Adam(classifier.parameters(), 1e-3)), (x, y), epochs=3,
        batch_size=64, rng=0, verbose=False)
    quality = SampleQuality(classifier, fashion.test.x[:2000])
    real = quality.scores(fashion.validation.x[:1000])
    noise = quality.scores(np.random.default_rng(0).uniform(size=(1000, 784)).astype(np.float32))
    one_class = quality.scores(np.repeat(fashion.validation.x[:1], 1000, axis=0))
    assert real["samples_classes"] == 10 and one_class["samples_classes"] == 1
    assert real["samples_frechet"] < 0.1 * noise["samples_frechet"]
    assert real["samples_frechet"] < 0.2 * one_class["samples_frechet"]  # no variety is penalised
    assert 0.5 < real["samples_confidence"] <= 1.0
