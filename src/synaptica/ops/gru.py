"""The gated recurrent unit over a whole sequence, one fused op (see :mod:`synaptica.ops.recurrent`).

Cho et al. (2014) merge the LSTM's cell and hidden state and use two gates, in the form PyTorch and
ONNX (``linear_before_reset=1``) compute:

    rₜ = σ(W_r xₜ + b_ir + U_r hₜ₋₁ + b_hr)                 reset gate
    zₜ = σ(W_z xₜ + b_iz + U_z hₜ₋₁ + b_hz)                 update gate
    nₜ = tanh(W_n xₜ + b_in + rₜ ⊙ (U_n hₜ₋₁ + b_hn))       candidate
    hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁

The reset gate multiplies U_n hₜ₋₁ + b_hn after the product (Cho et al. reset hₜ₋₁ before it; the
two differ only in where b_hn sits and cost the same), which is why the recurrent bias b_hh is a
parameter of its own here. The weights hold their blocks in PyTorch's order (r, z, n); ONNX's GRU
holds (z, r, n) (:data:`ONNX_ORDER`).

Reference: K. Cho, B. van Merriënboer, C. Gulcehre, D. Bahdanau, F. Bougares, H. Schwenk and
Y. Bengio, "Learning phrase representations using RNN encoder–decoder for statistical machine
translation", EMNLP 2014.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.ops.recurrent import (
    batch_major, check_sequence, input_gradients, previous_states, recurrent_gradient, sigmoid_into,
    step_masks, step_order, time_major,
)
from synaptica.tensor import Tensor

#: the gate blocks, in the order the weights hold them (PyTorch's)
GATES = ("r", "z", "n")
#: ONNX's GRU holds (z, r, n): its block k is our block ONNX_ORDER[k]
ONNX_ORDER = (1, 0, 2)


def gru(x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor, mask=None,
        reverse: bool = False) -> Tensor:
    """A GRU layer's states over a whole sequence (equations in the module docstring).

    Args:
        x: (batch, time, features); h0: (batch, hidden); w_ih: (3·hidden, features);
        w_hh: (3·hidden, hidden); bias_ih, bias_hh: (3·hidden,), blocks (r, z, n).
        mask, reverse: as in :func:`synaptica.ops.recurrent.elman`.

    Returns:
        hₜ for every step, (batch, time, hidden).

    Backward, with ∂C/∂hₜ = gₜ + (carried from step t + 1) and aₙ = W_n x + b_in + r ⊙ ĥₙ,
    ĥ = U hₜ₋₁ + b_hh:
        δ_n = ∂C/∂hₜ ⊙ (1 − zₜ)(1 − nₜ²)          (∂C/∂aₙ)
        δ_z = ∂C/∂hₜ ⊙ (hₜ₋₁ − nₜ) zₜ(1 − zₜ)
        δ_r = δ_n ⊙ ĥₙ ⊙ rₜ(1 − rₜ)
    The input side gets (δ_r, δ_z, δ_n), the recurrent side (δ_r, δ_z, δ_n ⊙ rₜ), and
    ∂C/∂hₜ₋₁ = Uᵀ(recurrent δ) + ∂C/∂hₜ ⊙ zₜ. Each δ is ∂C/∂hₜ times a factor computed for all
    steps before the loop, so the loop itself is a product and an addition per step.
    """
    batch, steps, features, hidden = check_sequence("gru", x, h0, w_ih, w_hh, 3)
    if bias_ih.shape != (3 * hidden,) or bias_hh.shape != (3 * hidden,):
        raise ShapeError(f"gru: biases {bias_ih.shape} and {bias_hh.shape} do not fit hidden size {hidden}")
    masks = step_masks(mask, batch, steps, x.dtype)
    inputs = time_major(x.data)
    projected = (inputs.reshape(-1, features) @ w_ih.data.T + bias_ih.data).reshape(steps, batch, 3 * hidden)
    recurrent = np.empty_like(projected)  # ĥ = U hₜ₋₁ + b_hh of every step
    gates = np.empty_like(projected)  # r, z, n
    hs = np.empty((steps, batch, hidden), x.dtype)
    w_hh_t = w_hh.data.T
    h = h0.data
    for t in step_order(steps, reverse):
        u, a, p = recurrent[t], gates[t], projected[t]
        np.matmul(h, w_hh_t, out=u)
        u += bias_hh.data
        p[:, :2 * hidden] += u[:, :2 * hidden]
        sigmoid_into(p[:, :2 * hidden], a[:, :2 * hidden])
        n = a[:, 2 * hidden:]
        np.multiply(a[:, :hidden], u[:, 2 * hidden:], out=n)
        n += p[:, 2 * hidden:]
        np.tanh(n, out=n)
        ht = hs[t]
        np.subtract(h, n, out=ht)
        ht *= a[:, hidden:2 * hidden]
        ht += n
        if masks is not None:
            np.copyto(ht, h, where=masks[1][t])
        h = ht

    def vjp(g):
        before = previous_states(hs, h0.data, reverse)
        r, z, n = (gates[..., k * hidden:(k + 1) * hidden] for k in range(3))
        factors = np.empty_like(gates)  # δ_r, δ_z, δ_n per unit of ∂C/∂hₜ
        factors[..., 2 * hidden:] = (1 - z) * (1 - n * n)
        factors[..., hidden:2 * hidden] = (before - n) * z * (1 - z)
        factors[..., :hidden] = factors[..., 2 * hidden:] * recurrent[..., 2 * hidden:] * r * (1 - r)
        keep = z
        if masks is not None:
            factors *= masks[0]
            keep = np.where(masks[1], 1, z).astype(z.dtype)
        recurrent_factors = factors.copy()
        recurrent_factors[..., 2 * hidden:] *= r
        arriving = np.swapaxes(g, 0, 1)
        deltas = np.empty_like(gates)
        recurrent_deltas = np.empty_like(gates)
        shape = (batch, 3, hidden)
        grad_h = np.zeros_like(h0.data)
        w = w_hh.data
        for t in step_order(steps, not reverse):
            dh = (arriving[t] + grad_h)[:, None, :]
            np.multiply(dh, factors[t].reshape(shape), out=deltas[t].reshape(shape))
            np.multiply(dh, recurrent_factors[t].reshape(shape), out=recurrent_deltas[t].reshape(shape))
            grad_h = recurrent_deltas[t] @ w
            grad_h += dh[:, 0] * keep[t]
        grad_x, grad_w_ih, grad_b_ih = input_gradients(deltas, inputs, w_ih, x, bias_ih.requires_grad)
        grad_w_hh = recurrent_gradient(recurrent_deltas, before) if w_hh.requires_grad else None
        grad_b_hh = np.add.reduce(recurrent_deltas.reshape(-1, 3 * hidden), axis=0) if bias_hh.requires_grad else None
        return grad_x, grad_h, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh

    return Tensor.from_op(batch_major(hs), (x, h0, w_ih, w_hh, bias_ih, bias_hh), vjp, "gru")
