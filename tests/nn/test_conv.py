"""Convolutional layers: the math against a direct loop, shapes, errors, saving, and training on real data.

The ops themselves (conv2d and the three poolings) are checked against finite differences and PyTorch
in tests/ops/test_ops.py; here the layers around them are checked.
"""

import io
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from synaptica import Backprop, FormatError, NonFiniteError, SGD, ShapeError, Tensor
from synaptica.io import load_model, save_model, save_tensors
from synaptica.losses import get_cost
from synaptica.nn import (
    AvgPool2d, Conv2d, Flatten, L2Pool2d, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, module_from_config,
)
from synaptica.train import evaluate, fit


def small_cnn(seed=0, dtype=np.float32):
    """Two conv-ReLU-pool stages and a softmax layer, for 1×28×28 images."""
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2d(1, 8, 5, rng=rng, dtype=dtype), ReLU(), MaxPool2d(2),
        Conv2d(8, 16, 5, rng=rng, dtype=dtype), ReLU(), MaxPool2d(2),
        Flatten(), Linear(256, 10, init="he", rng=rng, dtype=dtype),
    )


def images(x):
    return x.reshape(len(x), 1, 28, 28)


# ------------------------------------------------------------------------------------------ the math


def direct_convolution(x, w, b, stride, padding):
    """Nielsen's formula, one output neuron at a time: b + Σ_c Σ_l Σ_m w[f, c, l, m] a[c, s·j + l, s·k + m]."""
    x = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    n, c, h, wd = x.shape
    maps, _, kh, kw = w.shape
    out = np.zeros((n, maps, (h - kh) // stride[0] + 1, (wd - kw) // stride[1] + 1))
    for i in range(n):
        for f in range(maps):
            for j in range(out.shape[2]):
                for k in range(out.shape[3]):
                    field = x[i, :, j * stride[0]:j * stride[0] + kh, k * stride[1]:k * stride[1] + kw]
                    out[i, f, j, k] = b[f] + np.sum(w[f] * field)
    return out


@pytest.mark.parametrize("kernel, stride, padding", [(5, 1, 0), ((3, 2), (2, 1), (1, 0)), (3, 2, 2)])
def test_conv2d_is_nielsens_sum_over_each_local_receptive_field(kernel, stride, padding):
    layer = Conv2d(3, 4, kernel, stride=stride, padding=padding, rng=0, dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 7))
    out = layer(Tensor(x))
    pair = lambda v: v if isinstance(v, tuple) else (v, v)  # noqa: E731
    expected = direct_convolution(x, layer.weight.data, layer.bias.data, pair(stride), pair(padding))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


def test_any_memory_layout_and_an_empty_batch_give_the_same_numbers():
    rng = np.random.default_rng(0)
    channels_last = rng.standard_normal((3, 9, 7, 2)).astype(np.float32)
    x = channels_last.transpose(0, 3, 1, 2)  # (3, 2, 9, 7), not C-contiguous
    model = Sequential(Conv2d(2, 4, 3, stride=2, padding=1, rng=0), MaxPool2d(2), Flatten(), Linear(16, 3, rng=1))
    np.testing.assert_array_equal(model(Tensor(x)).data, model(Tensor(np.ascontiguousarray(x))).data)
    empty = Tensor(np.zeros((0, 2, 9, 7), np.float32), requires_grad=True)
    out = model(empty)
    out.sum().backward()
    assert out.shape == (0, 3) and empty.grad.shape == (0, 2, 9, 7)


def test_pooling_layers_summarise_each_window():
    x = np.arange(2 * 3 * 4 * 6, dtype=np.float64).reshape(2, 3, 4, 6) * np.where(np.arange(6) % 2, 1, -1)
    blocks = x.reshape(2, 3, 2, 2, 3, 2)  # 2×2 windows: (n, c, i, p, j, q)
    np.testing.assert_array_equal(MaxPool2d(2)(Tensor(x)).data, blocks.max(axis=(3, 5)))
    np.testing.assert_allclose(AvgPool2d(2)(Tensor(x)).data, blocks.mean(axis=(3, 5)))
    np.testing.assert_allclose(L2Pool2d(2)(Tensor(x)).data, np.sqrt((blocks ** 2).sum(axis=(3, 5))))


def test_l2_pooling_is_torchs_lp_pool_with_p_2():
    # lp_pool2d(p=2) is (Σ x²)^(1/2): the same numbers as L2 pooling, negative inputs included
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    ours = L2Pool2d(3, stride=2)(Tensor(x)).data
    np.testing.assert_allclose(ours, F.lp_pool2d(torch.tensor(x), 2, 3, 2).numpy(), rtol=1e-12)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum_like_torch():
    # after ReLU whole windows are 0: the gradient must go to one input per window, not to all
    x = np.zeros((1, 2, 4, 4))
    x[0, 1, 1, 1] = x[0, 1, 0, 0] = 2.0  # a tie between two distinct values too
    for kernel, stride in [(2, 2), (3, 1)]:
        t = Tensor(x.copy(), requires_grad=True)
        out = MaxPool2d(kernel, stride)(t)
        g = np.random.default_rng(0).standard_normal(out.shape)
        (out * Tensor(g)).sum().backward()
        twin = torch.tensor(x, requires_grad=True)
        (F.max_pool2d(twin, kernel, stride) * torch.tensor(g)).sum().backward()
        np.testing.assert_array_equal(t.grad, twin.grad.numpy())


def test_lenet_shapes_and_float32_throughout():
    model = Sequential(Conv2d(1, 20, 5, rng=0), ReLU(), MaxPool2d(2), Conv2d(20, 40, 5, rng=1), ReLU(),
                       MaxPool2d(2), Flatten(), Linear(640, 100, rng=2), ReLU(), Linear(100, 10, rng=3))
    shapes = [output.shape for _, output in model.trace(np.zeros((3, 1, 28, 28), np.float32))]
    assert shapes == [(3, 20, 24, 24)] * 2 + [(3, 20, 12, 12), (3, 40, 8, 8), (3, 40, 8, 8), (3, 40, 4, 4),
                                                 (3, 640), (3, 100), (3, 100), (3, 10)]
    assert all(output.dtype == np.float32 for _, output in model.trace(np.ones((3, 1, 28, 28), np.float32)))


def test_flatten_keeps_channel_row_column_order_and_passes_gradients_back():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    t = Tensor(x.copy(), requires_grad=True)
    out = Flatten()(t)
    np.testing.assert_array_equal(out.data, x.reshape(2, 60))
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, np.ones_like(x))
    assert Flatten()(Tensor(np.zeros((0, 3, 4, 5)))).shape == (0, 60)


