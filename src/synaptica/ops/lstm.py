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
    arriving_gradient, batch_major, check_sequence, halved_rows, input_gradient, sigmoid_from_tanh,
    stacked_gradients, stacked_operands, step_masks, step_order, with_previous, work_array,
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
    blocks (:func:`synaptica.ops.recurrent.halved_rows`). Each step's pre-activations are one product
    of the stacked weights [W_ih b W_hh] with the step's [xₜ; 1; hₜ₋₁], a column block of one array
    holding every step's (:func:`synaptica.ops.recurrent.stacked_operands`), which the backward pass
    reuses. When no gradient is wanted (``no_grad``, or no operand requires one) nothing else is
    kept: the gates and tanh cₜ go to buffers reused at every step.

    Backward, with ∂C/∂hₜ = gₜ + Uᵀδₜ₊₁ and the cell's gradient carried from the later step:
        ∂C/∂cₜ = ∂C/∂hₜ ⊙ oₜ(1 − tanh² cₜ) + ∂C/∂cₜ₊₁ ⊙ fₜ₊₁ (+ peephole terms)
        δ_o = ∂C/∂hₜ ⊙ tanh cₜ ⊙ oₜ(1 − oₜ)       δ_i = ∂C/∂cₜ ⊙ gₜ ⊙ iₜ(1 − iₜ)
        δ_f = ∂C/∂cₜ ⊙ cₜ₋₁ ⊙ fₜ(1 − fₜ)           δ_g = ∂C/∂cₜ ⊙ iₜ ⊙ (1 − gₜ²)
    The bracketed factors do not depend on the gradient: :func:`backward_factors` computes them for
    all steps at once, and the sequential loop is left with ∂C/∂hₜ, ∂C/∂cₜ, the δ (the factors
    times those, in place) and Uᵀδ. Afterwards ∂C/∂[W_ih b W_hh] = Σₜ δₜ [xₜ; 1; hₜ₋₁]ᵀ is one product
    of all steps' δ with the forward pass's operands, and ∂C/∂xₜ = W_ihᵀ δₜ one product.
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
    weights = halved_rows(np.concatenate([w_ih.data, bias.data[:, None], w_hh.data], 1), 3 * n)
    operands = stacked_operands(x.data, h0.data, reverse)  # [xₜ; 1; hₜ₋₁] of every step
    peep = None if peephole is None else (0.5 * peephole.data).reshape(3, n, 1)
    states = np.empty((steps, 2 * n, batch), x.dtype)  # hₜ over cₜ
    h, c = operands[features + 1:, steps - 1 if reverse else 0], np.ascontiguousarray(c0.data.T)
    record = joins_graph(parents)
    if record:  # every step's gates and tanh cₜ are kept for the backward pass
        gates = np.empty((steps, 4 * n, batch), x.dtype)
        squashed = np.empty((steps, n, batch), x.dtype)
    else:  # one step's buffers, reused at every step
        gate = np.empty((4 * n, batch), x.dtype)
        square = np.empty((n, batch), x.dtype)
    scratch = np.empty((n, batch), x.dtype)
    for t in step_order(steps, reverse):  # the unrolled loop
        ht, ct = states[t, :n], states[t, n:]
        a, s = (gates[t], squashed[t]) if record else (gate, square)
        np.matmul(weights, operands[:, t], out=a)  # (a/2 for o, i, f; a for g)
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
        following = t - 1 if reverse else t + 1
        if 0 <= following < steps:
            operands[features + 1:, following] = ht
    if not record:
        return Tensor.from_op(batch_major(states), parents, None, "lstm")

    def vjp(g):
        factors, through, keep = backward_factors(gates, squashed, states[:, n:], c0.data.T, masks, reverse)
        arriving = arriving_gradient(g)
        grad_h, grad_c = np.zeros_like(h), np.zeros_like(c)
        dh, dc = np.empty_like(h), np.empty_like(c)
        w_t = np.ascontiguousarray(w_hh.data.T)  # Uᵀ: a contiguous copy runs the per-step products ~5 % faster
        p_o, p_if = (None, None) if peephole is None else (peephole.data[:n, None], peephole.data[n:].reshape(2, n, 1))
        first = steps - 1 if reverse else 0
        for t in step_order(steps, not reverse):
            delta = factors[t]  # this step's factors, made δ in place
            step = arriving(t)
            np.add(step[:n], grad_h, out=dh)  # ∂C/∂hₜ
            np.multiply(dh, through[t], out=dc)
            dc += grad_c
            dc += step[n:]  # ∂C/∂cₜ, through hₜ = oₜ tanh cₜ and from step t + 1
            delta[:n] *= dh  # δ_o
            if peephole is not None:
                dc += np.multiply(delta[:n], p_o, out=grad_c)
            blocks = delta[n:].reshape(3, n, batch)
            blocks *= dc  # δ_i, δ_f, δ_g
            np.multiply(dc, keep[t], out=grad_c)
            if peephole is not None:
                grad_c += (blocks[:2] * p_if).sum(axis=0)
            if t != first or h0.requires_grad:  # ∂C/∂hₜ₋₁ (the first step's only for h₀)
                np.matmul(w_t, delta, out=grad_h)
                if masks is not None:
                    grad_h += masks[1][t] * dh
        flat = work_array("lstm deltas", (4 * n, steps * batch), x.dtype)
        np.copyto(flat.reshape(4 * n, steps, batch), np.swapaxes(factors, 0, 1))  # all steps side by side
        grad_x = input_gradient(flat, w_ih.data, x.shape) if x.requires_grad else None
        grad_w_ih, grad_b, grad_w_hh = stacked_gradients(flat, operands, (features, 1, n), (w_ih, bias, w_hh))
        grads = (grad_x, grad_h.T if h0.requires_grad else None, grad_c.T, grad_w_ih, grad_w_hh,
                 None if grad_b is None else grad_b[:, 0])
        if peephole is None:
            return grads
        cells = states[:, n:]
        before_c = np.ones_like(cells)
        with_previous(np.multiply, before_c, cells, c0.data.T, reverse)
        grad_p = np.concatenate([np.einsum("thb,thb->h", factors[:, :n], cells),
                                 np.einsum("thb,thb->h", factors[:, n:2 * n], before_c),
                                 np.einsum("thb,thb->h", factors[:, 2 * n:3 * n], before_c)])
        return (*grads, grad_p)

    return Tensor.from_op(batch_major(states), parents, vjp, "lstm")


