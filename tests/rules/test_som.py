"""Kohonen's online and batch SOM rules: reductions to known answers (competitive learning at σ = 0,
the mean on a 1 × 1 map), MiniSom's updates to the last bit, the digits figure, exact resumption from
a checkpoint, and what they refuse."""

import numpy as np
import pytest

from synaptica import fit
from synaptica.data.digits import load_digits
from synaptica.models import SelfOrganizingMap
from synaptica.rules import RULES, BatchSOM, OnlineSOM, make_rule
from synaptica.rules.som import asymptotic_decay
from synaptica.train import MapQuality
from synaptica.train.checkpoints import Checkpoint

from tests.rules.resume import assert_resumes_exactly


def test_schedules_fall_to_a_third_after_the_run():
    assert asymptotic_decay(4.0, 0, 100) == 4.0
    assert asymptotic_decay(4.0, 100, 100) == pytest.approx(4.0 / 3)
    rule = OnlineSOM(100, sigma=3.0, learning_rate=0.6)
    assert (rule.sigma_at(50), rule.learning_rate_at(50)) == (1.5, 0.3)


def test_with_sigma_zero_an_online_step_is_a_competitive_learning_step():
    """σ = 0: the neighbourhood is the BMU alone, so each example moves only its nearest prototype,
    by η(t)(x − w_c): online k-means (competitive learning)."""
    rng = np.random.default_rng(0)
    start = rng.normal(size=(6, 3))
    som = SelfOrganizingMap(2, 3, start.copy())
    rule = OnlineSOM(10, sigma=0.0, learning_rate=0.5)
    rule.bind(som, rng)
    x = rng.normal(size=(4, 3))
    rule.step(som, (x,))
    expected = start.copy()
    for t, point in enumerate(x):
        c = ((expected - point) ** 2).sum(axis=1).argmin()
        expected[c] += asymptotic_decay(0.5, t, 10) * (point - expected[c])
    np.testing.assert_allclose(som.prototypes, expected, rtol=1e-12)
    assert rule.t == 4


def test_on_a_one_unit_map_the_prototype_becomes_the_mean():
    x = np.random.default_rng(1).normal(size=(200, 4)) + 3.0
    som = SelfOrganizingMap(1, 1, np.zeros((1, 4)))
    BatchSOM(1, sigma=1.0).step(som, (x,))
    np.testing.assert_allclose(som.prototypes[0], x.mean(axis=0), rtol=1e-12)
    online = SelfOrganizingMap(1, 1, np.zeros((1, 4)))
    fit(online, OnlineSOM(20 * len(x), sigma=1.0, learning_rate=0.02), x, epochs=20, batch_size=50, rng=0,
        verbose=False)
    np.testing.assert_allclose(online.prototypes[0], x.mean(axis=0), atol=0.2)  # η(t) ≈ 0.007 at the end


def test_a_batch_step_is_the_neighbourhood_weighted_mean():
    rng = np.random.default_rng(2)
    som = SelfOrganizingMap(2, 2, rng.normal(size=(4, 2)))
    x = rng.normal(size=(30, 2))
    winners = som.best_matching_units(x)
    d2 = ((som.grid[winners][:, None] - som.grid[None]) ** 2).sum(-1)
    h = np.exp(-d2 / (2 * 0.8 ** 2))
    BatchSOM(5, sigma=0.8).step(som, (x,))
    np.testing.assert_allclose(som.prototypes, (h.T @ x) / h.sum(axis=0)[:, None], rtol=1e-12)


@pytest.mark.parametrize("neighbourhood", ["gaussian", "bubble", "triangle"])
def test_the_online_rule_makes_minisoms_updates(neighbourhood):
    """The same PCA start, examples in the same order and the same decay give MiniSom's prototypes."""
    minisom = pytest.importorskip("minisom")
    x = np.random.default_rng(0).normal(size=(200, 5))
    theirs = minisom.MiniSom(6, 4, 5, sigma=2, learning_rate=0.5, neighborhood_function=neighbourhood, random_seed=1)
    theirs.pca_weights_init(x)
    ours = SelfOrganizingMap.pca(6, 4, x)
    np.testing.assert_array_equal(ours.prototypes.reshape(6, 4, 5), theirs.get_weights())
    theirs.train(x, 300)
    rule = OnlineSOM(300, sigma=2, learning_rate=0.5, neighbourhood=neighbourhood)
    rule.bind(ours, np.random.default_rng(0))
    order = x[np.arange(300) % 200]
    for start in range(0, 300, 50):
        rule.step(ours, (order[start:start + 50],))
    np.testing.assert_allclose(ours.prototypes.reshape(6, 4, 5), theirs.get_weights(), rtol=1e-12, atol=1e-12)
    assert ours.quantization_error(x) == pytest.approx(theirs.quantization_error(x), rel=1e-12)
    assert ours.topographic_error(x) == theirs.topographic_error(x)


