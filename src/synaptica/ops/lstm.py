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
    arriving_gradient, batch_major, check_sequence, feature_major, halved_rows, merged_previous, project,
    sigmoid_from_tanh, step_masks, step_order, weight_gradients, with_previous,
)
from synaptica.tensor import Tensor, joins_graph

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
    Each step computes its factors (σ', tanh cₜ, gₜ, cₜ₋₁) and δ in one (4·hidden, batch) buffer that
    stays in the cache, and copies the δ into a (4·hidden, time, batch) array: all steps side by side,
    the operand of the weight gradients' products without a transposed copy.
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
    record = joins_graph(parents)
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
        keep = gates[:, 2 * n:3 * n]  # ∂cₜ/∂cₜ₋₁ = fₜ
        if masks is not None:  # padded steps: no δ, and the cell's gradient passes through unchanged
            keep = np.where(masks[1], 1, keep).astype(keep.dtype)
        arriving = arriving_gradient(g)
        deltas = np.empty((4 * n, steps, batch), x.dtype)  # every step's δ, side by side as merged() lays them
        delta = np.empty((4 * n, batch), x.dtype)  # this step's
        blocks = delta.reshape(4, n, batch)
        grad_h, grad_c = np.zeros_like(h), np.zeros_like(c)
        dh, dc, part = np.empty_like(h), np.empty_like(c), np.empty_like(c)
        w_t = w_hh.data.T
        first = steps - 1 if reverse else 0
        for t in step_order(steps, not reverse):
            a, s = gates[t], squashed[t]
            step = arriving(t)
            np.add(step[:n], grad_h, out=dh)  # ∂C/∂hₜ
            np.add(step[n:], grad_c, out=dc)
            np.multiply(s, s, out=part)
            np.subtract(1, part, out=part)
            part *= a[:n]
            part *= dh
            if masks is not None:
                part *= masks[0][t]
            dc += part  # ∂C/∂cₜ, through hₜ = oₜ tanh cₜ and from step t + 1
            np.subtract(1, a[:3 * n], out=delta[:3 * n])
            delta[:3 * n] *= a[:3 * n]  # σ' = σ(1 − σ) of o, i, f
            blocks[0] *= s
            blocks[0] *= dh  # δ_o
            blocks[1] *= a[3 * n:]
            blocks[2] *= c0.data.T if t == first else cells[t + 1 if reverse else t - 1]
            np.multiply(a[3 * n:], a[3 * n:], out=blocks[3])
            np.subtract(1, blocks[3], out=blocks[3])
            blocks[3] *= a[n:2 * n]
            if masks is not None:
                delta *= masks[0][t]
            if peep is not None:
                dc += np.multiply(blocks[0], peephole.data[:n, None], out=part)
            blocks[1:] *= dc  # δ_i, δ_f, δ_g
            np.multiply(dc, keep[t], out=grad_c)
            if peep is not None:
                grad_c += (blocks[1:3] * peephole.data[n:].reshape(2, n, 1)).sum(axis=0)
            if t != first or h0.requires_grad:  # ∂C/∂hₜ₋₁ (the first step's only for h₀)
                np.matmul(w_t, delta, out=grad_h)
                if masks is not None:
                    grad_h += masks[1][t] * dh
            deltas[:, t] = delta
        flat = deltas.reshape(4 * n, -1)
        grad_x, grad_w_ih, grad_b = weight_gradients(flat, inputs, w_ih, x, bias.requires_grad)
        grad_w_hh = flat @ merged_previous(states[:, :n], h0.data.T, reverse).T if w_hh.requires_grad else None
        grads = (grad_x, grad_h.T if h0.requires_grad else None, grad_c.T, grad_w_ih, grad_w_hh, grad_b)
        if peephole is None:
            return grads
        before_c = np.ones_like(cells)
        with_previous(np.multiply, before_c, cells, c0.data.T, reverse)
        grad_p = np.concatenate([np.einsum("htb,thb->h", deltas[:n], cells),
                                 np.einsum("htb,thb->h", deltas[n:2 * n], before_c),
                                 np.einsum("htb,thb->h", deltas[2 * n:3 * n], before_c)])
        return (*grads, grad_p)

    return Tensor.from_op(batch_major(states), parents, vjp, "lstm")
