"""Recurrent cells unrolled over a whole sequence, each one fused op with hand-written backward.

A recurrent layer applies the same cell at every time step t = 1 … T, feeding a state back:

    sₜ = cell(xₜ, sₜ₋₁)

Written with one op per matrix product and per activation, a 28-step LSTM records several hundred
ops per batch, and at small batches Python's cost per op, not the arithmetic, is what the step
costs. So each cell here is one op over the whole sequence: its forward runs the time loop in NumPy
(visible below, one iteration per step) and its vjp runs backpropagation through time (Werbos 1990)
by hand, in the reverse loop. Three things keep both loops short:

- the input projections W_ih xₜ + b of all steps are one matrix product before the loop, and the
  weight gradients ∂C/∂W = Σₜ δₜᵀ aₜ one product after it (δ of every step is kept);
- everything that does not depend on the gradient arriving from later steps (σ'(z), 1 − tanh²)
  is computed for all steps at once, outside the loop;
- buffers are written in place.

Every op takes ``x`` (batch, time, features) and an initial state, and returns the states of every
step, (batch, time, hidden): the layer (:mod:`synaptica.nn.recurrent`) takes the last one or all.

Padded batches: ``mask`` (batch, time), true where a sequence has an element. At a masked step the
state is carried over unchanged, sₜ = sₜ₋₁, so a sequence's state after the last step is its state
at its own length, and nothing of the padding reaches it or its gradient. ``reverse=True`` runs the
loop from the last step to the first (the backward half of a bidirectional layer): with masks that
are true on a prefix of each row (right padding), each sequence then starts at its own last element.

This file holds the Elman (and IRNN) and Jordan cells and the pieces the gated cells in
:mod:`synaptica.ops.lstm` and :mod:`synaptica.ops.gru` share.

References: J. L. Elman, "Finding structure in time", Cognitive Science 14, 1990; M. I. Jordan,
"Serial order: a parallel distributed processing approach", ICS report 8604, 1986; Q. V. Le,
N. Jaitly and G. E. Hinton, "A simple way to initialize recurrent networks of rectified linear
units", arXiv:1504.00941, 2015; P. J. Werbos, "Backpropagation through time: what it does and how
to do it", Proc. IEEE 78, 1990.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.ops.elementwise import SIGMOID_CAP
from synaptica.tensor import Tensor

NONLINEARITIES = ("tanh", "relu")


# ---------------------------------------------------------------------------------------- shared pieces


def check_sequence(op: str, x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, gates: int,
                   state_size: int | None = None) -> tuple[int, int, int, int]:
    """(batch, time, features, hidden) after checking the operands' shapes fit one another."""
    if x.ndim != 3:
        raise ShapeError(f"{op}: x must be (batch, time, features), got shape {x.shape}")
    batch, steps, features = x.shape
    hidden = w_hh.shape[1] if state_size is None else state_size
    if steps == 0:
        raise ShapeError(f"{op}: the sequence is empty (x has shape {x.shape}); give at least one step")
    if w_ih.shape != (gates * hidden, features):
        raise ShapeError(f"{op}: w_ih has shape {w_ih.shape}, expected {(gates * hidden, features)} for x {x.shape}")
    if h0.shape != (batch, w_hh.shape[1]):
        raise ShapeError(f"{op}: the initial state has shape {h0.shape}, expected {(batch, w_hh.shape[1])}")
    return batch, steps, features, hidden


def time_major(x: np.ndarray) -> np.ndarray:
    """(batch, time, …) -> a contiguous (time, batch, …) copy, so that each step is one block."""
    return np.ascontiguousarray(np.swapaxes(x, 0, 1))


def step_order(steps: int, reverse: bool) -> range:
    return range(steps - 1, -1, -1) if reverse else range(steps)


def previous_states(states: np.ndarray, first: np.ndarray, reverse: bool) -> np.ndarray:
    """The state each step started from, (time, batch, n): the initial state, then the states before."""
    before = np.empty_like(states)
    if reverse:
        before[-1] = first
        before[:-1] = states[1:]
    else:
        before[0] = first
        before[1:] = states[:-1]
    return before


def step_masks(mask, batch: int, steps: int, dtype) -> tuple[np.ndarray, np.ndarray] | None:
    """None, or (on, off): (time, batch, 1) arrays, ``on`` 1 where a step is real (in ``dtype``)
    and ``off`` a bool array true where it is padding."""
    if mask is None:
        return None
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.shape != (batch, steps):
        raise ShapeError(f"recurrent op: the mask has shape {mask.shape}, expected (batch, time) = {(batch, steps)}")
    on = mask.astype(bool).T[:, :, None]
    return on.astype(dtype), ~on