def test_minisoms_digits_example_reaches_its_quantization_error():
    """MiniSom's digits example: 1,797 standardised images, 30 × 30 PCA-initialised map, σ = 4,
    η = 0.5, triangle neighbourhood, 5,000 online steps in random order. MiniSom reports 3.046."""
    splits = load_digits()
    x = np.concatenate([splits.train.x, splits.validation.x, splits.test.x]).reshape(1797, -1).astype(np.float64)
    spread = x.std(axis=0)
    x = (x - x.mean(axis=0)) / np.where(spread > 0, spread, 1)
    som = SelfOrganizingMap.pca(30, 30, x)
    history = fit(som, OnlineSOM(5000, sigma=4.0, learning_rate=0.5, neighbourhood="triangle"),
                  x[np.arange(5000) % len(x)], epochs=1, batch_size=100, rng=0, verbose=False,
                  evaluators=[MapQuality(x, "train")])
    assert history["train_quantization_error"][-1] <= 3.05
    assert history["train_topographic_error"][-1] < 0.25


@pytest.mark.parametrize("make", [lambda: OnlineSOM(300, sigma=2.0, learning_rate=0.5),
                                  lambda: BatchSOM(12, sigma=2.0, neighbourhood="bubble")])
def test_the_step_counter_is_the_state_a_resumed_rule_needs(make):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 3))
    batches = [(x[i:i + 25],) for i in range(0, 400, 25)]
    assert_resumes_exactly(lambda: (SelfOrganizingMap(3, 3, x[:9].copy()), make()), batches, split=6)
    rule = make()
    rule.load_state_dict({"som.t": np.array(7)})
    assert rule.t == 7


def test_a_run_resumed_from_a_checkpoint_ends_with_the_same_prototypes(tmp_path):
    """The prototypes are the model's buffer and t the rule's state: two epochs, then a third resumed
    from the file, give bitwise the prototypes of three at once (the schedule continues from t)."""
    x = np.random.default_rng(4).normal(size=(300, 4)).astype(np.float32)

    def train(directory, epochs, resume=None):
        som = SelfOrganizingMap.pca(4, 5, x, dtype=np.float32)
        fit(som, OnlineSOM(900, sigma=2.0, learning_rate=0.5), x, epochs=epochs, batch_size=32, rng=0, verbose=False,
            callbacks=[Checkpoint(directory)], resume=resume)
        return som.prototypes

    whole = train(tmp_path / "whole", 3)
    train(tmp_path / "first", 2)
    assert np.array_equal(train(tmp_path / "resumed", 3, resume=tmp_path / "first"), whole)


def test_the_rules_are_registered_and_refuse_what_they_cannot_train():
    assert RULES["som"] is OnlineSOM and RULES["batch-som"] is BatchSOM
    assert isinstance(make_rule("batch-som", iterations=5), BatchSOM)
    from synaptica.nn import mlp

    with pytest.raises(TypeError, match="trains the prototypes of a SelfOrganizingMap, got Sequential"):
        OnlineSOM(10).bind(mlp([4, 2]), np.random.default_rng(0))
    som = SelfOrganizingMap(2, 2, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="prototypes have 3 features but the data's points have 4"):
        BatchSOM(10).step(som, (np.zeros((5, 4)),))
    with pytest.raises(ValueError, match="iterations .* must be an integer >= 1"):
        OnlineSOM(0)
    with pytest.raises(ValueError, match="unknown neighbourhood 'mexican-hat'"):
        OnlineSOM(10, neighbourhood="mexican-hat")
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        BatchSOM(10, sigma=-1.0)
