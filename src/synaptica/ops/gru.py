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
    arriving_gradient, batch_major, check_sequence, feature_major, halved_rows, merged, merged_previous, project,
    sigmoid_from_tanh, step_masks, step_order, weight_gradients, with_previous,
)
from synaptica.tensor import Tensor, joins_graph

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

    Forward: rₜ and zₜ are ½ tanh(a/2) + ½ (:func:`synaptica.ops.recurrent.halved_rows`), one tanh
    call for both; b_hr and b_hz are added to b_ir and b_iz once, before the loop. When no gradient
    is wanted nothing is kept for a backward pass and the buffers of one step serve every step.

    Backward, with ∂C/∂hₜ = gₜ + (carried from step t + 1) and aₙ = W_n x + b_in + r ⊙ ĥₙ,
    ĥ = U hₜ₋₁ + b_hh:
        δ_n = ∂C/∂hₜ ⊙ (1 − zₜ)(1 − nₜ²)          (∂C/∂aₙ)
        δ_z = ∂C/∂hₜ ⊙ (hₜ₋₁ − nₜ) zₜ(1 − zₜ)
        δ_r = δ_n ⊙ ĥₙ ⊙ rₜ(1 − rₜ)
    The input side gets (δ_r, δ_z, δ_n), the recurrent side (δ_r, δ_z, δ_n ⊙ rₜ), and
    ∂C/∂hₜ₋₁ = Uᵀ(recurrent δ) + ∂C/∂hₜ ⊙ zₜ. Each δ is ∂C/∂hₜ times a factor computed for all
    steps before the loop (into the arrays that then receive the δ), so the loop itself is a few
    products and one matrix product per step.
    """
    batch, steps, features, hidden = check_sequence("gru", x, h0, w_ih, w_hh, 3)
    if bias_ih.shape != (3 * hidden,) or bias_hh.shape != (3 * hidden,):
        raise ShapeError(f"gru: biases {bias_ih.shape} and {bias_hh.shape} do not fit hidden size {hidden}")
    parents = (x, h0, w_ih, w_hh, bias_ih, bias_hh)
    masks = step_masks(mask, batch, steps, x.dtype)
    n = hidden
    inputs = feature_major(x.data)  # (features, time, batch)
    w_x, w = halved_rows(w_ih.data, 2 * n), halved_rows(w_hh.data, 2 * n)
    b = bias_ih.data.copy()
    b[:2 * n] += bias_hh.data[:2 * n]
    b = halved_rows(b, 2 * n)  # b_ir + b_hr, b_iz + b_hz (halved), b_in
    b_hn = bias_hh.data[2 * n:, None]
    hs = np.empty((steps, n, batch), x.dtype)
    h = np.ascontiguousarray(h0.data.T)
    product = np.empty((3 * n, batch), x.dtype)  # U hₜ₋₁ (halved rows for r and z)
    record = joins_graph(parents)
    if record:  # every step's gates and ĥₙ = U_n hₜ₋₁ + b_hn are kept for the backward pass
        gates = project(w_x, inputs, b)  # W xₜ + b, then rₜ, zₜ, nₜ in place
        recurrent = np.empty((steps, n, batch), x.dtype)
    else:
        stacked = np.concatenate([w_x, b[:, None]], 1)
        operand = np.empty((features + 1, batch), x.dtype)
        operand[features] = 1
        gate = np.empty((3 * n, batch), x.dtype)
        hidden_n = np.empty((n, batch), x.dtype)
    scratch = np.empty((n, batch), x.dtype)
    for t in step_order(steps, reverse):  # the unrolled loop
        ht = hs[t]
        if record:
            a, u = gates[t], recurrent[t]
        else:
            a, u = gate, hidden_n
            operand[:features] = inputs[:, t]
            np.matmul(stacked, operand, out=a)
        np.matmul(w, h, out=product)
        a[:2 * n] += product[:2 * n]
        np.tanh(a[:2 * n], out=a[:2 * n])
        sigmoid_from_tanh(a[:2 * n])  # rₜ, zₜ
        np.add(product[2 * n:], b_hn, out=u)  # ĥₙ
        cand = a[2 * n:]
        cand += np.multiply(a[:n], u, out=scratch)
        np.tanh(cand, out=cand)  # nₜ
        np.subtract(h, cand, out=ht)
        ht *= a[n:2 * n]
        ht += cand  # hₜ = nₜ + zₜ ⊙ (hₜ₋₁ − nₜ)
        if masks is not None:
            np.copyto(ht, h, where=masks[1][t])
        h = ht
    if not record:
        return Tensor.from_op(batch_major(hs), parents, None, "gru")

    def vjp(g):
        r, z, cand = (gates[:, k * n:(k + 1) * n] for k in range(3))
        # factors of ∂C/∂hₜ, written where the δ go: ``deltas`` holds the recurrent side's
        # (δ_r, δ_z, δ_n ⊙ r), ``deltas_n`` the input side's δ_n
        deltas = np.empty_like(gates)
        deltas_n = np.subtract(1, z)
        spare = np.multiply(cand, cand)
        np.subtract(1, spare, out=spare)
        deltas_n *= spare  # (1 − zₜ)(1 − nₜ²)
        factor_z = deltas[:, n:2 * n]
        np.subtract(1, z, out=factor_z)
        factor_z *= z
        np.negative(cand, out=spare)
        with_previous(np.add, spare, hs, h0.data.T, reverse)
        factor_z *= spare  # (hₜ₋₁ − nₜ) zₜ(1 − zₜ)
        factor_r = deltas[:, :n]
        np.subtract(1, r, out=factor_r)
        factor_r *= r
        factor_r *= deltas_n
        factor_r *= recurrent  # (1 − zₜ)(1 − nₜ²) ĥₙ rₜ(1 − rₜ)
        keep = z
        if masks is not None:
            deltas[:, :2 * n] *= masks[0]
            deltas_n *= masks[0]
            keep = np.where(masks[1], 1, z).astype(z.dtype)
        arriving = arriving_gradient(g)
        gates_rz = deltas[:, :2 * n].reshape(steps, 2, n, batch)
        grad_h = np.zeros_like(h)
        dh, part = np.empty_like(h), np.empty_like(h)
        w_t = w_hh.data.T
        first = steps - 1 if reverse else 0
        for t in step_order(steps, not reverse):
            np.add(arriving(t), grad_h, out=dh)
            gates_rz[t] *= dh
            deltas_n[t] *= dh
            np.multiply(deltas_n[t], r[t], out=deltas[t, 2 * n:])
            if t != first or h0.requires_grad:  # ∂C/∂hₜ₋₁ (the first step's only for h₀)
                np.matmul(w_t, deltas[t], out=grad_h)
                grad_h += np.multiply(dh, keep[t], out=part)
        flat = merged(deltas)
        grad_w_hh = flat @ merged_previous(hs, h0.data.T, reverse).T if w_hh.requires_grad else None
        grad_b_hh = np.add.reduce(flat, axis=1) if bias_hh.requires_grad else None
        flat.reshape(3 * n, steps, batch)[2 * n:] = np.swapaxes(deltas_n, 0, 1)  # the input side's δ_n
        grad_x, grad_w_ih, grad_b_ih = weight_gradients(flat, inputs, w_ih, x, bias_ih.requires_grad)
        return grad_x, grad_h.T if h0.requires_grad else None, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh

    return Tensor.from_op(batch_major(hs), parents, vjp, "gru")