def sigmoid_into(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """σ(z) = eᶻ / (1 + eᶻ) with z capped at 40, written into ``out`` (see
    :func:`synaptica.ops.elementwise.sigmoid_array`, whose formula this is, without allocating)."""
    np.minimum(z, SIGMOID_CAP, out=out)
    np.exp(out, out=out)
    np.divide(out, out + 1, out=out)
    return out


def input_gradients(deltas: np.ndarray, inputs: np.ndarray, w_ih: Tensor, x: Tensor, want_bias: bool):
    """∂C/∂x, ∂C/∂W_ih and ∂C/∂b from the δ of every step (time, batch, gates·hidden) and the
    time-major inputs (time, batch, features): three products over all steps at once."""
    flat = deltas.reshape(-1, deltas.shape[-1])
    grad_x = None
    if x.requires_grad:
        grad_x = np.swapaxes((flat @ w_ih.data).reshape(inputs.shape), 0, 1)
    grad_w = flat.T @ inputs.reshape(-1, inputs.shape[-1]) if w_ih.requires_grad else None
    grad_b = np.add.reduce(flat, axis=0) if want_bias else None
    return grad_x, grad_w, grad_b


def recurrent_gradient(deltas: np.ndarray, before: np.ndarray) -> np.ndarray:
    """∂C/∂W_hh = Σₜ δₜᵀ sₜ₋₁ as one product."""
    return deltas.reshape(-1, deltas.shape[-1]).T @ before.reshape(-1, before.shape[-1])


def batch_major(states: np.ndarray) -> np.ndarray:
    """(time, batch, n) -> (batch, time, n), a view."""
    return np.swapaxes(states, 0, 1)


# ---------------------------------------------------------------------------------------- Elman and IRNN


def elman(x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, bias: Tensor, nonlinearity: str = "tanh",
          mask=None, reverse: bool = False) -> Tensor:
    """Elman's simple recurrent network over a whole sequence: the hidden state is fed back.

        hₜ = φ(W_ih xₜ + W_hh hₜ₋₁ + b),   φ = tanh, or ReLU (the IRNN of Le, Jaitly and Hinton 2015,
                                            whose W_hh starts as the identity: see nn.recurrent)

    Args:
        x: (batch, time, features); h0: (batch, hidden); w_ih: (hidden, features);
        w_hh: (hidden, hidden); bias: (hidden,) (PyTorch's b_ih + b_hh).
        nonlinearity: "tanh" or "relu".
        mask: None or (batch, time), true at real steps (module docstring).
        reverse: run from the last step to the first.

    Returns:
        hₜ for every step, (batch, time, hidden).

    Backward through time, with δₜ = ∂C/∂zₜ and gₜ the gradient arriving at hₜ from outside:
        ∂C/∂hₜ = gₜ + W_hhᵀ δₜ₊₁,   δₜ = ∂C/∂hₜ ⊙ φ'(zₜ)
    (φ' = 1 − hₜ² for tanh, [hₜ > 0] for ReLU), then ∂C/∂W_hh = Σ δₜᵀ hₜ₋₁, ∂C/∂W_ih = Σ δₜᵀ xₜ,
    ∂C/∂b = Σ δₜ, ∂C/∂xₜ = δₜ W_ih and ∂C/∂h₀ = W_hhᵀ δ₁.
    """
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"elman: nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    batch, steps, features, hidden = check_sequence("elman", x, h0, w_ih, w_hh, 1)
    masks = step_masks(mask, batch, steps, x.dtype)
    inputs = time_major(x.data)
    states = (inputs.reshape(-1, features) @ w_ih.data.T + bias.data).reshape(steps, batch, hidden)
    w_hh_t = w_hh.data.T
    h = h0.data
    for t in step_order(steps, reverse):  # the unrolled loop: states[t] holds zₜ, then hₜ
        z = states[t]
        z += h @ w_hh_t
        if nonlinearity == "tanh":
            np.tanh(z, out=z)
        else:
            np.maximum(z, 0, out=z)
        if masks is not None:
            np.copyto(z, h, where=masks[1][t])
        h = z

    def vjp(g):
        if nonlinearity == "tanh":
            slope = 1 - states * states
        else:
            slope = (states > 0).astype(states.dtype)
        if masks is not None:
            slope *= masks[0]
        arriving = np.swapaxes(g, 0, 1)
        deltas = np.empty_like(states)
        carry = np.zeros_like(h0.data)
        w = w_hh.data
        for t in step_order(steps, not reverse):
            grad_h = arriving[t] + carry
            np.multiply(grad_h, slope[t], out=deltas[t])
            carry = deltas[t] @ w
            if masks is not None:  # a padded step passes its gradient straight to the state before
                carry += masks[1][t] * grad_h
        grad_x, grad_w_ih, grad_b = input_gradients(deltas, inputs, w_ih, x, bias.requires_grad)
        grad_w_hh = recurrent_gradient(deltas, previous_states(states, h0.data, reverse)) if w_hh.requires_grad else None
        return grad_x, carry, grad_w_ih, grad_w_hh, grad_b

    return Tensor.from_op(batch_major(states), (x, h0, w_ih, w_hh, bias), vjp, "elman")


# ---------------------------------------------------------------------------------------- Jordan


def jordan(x: Tensor, y0: Tensor, w_ih: Tensor, w_yh: Tensor, bias: Tensor, w_hy: Tensor, bias_y: Tensor,
           mask=None, reverse: bool = False) -> Tensor:
    """Jordan's network over a whole sequence: the output, not the hidden state, is fed back.

        hₜ = tanh(W_ih xₜ + W_yh yₜ₋₁ + b)
        yₜ = tanh(W_hy hₜ + b_y)

    Jordan (1986) feeds the network's output back into "state units"; here the output yₜ of the
    layer is that fed-back value (squashed by tanh, so that feeding it back stays bounded), and a
    later layer reads it.

    Args:
        x: (batch, time, features); y0: (batch, outputs); w_ih: (hidden, features);
        w_yh: (hidden, outputs); bias: (hidden,); w_hy: (outputs, hidden); bias_y: (outputs,).
        mask, reverse: as for :func:`elman`.

    Returns:
        yₜ for every step, (batch, time, outputs).

    Backward through time, with gₜ the gradient arriving at yₜ from outside:
        ∂C/∂yₜ = gₜ + W_yhᵀ εₜ₊₁,  δₜ = ∂C/∂yₜ ⊙ (1 − yₜ²),  εₜ = (W_hyᵀ δₜ) ⊙ (1 − hₜ²)
    ∂C/∂W_hy = Σ δₜᵀ hₜ, ∂C/∂W_yh = Σ εₜᵀ yₜ₋₁, ∂C/∂W_ih = Σ εₜᵀ xₜ.
    """
    hidden, outputs = w_yh.shape
    if w_hy.shape != (outputs, hidden) or bias.shape != (hidden,) or bias_y.shape != (outputs,):
        raise ShapeError(f"jordan: w_hy {w_hy.shape}, bias {bias.shape} and bias_y {bias_y.shape} do not fit "
                         f"w_yh {w_yh.shape}")
    batch, steps, features, _ = check_sequence("jordan", x, y0, w_ih, w_yh, 1, hidden)
    masks = step_masks(mask, batch, steps, x.dtype)
    inputs = time_major(x.data)
    hiddens = (inputs.reshape(-1, features) @ w_ih.data.T + bias.data).reshape(steps, batch, hidden)
    ys = np.empty((steps, batch, outputs), x.dtype)
    w_yh_t, w_hy_t = w_yh.data.T, w_hy.data.T
    y = y0.data
    for t in step_order(steps, reverse):
        h = hiddens[t]
        h += y @ w_yh_t
        np.tanh(h, out=h)
        np.matmul(h, w_hy_t, out=ys[t])
        ys[t] += bias_y.data
        np.tanh(ys[t], out=ys[t])
        if masks is not None:
            np.copyto(ys[t], y, where=masks[1][t])
        y = ys[t]

    def vjp(g):
        slope_y = 1 - ys * ys
        if masks is not None:
            slope_y *= masks[0]
        slope_h = 1 - hiddens * hiddens
        arriving = np.swapaxes(g, 0, 1)
        deltas_y = np.empty_like(ys)
        deltas_h = np.empty_like(hiddens)
        carry = np.zeros_like(y0.data)
        for t in step_order(steps, not reverse):
            grad_y = arriving[t] + carry
            np.multiply(grad_y, slope_y[t], out=deltas_y[t])
            np.matmul(deltas_y[t], w_hy.data, out=deltas_h[t])
            deltas_h[t] *= slope_h[t]
            carry = deltas_h[t] @ w_yh.data
            if masks is not None:
                carry += masks[1][t] * grad_y
        grad_x, grad_w_ih, grad_b = input_gradients(deltas_h, inputs, w_ih, x, bias.requires_grad)
        before = previous_states(ys, y0.data, reverse)
        grad_w_yh = recurrent_gradient(deltas_h, before) if w_yh.requires_grad else None
        grad_w_hy = recurrent_gradient(deltas_y, hiddens) if w_hy.requires_grad else None
        grad_b_y = np.add.reduce(deltas_y.reshape(-1, outputs), axis=0) if bias_y.requires_grad else None
        return grad_x, carry, grad_w_ih, grad_w_yh, grad_b, grad_w_hy, grad_b_y

    return Tensor.from_op(batch_major(ys), (x, y0, w_ih, w_yh, bias, w_hy, bias_y), vjp, "jordan")
