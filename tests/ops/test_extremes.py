"""Ops at the ends of the number line: σ's tails, ±∞ through the activations, NaN in max pooling.

The oracle table keeps its inputs where finite differences mean something; here values and
gradients at extreme inputs are compared with PyTorch in both precisions. Warnings are errors in
this project, so an overflow or invalid-value warning on the way fails these tests too.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from synaptica import ops
from synaptica.tensor import Tensor

DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 1e-6, np.float64: 1e-14}  # a few units in the last place
TAILS = np.linspace(-100.0, 100.0, 2001)  # steps of 0.1, through z = −20 and −15 exactly


def backprop(op, values: np.ndarray, dtype, weights: np.ndarray | None = None):
    """op's output and the gradient of Σ w ⊙ op(x) (w = 1 unless given), in synaptica."""
    x = Tensor(values.astype(dtype), requires_grad=True)
    out = op(x)
    out.backward(np.ones(out.shape, dtype) if weights is None else weights.astype(dtype))
    return out.data, x.grad


def torch_backprop(fn, values: np.ndarray, dtype, weights: np.ndarray | None = None):
    """The same in PyTorch."""
    x = torch.tensor(values.astype(dtype), requires_grad=True)
    out = fn(x)
    out.backward(torch.ones_like(out) if weights is None else torch.as_tensor(weights.astype(dtype)))
    return out.detach().numpy(), x.grad.numpy()


def tiny(dtype) -> float:
    """The smallest normal number: below it (subnormals) only the absolute size of a value counts."""
    return float(np.finfo(dtype).tiny)


# ---------------------------------------------------------------------------------------- σ's tails


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_keeps_its_relative_accuracy_in_both_tails(dtype):
    # ½(1 + tanh(z/2)) was 7 % off at z = −15 in float32 and 0 below −17 (below −37 in float64)
    value, grad = backprop(ops.sigmoid, TAILS, dtype)
    expected, expected_grad = torch_backprop(torch.sigmoid, TAILS, dtype)
    np.testing.assert_allclose(value, expected, rtol=RTOL[dtype], atol=tiny(dtype))
    assert value[TAILS == -20.0] == pytest.approx(2.0611536e-9, rel=1e-6)
    # σ' = σ(1 − σ): relative accuracy where σ is small; for z > 0 the factor 1 − σ is only as
    # accurate as σ is absolutely, in PyTorch as here
    negative = TAILS <= 0
    np.testing.assert_allclose(grad[negative], expected_grad[negative], rtol=RTOL[dtype], atol=tiny(dtype))
    np.testing.assert_allclose(grad[~negative], expected_grad[~negative], rtol=0, atol=2 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softplus_and_its_derivative_in_the_tails(dtype):
    value, grad = backprop(ops.softplus, TAILS, dtype)
    # softplus' derivative is σ itself, accurate relatively on both sides
    np.testing.assert_allclose(grad, torch.sigmoid(torch.as_tensor(TAILS.astype(dtype))).numpy(),
                               rtol=RTOL[dtype], atol=tiny(dtype))
    # PyTorch returns x itself above x = 20; ln(1 + eˣ) computed in float64 is the reference
    np.testing.assert_allclose(value, np.logaddexp(0.0, TAILS.astype(dtype).astype(np.float64)),
                               rtol=RTOL[dtype], atol=tiny(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_cross_entropy_delta_in_the_tails(dtype):
    # δ = σ(z) − y; with y = 0 it is σ(z), which must stay accurate for very negative logits
    z = TAILS[TAILS <= 0][None, :]
    zeros = np.zeros_like(z)
    _, grad = backprop(lambda t: ops.sigmoid_cross_entropy(t, zeros.astype(dtype), reduction="sum"), z, dtype,
                       np.ones((), dtype))
    _, expected = torch_backprop(
        lambda t: F.binary_cross_entropy_with_logits(t, torch.as_tensor(zeros.astype(dtype)), reduction="sum"),
        z, dtype, np.ones((), dtype))
    np.testing.assert_allclose(grad, expected, rtol=RTOL[dtype], atol=tiny(dtype))


# ---------------------------------------------------------------------------------------- ±∞


EXTREMES = np.array([-np.inf, -1e30, -50.0, -3.0, 0.0, 3.0, 50.0, 1e30, np.inf])
ACTIVATIONS = {
    "relu": (ops.relu, torch.relu),
    "leaky_relu": (lambda x: ops.leaky_relu(x, 0.1), lambda x: F.leaky_relu(x, 0.1)),
    "elu": (lambda x: ops.elu(x, 1.5), lambda x: F.elu(x, 1.5)),
    "softplus": (ops.softplus, F.softplus),
    "sigmoid": (ops.sigmoid, torch.sigmoid),
    "tanh": (ops.tanh, torch.tanh),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_at_infinity_match_torch(name, dtype):
    # relu(−∞) was −∞·0 = NaN; elu's slope at −50 was out + α, which cancels to 0 (α e⁻⁵⁰ in float64)
    op, twin = ACTIVATIONS[name]
    weights = np.linspace(0.5, 2.0, len(EXTREMES))
    value, grad = backprop(op, EXTREMES, dtype, weights)
    expected, expected_grad = torch_backprop(twin, EXTREMES, dtype, weights)
    rtol = 10 * RTOL[dtype]  # tanh's slope 1 − tanh² at ±3 rounds a little differently in PyTorch
    np.testing.assert_allclose(value, expected, rtol=rtol, atol=0, equal_nan=False)
    np.testing.assert_allclose(grad, expected_grad, rtol=rtol, atol=0, equal_nan=False)


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_keeps_nan_as_torch(dtype):
    values = np.array([np.nan, -np.inf, -1.0, 2.0])
    value, grad = backprop(ops.relu, values, dtype)
    expected, expected_grad = torch_backprop(torch.relu, values, dtype)
    np.testing.assert_array_equal(value, expected)  # NaN where NaN (assert_array_equal matches NaNs)
    np.testing.assert_array_equal(grad[1:], expected_grad[1:])  # at NaN itself PyTorch passes g on; here 0
    assert grad[0] == 0


# ---------------------------------------------------------------------------------------- NaN in max pooling


def images_with_nan(seed: int, shape, nan_fraction: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.permutation(np.prod(shape)).reshape(shape).astype(np.float64)  # distinct: no ties
    x[rng.uniform(size=shape) < nan_fraction] = np.nan
    return x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 1, 1), ((2, 3), (1, 2), (1, 0)), (3, 2, 1)])
@pytest.mark.parametrize("nan_fraction", [0.1, 0.5])
def test_max_pooling_routes_the_gradient_of_a_nan_window_like_torch(kernel, stride, padding, nan_fraction, dtype):
    # the NaN maximum's gradient was dropped; PyTorch gives it to the window's last NaN
    x = images_with_nan(int(nan_fraction * 10), (2, 3, 7, 8), nan_fraction)

    def pool(t):
        return ops.max_pool2d(t, kernel, stride, padding)

    def twin(t):
        return F.max_pool2d(t, kernel, stride, padding)

    out_shape = pool(Tensor(x)).shape
    weights = np.random.default_rng(1).uniform(0.5, 1.5, out_shape)
    value, grad = backprop(pool, x, dtype, weights)
    expected, expected_grad = torch_backprop(twin, x, dtype, weights)
    assert np.isnan(expected).any(), "the case must hold windows with NaN"
    np.testing.assert_array_equal(value, expected)
    np.testing.assert_allclose(grad, expected_grad, rtol=RTOL[dtype], atol=0)
