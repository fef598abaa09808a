"""Learned units (PReLU, Maxout) and orthogonal initialisation."""

import numpy as np
import pytest
import torch

from synaptica.errors import ShapeError
from synaptica.losses import QuadraticCost
from synaptica.nn import Conv2d, INITIALISERS, Linear, Maxout, PReLU, Sequential
from synaptica.nn.init import orthogonal
from synaptica.optim import SGD
from synaptica.rules import Backprop
from synaptica.tensor import Tensor
from synaptica.train.evaluate import predict
from synaptica.train.fit import fit


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ------------------------------------------------------------------------------------------ PReLU
@pytest.mark.parametrize("num_parameters, shape", [(1, (5, 4)), (1, (3, 2, 4, 4)), (3, (5, 3)), (3, (2, 3, 4, 5))])
def test_prelu_matches_torch_prelu(num_parameters, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    layer = PReLU(num_parameters, init=0.1)
    layer.slope.data = rng.uniform(-0.3, 0.5, num_parameters).astype(np.float32)
    t = Tensor(x, requires_grad=True)
    (layer(t) * Tensor(g)).sum().backward()
    twin = torch.nn.PReLU(num_parameters, init=0.1)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.slope.data))
    tx = torch.tensor(x, requires_grad=True)
    twin_out = twin(tx)
    (twin_out * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(layer(Tensor(x)).data, twin_out.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(t.grad, tx.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(layer.slope.grad, twin.weight.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert layer.slope.grad.shape == (num_parameters,) and not layer.slope.regularized


def test_prelu_learns_its_slope():
    """Targets from a PReLU with slope −0.3: gradient descent on the quadratic cost finds it."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((256, 4)).astype(np.float32)
    y = np.where(x > 0, x, -0.3 * x).astype(np.float32)
    model = Sequential(PReLU())
    fit(model, Backprop(QuadraticCost(), SGD(model.parameters(), 0.5)), (x, y), epochs=5, batch_size=32, rng=0,
        verbose=False)
    assert model.layers[0].slope.data == pytest.approx([-0.3], abs=1e-4)


def test_prelu_bad_arguments_and_shapes():
    with pytest.raises(ValueError, match="PReLU: num_parameters must be a positive integer, got 0"):
        PReLU(0)
    with pytest.raises(ValueError, match="PReLU: init must be a finite number"):
        PReLU(2, init=float("nan"))
    with pytest.raises(ShapeError, match=r"PReLU\(3, 0.25\) got input of shape \(5, 4\); expected \(batch, 3, ...\)"):
        PReLU(3)(Tensor(np.zeros((5, 4))))


# ------------------------------------------------------------------------------------------ Maxout
def test_maxout_outputs_the_largest_of_its_affine_pieces():
    rng = np.random.default_rng(2)
    layer = Maxout(5, 3, pieces=4, rng=0)
    assert layer.weight.shape == (12, 5) and layer.bias.shape == (12,)
    x = rng.standard_normal((7, 5)).astype(np.float32)
    pieces = (x @ layer.weight.data.T + layer.bias.data).reshape(7, 3, 4)  # row j·k + i: piece i of unit j
    np.testing.assert_allclose(layer(Tensor(x)).data, pieces.max(axis=2), rtol=1e-6)


def test_maxout_gradient_reaches_only_the_winning_pieces():
    layer = Maxout(2, 1, pieces=2, rng=0)
    layer.weight.data = np.array([[1.0, 0.0], [-1.0, 0.0]], np.float32)  # pieces x₁ and −x₁: |x₁|
    layer.bias.data = np.zeros(2, np.float32)
    layer(Tensor(np.array([[2.0, 5.0]], np.float32))).sum().backward()  # piece 0 wins
    np.testing.assert_array_equal(layer.weight.grad, [[2.0, 5.0], [0.0, 0.0]])
    np.testing.assert_array_equal(layer.bias.grad, [1.0, 0.0])


def _fit_one_unit(target, pieces: int, seed: int) -> tuple[float, Maxout]:
    """One maxout unit trained by fit/Backprop on 1-D inputs in [−1, 1]; returns the mean squared error."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (512, 1)).astype(np.float32)
    y = target(x).astype(np.float32)
    unit = Maxout(1, 1, pieces=pieces, init="xavier", rng=seed)  # zero biases: both pieces start in play
    model = Sequential(unit)
    fit(model, Backprop(QuadraticCost(), SGD(model.parameters(), 0.5)), (x, y), epochs=20, batch_size=16, rng=seed,
        verbose=False)
    return float(np.mean((predict(model, x) - y) ** 2)), unit


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_two_piece_maxout_unit_learns_relu_and_absolute_value(seed):
    """Seed 004: ReLU is max(z, 0) and |x| is max(x, −x), both within reach of k = 2."""
    relu_error, _ = _fit_one_unit(lambda x: np.maximum(x, 0), 2, seed)
    abs_error, unit = _fit_one_unit(np.abs, 2, seed)
    assert relu_error < 1e-4 and abs_error < 1e-4, (relu_error, abs_error)
    np.testing.assert_allclose(sorted(unit.weight.data.ravel()), [-1.0, 1.0], atol=1e-2)  # the pieces x and −x


def test_a_one_piece_maxout_unit_is_affine_and_cannot_fit_absolute_value():
    """k = 1 is a straight line; the best line through |x| on [−1, 1] has error Var|x| = 1/12."""
    error, _ = _fit_one_unit(np.abs, 1, 0)
    assert error > 0.07


@pytest.mark.parametrize("make, message", [
    (lambda: Maxout(4, 3, pieces=0), "Maxout: pieces must be a positive integer, got 0"),
    (lambda: Maxout(0, 3), "Maxout: in_features must be a positive integer, got 0"),
    (lambda: Maxout(4, 3, init="magic"), "Maxout: unknown init 'magic'"),
])
def test_maxout_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_maxout_wrong_input_names_the_layer_and_both_shapes():
    message = r"Maxout\(4→3, pieces=2\) got input of shape \(5, 6\); expected \(batch, 4\)"
    with pytest.raises(ShapeError, match=message):
        Maxout(4, 3)(Tensor(np.zeros((5, 6))))


# ------------------------------------------------------------------------------------------ orthogonal
@pytest.mark.parametrize("n_in, n_out", [(6, 6), (10, 4), (4, 10)], ids=["square", "wide", "tall"])
def test_orthogonal_weights_have_orthonormal_rows_or_columns(n_in, n_out):
    weight, bias = orthogonal(n_in, n_out, np.random.default_rng(0), np.float64)
    assert weight.shape == (n_out, n_in) and np.array_equal(bias, np.zeros(n_out))
    if n_out <= n_in:
        np.testing.assert_allclose(weight @ weight.T, np.eye(n_out), atol=1e-12)
    if n_out >= n_in:
        np.testing.assert_allclose(weight.T @ weight, np.eye(n_in), atol=1e-12)
    scaled, _ = orthogonal(n_in, n_out, np.random.default_rng(0), np.float64, gain=np.sqrt(2))
    np.testing.assert_allclose(scaled, np.sqrt(2) * weight, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(scaled, compute_uv=False), np.sqrt(2), rtol=1e-12)


def test_orthogonal_is_seeded_and_sign_fixed():
    first, _ = orthogonal(5, 3, np.random.default_rng(4))
    again, _ = orthogonal(5, 3, np.random.default_rng(4))
    other, _ = orthogonal(5, 3, np.random.default_rng(5))
    assert np.array_equal(first, again) and not np.allclose(first, other) and first.dtype == np.float32
    # without the sign fix, QR's convention would make W[0, 0] always of one sign; with it, either
    corners = [orthogonal(3, 3, np.random.default_rng(seed), np.float64)[0][0, 0] for seed in range(300)]
    assert 0.35 < np.mean(np.array(corners) > 0) < 0.65


def test_layers_accept_the_orthogonal_initialiser():
    assert "orthogonal" in INITIALISERS
    linear = Linear(20, 8, init="orthogonal", rng=0)
    np.testing.assert_allclose(linear.weight.data @ linear.weight.data.T, np.eye(8), atol=1e-5)
    conv = Conv2d(3, 6, 3, init="orthogonal", rng=0)  # 6 kernels of 27 numbers: orthonormal
    flat = conv.weight.data.reshape(6, -1)
    np.testing.assert_allclose(flat @ flat.T, np.eye(6), atol=1e-5)
    assert np.array_equal(conv.bias.data, np.zeros(6))