# ------------------------------------------------------------------------------------------ construction


def test_repr_names_channels_and_window():
    assert repr(Conv2d(1, 20, 5, rng=0)) == "Conv2d(1→20, 5×5)"
    layer = Conv2d(3, 8, (3, 2), stride=2, padding=(1, 0), rng=0)
    assert repr(layer) == "Conv2d(3→8, 3×2, stride=2, padding=(1, 0))"
    assert repr(MaxPool2d(2)) == "MaxPool2d(2×2)"
    assert repr(MaxPool2d(3, stride=2, padding=1)) == "MaxPool2d(3×3, stride=2, padding=1)"
    assert repr(AvgPool2d((2, 3))) == "AvgPool2d(2×3)"
    assert repr(L2Pool2d(2)) == "L2Pool2d(2×2)"
    assert repr(Flatten()) == "Flatten()"
    assert "(0) Conv2d(1→20, 5×5)" in repr(Sequential(Conv2d(1, 20, 5, rng=0), Flatten()))


@pytest.mark.parametrize("init, weight_std, bias_std", [
    ("he", lambda n_in: np.sqrt(2.0 / n_in), 0.0),
    ("nielsen", lambda n_in: 1 / np.sqrt(n_in), 1.0),
])
def test_initialisers_use_the_fan_in_of_one_output_neuron(init, weight_std, bias_std):
    layer = Conv2d(16, 300, (5, 4), init=init, rng=1)
    n_in = 16 * 5 * 4
    assert layer.weight.shape == (300, 16, 5, 4) and layer.weight.dtype == np.float32
    assert layer.bias.shape == (300,) and not layer.bias.regularized and layer.weight.regularized
    assert layer.weight.data.std() == pytest.approx(weight_std(n_in), rel=0.02)
    assert layer.bias.data.std() == pytest.approx(bias_std, rel=0.2, abs=1e-9)
    assert repr(Conv2d(1, 2, 3).weight) == "Parameter(shape=(2, 1, 3, 3), dtype=float32)"


