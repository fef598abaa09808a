"""The sampling ops beyond the oracle table (tests/ops/test_ops.py has their finite-difference and
PyTorch rows): the straight-through estimator against its definition, and what the noise makes of
each op (the distributions they sample)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from synaptica import ops
from synaptica.errors import ShapeError
from synaptica.ops.sampling import gaussian_noise, gumbel_noise, one_hot_argmax
from synaptica.ops.softmax import softmax_array
from synaptica.tensor import Tensor


def test_straight_through_forwards_the_one_hot_arg_max_and_passes_the_gradient_unchanged():
    """Definition (Bengio et al. 2013): forward h = onehot(argmax s); backward ∂C/∂s := ∂C/∂h."""
    rng = np.random.default_rng(0)
    soft = rng.uniform(0, 1, (5, 3, 4))
    weights = rng.normal(size=soft.shape)
    s = Tensor(soft, requires_grad=True)
    hard = ops.straight_through(s)
    assert hard.op == "straight_through"
    expected = np.zeros_like(soft)
    for index in np.ndindex(soft.shape[:-1]):
        expected[index][np.argmax(soft[index])] = 1.0
    np.testing.assert_array_equal(hard.data, expected)
    (hard * weights).sum().backward()
    np.testing.assert_array_equal(s.grad, weights)  # the identity's vjp: the weights themselves


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_straight_through_gumbel_matches_pytorchs_idiom(dtype):
    """PyTorch writes it ``hard - soft.detach() + soft`` (as in F.gumbel_softmax(hard=True)):
    the same forward and, through the softmax, the same gradient at the logits."""
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(6, 5)).astype(dtype)
    g = gumbel_noise(logits.shape, np.random.default_rng(2), dtype)
    w = rng.normal(size=logits.shape).astype(dtype)
    x = Tensor(logits.copy(), requires_grad=True)
    (ops.straight_through(ops.gumbel_softmax(x, g, 0.7)) * w).sum().backward()

    t = torch.tensor(logits, requires_grad=True)
    soft = torch.softmax((t + torch.as_tensor(g)) / 0.7, -1)
    hard = torch.nn.functional.one_hot(soft.argmax(-1), 5).to(soft.dtype)
    twin = hard - soft.detach() + soft
    (twin * torch.as_tensor(w)).sum().backward()
    tolerance = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(x.grad, t.grad.numpy(), atol=tolerance, rtol=tolerance)
    np.testing.assert_array_equal(one_hot_argmax(softmax_array((logits + g) / 0.7)), twin.detach().numpy())


def test_gumbel_max_samples_the_categorical_distribution():
    """argmax(ℓ + g) with Gumbel noise g is a sample of Categorical(softmax ℓ): frequencies of 40,000
    draws within 5 standard errors of the probabilities."""
    logits = np.array([1.0, -0.5, 0.0, 2.0])
    p = softmax_array(logits)
    n = 40_000
    picks = np.argmax(logits + gumbel_noise((n, 4), np.random.default_rng(3), np.float64), axis=1)
    frequencies = np.bincount(picks, minlength=4) / n
    assert np.all(np.abs(frequencies - p) < 5 * np.sqrt(p * (1 - p) / n))


def test_gumbel_softmax_tends_to_the_one_hot_sample_as_the_temperature_falls():
    rng = np.random.default_rng(4)
    logits = Tensor(rng.normal(size=(50, 6)))
    g = gumbel_noise((50, 6), rng, np.float64)
    hot = one_hot_argmax(logits.data + g)
    gaps = [np.abs(ops.gumbel_softmax(logits, g, tau).data - hot).max(axis=1) for tau in (5.0, 1.0, 0.1, 0.01)]
    means = [gap.mean() for gap in gaps]
    assert means == sorted(means, reverse=True)
    assert np.mean(gaps[-1] < 1e-3) >= 0.9  # all but near-ties of ℓ + g are one-hot at τ = 0.01
    np.testing.assert_allclose(ops.gumbel_softmax(logits, g, 1.0).data.sum(axis=1), 1.0)  # on the simplex
    with pytest.raises(ValueError, match="temperature must be > 0"):
        ops.gumbel_softmax(logits, g, 0.0)


def test_the_reparameterised_sample_has_the_mean_and_variance_asked_for():
    n = 200_000
    mu = Tensor(np.full((n, 2), [1.5, -2.0]))
    log_var = Tensor(np.full((n, 2), np.log([0.25, 4.0])))
    z = ops.reparameterize(mu, log_var, gaussian_noise((n, 2), np.random.default_rng(5), np.float64)).data
    np.testing.assert_allclose(z.mean(axis=0), [1.5, -2.0], atol=0.02)
    np.testing.assert_allclose(z.var(axis=0), [0.25, 4.0], rtol=0.02)


def test_the_kl_terms_vanish_at_the_prior_and_are_positive_elsewhere():
    zeros = Tensor(np.zeros((3, 4)))
    assert float(ops.gaussian_kl(zeros, zeros).data) == 0.0
    assert float(ops.categorical_kl(zeros).data) == pytest.approx(0.0, abs=1e-12)  # uniform q
    rng = np.random.default_rng(6)
    assert float(ops.gaussian_kl(Tensor(rng.normal(size=(3, 4))), Tensor(rng.normal(size=(3, 4)))).data) > 0
    # a certain categorical variable is log K nats away from the uniform prior
    certain = np.full((1, 2, 5), -1e4)
    certain[..., 0] = 0.0
    assert float(ops.categorical_kl(Tensor(certain)).data) == pytest.approx(2 * np.log(5))


def test_shapes_that_disagree_are_named():
    with pytest.raises(ShapeError, match=r"mu of shape \(2, 3\) and log_var of shape \(2, 4\)"):
        ops.reparameterize(Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 4))), np.zeros((2, 3)))
    with pytest.raises(ShapeError, match=r"mu of shape \(2, 3\) and eps of shape \(3, 2\)"):
        ops.reparameterize(Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 3))), np.zeros((3, 2)))
    with pytest.raises(ShapeError, match=r"logits of shape \(2, 3\) and gumbels of shape \(2,\)"):
        ops.gumbel_softmax(Tensor(np.zeros((2, 3))), np.zeros(2), 1.0)


def test_the_noise_is_a_function_of_the_generator():
    a = gumbel_noise((4, 3), np.random.default_rng(7))
    b = gumbel_noise((4, 3), np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert np.isfinite(a).all() and a.dtype == np.float32
