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
    arriving_gradient, batch_major, check_sequence, feature_major, halved_rows, merged, merged_previous, project,
    recording, sigmoid_from_tanh, step_masks, step_order, weight_gradients, with_previous,
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

    Forward: the sigmoid gates are ½ tanh(a/2) + ½, so that one tanh call per step covers all four
    blocks (:func:`synaptica.ops.recurrent.halved_rows`). When no gradient is wanted (``no_grad``, or
    no operand requires one) nothing is kept for a backward pass: each step's pre-activations are one
    product [W_ih b W_hh] [xₜ; 1; hₜ₋₁] into a buffer reused at every step.

    Backward, with ∂C/∂hₜ = gₜ + Uᵀδₜ₊₁ and the cell's gradient carried from the later step:
        ∂C/∂cₜ = ∂C/∂hₜ ⊙ oₜ(1 − tanh² cₜ) + ∂C/∂cₜ₊₁ ⊙ fₜ₊₁ (+ peephole terms)
        δ_o = ∂C/∂hₜ ⊙ tanh cₜ ⊙ oₜ(1 − oₜ)       δ_i = ∂C/∂cₜ ⊙ gₜ ⊙ iₜ(1 − iₜ)
        δ_f = ∂C/∂cₜ ⊙ cₜ₋₁ ⊙ fₜ(1 − fₜ)           δ_g = ∂C/∂cₜ ⊙ iₜ ⊙ (1 − gₜ²)
    The factors after ∂C/∂hₜ and ∂C/∂cₜ are computed for all steps before the loop, into the array
    that then receives the δ, each step multiplying its own block in place.
    """
    batch, steps, features, hidden = check_sequence("lstm", x, h0, w_ih, w_hh, 4)
    if c0.shape != h0.shape:
        raise ShapeError(f"lstm: the initial cell has shape {c0.shape}, expected {h0.shape}")
    if bias.shape != (4 * hidden,) or (peephole is not None and peephole.shape != (3 * hidden,)):
        raise ShapeError(f"lstm: bias {bias.shape} or peephole {None if peephole is None else peephole.shape} "
                         f"does not fit hidden size {hidden}")
    parents = (x, h0, c0, w_ih, w_hh, bias) + (() if peephole is None else (peephole,))
    masks = step_masks(mask, batch, steps, x.dtype)
    n = hidden
    inputs = feature_major(x.data)  # (features, time, batch)
    w = halved_rows(w_hh.data, 3 * n)
    peep = None if peephole is None else (0.5 * peephole.data).reshape(3, n, 1)
    states = np.empty((steps, 2 * n, batch), x.dtype)  # hₜ over cₜ
    h, c = np.ascontiguousarray(h0.data.T), np.ascontiguousarray(c0.data.T)
    record = recording(parents)
    if record:  # every step's gates and tanh cₜ are kept for the backward pass
        gates = project(halved_rows(w_ih.data, 3 * n), inputs, halved_rows(bias.data, 3 * n))
        squashed = np.empty((steps, n, batch), x.dtype)
        product = np.empty((4 * n, batch), x.dtype)
    else:  # one buffer for the step's [xₜ; 1; hₜ₋₁] and one for its gates
        stacked = np.concatenate([halved_rows(w_ih.data, 3 * n), halved_rows(bias.data, 3 * n)[:, None], w], 1)
        operand = np.empty((features + 1 + n, batch), x.dtype)
        operand[features] = 1
        operand[features + 1:] = h
        gate = np.empty((4 * n, batch), x.dtype)
        square = np.empty((n, batch), x.dtype)
    scratch = np.empty((n, batch), x.dtype)
    for t in step_order(steps, reverse):  # the unrolled loop
        ht, ct = states[t, :n], states[t, n:]
        if record:
            a, s = gates[t], squashed[t]
            a += np.matmul(w, h, out=product)  # (a/2 for o, i, f; a for g)
        else:
            a, s = gate, square
            operand[:features] = inputs[:, t]
            np.matmul(stacked, operand, out=a)
        if peep is None:
            np.tanh(a, out=a)
            sigmoid_from_tanh(a[:3 * n])
        else:
            a[n:3 * n] += (peep[1:] * c).reshape(2 * n, batch)
            np.tanh(a[n:], out=a[n:])
            sigmoid_from_tanh(a[n:3 * n])
        np.multiply(a[2 * n:3 * n], c, out=ct)  # cₜ = fₜ ⊙ cₜ₋₁ + iₜ ⊙ gₜ
        ct += np.multiply(a[n:2 * n], a[3 * n:], out=scratch)
        if peep is not None:
            a[:n] += np.multiply(peep[0], ct, out=scratch)
            np.tanh(a[:n], out=a[:n])
            sigmoid_from_tanh(a[:n])
        np.tanh(ct, out=s)
        np.multiply(a[:n], s, out=ht)  # hₜ = oₜ ⊙ tanh cₜ
        if masks is not None:
            np.copyto(ht, h, where=masks[1][t])
            np.copyto(ct, c, where=masks[1][t])
        h, c = ht, ct
        if not record:
            operand[features + 1:] = ht
    if not record:
        return Tensor.from_op(batch_major(states), parents, None, "lstm")

    def vjp(g):
        cells = states[:, n:]
        o, i, f, cand = (gates[:, k * n:(k + 1) * n] for k in range(4))
        # the factor each δ block is of ∂C/∂hₜ (block o) or of ∂C/∂cₜ (blocks i, f, g), all steps at
        # once, written where the δ go: the loop multiplies each step's block in place
        deltas = np.empty_like(gates)
        blocks = deltas.reshape(steps, 4, n, batch)
        slope = deltas[:, :3 * n]
        np.subtract(1, gates[:, :3 * n], out=slope)
        slope *= gates[:, :3 * n]  # σ' = σ(1 − σ) of o, i, f
        blocks[:, 0] *= squashed
        blocks[:, 1] *= cand
        with_previous(np.multiply, blocks[:, 2], cells, c0.data.T, reverse)
        np.multiply(cand, cand, out=blocks[:, 3])
        np.subtract(1, blocks[:, 3], out=blocks[:, 3])
        blocks[:, 3] *= i
        to_cell = np.multiply(squashed, squashed)  # ∂hₜ/∂cₜ = oₜ(1 − tanh² cₜ)
        np.subtract(1, to_cell, out=to_cell)
        to_cell *= o
        keep = f
        if masks is not None:  # padded steps: no δ, and the cell's gradient passes through unchanged
            deltas *= masks[0]
            to_cell *= masks[0]
            keep = np.where(masks[1], 1, f).astype(f.dtype)
        arriving = arriving_gradient(g)
        grad_h, grad_c = np.zeros_like(h), np.zeros_like(c)
        dh, dc, part = np.empty_like(h), np.empty_like(c), np.empty_like(c)
        w_t = w_hh.data.T
        for t in step_order(steps, not reverse):
            np.add(arriving[t, :n], grad_h, out=dh)
            np.add(arriving[t, n:], grad_c, out=dc)
            dc += np.multiply(dh, to_cell[t], out=part)
            deltas[t, :n] *= dh
            if peep is not None:
                dc += np.multiply(deltas[t, :n], peephole.data[:n, None], out=part)
            blocks[t, 1:] *= dc
            np.multiply(dc, keep[t], out=grad_c)
            if peep is not None:
                grad_c += (blocks[t, 1:3] * peephole.data[n:].reshape(2, n, 1)).sum(axis=0)
            np.matmul(w_t, deltas[t], out=grad_h)
            if masks is not None:
                grad_h += masks[1][t] * dh
        flat = merged(deltas)
        grad_x, grad_w_ih, grad_b = weight_gradients(flat, inputs, w_ih, x, bias.requires_grad)
        grad_w_hh = flat @ merged_previous(states[:, :n], h0.data.T, reverse).T if w_hh.requires_grad else None
        grads = (grad_x, grad_h.T, grad_c.T, grad_w_ih, grad_w_hh, grad_b)
        if peephole is None:
            return grads
        before_c = np.ones_like(cells)
        with_previous(np.multiply, before_c, cells, c0.data.T, reverse)
        grad_p = np.concatenate([np.einsum("thb,thb->h", blocks[:, 0], cells),
                                 np.einsum("thb,thb->h", blocks[:, 1], before_c),
                                 np.einsum("thb,thb->h", blocks[:, 2], before_c)])
        return (*grads, grad_p)

    return Tensor.from_op(batch_major(states), parents, vjp, "lstm")
