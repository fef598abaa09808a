"""Attention (dot and additive): finite differences, a PyTorch twin, padding inert, uniform keys."""

import numpy as np
import pytest
import torch

from synaptica.errors import ShapeError
from synaptica.ops.attention import attention
from synaptica.tensor import Tensor
from tests.ops.gradcheck import gradcheck


def _operands(rng, dtype=np.float64):
    q = rng.normal(size=(2, 3, 4)).astype(dtype)
    k = rng.normal(size=(2, 5, 4)).astype(dtype)
    v = rng.normal(size=(2, 5, 6)).astype(dtype)
    weights = [rng.normal(size=s).astype(dtype) for s in ((7, 4), (7, 4), (7,))]
    return q, k, v, weights, np.array([5, 3])


def _call(score, lengths):
    def fn(q, k, v, *weights):
        extra = dict(zip(("w_query", "w_key", "w"), weights)) if score == "additive" else {}
        context, _ = attention(q, k, v, lengths, score=score, scale=0.7 if score == "dot" else 1.0, **extra)
        return (context * Tensor(np.linspace(-1, 1, context.data.size).reshape(context.shape))).sum()
    return fn


@pytest.mark.parametrize("score", ["dot", "additive"])
def test_gradients_match_finite_differences(rng, score):
    q, k, v, weights, lengths = _operands(rng)
    gradcheck(_call(score, lengths), [q, k, v, *(weights if score == "additive" else [])])


def _torch_attention(score, q, k, v, weights, lengths):
    if score == "dot":
        energies = 0.7 * q @ k.transpose(1, 2)
    else:
        wq, wk, w = weights
        energies = torch.tanh((q @ wq.T)[:, :, None, :] + (k @ wk.T)[:, None, :, :]) @ w
    mask = torch.arange(k.shape[1])[None, None, :] < torch.tensor(lengths)[:, None, None]
    alpha = torch.softmax(energies.masked_fill(~mask, float("-inf")), dim=2)
    return alpha @ v, alpha


@pytest.mark.parametrize("score", ["dot", "additive"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equals_a_pytorch_twin_with_its_gradients(rng, score, dtype):
    q, k, v, weights, lengths = _operands(rng, dtype)
    twins = [torch.tensor(a, requires_grad=True) for a in (q, k, v, *weights)]
    expected, expected_alpha = _torch_attention(score, *twins[:3], twins[3:], lengths)
    g = rng.normal(size=expected.shape).astype(dtype)
    (expected * torch.tensor(g)).sum().backward()
    ours = [Tensor(a, requires_grad=True) for a in (q, k, v, *weights)]
    extra = dict(zip(("w_query", "w_key", "w"), ours[3:])) if score == "additive" else {}
    context, alpha = attention(*ours[:3], lengths, score=score, scale=0.7 if score == "dot" else 1.0, **extra)
    (context * Tensor(g)).sum().backward()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert context.data.dtype == dtype
    np.testing.assert_allclose(context.data, expected.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(alpha, expected_alpha.detach().numpy(), rtol=tol, atol=tol)
    used = ours if score == "additive" else ours[:3]
    for mine, twin in zip(used, twins):
        np.testing.assert_allclose(mine.grad, twin.grad.numpy(), rtol=10 * tol, atol=10 * tol)


def test_padding_gets_no_weight_and_equal_keys_give_the_mean(rng):
    q, k, v, _, _ = _operands(rng)
    context, alpha = attention(Tensor(q), Tensor(k), Tensor(v), np.array([5, 2]))
    assert np.all(alpha[1, :, 2:] == 0) and np.allclose(alpha.sum(axis=2), 1)
    same = np.repeat(k[:, :1], 5, axis=1)                 # every key alike: the context is the values' mean
    context, alpha = attention(Tensor(q), Tensor(same), Tensor(v))
    np.testing.assert_allclose(context.data, np.repeat(v.mean(axis=1, keepdims=True), 3, axis=1), atol=1e-12)


def test_mismatched_shapes_are_named(rng):
    q, k, v, _, _ = _operands(rng)
    with pytest.raises(ShapeError, match="queries of size 3 cannot score keys of size 4"):
        attention(Tensor(q[..., :3]), Tensor(k), Tensor(v))
    with pytest.raises(ShapeError, match=r"key_lengths must be 2 lengths in \[1, 5\]"):
        attention(Tensor(q), Tensor(k), Tensor(v), np.array([6, 1]))
    with pytest.raises(ValueError, match="score must be one of"):
        attention(Tensor(q), Tensor(k), Tensor(v), score="cosine")
