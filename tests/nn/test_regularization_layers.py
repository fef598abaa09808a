"""Dropout and batch normalisation layers: behaviour, PyTorch twins, seeds, saving and loading."""

import numpy as np
import pytest
import torch

from synaptica.errors import ShapeError
from synaptica.io import load_model, save_model
from synaptica.losses import LogLikelihoodCost, QuadraticCost
from synaptica.nn import (BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, Maxout, PReLU,
                          ReLU, Sequential, mlp)
from synaptica.ops.dropout import dropout_mask
from synaptica.optim import L2, SGD, Adam, MaxNorm
from synaptica.rules import Backprop
from synaptica.rules.base import gradient_step
from synaptica.tensor import Tensor
from synaptica.train.evaluate import predict
from synaptica.train.fit import fit


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ------------------------------------------------------------------------------------------ dropout
def test_dropout_is_the_identity_in_evaluation():
    layer = Dropout(0.5, rng=0).eval()
    x = Tensor(np.arange(12.0).reshape(3, 4))
    assert layer(x) is x
    assert Dropout(0.0, rng=0)(x) is x  # p = 0 drops nothing, also in training


def test_dropout_keeps_one_minus_p_and_preserves_the_mean():
    p = 0.3
    x = np.ones((400, 500), np.float32)
    out = Dropout(p, rng=1)(Tensor(x)).data
    kept = out != 0
    assert abs(kept.mean() - (1 - p)) < 0.005  # 200,000 draws: the standard error is 0.001
    np.testing.assert_allclose(out[kept], 1 / (1 - p), rtol=1e-6)  # each kept unit scaled by 1/(1 − p)
    assert abs(out.mean() - 1.0) < 0.01  # so the expected activation is unchanged
    assert out.dtype == np.float32


def test_dropout_gradient_flows_only_through_kept_units():
    x = Tensor(np.random.default_rng(2).standard_normal((50, 40)), requires_grad=True)
    out = Dropout(0.5, rng=3)(x)
    g = np.random.default_rng(4).standard_normal(out.shape)
    (out * Tensor(g)).sum().backward()
    kept = out.data != 0
    assert np.all(x.grad[~kept] == 0)
    np.testing.assert_allclose(x.grad[kept], 2.0 * g[kept])
    assert 0.4 < kept.mean() < 0.6


def test_same_seed_same_masks_and_each_pass_a_new_mask():
    x = Tensor(np.ones((20, 30)))
    a, b = Dropout(0.5, rng=7), Dropout(0.5, rng=7)
    first, second = a(x).data, a(x).data
    assert np.array_equal(first, b(x).data) and np.array_equal(second, b(x).data)
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, Dropout(0.5, rng=8)(x).data)


def test_dropout_network_equals_torch_given_the_same_mask():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 6)).astype(np.float32)
    first, second = Linear(6, 10, rng=0), Linear(10, 3, rng=1)
    model = Sequential(first, ReLU(), Dropout(0.4, rng=9), second)
    out = model(Tensor(x))
    out.sum().backward()

    mask = torch.from_numpy(dropout_mask((8, 10), 0.4, np.random.default_rng(9)))
    twin_first, twin_second = torch.nn.Linear(6, 10), torch.nn.Linear(10, 3)
    with torch.no_grad():
        for ours, theirs in [(first, twin_first), (second, twin_second)]:
            theirs.weight.copy_(torch.from_numpy(ours.weight.data))
            theirs.bias.copy_(torch.from_numpy(ours.bias.data))
    twin_out = twin_second(torch.relu(twin_first(torch.from_numpy(x))) * mask)
    twin_out.sum().backward()
    np.testing.assert_allclose(out.data, twin_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    for ours, theirs in [(first.weight, twin_first.weight), (second.weight, twin_second.weight),
                         (first.bias, twin_first.bias)]:
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert (mask == 0).any() and (mask != 0).any()


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, True, "half"])
def test_dropout_refuses_a_probability_outside_zero_one(p):
    with pytest.raises(ValueError, match=r"Dropout: p must be a probability in \[0, 1\)"):
        Dropout(p)


