"""Unflatten and the CNN builders (synaptica.nn.cnn): shapes, errors, saving, and a short run on real images."""

import numpy as np
import pytest

from synaptica import Backprop, FormatError, ShapeError, Tensor
from synaptica.io import load_model, save_model
from synaptica.losses import get_cost
from synaptica.nn import (
    Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sigmoid, Unflatten, cnn, conv_net, module_from_config,
)
from synaptica.optim import Adam
from synaptica.train import evaluate, fit, predict


def test_unflatten_turns_flat_rows_into_images_and_back():
    rng = np.random.default_rng(0)
    x = Tensor(rng.random((3, 2 * 4 * 5)), requires_grad=True)
    images = Unflatten((2, 4, 5))(x)
    assert images.shape == (3, 2, 4, 5)
    assert np.array_equal(images.data, x.data.reshape(3, 2, 4, 5))  # row-major, the IDX pixel order
    assert np.array_equal(Flatten()(images).data, x.data)
    g = rng.random((3, 2, 4, 5))
    (images * Tensor(g)).sum().backward()
    assert np.array_equal(x.grad, g.reshape(3, 40))


def test_unflatten_names_itself_and_the_shapes_on_bad_input():
    with pytest.raises(ShapeError, match=r"Unflatten\(1×28×28\) got input of shape \(4, 785\); expected \(batch, 784\)"):
        Unflatten((1, 28, 28))(Tensor(np.zeros((4, 785))))
    for bad in [(), (1, 0, 28), (1.0, 28, 28), 784, (True, 28, 28)]:
        with pytest.raises(ValueError, match="Unflatten: shape"):
            Unflatten(bad)


def test_cnn_has_the_documented_layers_and_output():
    net = cnn(rng=0)
    kinds = [type(layer) for layer in net.layers]
    assert kinds == [Unflatten, Conv2d, ReLU, MaxPool2d, Conv2d, ReLU, MaxPool2d, Flatten, Linear, ReLU, Dropout,
                     Linear]
    assert (net.layers[1].out_channels, net.layers[4].out_channels) == (32, 64)
    assert (net.layers[8].in_features, net.layers[8].out_features, net.layers[-1].out_features) == (1024, 256, 10)
    assert predict(net, np.zeros((7, 784), np.float32)).shape == (7, 10)


def test_conv_net_sizes_follow_the_stages():
    net = conv_net((1, 28, 28), [20], [100], 10, activation="sigmoid", init="nielsen", rng=0)
    assert net.layers[5].in_features == 20 * 12 * 12  # 28 - 4 = 24, pooled to 12
    assert isinstance(net.layers[2], Sigmoid)
    flat = conv_net((1, 28, 28), [], [30], 10, rng=0)
    assert [type(layer) for layer in flat.layers] == [Unflatten, Flatten, Linear, ReLU, Linear]
    with pytest.raises(ValueError, match="too small"):
        conv_net((1, 12, 12), [8, 8], [10], 10)
    with pytest.raises(ValueError, match="unknown activation"):
        conv_net((1, 28, 28), [8], [10], 10, activation="swish")
    with pytest.raises(ValueError, match="dropout"):
        conv_net((1, 28, 28), [8], [10], 10, dropout=1.0)


def test_the_same_seed_builds_the_same_weights():
    a, b, c = cnn(rng=3), cnn(rng=3), cnn(rng=4)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))
    assert not np.array_equal(a.parameters()[0].data, c.parameters()[0].data)


def test_a_saved_cnn_loads_with_the_same_outputs(tmp_path):
    net = cnn(rng=1)
    path = tmp_path / "cnn.safetensors"
    save_model(path, net)
    loaded, _ = load_model(path)
    assert loaded.config() == net.config()
    x = np.random.default_rng(2).random((5, 784), dtype=np.float32)
    assert np.array_equal(predict(loaded, x), predict(net, x))


def test_a_bad_unflatten_shape_in_a_file_names_the_layer():
    with pytest.raises(FormatError, match=r"layers\.0 \(Unflatten\): Unflatten: shape"):
        module_from_config({"type": "Sequential", "layers": [{"type": "Unflatten", "shape": [1, 0, 28]}]})
    with pytest.raises(FormatError, match="argument 'shape' must be list"):
        module_from_config({"type": "Unflatten", "shape": 784})


def test_cnn_learns_fashion_mnist_from_flat_rows(fashion):
    """One epoch on 2,000 real images from flat rows, as fit and evaluate hand them over: well above chance."""
    net = cnn(rng=0)
    rule = Backprop(get_cost("log-likelihood"), Adam(net.parameters(), 1e-3))
    fit(net, rule, (fashion.train.x[:2000], fashion.train.y[:2000]), epochs=1, batch_size=64, rng=0, verbose=False)
    assert evaluate(net, fashion.test.x[:1000], fashion.test.y[:1000]).accuracy > 0.6
