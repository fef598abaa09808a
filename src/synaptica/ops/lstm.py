"""The long short-term memory cell over a whole sequence, one fused op (see :mod:`synaptica.ops.recurrent`).

Hochreiter and Schmidhuber (1997) keep a memory cell cₜ that is changed only by addition, guarded by
gates; with the forget gate of Gers, Schmidhuber and Cummins (2000):

    iₜ = σ(W_i xₜ + U_i hₜ₋₁ + b_i  [+ p_i ⊙ cₜ₋₁])     input gate
    fₜ = σ(W_f xₜ + U_f hₜ₋₁ + b_f  [+ p_f ⊙ cₜ₋₁])     forget gate
    gₜ = tanh(W_g xₜ + U_g hₜ₋₁ + b_g)                  candidate
    cₜ = fₜ ⊙ cₜ₋₁ + iₜ ⊙ gₜ                             memory cell
    oₜ = σ(W_o xₜ + U_o hₜ₋₁ + b_o  [+ p_o ⊙ cₜ])        output gate
    hₜ = oₜ ⊙ tanh(cₜ)

The bracketed terms are the optional peepholes of Gers and Schmidhuber (2000): the gates look at
the cell itself (i and f at the cell before the step, o at the cell after it).

Why it helps against vanishing gradients: ∂cₜ/∂cₜ₋₁ = fₜ (plus peephole terms), an elementwise
factor the network can hold near 1, instead of a product with W_hh and φ' at every step as in the
Elman cell.

Gate order. The weights hold the four blocks of rows in the order **(o, i, f, g)**: the three
sigmoid gates are contiguous (one σ call per step), and so are the three blocks whose gradient is
∂C/∂cₜ times a saved factor (i, f, g), one product per step in the backward loop. PyTorch's
``nn.LSTM`` stores (i, f, g, o) and ONNX's LSTM (i, o, f, c); :data:`TORCH_ORDER` and
:data:`ONNX_ORDER` give the block permutations. ONNX's peephole vector is (p_i, p_o, p_f); here
``peephole`` is (p_o, p_i, p_f) in the same spirit.

References: S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural Computation 9, 1997;
F. A. Gers, J. Schmidhuber and F. Cummins, "Learning to forget", Neural Computation 12, 2000;
F. A. Gers and J. Schmidhuber, "Recurrent nets that time and count", IJCNN 2000.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.ops.recurrent import (
    batch_major, check_sequence, input_gradients, previous_states, recurrent_gradient, sigmoid_into,
    step_masks, step_order, time_major,
)
from synaptica.tensor import Tensor

#: the gate blocks, in the order the weights hold them
GATES = ("o", "i", "f", "g")
#: ours[k] = torch's block TORCH_ORDER[k]: PyTorch's nn.LSTM holds (i, f, g, o)
TORCH_ORDER = (3, 0, 1, 2)
#: ONNX's LSTM holds (i, o, f, c): its block k is our block ONNX_ORDER[k]
ONNX_ORDER = (1, 0, 2, 3)


def lstm(x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor, bias: Tensor,
         peephole: Tensor | None = None, mask=None, reverse: bool = False) -> Tensor:
    """An LSTM layer's states over a whole sequence (equations in the module docstring).

    Args:
        x: (batch, time, features); h0, c0: (batch, hidden).
        w_ih: (4·hidden, features); w_hh: (4·hidden, hidden); bias: (4·hidden,), blocks (o, i, f, g).
        peephole: None, or (3·hidden,) holding p_o, p_i, p_f.
        mask, reverse: as in :func:`synaptica.ops.recurrent.elman`.

    Returns:
        (batch, time, 2·hidden): hₜ in the first half of the last axis and cₜ in the second.

    Backward, with ∂C/∂hₜ = gₜ + Uᵀδₜ₊₁ and the cell's gradient carried from the later step:
        ∂C/∂cₜ = ∂C/∂hₜ ⊙ oₜ(1 − tanh² cₜ) + ∂C/∂cₜ₊₁ ⊙ fₜ₊₁ (+ peephole terms)
        δ_o = ∂C/∂hₜ ⊙ tanh cₜ ⊙ oₜ(1 − oₜ)       δ_i = ∂C/∂cₜ ⊙ gₜ ⊙ iₜ(1 − iₜ)
        δ_f = ∂C/∂cₜ ⊙ cₜ₋₁ ⊙ fₜ(1 − fₜ)           δ_g = ∂C/∂cₜ ⊙ iₜ ⊙ (1 − gₜ²)
    The factors after ∂C/∂hₜ and ∂C/∂cₜ are computed for all steps before the loop.
    """
    batch, steps, features, hidden = check_sequence("lstm", x, h0, w_ih, w_hh, 4)
    if c0.shape != h0.shape:
        raise ShapeError(f"lstm: the initial cell has shape {c0.shape}, expected {h0.shape}")
    if bias.shape != (4 * hidden,) or (peephole is not None and peephole.shape != (3 * hidden,)):
        raise ShapeError(f"lstm: bias {bias.shape} or peephole {None if peephole is None else peephole.shape} "
                         f"does not fit hidden size {hidden}")
    masks = step_masks(mask, batch, steps, x.dtype)
    inputs = time_major(x.data)
    z = (inputs.reshape(-1, features) @ w_ih.data.T + bias.data).reshape(steps, batch, 4 * hidden)
    gates = np.empty_like(z)  # σ(o), σ(i), σ(f), tanh(g) of every step
    cells = np.empty((steps, batch, hidden), x.dtype)
    squashed = np.empty_like(cells)  # tanh cₜ
    hs = np.empty_like(cells)
    w_hh_t = w_hh.data.T
    h, c = h0.data, c0.data
    peep = None if peephole is None else peephole.data.reshape(3, hidden)
    for t in step_order(steps, reverse):
        zt, a = z[t], gates[t]
        zt += h @ w_hh_t
        if peep is None:
            sigmoid_into(zt[:, :3 * hidden], a[:, :3 * hidden])
        else:
            zt[:, hidden:3 * hidden] += (peep[1:] * c[:, None, :]).reshape(batch, 2 * hidden)
            sigmoid_into(zt[:, hidden:3 * hidden], a[:, hidden:3 * hidden])
        np.tanh(zt[:, 3 * hidden:], out=a[:, 3 * hidden:])
        ct = cells[t]
        np.multiply(a[:, 2 * hidden:3 * hidden], c, out=ct)
        ct += a[:, hidden:2 * hidden] * a[:, 3 * hidden:]
        if peep is not None:
            zt[:, :hidden] += peep[0] * ct
            sigmoid_into(zt[:, :hidden], a[:, :hidden])
        np.tanh(ct, out=squashed[t])
        np.multiply(a[:, :hidden], squashed[t], out=hs[t])
        if masks is not None:
            np.copyto(hs[t], h, where=masks[1][t])
            np.copyto(ct, c, where=masks[1][t])
        h, c = hs[t], ct
    out = np.concatenate([hs, cells], axis=2)

    def vjp(g):
        before_c = previous_states(cells, c0.data, reverse)
        o, i, f, cand = (gates[..., k * hidden:(k + 1) * hidden] for k in range(4))
        # the factor each δ block is of ∂C/∂hₜ (block o) or of ∂C/∂cₜ (blocks i, f, g)
        factors = np.empty_like(gates)
        sigma_slope = gates[..., :3 * hidden] * (1 - gates[..., :3 * hidden])
        factors[..., :hidden] = squashed * sigma_slope[..., :hidden]
        factors[..., hidden:2 * hidden] = cand * sigma_slope[..., hidden:2 * hidden]
        factors[..., 2 * hidden:3 * hidden] = before_c * sigma_slope[..., 2 * hidden:]
        factors[..., 3 * hidden:] = i * (1 - cand * cand)
        to_cell = o * (1 - squashed * squashed)  # ∂hₜ/∂cₜ
        keep = f
        if masks is not None:  # padded steps: no δ, and the cell's gradient passes through unchanged
            factors *= masks[0]
            to_cell = to_cell * masks[0]
            keep = np.where(masks[1], 1, f).astype(f.dtype)
        arriving = np.swapaxes(g, 0, 1)
        deltas = np.empty_like(gates)
        blocks = deltas.reshape(steps, batch, 4, hidden)
        factor_blocks = factors.reshape(steps, batch, 4, hidden)
        grad_h = np.zeros_like(h0.data)
        grad_c = np.zeros_like(c0.data)
        w = w_hh.data
        for t in step_order(steps, not reverse):
            dh = arriving[t, :, :hidden] + grad_h
            dc = arriving[t, :, hidden:] + grad_c
            dc += dh * to_cell[t]
            np.multiply(dh, factors[t, :, :hidden], out=deltas[t, :, :hidden])
            if peep is not None:
                dc += deltas[t, :, :hidden] * peep[0]
            np.multiply(dc[:, None, :], factor_blocks[t, :, 1:], out=blocks[t, :, 1:])
            grad_c = dc * keep[t]
            if peep is not None:
                grad_c += np.einsum("bkh,kh->bh", blocks[t, :, 1:3], peep[1:])
            grad_h = deltas[t] @ w
            if masks is not None:
                grad_h += masks[1][t] * dh
        grad_x, grad_w_ih, grad_b = input_gradients(deltas, inputs, w_ih, x, bias.requires_grad)
        grad_w_hh = None
        if w_hh.requires_grad:
            grad_w_hh = recurrent_gradient(deltas, previous_states(hs, h0.data, reverse))
        grads = (grad_x, grad_h, grad_c, grad_w_ih, grad_w_hh, grad_b)
        if peephole is None:
            return grads
        grad_p = np.concatenate([np.einsum("tbh,tbh->h", blocks[:, :, 0], cells),
                                 np.einsum("tbh,tbh->h", blocks[:, :, 1], before_c),
                                 np.einsum("tbh,tbh->h", blocks[:, :, 2], before_c)])
        return (*grads, grad_p)

    parents = (x, h0, c0, w_ih, w_hh, bias) + (() if peephole is None else (peephole,))
    return Tensor.from_op(batch_major(out), parents, vjp, "lstm")