def test_same_seed_same_weights_and_parameter_names():
    a, b = small_cnn(3), small_cnn(3)
    names = [name for name, _ in a.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.3.weight", "layers.3.bias",
                     "layers.7.weight", "layers.7.bias"]
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert np.array_equal(p.data, q.data)
    assert Conv2d(2, 3, 3, bias=False, rng=0).bias is None


@pytest.mark.parametrize("make, message", [
    (lambda: Conv2d(0, 4, 3), "in_channels must be a positive integer, got 0"),
    (lambda: Conv2d(1, 4.0, 3), "out_channels must be a positive integer, got 4.0"),
    (lambda: Conv2d(1, 4, 0), "kernel_size must be >= 1"),
    (lambda: Conv2d(1, 4, (3, 3, 3)), "kernel_size must be an int or a pair"),
    (lambda: Conv2d(1, 4, 3, stride=True), "stride must be an int or a pair"),
    (lambda: Conv2d(1, 4, 3, padding=-1), "padding must be >= 0"),
    (lambda: Conv2d(1, 4, 3, init="glorot"), "unknown init"),
    (lambda: MaxPool2d(2, padding=2), "padding (2, 2) must be at most half the window 2×2"),
    (lambda: AvgPool2d(2.5), "kernel_size must be an int or a pair"),
])
def test_bad_constructor_arguments_name_the_layer(make, message):
    with pytest.raises(ValueError, match="^(Conv2d|MaxPool2d|AvgPool2d)") as error:
        make()
    assert message in str(error.value)


# ------------------------------------------------------------------------------------------ bad input


def test_images_without_a_channel_axis_get_the_hint_to_add_one():
    model = small_cnn()
    with pytest.raises(ShapeError) as error:
        model(Tensor(np.zeros((8, 28, 28), np.float32)))
    message = str(error.value)
    assert message.startswith("layers.0: Conv2d(1→8, 5×5) got input of shape (8, 28, 28)")
    assert "expected (batch, 1, H, W)" in message and "x[:, None]" in message


def test_flat_images_get_the_hint_to_reshape():
    with pytest.raises(ShapeError, match=r"Unflatten\(\(1, 28, 28\)\) or pass x\.reshape\(len\(x\), 1, 28, 28\)"):
        Conv2d(1, 8, 5, rng=0)(Tensor(np.zeros((8, 784), np.float32)))


def test_wrong_channel_count_names_both_counts():
    with pytest.raises(ShapeError) as error:
        Conv2d(1, 8, 5, rng=0)(Tensor(np.zeros((4, 3, 28, 28), np.float32)))
    message = str(error.value)
    assert "Conv2d(1→8, 5×5)" in message and "(4, 3, 28, 28)" in message
    assert "The input has 3 channels but the layer expects 1" in message


def test_kernel_larger_than_the_padded_input_names_both_sizes():
    with pytest.raises(ShapeError) as error:
        Conv2d(2, 4, 5, padding=1, rng=0)(Tensor(np.zeros((1, 2, 2, 9), np.float32)))
    message = str(error.value)
    assert "Conv2d(2→4, 5×5, padding=1)" in message
    assert "The 5×5 window is larger than the padded input 4×11 (image 2×9 with padding 1×1)" in message


def test_a_model_too_deep_for_its_images_names_the_layer_that_ran_out_of_pixels():
    # 14×14 -> conv 5×5 -> 10×10 -> pool -> 5×5 -> conv 5×5 -> 1×1: too small for the second 2×2 pool
    with pytest.raises(ShapeError) as error:
        small_cnn()(Tensor(np.zeros((2, 1, 14, 14), np.float32)))
    message = str(error.value)
    assert message.startswith("layers.5: MaxPool2d(2×2) got input of shape (2, 16, 1, 1)")
    assert "The 2×2 window is larger than the padded input 1×1" in message


@pytest.mark.parametrize("layer", [MaxPool2d(2), AvgPool2d((4, 2), padding=(1, 0)), L2Pool2d(2)], ids=repr)
def test_pooling_layers_check_their_input_too(layer):
    with pytest.raises(ShapeError, match=r"x\[:, None\]"):
        layer(Tensor(np.zeros((2, 8, 8), np.float32)))
    with pytest.raises(ShapeError, match="window is larger than the padded input"):
        layer(Tensor(np.zeros((2, 1, 1, 8), np.float32)))


