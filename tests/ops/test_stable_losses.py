"""The fused losses stay finite on huge logits and exact on large gaps.

softmax_cross_entropy shifts by the row max and works in log space; sigmoid_cross_entropy uses
max(z, 0) − z y + log1p(e^(−|z|)). Naive formulas (log of softmax, log of σ) give inf or NaN at
|z| ~ 1e4 in either precision, and lose the loss entirely at a gap of 1000 (e^(−1000) underflows).
Warnings are errors in this project, so an overflow warning would fail these tests too.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from synaptica import ops
from synaptica.tensor import Tensor

DTYPES = [np.float32, np.float64]
REDUCTIONS = ["mean", "sum"]
BIG = 1e4


def run(loss_fn, z: np.ndarray, targets, reduction: str):
    x = Tensor(z, requires_grad=True)
    loss = loss_fn(x, targets, reduction=reduction)
    loss.backward()
    assert loss.dtype == z.dtype and x.grad.dtype == z.dtype and x.grad.shape == z.shape
    assert np.isfinite(loss.data), f"loss is {loss.data}"
    assert np.isfinite(x.grad).all(), f"gradient has non-finite entries: {x.grad}"
    return float(loss.data), x.grad


# --------------------------------------------------------------------------- softmax cross-entropy

SOFTMAX_Z = np.array([[BIG, -BIG, 0.0], [-BIG, BIG, BIG], [-BIG, -BIG, -BIG], [BIG, BIG, -BIG]])
SOFTMAX_LABELS = np.array([1, 0, 2, 0])
# −log softmax(z)[label], row by row: 2e4, 2e4 + ln 2, ln 3, ln 2
SOFTMAX_PER_ROW = np.array([2 * BIG, 2 * BIG + math.log(2), math.log(3), math.log(2)])
# ∂/∂z = softmax(z) − onehot
SOFTMAX_GRAD = np.array([[1, -1, 0], [-1, 0.5, 0.5], [1 / 3, 1 / 3, -2 / 3], [-0.5, 0.5, 0]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("targets", ["labels", "onehot"])
def test_softmax_cross_entropy_huge_logits(dtype, reduction, targets):
    z = SOFTMAX_Z.astype(dtype)
    y = SOFTMAX_LABELS if targets == "labels" else np.eye(3, dtype=dtype)[SOFTMAX_LABELS]
    loss, grad = run(ops.softmax_cross_entropy, z, y, reduction)
    scale = 1 / len(z) if reduction == "mean" else 1.0
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    assert loss == pytest.approx(scale * SOFTMAX_PER_ROW.sum(), rel=rtol)
    np.testing.assert_allclose(grad, scale * SOFTMAX_GRAD, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_soft_targets_huge_logits(dtype):
    z = SOFTMAX_Z.astype(dtype)
    y = np.full(z.shape, 1 / 3, dtype)
    loss, grad = run(ops.softmax_cross_entropy, z, y, "sum")
    assert loss > BIG  # every row puts weight on a class 1e4 or 2e4 below the max


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("targets", ["labels", "onehot"])
def test_softmax_cross_entropy_equals_the_gap(reduction, targets):
    z = np.array([[0.0, 1000.0], [1000.5, 0.5], [3.0, 1003.0]])
    labels = np.array([0, 1, 0])
    y = labels if targets == "labels" else np.eye(2)[labels]
    loss, grad = run(ops.softmax_cross_entropy, z, y, reduction)
    count = len(z) if reduction == "sum" else 1
    assert loss == pytest.approx(1000.0 * count, rel=1e-9)
    scale = 1 / len(z) if reduction == "mean" else 1.0
    np.testing.assert_allclose(grad, scale * np.array([[-1.0, 1.0], [1.0, -1.0], [-1.0, 1.0]]), atol=1e-12)


# --------------------------------------------------------------------------- sigmoid cross-entropy

SIGMOID_Z = np.array([[BIG, -BIG, BIG], [-BIG, BIG, -BIG]])
SIGMOID_Y = np.array([[0.0, 1.0, 1.0], [0.0, 0.0, 0.5]])
# max(z, 0) − z y + log1p(e^−|z|): 1e4, 1e4, 0 / 0, 1e4, 5e3 (+ e^−1e4 terms that vanish)
SIGMOID_TOTAL = 3.5 * BIG
SIGMOID_GRAD = np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -0.5]])  # σ(z) − y


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sigmoid_cross_entropy_huge_logits(dtype, reduction):
    z = SIGMOID_Z.astype(dtype)
    loss, grad = run(ops.sigmoid_cross_entropy, z, SIGMOID_Y.astype(dtype), reduction)
    scale = 1 / len(z) if reduction == "mean" else 1.0
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    assert loss == pytest.approx(scale * SIGMOID_TOTAL, rel=rtol)
    np.testing.assert_allclose(grad, scale * SIGMOID_GRAD, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_cross_entropy_labels_huge_logits(dtype):
    z = SIGMOID_Z.astype(dtype)
    loss, grad = run(ops.sigmoid_cross_entropy, z, np.array([1, 2]), "sum")
    # one-hot rows [0, 1, 0] and [0, 0, 1]: 1e4 + 1e4 + 1e4 and 0 + 1e4 + 1e4
    assert loss == pytest.approx(5 * BIG, rel=1e-6)
    np.testing.assert_allclose(grad, [[1.0, -1.0, 1.0], [0.0, 1.0, -1.0]], atol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sigmoid_cross_entropy_equals_the_gap(reduction):
    # z = 1000 with y = 0 and z = −1000 with y = 1 each cost 1000 + log1p(e^−1000) = 1000
    z = np.array([[1000.0, -1000.0]])
    loss, grad = run(ops.sigmoid_cross_entropy, z, np.array([[0.0, 1.0]]), reduction)
    assert loss == pytest.approx(2000.0, rel=1e-9)
    np.testing.assert_allclose(grad, [[1.0, -1.0]], atol=1e-12)


# --------------------------------------------------------------------------- softmax, log_softmax


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", [ops.softmax, ops.log_softmax])
def test_softmax_and_log_softmax_huge_logits(dtype, op):
    x = Tensor(SOFTMAX_Z.astype(dtype), requires_grad=True)
    out = op(x, axis=1)
    (out * Tensor(np.arange(out.size, dtype=dtype).reshape(out.shape))).sum().backward()
    assert np.isfinite(out.data).all() and np.isfinite(x.grad).all()
    assert out.dtype == dtype and x.grad.dtype == dtype
    if op is ops.log_softmax:  # no log(0): the losing classes keep their exact log-probability
        assert out.data[0, 1] == pytest.approx(-2 * BIG, rel=1e-6)
