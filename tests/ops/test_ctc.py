"""CTC: PyTorch's ctc_loss as the oracle, finite differences, brute force over all paths, decoders."""

import itertools

import numpy as np
import pytest
import torch

from synaptica.errors import ShapeError
from synaptica.ops.ctc import ctc_best_path, ctc_loss, ctc_prefix_beam_search
from synaptica.ops.softmax import log_softmax_array
from synaptica.tensor import Tensor
from tests.ops.cost_oracle import assert_cost_matches_torch
from tests.ops.gradcheck import gradcheck


def _collapse(path, blank=0):
    merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
    return tuple(k for k in merged if k != blank)


def _problem(rng, batch=4, steps=12, classes=5, longest=4, dtype=np.float64):
    z = rng.normal(size=(batch, steps, classes)).astype(dtype) * 2
    target_lengths = np.array([longest, 1, 3, 0][:batch])
    targets = rng.integers(1, classes, size=(batch, longest))
    targets[2, :2] = 3                                   # a repeated label: needs a blank between
    input_lengths = np.array([steps, steps - 3, 7, 5][:batch])
    return z, targets, input_lengths, target_lengths


def test_equals_the_sum_over_every_path_by_brute_force(rng):
    z = rng.normal(size=(1, 5, 3))
    log_y = log_softmax_array(z[0], axis=1)
    for target in [(1,), (1, 2), (2, 2), (1, 2, 1)]:
        total = sum(np.exp(sum(log_y[t, k] for t, k in enumerate(path)))
                    for path in itertools.product(range(3), repeat=5) if _collapse(path) == target)
        cost = ctc_loss(Tensor(z), np.array([target]), reduction="sum")
        assert float(cost.data) == pytest.approx(-np.log(total), rel=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch_ctc_loss_and_its_gradient(rng, reduction, dtype):
    z, targets, input_lengths, target_lengths = _problem(rng, dtype=dtype)
    tol = 2e-5 if dtype == np.float32 else 1e-10
    assert_cost_matches_torch(
        lambda t: ctc_loss(t, targets, input_lengths, target_lengths, reduction=reduction),
        lambda t: torch.nn.functional.ctc_loss(t.log_softmax(2).transpose(0, 1), torch.tensor(targets),
                                               torch.tensor(input_lengths), torch.tensor(target_lengths),
                                               blank=0, reduction=reduction),
        z, tol)


def test_gradient_matches_finite_differences(rng):
    z, targets, input_lengths, target_lengths = _problem(rng, batch=3, steps=7, classes=4, longest=3)
    input_lengths = np.array([7, 5, 6])
    gradcheck(lambda t: ctc_loss(t, targets, input_lengths, target_lengths[:3]), [z])


def test_long_sequences_stay_finite(rng):
    z = rng.normal(size=(2, 400, 6)) * 30                # hundreds of steps, very peaked outputs
    targets = rng.integers(1, 6, size=(2, 50))
    zs = Tensor(z, requires_grad=True)
    cost = ctc_loss(zs, targets)
    cost.backward()
    assert np.isfinite(float(cost.data)) and np.all(np.isfinite(zs.grad))


def _peaked(path, classes=4):
    log_probs = np.full((len(path), classes), np.log(0.02))
    log_probs[np.arange(len(path)), path] = np.log(1 - 0.02 * (classes - 1))
    return log_probs


def test_best_path_merges_repeats_and_drops_blanks():
    assert ctc_best_path(_peaked([0, 1, 1, 0, 1, 2, 2, 0])) == [1, 1, 2]
    assert ctc_best_path(_peaked([0, 1, 1, 0, 1, 2, 2, 0]), input_length=3) == [1]


def test_prefix_beam_search_finds_the_label_sequence_best_path_misses():
    # The blank wins each step, so the best single path says "" (p = 0.25); but the paths a-, -a and
    # aa all mean "a" and together have p = 0.35: the beam, summing paths per prefix, says "a".
    log_probs = np.log(np.array([[0.5, 0.3, 0.2], [0.5, 0.25, 0.25]]))
    assert ctc_best_path(log_probs) == []
    assert ctc_prefix_beam_search(log_probs, beam=4) == [1]
    exact = {}
    for path in itertools.product(range(3), repeat=2):
        key = _collapse(path)
        exact[key] = exact.get(key, 0.0) + np.exp(log_probs[0, path[0]] + log_probs[1, path[1]])
    assert max(exact, key=exact.get) == (1,) and exact[(1,)] == pytest.approx(0.35)


def test_prefix_beam_search_equals_the_exact_best_labelling_on_small_problems(rng):
    for _ in range(20):
        log_probs = log_softmax_array(rng.normal(size=(4, 3)) * 2, axis=1)
        exact = {}
        for path in itertools.product(range(3), repeat=4):
            key = _collapse(path)
            exact[key] = exact.get(key, 0.0) + np.exp(log_probs[np.arange(4), list(path)].sum())
        assert tuple(ctc_prefix_beam_search(log_probs, beam=64)) == max(exact, key=exact.get)


def test_bad_targets_are_refused_with_the_sequence_named(rng):
    z = Tensor(rng.normal(size=(2, 4, 3)))
    with pytest.raises(ShapeError, match=r"sequence 1: 4 steps cannot emit its 3 labels \(5 steps needed"):
        ctc_loss(z, np.array([[1, 2, 1], [1, 1, 1]]))
    with pytest.raises(ShapeError, match="differ from the blank 0"):
        ctc_loss(z, np.array([[1, 0], [1, 2]]))
    with pytest.raises(ShapeError, match=r"input_lengths must lie in \[1, 4\]"):
        ctc_loss(z, np.array([[1], [2]]), input_lengths=np.array([5, 2]))
    with pytest.raises(ShapeError, match=r"logits of shape \(batch, steps, classes\)"):
        ctc_loss(Tensor(np.zeros((4, 3))), np.array([[1]]))