def backward_factors(gates: np.ndarray, squashed: np.ndarray, cells: np.ndarray, c0: np.ndarray, masks,
                     reverse: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the backward pass multiplies the arriving gradients by, for every step at once.

    From the forward pass's gates (time, 4·hidden, batch) (oₜ, iₜ, fₜ, gₜ), tanh cₜ and the cells
    (time, hidden, batch), with cₜ₋₁ the cell each step started from (``c0`` for the first):

        factors: δ_o = ∂C/∂hₜ ⊙ [tanh cₜ ⊙ oₜ(1 − oₜ)]        δ_i = ∂C/∂cₜ ⊙ [gₜ ⊙ iₜ(1 − iₜ)]
                 δ_f = ∂C/∂cₜ ⊙ [cₜ₋₁ ⊙ fₜ(1 − fₜ)]           δ_g = ∂C/∂cₜ ⊙ [iₜ ⊙ (1 − gₜ²)]
                 (time, 4·hidden, batch), the bracketed terms; the backward loop multiplies them by
                 ∂C/∂hₜ and ∂C/∂cₜ in place, which makes them the δ
        through: ∂hₜ/∂cₜ = oₜ ⊙ (1 − tanh² cₜ) (time, hidden, batch)
        keep:    ∂cₜ/∂cₜ₋₁ = fₜ

    None of them depends on the gradient, so they are a few operations over the whole sequence
    instead of a dozen small ones per step inside the sequential loop. At padded steps (``masks``)
    the factors and ``through`` are 0 and ``keep`` is 1: no δ, and the cell's gradient passes on.
    ``factors`` and ``through`` are work arrays (:func:`synaptica.ops.recurrent.work_array`), valid
    until the next backward pass of an LSTM of the same shape.
    """
    n = squashed.shape[1]
    sigmoids, candidate = gates[:, :3 * n], gates[:, 3 * n:]
    factors = work_array("lstm factors", gates.shape, gates.dtype)
    slopes = factors[:, :3 * n]
    np.subtract(1, sigmoids, out=slopes)
    slopes *= sigmoids  # σ' = σ(1 − σ) of o, i, f
    factors[:, :n] *= squashed
    factors[:, n:2 * n] *= candidate
    with_previous(np.multiply, factors[:, 2 * n:3 * n], cells, c0, reverse)
    np.multiply(candidate, candidate, out=factors[:, 3 * n:])
    np.subtract(1, factors[:, 3 * n:], out=factors[:, 3 * n:])
    factors[:, 3 * n:] *= gates[:, n:2 * n]
    through = np.multiply(squashed, squashed, out=work_array("lstm through", squashed.shape, squashed.dtype))
    np.subtract(1, through, out=through)
    through *= gates[:, :n]
    keep = gates[:, 2 * n:3 * n]
    if masks is not None:
        factors *= masks[0]
        through *= masks[0]
        keep = np.where(masks[1], 1, keep).astype(keep.dtype)
    return factors, through, keep
