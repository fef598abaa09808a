"""Predictive distributions, entropy and calibration: hand-computed cases, and a real-data run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synaptica.errors import ShapeError
from synaptica.losses import LogLikelihoodCost
from synaptica.nn import BayesLinear, bayes_mlp, mlp, variational_cost
from synaptica.optim import Adam
from synaptica.rules import Backprop
from synaptica.train import Calibration, expected_calibration_error, fit, predictive_entropy, predictive_probabilities
from synaptica.train.calibration import reliability
from tests.png_check import assert_png_not_blank


def test_ece_of_a_hand_computed_case():
    p = np.array([[0.9, 0.1], [0.9, 0.1], [0.62, 0.38], [0.55, 0.45]])
    y = np.array([0, 1, 0, 0])
    # 15 bins of width 1/15: 0.9 -> bin 13 (two predictions, one right: |0.5 − 0.9|),
    # 0.62 -> bin 9 (right: |1 − 0.62|), 0.55 -> bin 8 (right: |1 − 0.55|)
    expected = 2 / 4 * 0.4 + 1 / 4 * 0.38 + 1 / 4 * 0.45
    assert expected_calibration_error(p, y) == pytest.approx(expected, abs=1e-12)
    table = reliability(p, y)
    assert list(np.flatnonzero(table["count"])) == [8, 9, 13]
    assert table["accuracy"][13] == 0.5 and table["confidence"][13] == pytest.approx(0.9)
    assert table["ece"] == expected_calibration_error(p, y)
    # a model always right with confidence 1 is calibrated; one always wrong at 1 is off by 1
    sure = np.eye(3)[[0, 1, 2, 1]]
    assert expected_calibration_error(sure, np.array([0, 1, 2, 1])) == 0.0
    assert expected_calibration_error(sure, np.array([1, 2, 0, 0])) == 1.0
    # the bins are right-closed: 2/3 = 10/15 exactly falls in bin 9, (9/15, 10/15]
    assert np.flatnonzero(reliability(np.array([[2 / 3, 1 / 3]]), np.array([0]))["count"]) == [9]


def test_entropy_of_sure_and_uniform_predictions():
    h = predictive_entropy(np.array([[1.0, 0, 0, 0, 0], [0.2] * 5, [0.5, 0.5, 0, 0, 0]]))
    np.testing.assert_allclose(h, [0.0, math.log(5), math.log(2)], rtol=1e-12)


def test_bad_shapes_are_named():
    with pytest.raises(ShapeError, match=r"reliability: probabilities \(n, classes\) and labels \(n,\)"):
        expected_calibration_error(np.ones((3, 2)) / 2, np.zeros(4, dtype=int))


def test_sampled_predictions_average_networks_and_a_plain_model_ignores_samples():
    x = np.random.default_rng(0).random((20, 6), dtype=np.float32)
    plain = mlp([6, 5, 3], "relu", rng=0)
    np.testing.assert_allclose(predictive_probabilities(plain, x, samples=4), predictive_probabilities(plain, x),
                               rtol=1e-6)
    bayes = bayes_mlp([6, 5, 3], rng=0, rho_init=0.0)
    mean = predictive_probabilities(bayes, x)
    four = predictive_probabilities(bayes, x, samples=4, rng=1)
    np.testing.assert_array_equal(four, predictive_probabilities(bayes, x, samples=4, rng=1))  # same seed, same draws
    assert not np.allclose(four, mean)
    np.testing.assert_allclose(four.sum(axis=1), 1.0, rtol=1e-12)
    # averaging spreads the distribution: the mean of K softmaxes has more entropy than a typical one
    singles = [predictive_entropy(predictive_probabilities(bayes, x, samples=1, rng=s)).mean() for s in range(4)]
    assert predictive_entropy(four).mean() >= np.mean(singles)


def test_the_evaluator_reports_entropy_and_with_labels_accuracy_and_ece():
    x = np.random.default_rng(0).random((30, 6), dtype=np.float32)
    y = np.arange(30) % 3
    model = bayes_mlp([6, 4, 3], rng=0)
    metrics = Calibration(x, y, samples=3, name="test")(model)
    assert set(metrics) == {"test_entropy", "test_accuracy", "test_ece"}
    p = predictive_probabilities(model, x, samples=3, rng=0)
    assert metrics["test_ece"] == expected_calibration_error(p, y)
    assert set(Calibration(x, name="noise")(model)) == {"noise_entropy"}


@pytest.mark.slow
def test_bayes_by_backprop_is_unsure_of_classes_it_never_saw(fashion, tmp_path):
    """After a short run on Fashion-MNIST classes 0–4, the Bayesian network's mean predictive
    entropy on test images of classes 5–9 is far above that on test images of classes 0–4 (about
    2.4–2.6 times over seeds 0–3; asserted: 1.8)."""
    train, test = fashion.train, fashion.test
    known = train.y < 5
    x, y = train.x[known][:12000], train.y[known][:12000]
    model = bayes_mlp([784, 100, 5], rng=0)
    rule = Backprop(variational_cost(LogLikelihoodCost(), model, math.ceil(len(x) / 100)), Adam(model.parameters(), 1e-3))
    seen = test.y < 5
    evaluators = [Calibration(test.x[seen][:1000], test.y[seen][:1000], samples=5, name="test"),
                  Calibration(test.x[~seen][:1000], samples=5, name="unseen")]
    history = fit(model, rule, (x, y), epochs=3, batch_size=100, rng=0, verbose=False, evaluators=evaluators)
    assert history["test_accuracy"][-1] > 0.8
    assert history["unseen_entropy"][-1] > 1.8 * history["test_entropy"][-1]
    from synaptica.viz.calibration import plot_entropy, plot_reliability

    p = predictive_probabilities(model, test.x[seen][:1000], samples=5)
    plot_reliability({"Bayes by backprop": reliability(p, test.y[seen][:1000])}, tmp_path / "reliability.png")
    plot_entropy({"Bayes by backprop": {"test": predictive_entropy(p)}}, tmp_path / "entropy.png", classes=5)
    assert_png_not_blank(tmp_path / "reliability.png")
    assert_png_not_blank(tmp_path / "entropy.png")
