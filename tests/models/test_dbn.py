"""Deep belief nets: greedy pretraining is a sequence of fits, the MLP starts as the stack, and the net
writes digits of the label it is given."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from synaptica import SGD, Backprop, Tensor, fit
from synaptica.data import load_dataset
from synaptica.losses import LogLikelihoodCost
from synaptica.models.dbn import DeepBeliefNet
from synaptica.nn.rbm import binarise


@pytest.fixture(scope="module")
def digits():
    data = load_dataset("digits")
    x = binarise(np.concatenate([data.train.x, data.validation.x]).reshape(-1, 64))
    return x, np.concatenate([data.train.y, data.validation.y]), binarise(data.test.x.reshape(-1, 64)), data.test.y


def test_each_rbm_learns_from_the_hidden_probabilities_below_and_the_mlp_is_the_stack(digits):
    x, y, _, _ = digits
    net = DeepBeliefNet([64, 30, 20], rng=0, dtype=np.float64)
    histories = net.pretrain(x[:300], epochs=2, batch_size=10, rng=1)
    assert len(histories) == 2 and [rbm.visible for rbm in net.rbms] == [64, 30]
    assert all(not np.allclose(rbm.weight.data, 0, atol=0.05) for rbm in net.rbms)  # both were trained
    mlp = net.to_mlp(10, rng=0)
    rows = x[:5].astype(np.float64)
    features = mlp.layers[3](mlp.layers[2](mlp.layers[1](mlp.layers[0](Tensor(rows))))).data
    np.testing.assert_allclose(features, net.rbms[1].hidden_probabilities(net.rbms[0].hidden_probabilities(rows)),
                               rtol=1e-12)
    assert mlp(Tensor(rows)).data.shape == (5, 10)


def test_a_second_layer_refuses_nothing_in_0_1_but_the_first_refuses_grey_pixels(digits):
    x, y, _, _ = digits
    grey = load_dataset("digits").train.x[:50].reshape(-1, 64)
    with pytest.raises(ValueError, match=r"data of shape \(50, 64\) hold .* values that are not .*binarise"):
        DeepBeliefNet([64, 10], rng=0).pretrain(grey, epochs=1, batch_size=10)
    with pytest.raises(ValueError, match="pretrain needs the labels"):
        DeepBeliefNet([64, 10, 10], labels=10).pretrain(x[:20], epochs=1, batch_size=10)
    with pytest.raises(ValueError, match=r"labels must be 20 integers in 0..9"):
        DeepBeliefNet([64, 10, 10], labels=10).pretrain(x[:20], y[:20] + 5, epochs=1, batch_size=10)
    with pytest.raises(ValueError, match="needs label units"):
        DeepBeliefNet([64, 10]).generate(np.arange(3), np.random.default_rng(0))


@pytest.mark.slow
def test_it_writes_digits_of_the_clamped_label(digits):
    """A [64, 100, 200] DBN with label units, 20 epochs: digits written for each clamped label are read
    as that label by a classifier trained on real digits far more often than chance (1 in 10)."""
    x, y, test_x, test_y = digits
    net = DeepBeliefNet([64, 100, 200], labels=10, rng=0)
    net.pretrain(x, y, epochs=20, batch_size=10, learning_rate=0.05, rng=0)
    with threadpool_limits(1):
        reader = LogisticRegression(max_iter=2000).fit(x, y)
    assert reader.score(test_x, test_y) > 0.85
    labels = np.repeat(np.arange(10), 20)
    written = net.generate(labels, np.random.default_rng(0), steps=300)
    assert written.shape == (200, 64) and ((written >= 0) & (written <= 1)).all()
    assert np.mean(reader.predict(written > 0.5) == labels) > 0.35  # measured 0.6 (chance: 0.1)


@pytest.mark.slow
def test_fine_tuning_the_pretrained_net_classifies_digits(digits):
    x, y, test_x, test_y = digits
    net = DeepBeliefNet([64, 100], rng=0)
    net.pretrain(x, epochs=10, batch_size=10, rng=0)
    model = net.to_mlp(10, rng=0)
    history = fit(model, Backprop(LogLikelihoodCost(), SGD(model.parameters(), 0.1)), (x, y), epochs=5,
                  batch_size=10, rng=0, validation=(test_x, test_y), verbose=False)
    assert history.validation_accuracy[-1] > 0.85