def test_the_ops_check_their_operands_as_well():
    from synaptica import ops

    x = Tensor(np.zeros((2, 3, 8, 8), np.float32))
    with pytest.raises(ShapeError, match=r"conv2d: weight must be \(out_channels, in_channels, kh, kw\)"):
        ops.conv2d(x, Tensor(np.zeros((4, 3, 3), np.float32)))
    with pytest.raises(ShapeError, match=r"conv2d: bias must have shape \(4,\)"):
        ops.conv2d(x, Tensor(np.zeros((4, 3, 3, 3), np.float32)), Tensor(np.zeros(5, np.float32)))
    with pytest.raises(ShapeError, match="The input has 3 channels but the layer expects 2"):
        ops.conv2d(x, Tensor(np.zeros((4, 2, 3, 3), np.float32)))


def test_many_wrong_inputs_never_leak_a_numpy_error():
    rng = np.random.default_rng(0)
    layers = [Conv2d(2, 3, (3, 2), stride=(1, 2), padding=1, rng=0), MaxPool2d(3, 2, 1), AvgPool2d(2),
              L2Pool2d((2, 3)), small_cnn()]
    for _ in range(60):
        shape = tuple(int(n) for n in rng.integers(0, 5, size=rng.integers(0, 6)))
        for layer in layers:
            try:
                layer(Tensor(np.zeros(shape, np.float32)))
            except ShapeError:
                pass


# ------------------------------------------------------------------------------------------ files


def cnn_with_every_layer():
    return Sequential(
        Conv2d(1, 4, (3, 2), stride=(1, 2), padding=(1, 0), rng=0), ReLU(), MaxPool2d(3, stride=2, padding=1),
        Conv2d(4, 6, 3, bias=False, rng=1), Sigmoid(), AvgPool2d(2, padding=1), L2Pool2d((2, 1)),
        Flatten(), Linear(12, 10, rng=2),
    )


def test_save_and_load_round_trip_a_cnn(tmp_path):
    model = cnn_with_every_layer()
    x = np.random.default_rng(0).standard_normal((5, 1, 12, 16)).astype(np.float32)
    expected = model(Tensor(x)).data
    path = tmp_path / "cnn.safetensors"
    save_model(path, model, {"synaptica.cost": "log-likelihood"})
    loaded, metadata = load_model(path)
    assert loaded.config() == model.config()
    assert repr(loaded) == repr(model)
    assert metadata["synaptica.cost"] == "log-likelihood"
    np.testing.assert_array_equal(loaded(Tensor(x)).data, expected)
    architecture = json.loads(metadata["synaptica.architecture"])
    assert architecture["layers"][0] == {"type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": [3, 2],
                                         "stride": [1, 2], "padding": [1, 0], "bias": True}
    assert architecture["layers"][2] == {"type": "MaxPool2d", "kernel_size": 3, "stride": 2, "padding": 1}
    assert architecture["layers"][6] == {"type": "L2Pool2d", "kernel_size": [2, 1], "stride": [2, 1]}


@pytest.mark.parametrize("layer_config, message", [
    ({"type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": "3"}, "must be int or list"),
    ({"type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": [3, 3, 3]}, "int or a pair of ints"),
    ({"type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": [3, True]}, "int or a pair of ints"),
    ({"type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": 0}, "kernel_size must be >= 1"),
    ({"type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": 3, "init": "he"},
     "unknown argument 'init'"),
    ({"type": "MaxPool2d", "kernel_size": 2, "padding": 3}, "must be at most half the window"),
    ({"type": "L2Pool2d", "kernel_size": 2, "padding": 0}, "unknown argument 'padding'"),
    ({"type": "Flatten", "start_dim": 1}, "unknown argument 'start_dim'"),
])
def test_a_bad_architecture_is_refused_naming_the_file_and_layer(tmp_path, layer_config, message):
    path = tmp_path / "bad.safetensors"
    architecture = {"type": "Sequential", "layers": [{"type": "ReLU"}, layer_config]}
    save_tensors(path, {}, {"synaptica.format": "1", "synaptica.architecture": json.dumps(architecture)})
    with pytest.raises(FormatError) as error:
        load_model(path)
    text = str(error.value)
    assert str(path) in text and "model.layers.1" in text and message in text


