"""Feedback alignment: equal to backprop when B = W, different otherwise, its matrices its own, and it
learns real data (with the angle to backprop's update falling below 90°)."""

import numpy as np
import pytest

from synaptica import Backprop, CrossEntropyCost, FeedbackAlignment, LogLikelihoodCost, QuadraticCost, SGD, fit
from synaptica.nn import Conv2d, Flatten, Linear, MaxPool2d, Maxout, Module, Parameter, ReLU, Sequential, mlp
from synaptica.rules.alignment import UpdateAlignment, angle
from synaptica.train import evaluate
from tests.rules.resume import assert_resumes_exactly


def _trained_weights(rule_class, tie_feedback: bool, batches, model=None) -> list[np.ndarray]:
    model = model or mlp([20, 16, 8, 4], "sigmoid", output_activation="sigmoid", rng=7)
    rule = rule_class(QuadraticCost(), SGD(model.parameters(), learning_rate=0.5))
    rule.bind(model, np.random.default_rng(0))
    if tie_feedback:
        for name, layer in rule._layers:
            rule.matrices[name] = layer.weight.data  # the same array: B stays equal to W as W learns
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


def _small_cnn(seed):
    return Sequential([Conv2d(1, 3, 3, rng=seed), ReLU(), MaxPool2d(2), Conv2d(3, 4, 3, rng=seed), ReLU(),
                       Flatten(), Maxout(4 * 2 * 2, 5, pieces=2, rng=seed), Linear(5, 4, rng=seed)])


def test_convolution_and_maxout_use_their_feedback_kernels_too(rng):
    cnn_batches = [(rng.random((6, 1, 10, 10), dtype=np.float32), rng.integers(0, 4, 6)) for _ in range(5)]

    def train(rule_class, tie):
        model = _small_cnn(3)
        rule = rule_class(LogLikelihoodCost(), SGD(model.parameters(), learning_rate=0.1))
        rule.bind(model, np.random.default_rng(0))
        if tie:
            for name, layer in rule._layers:
                rule.matrices[name] = layer.weight.data
        for batch in cnn_batches:
            rule.step(model, batch)
        return [p.data.copy() for p in model.parameters()]

    backprop, tied, random = train(Backprop, False), train(FeedbackAlignment, True), train(FeedbackAlignment, False)
    assert all(np.array_equal(a, b) for a, b in zip(backprop, tied))
    # the first convolution's kernels learn from errors sent back through random kernels, not W
    assert not np.allclose(backprop[0], random[0])


def test_the_matrices_belong_to_the_rule_and_are_seeded():
    a, b = mlp([6, 5, 3], rng=0), mlp([6, 5, 3], rng=0)
    rules = [FeedbackAlignment(QuadraticCost(), SGD(model.parameters(), 1.0)) for model in (a, b)]
    for rule, model in zip(rules, (a, b)):
        rule.bind(model, np.random.default_rng(4))
    assert sorted(rules[0].matrices) == ["layers.0", "layers.2"]
    assert np.array_equal(rules[0].matrices["layers.2"], rules[1].matrices["layers.2"])
    assert rules[0].matrices["layers.2"].shape == a.layers[2].weight.shape
    rules[0].step(a, (np.ones((2, 6), np.float32), np.array([0, 1])))
    assert "feedback" not in vars(a.layers[2]) and a.layers[2].feedback is None  # lent for the step only


def test_b_is_independent_of_w_when_model_and_fit_share_a_seed(fashion):
    """The README's own example gives mlp and fit the same integer seed: B must not be a copy of W."""
    for init in ("he", "nielsen"):
        model = mlp([784, 100, 10], "relu", init=init, rng=0)
        rule = FeedbackAlignment(LogLikelihoodCost(), SGD(model.parameters(), 0.1))
        fit(model, rule, (fashion.train.x[:20], fashion.train.y[:20]), epochs=0, batch_size=10, rng=0, verbose=False)
        initial = mlp([784, 100, 10], "relu", init=init, rng=0)
        for index in (0, 2):
            w = initial.layers[index].weight.data.ravel()
            b = rule.matrices[f"layers.{index}"].ravel()
            for shift in (0, 1, -1, len(b) // 2):  # nor a copy shifted by some rows
                correlation = np.corrcoef(w, np.roll(b, shift))[0, 1]
                assert abs(correlation) < 5 / np.sqrt(len(w)), (init, index, shift, correlation)


def test_state_dict_resumes_exactly(batches):
    def fresh():
        model = mlp([20, 16, 8, 4], "sigmoid", output_activation="sigmoid", rng=7)
        return model, FeedbackAlignment(QuadraticCost(), SGD(model.parameters(), 0.5, momentum=0.9))

    assert_resumes_exactly(fresh, batches)


class _Bilinear(Module):
    def __init__(self):
        self.weight = Parameter(np.ones((3, 3), np.float32))

    def forward(self, x):
        return x @ self.weight


def test_a_layer_it_cannot_train_is_refused_by_name():
    model = Sequential([Linear(3, 3, rng=0), ReLU(), _Bilinear(), Linear(3, 2, rng=0)])
    rule = FeedbackAlignment(QuadraticCost(), SGD(model.parameters(), 0.1))
    with pytest.raises(ValueError, match=r"FeedbackAlignment cannot train layers\.2 _Bilinear"):
        rule.bind(model, np.random.default_rng(0))


def test_angle_is_zero_for_backprop_and_for_tied_feedback(batches):
    model = mlp([20, 16, 8, 4], "sigmoid", rng=7)
    rule = FeedbackAlignment(QuadraticCost(), SGD(model.parameters(), 0.5))
    rule.bind(model, np.random.default_rng(0))
    x, y = np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
    random_angles = UpdateAlignment(rule, x, y)(model)
    assert random_angles["angle_layers.4.weight"] == pytest.approx(0, abs=1e-3)  # the output layer: true error
    assert random_angles["angle_layers.0.weight"] > 1
    for name, layer in rule._layers:
        rule.matrices[name] = layer.weight.data
    tied = UpdateAlignment(rule, x, y)(model)
    assert all(value == pytest.approx(0, abs=1e-3) for value in tied.values())
    assert angle(np.array([1.0, 0.0]), np.array([0.0, 2.0])) == pytest.approx(90)


@pytest.mark.slow
def test_feedback_alignment_learns_fashion_mnist_and_aligns(fashion):
    """[784, 100, 10] sigmoid, cross-entropy, η = 0.1, λ = 1: ≥ 0.84 test accuracy after 6 epochs, and the
    hidden layer's update within 90° of backprop's after every epoch.

    (network2's η = 0.5, λ = 5 swings by several points from epoch to epoch under feedback alignment.)"""
    model = mlp([784, 100, 10], "sigmoid", init="nielsen", rng=0)
    train = fashion.train
    rule = FeedbackAlignment(CrossEntropyCost(), SGD(model.parameters(), 0.1, lmbda=1.0, n_examples=len(train.x)))
    alignment = UpdateAlignment(rule, train.x[:1000], train.y[:1000], layers=["layers.0.weight"])
    history = fit(model, rule, (train.x, train.y), epochs=6, batch_size=10, rng=0, verbose=False,
                  evaluators=[alignment])
    assert evaluate(model, fashion.test.x, fashion.test.y).accuracy >= 0.84
    angles = history["angle_layers.0.weight"]
    assert max(angles) < 90
