"""The speed of learning ‖∂C/∂b‖ per layer: right against PyTorch, harmless to training, and the
vanishing gradient of a deep sigmoid network at initialisation on real images."""

import numpy as np
import pytest
import torch

from synaptica import Backprop, CrossEntropyCost, SGD, ShapeError, fit
from synaptica.losses import LogLikelihoodCost, QuadraticCost
from synaptica.nn import Linear, Sequential, Sigmoid, mlp
from synaptica.train import LayerSpeedMonitor, layer_speeds


def _torch_bias_gradient_norms(net, cost_name: str, x: np.ndarray, y: np.ndarray) -> list[float]:
    """The same network in PyTorch (float64): mean cost over the batch, backward, ‖∂C/∂b‖ per layer."""
    h = torch.tensor(x, dtype=torch.float64)
    biases = []
    linears = [layer for layer in net.layers if isinstance(layer, Linear)]
    for i, layer in enumerate(linears):
        w = torch.tensor(layer.weight.data, dtype=torch.float64)
        b = torch.tensor(layer.bias.data, dtype=torch.float64, requires_grad=True)
        biases.append(b)
        h = h @ w.T + b
        if i < len(linears) - 1 or cost_name == "quadratic":
            h = torch.sigmoid(h)
    labels = torch.tensor(y)
    one_hot = torch.nn.functional.one_hot(labels, h.shape[1]).to(torch.float64)
    if cost_name == "cross-entropy":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(h, one_hot, reduction="sum") / len(x)
    elif cost_name == "log-likelihood":
        loss = torch.nn.functional.cross_entropy(h, labels)
    else:
        loss = 0.5 * ((h - one_hot) ** 2).sum() / len(x)
    loss.backward()
    return [float(b.grad.norm()) for b in biases]


@pytest.mark.parametrize("cost", [CrossEntropyCost(), LogLikelihoodCost(), QuadraticCost()], ids=lambda c: c.name)
def test_layer_speeds_match_pytorch(cost, rng):
    net = mlp([6, 5, 4, 3], "sigmoid", output_activation=None if cost.takes_logits else "sigmoid",
              init="large", rng=1, dtype=np.float64)
    x, y = rng.standard_normal((20, 6)), rng.integers(0, 3, 20)
    speeds = layer_speeds(net, cost, x, y)
    assert list(speeds) == ["hidden layer 1", "hidden layer 2", "output layer"]
    np.testing.assert_allclose(list(speeds.values()), _torch_bias_gradient_norms(net, cost.name, x, y), rtol=1e-10)


def test_measuring_leaves_gradients_mode_and_weights_as_they_were(rng):
    net = mlp([6, 5, 3], "sigmoid", rng=0)
    x, y = rng.random((10, 6), dtype=np.float32), rng.integers(0, 3, 10)
    before = {name: array.copy() for name, array in net.state_dict().items()}
    sentinels = [np.full(p.shape, 7.0, np.float32) for p in net.parameters()]
    for p, g in zip(net.parameters(), sentinels):
        p.grad = g
    net.train()
    layer_speeds(net, CrossEntropyCost(), x, y)
    assert all(p.grad is g for p, g in zip(net.parameters(), sentinels))
    assert net.training and all(m.training for m in net.modules())
    assert all(np.array_equal(before[name], array) for name, array in net.state_dict().items())
    net.eval()
    layer_speeds(net, CrossEntropyCost(), x, y)
    assert not net.training


def test_the_monitor_records_from_initialisation_and_after_every_epoch(fashion):
    x, y = fashion.train.x[:300], fashion.train.y[:300]

    def run():
        net = mlp([784, 20, 20, 10], "sigmoid", rng=3)
        cost = CrossEntropyCost()
        monitor = LayerSpeedMonitor(cost, x[:100], y[:100], model=net)
        fit(net, Backprop(cost, SGD(net.parameters(), 0.5)), (x, y), epochs=3, batch_size=10, rng=3,
            verbose=False, callbacks=[monitor])
        return monitor, net

    monitor, net = run()
    assert monitor.epochs == [0, 1, 2, 3]
    assert list(monitor.norms) == ["hidden layer 1", "hidden layer 2", "output layer"]
    assert all(len(values) == 4 and all(v > 0 for v in values) for values in monitor.norms.values())
    assert monitor.norms["output layer"][0] != monitor.norms["output layer"][-1]  # training changed it
    # measured again outside fit (whose BLAS thread count may differ): equal to float32 rounding
    assert layer_speeds(net, monitor.cost, x[:100], y[:100]) == pytest.approx(
        {k: v[-1] for k, v in monitor.norms.items()}, rel=1e-5)
    assert monitor.rows()[0] == {"epochs": 0, **{k: v[0] for k, v in monitor.norms.items()}}
    again, _ = run()
    assert again.norms == monitor.norms  # same seed, same numbers


@pytest.mark.parametrize("seed", range(5))
def test_a_deep_sigmoid_network_starts_with_vanishing_gradients(fashion, seed):
    """Nielsen ch. 5: in [784, 30, 30, 30, 30, 10] each hidden layer learns more slowly than the next,
    and the first about 100 times more slowly than the fourth (measured here, seeds 0-4: 1/74 to 1/120)."""
    net = mlp([784, 30, 30, 30, 30, 10], "sigmoid", init="nielsen", rng=seed)
    speeds = list(layer_speeds(net, CrossEntropyCost(), fashion.train.x[:1000], fashion.train.y[:1000]).values())
    hidden = speeds[:4]
    assert all(a < b for a, b in zip(hidden, hidden[1:])), hidden
    assert hidden[0] / hidden[-1] < 1 / 20, hidden


def test_bad_input_names_the_problem(rng):
    net = mlp([4, 3, 2], rng=0)
    with pytest.raises(ShapeError, match="10 inputs but 9 targets"):
        layer_speeds(net, CrossEntropyCost(), rng.random((10, 4)), np.zeros(9, int))
    with pytest.raises(ShapeError, match="5 inputs but 4 targets"):
        LayerSpeedMonitor(CrossEntropyCost(), rng.random((5, 4)), np.zeros(4, int))
    with pytest.raises(ValueError, match="empty"):
        layer_speeds(net, CrossEntropyCost(), np.zeros((0, 4)), np.zeros(0, int))
    no_bias = Sequential(Linear(4, 3, bias=False, rng=0), Sigmoid())
    with pytest.raises(ValueError, match="no layer with a bias"):
        layer_speeds(no_bias, CrossEntropyCost(), rng.random((2, 4)), np.zeros(2, int))
    with pytest.raises(ShapeError, match=r"Linear\(4→3\) got input of shape \(2, 5\)"):
        layer_speeds(net, CrossEntropyCost(), rng.random((2, 5)), np.zeros(2, int))
