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
    arriving_gradient, batch_major, check_sequence, feature_major, merged, previous_states, project, sigmoid_into,
    step_masks, step_order, weight_gradients,
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
    n = hidden
    inputs = feature_major(x.data)
    z = project(w_ih.data, inputs, bias.data)  # (time, 4·hidden, batch): W xₜ + b, then + U hₜ₋₁
    gates = np.empty_like(z)  # σ(o), σ(i), σ(f), tanh(g) of every step
    states = np.empty((steps, 2 * n, batch), x.dtype)  # hₜ over cₜ
    squashed = np.empty((steps, n, batch), x.dtype)  # tanh cₜ
    w = w_hh.data
    h, c = np.ascontiguousarray(h0.data.T), np.ascontiguousarray(c0.data.T)
    peep = None if peephole is None else peephole.data.reshape(3, n, 1)
    for t in step_order(steps, reverse):  # the unrolled loop
        zt, a, ht, ct = z[t], gates[t], states[t, :n], states[t, n:]
        zt += w @ h
        if peep is None:
            sigmoid_into(zt[:3 * n], a[:3 * n])
        else:
            zt[n:3 * n] += (peep[1:] * c).reshape(2 * n, batch)
            sigmoid_into(zt[n:3 * n], a[n:3 * n])
        np.tanh(zt[3 * n:], out=a[3 * n:])
        np.multiply(a[2 * n:3 * n], c, out=ct)
        ct += a[n:2 * n] * a[3 * n:]
        if peep is not None:
            zt[:n] += peep[0] * ct
            sigmoid_into(zt[:n], a[:n])
        np.tanh(ct, out=squashed[t])
        np.multiply(a[:n], squashed[t], out=ht)
        if masks is not None:
            np.copyto(ht, h, where=masks[1][t])
            np.copyto(ct, c, where=masks[1][t])
        h, c = ht, ct

    def vjp(g):
        hs, cells = states[:, :n], states[:, n:]
        before_c = previous_states(cells, c0.data.T, reverse)
        o, i, f, cand = (gates[:, k * n:(k + 1) * n] for k in range(4))
        # the factor each δ block is of ∂C/∂hₜ (block o) or of ∂C/∂cₜ (blocks i, f, g), all steps at once
        factors = np.empty_like(gates)
        sigma_slope = gates[:, :3 * n] * (1 - gates[:, :3 * n])
        np.multiply(squashed, sigma_slope[:, :n], out=factors[:, :n])
        np.multiply(cand, sigma_slope[:, n:2 * n], out=factors[:, n:2 * n])
        np.multiply(before_c, sigma_slope[:, 2 * n:], out=factors[:, 2 * n:3 * n])
        np.multiply(i, 1 - cand * cand, out=factors[:, 3 * n:])
        to_cell = o * (1 - squashed * squashed)  # ∂hₜ/∂cₜ
        keep = f
        if masks is not None:  # padded steps: no δ, and the cell's gradient passes through unchanged
            factors *= masks[0]
            to_cell *= masks[0]
            keep = np.where(masks[1], 1, f).astype(f.dtype)
        arriving = arriving_gradient(g)
        deltas = np.empty_like(gates)
        blocks = deltas.reshape(steps, 4, n, batch)
        factor_blocks = factors.reshape(steps, 4, n, batch)
        grad_h = np.zeros_like(h)
        grad_c = np.zeros_like(c)
        w_t = w.T
        for t in step_order(steps, not reverse):
            dh = arriving[t, :n] + grad_h
            dc = arriving[t, n:] + grad_c
            dc += dh * to_cell[t]
            np.multiply(dh, factors[t, :n], out=deltas[t, :n])
            if peep is not None:
                dc += deltas[t, :n] * peep[0]
            np.multiply(dc, factor_blocks[t, 1:], out=blocks[t, 1:])
            grad_c = dc * keep[t]
            if peep is not None:
                grad_c += (blocks[t, 1:3] * peep[1:]).sum(axis=0)
            grad_h = w_t @ deltas[t]
            if masks is not None:
                grad_h += masks[1][t] * dh
        grad_x, grad_w_ih, grad_b = weight_gradients(deltas, inputs, w_ih, x, bias.requires_grad)
        grad_w_hh = None
        if w_hh.requires_grad:
            grad_w_hh = merged(deltas) @ merged(previous_states(hs, h0.data.T, reverse)).T
        grads = (grad_x, grad_h.T, grad_c.T, grad_w_ih, grad_w_hh, grad_b)
        if peephole is None:
            return grads
        grad_p = np.concatenate([np.einsum("thb,thb->h", blocks[:, 0], cells),
                                 np.einsum("thb,thb->h", blocks[:, 1], before_c),
                                 np.einsum("thb,thb->h", blocks[:, 2], before_c)])
        return (*grads, grad_p)

    parents = (x, h0, c0, w_ih, w_hh, bias) + (() if peephole is None else (peephole,))
    return Tensor.from_op(batch_major(states), parents, vjp, "lstm")