def test_training_with_dropout_repeats_exactly_with_the_same_seed():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 5)).astype(np.float32)
    y = (x[:, :2] > 0).astype(np.float32)
    results = []
    for seed in (11, 11, 12):
        model = mlp([5, 16, 2], "relu", "sigmoid", rng=seed, dropout=0.5)
        fit(model, Backprop(QuadraticCost(), SGD(model.parameters(), 0.5)), (x, y), epochs=2, batch_size=20,
            rng=seed, verbose=False)
        results.append(predict(model, x))
    assert np.array_equal(results[0], results[1])
    assert not np.array_equal(results[0], results[2])


# ------------------------------------------------------------------------------------------ batch norm
def _copy_into_torch(ours, theirs):
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.gamma.data))
        theirs.bias.copy_(torch.from_numpy(ours.beta.data))


@pytest.mark.parametrize("ours, theirs, shape", [
    (lambda: BatchNorm1d(5), lambda: torch.nn.BatchNorm1d(5), (16, 5)),
    (lambda: BatchNorm1d(4, eps=1e-3, momentum=0.3), lambda: torch.nn.BatchNorm1d(4, eps=1e-3, momentum=0.3),
     (6, 4, 7)),
    (lambda: BatchNorm2d(3), lambda: torch.nn.BatchNorm2d(3), (4, 3, 5, 6)),
    (lambda: BatchNorm2d(2, momentum=0.5), lambda: torch.nn.BatchNorm2d(2, momentum=0.5), (2, 2, 3, 3)),
], ids=["1d", "1d-length-eps-momentum", "2d", "2d-momentum"])
def test_batch_norm_matches_torch_over_several_training_steps_and_in_evaluation(ours, theirs, shape):
    """Five training steps (outputs, every gradient and the running statistics after each, γ and β
    updated by SGD on both sides), then evaluation with the running statistics."""
    layer, twin = ours(), theirs()
    optimizer, twin_optimizer = SGD(layer.parameters(), 0.5), torch.optim.SGD(twin.parameters(), lr=0.5)
    rng = np.random.default_rng(3)
    for step in range(5):
        x = (rng.standard_normal(shape) * 2 + step).astype(np.float32)
        g = rng.standard_normal(shape).astype(np.float32)
        t = Tensor(x, requires_grad=True)
        out = layer(t)
        optimizer.zero_grad()
        (out * Tensor(g)).sum().backward()
        optimizer.step()
        tx = torch.tensor(x, requires_grad=True)
        twin_out = twin(tx)
        twin_optimizer.zero_grad()
        (twin_out * torch.from_numpy(g)).sum().backward()
        twin_optimizer.step()
        where = f"step {step}"
        np.testing.assert_allclose(out.data, twin_out.detach().numpy(), rtol=1e-5, atol=1e-5, err_msg=where)
        np.testing.assert_allclose(t.grad, tx.grad.numpy(), rtol=1e-5, atol=1e-5, err_msg=where)
        np.testing.assert_allclose(layer.gamma.data, twin.weight.detach().numpy(), rtol=1e-5, atol=1e-5, err_msg=where)
        np.testing.assert_allclose(layer.beta.data, twin.bias.detach().numpy(), rtol=1e-5, atol=1e-5, err_msg=where)
        np.testing.assert_allclose(layer.running_mean, twin.running_mean.numpy(), rtol=1e-5, atol=1e-6, err_msg=where)
        np.testing.assert_allclose(layer.running_var, twin.running_var.numpy(), rtol=1e-5, atol=1e-6, err_msg=where)
    assert not np.allclose(layer.gamma.data, 1.0)  # γ was trained, so evaluation uses a non-trivial γ
    layer.eval()
    twin.eval()
    x = rng.standard_normal((3,) + shape[1:]).astype(np.float32)
    t = Tensor(x, requires_grad=True)
    out = layer(t)
    out.sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    twin_out = twin(tx)
    twin_out.sum().backward()
    np.testing.assert_allclose(out.data, twin_out.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(t.grad, tx.grad.numpy(), rtol=1e-5, atol=1e-5)
    # in evaluation an example's output does not depend on the rest of the batch
    np.testing.assert_allclose(layer(Tensor(x[:1])).data, out.data[:1], rtol=1e-6)


def test_batch_norm_training_output_has_zero_mean_and_unit_variance_per_channel():
    x = np.random.default_rng(0).normal(5.0, 3.0, (32, 4, 6, 6)).astype(np.float32)
    out = BatchNorm2d(4)(Tensor(x)).data
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1.0, rtol=1e-3)


