"""The finite-difference helper itself: it passes a correct vjp and catches a wrong one, in both its
full (fewer than 500 elements) and random-direction modes."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from synaptica import ops
from synaptica.tensor import Tensor

if str(Path(__file__).resolve().parent) not in sys.path:  # pytest's default import mode adds it already
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from gradcheck import gradcheck  # noqa: E402


def square(x: Tensor, slope_error: float = 0.0, grad_dtype=None, grad_shape=None) -> Tensor:
    """x², with a vjp that can be made wrong on purpose."""

    def vjp(g):
        grad = g * 2 * x.data * (1 + slope_error)
        if grad_dtype is not None:
            grad = grad.astype(grad_dtype)
        if grad_shape is not None:
            grad = np.resize(grad, grad_shape)
        return (grad,)

    return Tensor.from_op(x.data**2, (x,), vjp, "square")


SIZES = {"full": (4, 5), "directions": (30, 40)}


@pytest.mark.parametrize("mode", SIZES)
def test_passes_a_correct_gradient(mode):
    x = np.random.default_rng(0).uniform(-2, 2, SIZES[mode])
    w = Tensor(np.random.default_rng(1).standard_normal(SIZES[mode]))
    grads = gradcheck(lambda t: (square(t) * w).sum(), [x])
    np.testing.assert_allclose(grads[0], 2 * x * w.data)


@pytest.mark.parametrize("mode", SIZES)
@pytest.mark.parametrize("slope_error", [1e-4, -1e-3])
def test_catches_a_wrong_gradient(mode, slope_error):
    x = np.random.default_rng(0).uniform(0.5, 2, SIZES[mode])
    with pytest.raises(AssertionError, match="gradient check failed"):
        gradcheck(lambda t: square(t, slope_error).sum(), [x])


def test_tolerates_rounding_below_the_tolerance():
    x = np.random.default_rng(0).uniform(0.5, 2, (3, 4))
    gradcheck(lambda t: square(t, 1e-9).sum(), [x])


def test_catches_a_wrong_dtype_or_shape():
    x = np.random.default_rng(0).uniform(0.5, 2, (3, 4))
    with pytest.raises(AssertionError, match="dtype"):
        gradcheck(lambda t: square(t, grad_dtype=np.float32).sum(), [x])
    with pytest.raises(AssertionError, match="shape"):
        gradcheck(lambda t: square(t, grad_shape=(12,)).sum(), [x])


def test_checks_every_input_of_a_binary_op():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-1, 1, (3, 1)), rng.uniform(0.5, 1, (4,))
    grads = gradcheck(lambda x, y: ops.div(x, y).sum(), [a, b])
    np.testing.assert_allclose(grads[0], np.full((3, 1), (1 / b).sum()))
    np.testing.assert_allclose(grads[1], -a.sum() / b**2)


def test_refuses_float32_inputs():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t.sum(), [np.ones(3, np.float32)])


def test_requires_a_scalar_output():
    with pytest.raises(AssertionError, match="scalar"):
        gradcheck(lambda t: t * 2.0, [np.ones(3)])
