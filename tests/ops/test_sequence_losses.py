"""Masked per-step cross-entropy: finite differences, PyTorch's ignore_index, padding inert."""

import numpy as np
import pytest
import torch

from synaptica.errors import ShapeError
from synaptica.ops.sequence_losses import sequence_cross_entropy, step_mask
from synaptica.tensor import Tensor
from tests.ops.cost_oracle import assert_cost_matches_torch
from tests.ops.gradcheck import gradcheck


def _batch(rng, dtype=np.float64):
    z = rng.normal(size=(3, 5, 4)).astype(dtype)
    y = rng.integers(0, 4, size=(3, 5))
    lengths = np.array([5, 2, 3])
    return z, y, lengths


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradient_matches_finite_differences(rng, reduction):
    z, y, lengths = _batch(rng)
    gradcheck(lambda t: sequence_cross_entropy(t, y, lengths, reduction) * 1.7, [z])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equals_torch_cross_entropy_with_ignored_padding(rng, reduction, dtype):
    z, y, lengths = _batch(rng, dtype)
    y_torch = torch.tensor(np.where(step_mask(lengths, 5), y, -100).reshape(-1))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert_cost_matches_torch(
        lambda t: sequence_cross_entropy(t, y, lengths, reduction),
        lambda t: torch.nn.functional.cross_entropy(t.reshape(-1, 4), y_torch, ignore_index=-100, reduction=reduction),
        z, tol)


def test_padding_sends_no_gradient_and_its_targets_do_not_matter(rng):
    z, y, lengths = _batch(rng)
    junk = y.copy()
    junk[1, 2:] = 99                                  # padded steps may hold anything, even bad labels
    zs = Tensor(z, requires_grad=True)
    cost = sequence_cross_entropy(zs, junk, lengths)
    cost.backward()
    assert np.all(zs.grad[1, 2:] == 0) and np.all(zs.grad[2, 3:] == 0)
    assert cost.data == pytest.approx(sequence_cross_entropy(Tensor(z), y, lengths).data)
    assert sequence_cross_entropy(Tensor(z), y).data == pytest.approx(
        sequence_cross_entropy(Tensor(z), y, np.array([5, 5, 5])).data)


def test_bad_shapes_and_labels_are_named(rng):
    z, y, lengths = _batch(rng)
    with pytest.raises(ShapeError, match=r"logits of shape \(batch, steps, classes\), got \(3, 5\)"):
        sequence_cross_entropy(Tensor(z[:, :, 0]), y)
    with pytest.raises(ShapeError, match=r"targets must be integer labels of shape \(3, 5\)"):
        sequence_cross_entropy(Tensor(z), y[:, :4])
    with pytest.raises(ShapeError, match=r"lengths must lie in \[1, 5\]"):
        sequence_cross_entropy(Tensor(z), y, np.array([6, 1, 1]))
    y[0, 1] = 7
    with pytest.raises(ShapeError, match=r"target 7 at \(sequence 0, step 1\) is outside the 4 classes"):
        sequence_cross_entropy(Tensor(z), y, lengths)
