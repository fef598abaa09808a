"""Feedback alignment: equal to backprop when B = W, different otherwise, and it learns real data."""

import numpy as np
import pytest

from synaptica import Backprop, CrossEntropyCost, FeedbackAlignment, QuadraticCost, SGD, fit
from synaptica.nn import Linear, mlp
from synaptica.train import evaluate


def _trained_weights(rule_class, tie_feedback: bool, batches) -> list[np.ndarray]:
    model = mlp([20, 16, 8, 4], "sigmoid", output_activation="sigmoid", rng=7)
    if tie_feedback:
        for layer in model.modules():
            if isinstance(layer, Linear):
                layer.feedback = layer.weight.data  # the same array: B stays equal to W as W learns
    rule = rule_class(QuadraticCost(), SGD(model.parameters(), learning_rate=0.5))
    rule.bind(model, np.random.default_rng(0))
    for batch in batches:
        rule.step(model, batch)
    return [p.data.copy() for p in model.parameters()]


@pytest.fixture
def batches(rng):
    return [(rng.random((5, 20), dtype=np.float32), rng.integers(0, 4, 5)) for _ in range(30)]


def test_feedback_alignment_with_b_equal_w_is_backprop_exactly(batches):
    backprop = _trained_weights(Backprop, False, batches)
    tied = _trained_weights(FeedbackAlignment, True, batches)
    assert all(np.array_equal(a, b) for a, b in zip(backprop, tied))


def test_random_feedback_changes_the_hidden_updates_only(batches):
    backprop = _trained_weights(Backprop, False, batches[:1])
    aligned = _trained_weights(FeedbackAlignment, False, batches[:1])
    # after one step the output layer's update is identical (it gets the true error); hidden ones differ
    assert np.array_equal(backprop[-1], aligned[-1]) and np.array_equal(backprop[-2], aligned[-2])
    assert not np.array_equal(backprop[0], aligned[0])


def test_feedback_matrices_are_fixed_and_seeded():
    a, b = mlp([6, 5, 3], rng=0), mlp([6, 5, 3], rng=0)
    for model in (a, b):
        FeedbackAlignment(QuadraticCost(), SGD(model.parameters(), 1.0)).bind(model, np.random.default_rng(4))
    assert np.array_equal(a.layers[2].feedback, b.layers[2].feedback)
    assert not np.array_equal(a.layers[2].feedback, a.layers[2].weight.data)
    Backprop(QuadraticCost(), SGD(a.parameters(), 1.0)).bind(a, np.random.default_rng(0))
    assert a.layers[2].feedback is None  # binding backprop restores the exact transpose


@pytest.mark.slow
def test_feedback_alignment_learns_fashion_mnist(fashion):
    """[784, 100, 10] sigmoid, cross-entropy, η = 0.1, λ = 1: ≥ 0.84 test accuracy after 6 epochs.

    (network2's η = 0.5, λ = 5 swings by several points from epoch to epoch under feedback alignment.)"""
    model = mlp([784, 100, 10], "sigmoid", init="nielsen", rng=0)
    train = fashion.train
    rule = FeedbackAlignment(CrossEntropyCost(), SGD(model.parameters(), 0.1, l2=1.0, n_examples=len(train.x)))
    fit(model, rule, (train.x, train.y), epochs=6, batch_size=10, rng=0, verbose=False)
    assert evaluate(model, fashion.test.x, fashion.test.y).accuracy >= 0.84
