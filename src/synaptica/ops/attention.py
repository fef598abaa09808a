"""Attention: each query reads a weighted mean of the values, weighted by how well it matches each key.

A decoder writing step t of its output asks "which input positions matter now?". With queries
q_t (the decoder's states), keys k_s and values v_s (the encoder's states, one per source position):

.. math::

    e_{ts} = \\operatorname{score}(q_t, k_s), \\qquad
    \\alpha_{ts} = \\frac{\\exp e_{ts}}{\\sum_{s'} \\exp e_{ts'}}, \\qquad
    c_t = \\sum_s \\alpha_{ts} v_s

Padded source positions (``key_lengths``) get α = 0. Two scores:

- ``dot`` (Luong, Pham and Manning 2015): e = q·k (times ``scale``, e.g. 1/√d as in Vaswani et al.
  2017); queries and keys must have the same size.
- ``additive`` (Bahdanau, Cho and Bengio 2015, "Neural machine translation by jointly learning to
  align and translate"): e = wᵀ tanh(W_q q + W_k k), a one-hidden-layer network on the pair, with
  weights W_q (a, d_q), W_k (a, d_k), w (a,).

Both are one fused op with a hand-written backward. With g = ∂C/∂c:

    ∂C/∂α_ts = g_t · v_s          ∂C/∂v_s = Σ_t α_ts g_t
    ∂C/∂e_ts = α_ts (∂C/∂α_ts − Σ_s' α_ts' ∂C/∂α_ts')          (the softmax's Jacobian)

then for ``dot`` ∂C/∂q_t = scale Σ_s ∂C/∂e_ts k_s and ∂C/∂k_s = scale Σ_t ∂C/∂e_ts q_t; for
``additive``, with u = tanh(W_q q_t + W_k k_s): ∂C/∂w = Σ ∂C/∂e_ts u_ts, and the pre-activation's
gradient (∂C/∂e_ts) w ⊙ (1 − u²) flows to W_q q_t (summed over s) and to W_k k_s (summed over t).
The op returns the contexts as a Tensor and the weights α as an array (for alignment pictures).
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.ops.softmax import softmax_array
from synaptica.tensor import Tensor

__all__ = ["attention", "SCORES"]

SCORES = ("dot", "additive")


def attention(queries: Tensor, keys: Tensor, values: Tensor, key_lengths=None, *, score: str = "dot",
              scale: float = 1.0, w_query: Tensor | None = None, w_key: Tensor | None = None,
              w: Tensor | None = None) -> tuple[Tensor, np.ndarray]:
    """Contexts (batch, T, d_v) and weights α (batch, T, S) for queries (batch, T, d_q), keys (batch, S, d_k)
    and values (batch, S, d_v); ``key_lengths`` (batch,) marks the real source positions."""
    q, k, v = queries.data, keys.data, values.data
    if q.ndim != 3 or k.ndim != 3 or v.ndim != 3 or not (q.shape[0] == k.shape[0] == v.shape[0]) \
            or k.shape[1] != v.shape[1]:
        raise ShapeError(f"attention: queries (batch, T, d), keys and values (batch, S, d) must agree, got "
                         f"{q.shape}, {k.shape}, {v.shape}")
    batch, source = k.shape[:2]
    mask = None
    if key_lengths is not None:
        lengths = np.asarray(key_lengths)
        if lengths.shape != (batch,) or lengths.min() < 1 or lengths.max() > source:
            raise ShapeError(f"attention: key_lengths must be {batch} lengths in [1, {source}], got {lengths}")
        mask = np.arange(source)[None, None, :] < lengths[:, None, None]
    if score == "dot":
        if q.shape[2] != k.shape[2]:
            raise ShapeError(f"attention (dot): queries of size {q.shape[2]} cannot score keys of size {k.shape[2]}")
        energies = scale * np.matmul(q, k.transpose(0, 2, 1))
        parents: tuple = (queries, keys, values)
    elif score == "additive":
        if w_query is None or w_key is None or w is None:
            raise ValueError("attention (additive) needs the weights w_query, w_key and w")
        a = w.data.shape[0]
        if w_query.data.shape != (a, q.shape[2]) or w_key.data.shape != (a, k.shape[2]):
            raise ShapeError(f"attention (additive): w_query {w_query.data.shape} and w_key {w_key.data.shape} must be "
                             f"({a}, {q.shape[2]}) and ({a}, {k.shape[2]})")
        hidden = np.tanh((q @ w_query.data.T)[:, :, None, :] + (k @ w_key.data.T)[:, None, :, :])  # (B, T, S, a)
        energies = hidden @ w.data
        parents = (queries, keys, values, w_query, w_key, w)
    else:
        raise ValueError(f"attention: score must be one of {SCORES}, got {score!r}")
    if mask is not None:
        energies = np.where(mask, energies, -np.inf)
    weights = softmax_array(energies, axis=2)
    context = np.matmul(weights, v)

    def vjp(g):
        grad_weights = np.matmul(g, v.transpose(0, 2, 1))
        grad_values = np.matmul(weights.transpose(0, 2, 1), g)
        grad_energies = weights * (grad_weights - (weights * grad_weights).sum(axis=2, keepdims=True))
        if score == "dot":
            return (scale * np.matmul(grad_energies, k), scale * np.matmul(grad_energies.transpose(0, 2, 1), q),
                    grad_values)
        size = w.data.shape[0]
        grad_w = grad_energies.reshape(1, -1) @ hidden.reshape(-1, size)
        grad_pre = grad_energies[..., None] * w.data * (1.0 - hidden * hidden)
        grad_qa, grad_ka = grad_pre.sum(axis=2), grad_pre.sum(axis=1)          # (B, T, a), (B, S, a)
        return (grad_qa @ w_query.data, grad_ka @ w_key.data, grad_values,
                grad_qa.reshape(-1, size).T @ q.reshape(-1, q.shape[2]),
                grad_ka.reshape(-1, size).T @ k.reshape(-1, k.shape[2]), grad_w.reshape(size))

    return Tensor.from_op(context.astype(v.dtype, copy=False), parents, vjp, f"attention ({score})"), weights