def test_batch_norm_parameters_are_not_regularized():
    layer = BatchNorm1d(3)
    layer.gamma.data[:] = 10.0
    optimizer = SGD(layer.parameters(), 0.1, regularizers=[L2(100.0, 1), MaxNorm(0.1)])
    for p in layer.parameters():
        p.grad = np.zeros_like(p.data)
    optimizer.step()
    assert np.all(layer.gamma.data == 10.0) and np.all(layer.beta.data == 0.0)
    assert [p.regularized for p in layer.parameters()] == [False, False]


@pytest.mark.parametrize("layer, shape, message", [
    (BatchNorm1d(3), (4, 5),
     r"BatchNorm1d\(3\) got input of shape \(4, 5\); expected \(batch, 3\) or \(batch, 3, length\)"),
    (BatchNorm1d(3), (4, 3, 2, 2), r"Use BatchNorm2d for images"),
    (BatchNorm2d(3), (4, 3),
     r"BatchNorm2d\(3\) got input of shape \(4, 3\); expected \(batch, 3, H, W\)\. Use BatchNorm1d"),
    (BatchNorm2d(3), (2, 4, 5, 5), r"expected \(batch, 3, H, W\)"),
    (BatchNorm1d(3), (1, 3), r"Training needs more than one value per channel .* call model.eval\(\)"),
])
def test_batch_norm_bad_input_names_the_layer_and_the_shapes(layer, shape, message):
    with pytest.raises(ShapeError, match=message):
        layer(Tensor(np.zeros(shape, np.float32)))


def test_a_single_example_passes_batch_norm_in_evaluation():
    layer = BatchNorm1d(3).eval()
    out = layer(Tensor(np.ones((1, 3), np.float32)))
    np.testing.assert_allclose(out.data, 1 / np.sqrt(1 + 1e-5), rtol=1e-6)


@pytest.mark.parametrize("make, message", [
    (lambda: BatchNorm1d(0), "BatchNorm1d: features must be a positive integer, got 0"),
    (lambda: BatchNorm2d(2.5), "BatchNorm2d: channels must be a positive integer, got 2.5"),
    (lambda: BatchNorm1d(3, eps=0), "BatchNorm1d: eps must be > 0, got 0"),
    (lambda: BatchNorm2d(3, momentum=1.5), r"BatchNorm2d: momentum must be a probability in \[0, 1\], got 1.5"),
])
def test_batch_norm_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_running_statistics_are_in_the_state_dict_and_loaded_back():
    model = mlp([4, 6, 2], "relu", rng=0, batch_norm=True)
    assert [type(layer).__name__ for layer in model.layers] == ["Linear", "BatchNorm1d", "ReLU", "Linear"]
    assert model.layers[0].bias is None  # β takes the bias's role
    model(Tensor(np.random.default_rng(1).standard_normal((10, 4)).astype(np.float32)))
    state = {k: v.copy() for k, v in model.state_dict().items()}
    assert set(state) == {"layers.0.weight", "layers.1.gamma", "layers.1.beta", "layers.1.running_mean",
                          "layers.1.running_var", "layers.3.weight", "layers.3.bias"}
    assert not np.allclose(state["layers.1.running_mean"], 0.0)
    fresh = mlp([4, 6, 2], "relu", rng=5, batch_norm=True)
    fresh.load_state_dict(state)
    for name, array in fresh.state_dict().items():
        assert np.array_equal(array, state[name]), name
    del state["layers.1.running_var"]
    with pytest.raises(ShapeError, match=r"missing \['layers.1.running_var'\]"):
        fresh.load_state_dict(state)
    state["layers.1.running_var"] = np.ones(7, np.float32)
    with pytest.raises(ShapeError, match=r"'layers.1.running_var' is \(7,\) in the file but \(6,\) in the model"):
        fresh.load_state_dict(state)


