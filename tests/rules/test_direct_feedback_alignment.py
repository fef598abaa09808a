"""Direct feedback alignment: backprop when the one feedback matrix is W², its own signals otherwise,
refusals by name, exact resume, and learning on real data."""

import numpy as np
import pytest

from synaptica import Backprop, LogLikelihoodCost, QuadraticCost, SGD, fit
from synaptica.nn import Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential, Tanh, mlp
from synaptica.optim import Adam
from synaptica.rules import DirectFeedbackAlignment
from synaptica.rules.alignment import UpdateAlignment
from synaptica.train import evaluate
from tests.rules.resume import assert_resumes_exactly


@pytest.fixture
def batches(rng):
    return [(rng.random((6, 20), dtype=np.float32), rng.integers(0, 4, 6)) for _ in range(25)]


def _train(rule_class, model, batches, cost=None, tie=False, seed=0):
    rule = rule_class(cost or QuadraticCost(), SGD(model.parameters(), learning_rate=0.5))
    rule.bind(model, np.random.default_rng(seed))
    for batch in batches:
        if tie:  # B¹ = W², the output layer's current weights
            rule.matrices["layers.2"] = model.layers[2].weight.data
        rule.step(model, batch)
    return rule, [p.data.copy() for p in model.parameters()]


@pytest.mark.parametrize("cost", [QuadraticCost(), LogLikelihoodCost()])
def test_one_hidden_layer_with_b_equal_w2_is_backprop_exactly(batches, cost):
    activation = "sigmoid" if cost.name == "quadratic" else None
    build = lambda: mlp([20, 16, 4], "tanh", output_activation=activation, rng=3)  # noqa: E731
    _, backprop = _train(Backprop, build(), batches, cost)
    _, direct = _train(DirectFeedbackAlignment, build(), batches, cost, tie=True)
    assert all(np.array_equal(a, b) for a, b in zip(backprop, direct))


def test_every_hidden_layer_gets_its_own_signal(batches):
    rule, direct = _train(DirectFeedbackAlignment, mlp([20, 16, 8, 4], "sigmoid", rng=3), batches[:1])
    _, backprop = _train(Backprop, mlp([20, 16, 8, 4], "sigmoid", rng=3), batches[:1])
    assert sorted(rule.matrices) == ["layers.2", "layers.4"]
    assert rule.matrices["layers.2"].shape == (4, 16) and rule.matrices["layers.4"].shape == (4, 8)
    assert np.array_equal(direct[-1], backprop[-1]) and np.array_equal(direct[-2], backprop[-2])  # output layer
    assert not np.allclose(direct[0], backprop[0]) and not np.allclose(direct[2], backprop[2])


def test_convolutional_blocks_and_dropout_train(rng):
    model = Sequential([Conv2d(1, 4, 3, rng=0), ReLU(), MaxPool2d(2), Flatten(), Dropout(0.2, rng=0),
                        Linear(4 * 4 * 4, 10, rng=0), Tanh(), Linear(10, 3, rng=0)])
    batches = [(rng.random((5, 1, 10, 10), dtype=np.float32), rng.integers(0, 3, 5)) for _ in range(3)]
    before = [p.data.copy() for p in model.parameters()]
    rule, after = _train(DirectFeedbackAlignment, model, batches, LogLikelihoodCost())
    assert rule.matrices["layers.5"].shape == (3, 64) and rule.matrices["layers.7"].shape == (3, 10)
    assert not np.allclose(before[0], after[0])  # the convolution learns from e B directly


def test_what_it_cannot_cut_is_refused_by_name():
    rule = DirectFeedbackAlignment(QuadraticCost(), SGD(mlp([3, 2]).parameters(), 0.1))
    with pytest.raises(ValueError, match="needs a hidden layer below the output layer"):
        rule.bind(mlp([3, 2]), np.random.default_rng(0))
    with pytest.raises(ValueError, match="cuts a Sequential model into blocks"):
        rule.bind(Linear(3, 2), np.random.default_rng(0))


def test_state_dict_resumes_exactly(batches):
    def fresh():
        model = mlp([20, 16, 8, 4], "relu", init="he", rng=1)
        return model, DirectFeedbackAlignment(LogLikelihoodCost(), Adam(model.parameters(), 1e-2))

    assert_resumes_exactly(fresh, batches)


@pytest.mark.slow
def test_direct_feedback_alignment_learns_fashion_mnist(fashion):
    """[784, 256, 256, 10] tanh, Adam: ≥ 0.76 test accuracy after one epoch on 10,000 images (measured
    0.7993 and 0.7953 for seeds 0 and 1; backprop 0.8217 and 0.8262), every hidden update within 90° of
    backprop's (the full-size comparison is in docs/rules.md)."""
    model = mlp([784, 256, 256, 10], "tanh", init="xavier", rng=0)
    rule = DirectFeedbackAlignment(LogLikelihoodCost(), Adam(model.parameters(), 1e-3))
    x, y = fashion.train.x[:10000], fashion.train.y[:10000]
    history = fit(model, rule, (x, y), epochs=1, batch_size=32, rng=0, verbose=False,
                  evaluators=[UpdateAlignment(rule, x[:500], y[:500])])
    assert evaluate(model, fashion.test.x, fashion.test.y).accuracy >= 0.76
    assert history["angle_layers.0.weight"][-1] < 90 and history["angle_layers.2.weight"][-1] < 90