def test_a_weight_of_the_wrong_shape_in_the_file_names_the_tensor(tmp_path):
    path = tmp_path / "cnn.safetensors"
    model = small_cnn()
    state = model.state_dict()
    state["layers.0.weight"] = np.zeros((8, 1, 3, 3), np.float32)
    save_tensors(path, state, {"synaptica.format": "1", "synaptica.architecture": json.dumps(model.config())})
    with pytest.raises(ShapeError, match=r"'layers.0.weight' is \(8, 1, 3, 3\) in the file but \(8, 1, 5, 5\)"):
        load_model(path)


def test_module_from_config_builds_conv_layers_with_zero_weights():
    layer = module_from_config({"type": "Conv2d", "in_channels": 2, "out_channels": 3, "kernel_size": [3, 1]})
    assert layer.weight.shape == (3, 2, 3, 1) and not layer.weight.data.any()


# ------------------------------------------------------------------------------------------ training


def test_trace_and_fit_name_the_first_convolution_that_went_non_finite(fashion):
    model = small_cnn()
    model.layers[3].bias.data[5] = np.nan  # the second convolution's 6th map
    x, y = images(fashion.train.x[:64]), fashion.train.y[:64]
    names = [name for name, output in model.trace(x) if not np.all(np.isfinite(output))]
    assert names[0] == "layers.3 Conv2d(8→16, 5×5)"
    rule = Backprop(get_cost("log-likelihood"), SGD(model.parameters(), learning_rate=0.1))
    expected = r"epoch 0, batch 0 .*first non-finite layer output: layers.3 Conv2d\(8→16"
    with pytest.raises(NonFiniteError, match=expected):
        fit(model, rule, (x, y), epochs=1, batch_size=32, rng=0, verbose=False)


def test_non_finite_input_pixels_are_located_by_channel_row_and_column(fashion):
    model = small_cnn()
    x, y = images(fashion.train.x[:8]).copy(), fashion.train.y[:8]
    x[3, 0, 10, 7] = np.nan
    position = int(np.flatnonzero(np.random.default_rng(0).permutation(8) == 3)[0])  # after fit's shuffle
    rule = Backprop(get_cost("log-likelihood"), SGD(model.parameters(), learning_rate=0.1))
    expected = rf"example {position} of the batch, row 3 of the data, feature \[0, 10, 7\].*layers.0 Conv2d"
    with pytest.raises(NonFiniteError, match=expected):
        fit(model, rule, (x, y), epochs=1, batch_size=8, rng=0, verbose=False)


def test_same_seed_same_training_run(fashion):
    x, y = images(fashion.train.x[:256]), fashion.train.y[:256]
    runs = []
    for _ in range(2):
        model = small_cnn(seed=4)
        rule = Backprop(get_cost("log-likelihood"), SGD(model.parameters(), learning_rate=0.05))
        history = fit(model, rule, (x, y), epochs=1, batch_size=32, rng=7, verbose=False, blas=1)
        runs.append((history.step_losses[0], [p.data.copy() for p in model.parameters()]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


def test_one_sgd_step_matches_torch_on_a_real_batch(fashion):
    model = small_cnn(seed=1, dtype=np.float64)
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(256, 10)).double()
    with torch.no_grad():
        for p, q in zip(model.parameters(), twin.parameters()):
            q.copy_(torch.from_numpy(p.data))
    x, y = images(fashion.train.x[:32]).astype(np.float64), fashion.train.y[:32]
    Backprop(get_cost("log-likelihood"), SGD(model.parameters(), learning_rate=0.1)).step(model, (x, y))
    optimizer = torch.optim.SGD(twin.parameters(), lr=0.1)
    F.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    optimizer.step()
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.slow
def test_a_small_cnn_learns_fashion_mnist(fashion):
    """4,000 training images, 2 epochs, η = 0.05, batch 16: measured 0.759–0.786 test accuracy over
    seeds 0–4 (0.759 for the seed used here)."""
    x, y = images(fashion.train.x[:4000]), fashion.train.y[:4000]
    model = small_cnn(seed=0)
    rule = Backprop(get_cost("log-likelihood"), SGD(model.parameters(), learning_rate=0.05))
    out = io.StringIO()
    history = fit(model, rule, (x, y), epochs=2, batch_size=16, rng=0, out=out,
                  validation=(images(fashion.validation.x[:2000]), fashion.validation.y[:2000]))
    assert len(history.epochs) == 2 and "Epoch 1:" in out.getvalue()
    accuracy = evaluate(model, images(fashion.test.x), fashion.test.y).accuracy
    assert accuracy >= 0.72, f"test accuracy {accuracy:.4f}"