def test_mlp_builds_dropout_after_each_hidden_activation():
    model = mlp([4, 8, 8, 3], "relu", rng=0, dropout=0.25)
    names = [repr(layer) for layer in model.layers]
    assert names == ["Linear(4→8)", "ReLU()", "Dropout(0.25)", "Linear(8→8)", "ReLU()", "Dropout(0.25)",
                     "Linear(8→3)"]
    default = mlp([4, 8, 3], rng=0)
    assert [repr(layer) for layer in default.layers] == ["Linear(4→8)", "Sigmoid()", "Linear(8→3)"]
    with pytest.raises(ValueError, match=r"mlp: dropout must be a probability in \[0, 1\), got 1.0"):
        mlp([4, 3], dropout=1.0)


# ------------------------------------------------------------------------------------------ saving
def test_every_new_layer_round_trips_through_a_model_file(tmp_path):
    """A small CNN with every new layer, trained a few steps so that the running statistics and the
    slopes moved, then saved, loaded and compared: architecture, every array, eval predictions."""
    rng = np.random.default_rng(0)
    model = Sequential(Conv2d(1, 3, 3, rng=0), BatchNorm2d(3, momentum=0.2), PReLU(3), MaxPool2d(2), Flatten(),
                       Dropout(0.3, rng=1), Maxout(27, 5, pieces=3, rng=2), BatchNorm1d(5, eps=1e-3), PReLU(),
                       Linear(5, 4, rng=3))
    x = rng.standard_normal((12, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 4, 12)
    optimizer = SGD(model.parameters(), 0.1)
    for _ in range(3):
        gradient_step(model, (x, y), LogLikelihoodCost(), optimizer)
    assert not np.allclose(model.layers[1].running_var, 1.0) and not np.allclose(model.layers[2].slope.data, 0.25)

    save_model(tmp_path / "m.safetensors", model)
    loaded, _ = load_model(tmp_path / "m.safetensors")
    assert loaded.config() == model.config()
    assert [repr(layer) for layer in loaded.layers] == [repr(layer) for layer in model.layers]
    original, restored = model.state_dict(), loaded.state_dict()
    assert set(original) == set(restored) and "layers.7.running_mean" in restored
    for name in original:
        assert np.array_equal(original[name], restored[name]), name
    assert np.array_equal(predict(model, x), predict(loaded, x))
    assert loaded.layers[5].p == 0.3 and loaded.layers[7].eps == 1e-3 and loaded.layers[1].momentum == 0.2


# ------------------------------------------------------------------------------------------ real data
@pytest.mark.slow
def test_dropout_and_batch_norm_train_on_fashion_mnist_and_survive_a_model_file(fashion, tmp_path):
    """A user's run: mlp with dropout and batch normalisation, Adam with max-norm and L2, on 5,000
    Fashion-MNIST images for 3 epochs (measured 0.8255 validation accuracy on the first 2,000
    validation images; 0.82 without dropout and batch normalisation). The same seed repeats the run
    exactly, and the saved model predicts exactly as the trained one."""
    x, y = fashion.train.x[:5000], fashion.train.y[:5000]
    validation = (fashion.validation.x[:2000], fashion.validation.y[:2000])
    runs = []
    for _ in range(2):
        net = mlp([784, 100, 10], "relu", init="he", rng=0, dropout=0.2, batch_norm=True)
        optimizer = Adam(net.parameters(), 1e-3, regularizers=[MaxNorm(3.0), L2(1.0, len(x))])
        history = fit(net, Backprop(LogLikelihoodCost(), optimizer), (x, y), epochs=3, batch_size=32, rng=0,
                      validation=validation, verbose=False)
        runs.append((net, history))
    (net, history), (_, again) = runs
    assert history.validation_accuracy == again.validation_accuracy
    assert history.validation_accuracy[-1] > 0.78, history.validation_accuracy
    norms = np.linalg.norm(net.layers[0].weight.data, axis=1)
    assert norms.max() <= 3.0 + 1e-5
    save_model(tmp_path / "net.safetensors", net)
    loaded, _ = load_model(tmp_path / "net.safetensors")
    assert np.array_equal(predict(loaded, fashion.test.x[:1000]), predict(net, fashion.test.x[:1000]))
