"""Recurrent cells unrolled over a whole sequence, each one fused op with hand-written backward.

A recurrent layer applies the same cell at every time step t = 1 … T, feeding a state back:

    sₜ = cell(xₜ, sₜ₋₁)

Written with one op per matrix product and per activation, a 28-step LSTM records several hundred
ops per batch, and at small batches Python's cost per op, not the arithmetic, is what the step
costs. So each cell here is one op over the whole sequence: its forward runs the time loop in NumPy
(visible below, one iteration per step) and its vjp runs backpropagation through time (Werbos 1990)
by hand, in the reverse loop. What keeps both loops short:

- the input projections W_ih xₜ + b of all steps are one matrix product before the loop (the LSTM
  instead makes each step's pre-activations one product of the stacked weights [W_ih b W_hh] with
  [xₜ; 1; hₜ₋₁], all steps' operands side by side in one array), and the weight gradients
  ∂C/∂W = Σₜ δₜᵀ aₜ one product after it (δ of every step is kept; the LSTM's three in one product);
- the gated cells' sigmoid gates are ½ tanh(a/2) + ½ with the sigmoid rows of the weights halved
  beforehand (:func:`halved_rows`): one tanh call per step for the whole gate block;
- buffers are allocated once and written in place (``out=``), one step's scratch reused at every
  step, so that a step's elementwise work stays in the cache;
- without recording (inference, ``no_grad``) the gated cells keep nothing for a backward pass and
  reuse one step's buffers at every step;
- the gradient arriving at the outputs is read in place when it is laid out as the op's own output,
  as it is when it comes through the slices a layer returns (:func:`arriving_gradient`).

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

import threading

import numpy as np

from synaptica.errors import ShapeError
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


def feature_major(x: np.ndarray) -> np.ndarray:
    """(batch, time, features) -> a contiguous (features, time, batch) copy.

    Inside the ops every array of states is laid out (time, units, batch): a step's state is a
    (units, batch) block and each gate a contiguous run of rows in it, so the elementwise work of a
    step runs over contiguous memory (a gate's columns inside (batch, 4·hidden) rows would be
    strided, which costs NumPy about twice the time), and W hₜ₋₁ is the product W (gates, units) @
    hₜ₋₁ (units, batch). The inputs alone are kept (features, time, batch): step t is the strided
    block ``inputs[:, t]``, which BLAS reads as it is, and all steps side by side are the
    (features, time·batch) matrix of the weight gradient's product, without another copy."""
    return np.ascontiguousarray(np.transpose(x, (2, 1, 0)))


def batch_major(states: np.ndarray) -> np.ndarray:
    """(time, units, batch) -> (batch, time, units), a view."""
    return np.transpose(states, (2, 0, 1))


def project(w: np.ndarray, inputs: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """W xₜ + b for every step at once, from the (features, time, batch) inputs: (time, rows, batch)."""
    out = np.matmul(w, np.swapaxes(inputs, 0, 1))
    out += bias[:, None]
    return out


def merged(a: np.ndarray) -> np.ndarray:
    """(time, units, batch) -> contiguous (units, time·batch): all steps side by side, for one product."""
    return np.ascontiguousarray(np.swapaxes(a, 0, 1)).reshape(a.shape[1], -1)


def merged_previous(states: np.ndarray, first: np.ndarray, reverse: bool) -> np.ndarray:
    """The state each step started from, as :func:`merged` lays it out: (units, time·batch), built in
    one copy (the initial state, then the states before)."""
    units, steps = states.shape[1], states.shape[0]
    out = np.empty((units, steps, states.shape[2]), states.dtype)
    later, earlier = (slice(None, -1), slice(1, None)) if reverse else (slice(1, None), slice(None, -1))
    out[:, later] = np.swapaxes(states[earlier], 0, 1)
    out[:, -1 if reverse else 0] = first
    return out.reshape(units, -1)


def with_previous(ufunc, out: np.ndarray, states: np.ndarray, first: np.ndarray, reverse: bool) -> None:
    """out[t] = ufunc(out[t], the state step t started from), in place: the initial state for the
    first step, then the states before (for instance ``np.multiply``: out[t] *= sₜ₋₁)."""
    if reverse:
        ufunc(out[:-1], states[1:], out=out[:-1])
        ufunc(out[-1], first, out=out[-1])
    else:
        ufunc(out[1:], states[:-1], out=out[1:])
        ufunc(out[0], first, out=out[0])


def halved_rows(w: np.ndarray, rows: int) -> np.ndarray:
    """A copy of ``w`` with its first ``rows`` rows times ½ (exact in binary floating point).

    The gated cells compute their sigmoid gates as σ(a) = ½ tanh(a/2) + ½: with the sigmoid rows of
    the weights and biases halved, the pre-activations of a step arrive as (a/2 for the sigmoid
    gates, a for the tanh block), and one tanh call covers the whole gate block, where eᶻ/(1 + eᶻ)
    would cost a minimum, an exponential, an addition and a division. Halving is exact, so a/2 is
    the same number as halving a afterwards. ½ tanh(a/2) + ½ is σ to a few units of 2⁻²⁴ absolutely;
    only far in the lower tail (a < −17 in float32), where σ(a) < 10⁻⁷, is it 0 instead of the tiny
    true value: nothing a gate multiplying states of order one can show.
    """
    out = w.copy()
    out[:rows] *= 0.5
    return out


def sigmoid_from_tanh(a: np.ndarray) -> np.ndarray:
    """½ t + ½ in place: σ(z) from t = tanh(z/2) (see :func:`halved_rows`)."""
    a *= 0.5
    a += 0.5
    return a


def step_order(steps: int, reverse: bool) -> range:
    return range(steps - 1, -1, -1) if reverse else range(steps)


def step_masks(mask, batch: int, steps: int, dtype) -> tuple[np.ndarray, np.ndarray] | None:
    """None, or (on, off): (time, 1, batch) arrays, ``on`` 1 where a step is real (in ``dtype``)
    and ``off`` a bool array true where it is padding."""
    if mask is None:
        return None
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.shape != (batch, steps):
        raise ShapeError(f"recurrent op: the mask has shape {mask.shape}, expected (batch, time) = {(batch, steps)}")
    on = mask.astype(bool).T[:, None, :]
    return on.astype(dtype), ~on


def arriving_gradient(g: np.ndarray):
    """The gradient arriving at the op's output (batch, time, n), step by step: ``step(t)`` is step
    t's (n, batch) block, a view valid until the next call.

    A gradient built by indexing the op's output — the slices a recurrent layer returns, whose vjp
    fills an array laid out as that output (``np.zeros_like`` keeps the layout) — is the transposed
    view of a (time, n, batch) array, and step t's block is then a contiguous view of it; one laid out
    (n, time, batch) (an op's ∂C/∂x, :func:`input_gradient`) gives a block of contiguous rows. Any
    other layout, as the (batch, time, n) a product returns, is copied step by step: the step's rows
    (batch, n), contiguous runs of g, go into one small buffer whose transpose is returned, so that
    the elementwise work that reads it transposes within the cache, where reading the (n, batch) block
    straight out of g, or a transposed copy of the whole of g, would stride across all of g."""
    for axes, block in (((1, 2, 0), lambda a, t: a[t]), ((2, 1, 0), lambda a, t: a[:, t])):
        native = np.transpose(g, axes)
        if native.flags.c_contiguous:
            return lambda t, native=native, block=block: block(native, t)
    buffer = np.empty((g.shape[0], g.shape[2]), g.dtype)

    def step(t: int) -> np.ndarray:
        np.copyto(buffer, g[:, t])
        return buffer.T

    return step


_work = threading.local()


def work_array(purpose: str, shape, dtype) -> np.ndarray:
    """An array of undefined contents for work inside one backward pass, the same one at every call
    with this purpose, shape and dtype (per thread; a few kept at a time).

    A character model's LSTM backward needs two work arrays of 13 MB per layer and call. Allocated
    afresh, arrays that large come from the system as new pages (glibc hands them out by mmap and
    returns them on free), and touching them costs a page fault per 4 kB — in CPU seconds as much as
    a tenth of the pass. Kept, they are written in place. Only for arrays that no result of the call
    refers to once it returns."""
    arrays = getattr(_work, "arrays", None)
    if arrays is None:
        arrays = _work.arrays = {}
    key = (purpose, tuple(shape), np.dtype(dtype))
    if key not in arrays:
        if len(arrays) >= 8:
            arrays.clear()
        arrays[key] = np.empty(shape, dtype)
    return arrays[key]


def stacked_operands(x: np.ndarray, h0: np.ndarray, reverse: bool) -> np.ndarray:
    """(features + 1 + hidden, time, batch): the operand [xₜ; 1; hₜ₋₁] of every step, side by side.

    The inputs (batch, time, features) are copied in (feature-major, :func:`feature_major`'s layout),
    the row of ones carries the bias, and the initial state ``h0`` (batch, hidden) fills the state rows
    of the first step; the loop writes each later step's hₜ₋₁ as it goes. A step's pre-activations are
    then one product [W_ih b W_hh] [xₜ; 1; hₜ₋₁] (BLAS reads the strided block ``operands[:, t]`` as it
    is), and after the loop all steps' operands are the (rows, time·batch) matrix whose product with
    the δ of every step gives ∂C/∂[W_ih b W_hh] at once (:func:`stacked_gradients`)."""
    batch, steps, features = x.shape
    out = np.empty((features + 1 + h0.shape[1], steps, batch), x.dtype)
    np.copyto(out[:features], np.transpose(x, (2, 1, 0)))
    out[features] = 1
    out[features + 1:, steps - 1 if reverse else 0] = h0.T
    return out


def stacked_gradients(flat: np.ndarray, operands: np.ndarray, widths, parameters) -> list:
    """∂C/∂W for each of the parameters whose columns, side by side, made the stacked product
    [W_ih b W_hh …] aₜ of every step: Σₜ δₜ aₜᵀ as one product of the δ merged (rows, time·batch)
    (:func:`merged`) with the operands (columns, time, batch) (:func:`stacked_operands`). ``widths``
    gives each parameter's number of columns; a parameter that needs no gradient gets None (when
    none does, no product is made)."""
    if not any(p.requires_grad for p in parameters):
        return [None] * len(parameters)
    product = flat @ operands.reshape(operands.shape[0], -1).T
    grads, start = [], 0
    for width, parameter in zip(widths, parameters):
        grads.append(np.ascontiguousarray(product[:, start:start + width]) if parameter.requires_grad else None)
        start += width
    return grads


def input_gradient(flat: np.ndarray, w: np.ndarray, shape) -> np.ndarray:
    """∂C/∂xₜ = Wᵀ δₜ for every step as one product, from the δ merged (rows, time·batch): (batch,
    time, features) ``shape``, a view of the (features, time, batch) product."""
    batch, steps, features = shape
    return np.transpose((w.T @ flat).reshape(features, steps, batch), (2, 1, 0))


def weight_gradients(flat: np.ndarray, inputs: np.ndarray, w: Tensor, x: Tensor, want_bias: bool):
    """∂C/∂x, ∂C/∂W and ∂C/∂b for a product W aₜ + b applied at every step, from the δ of every step
    merged (rows, time·batch) (:func:`merged`) and the inputs aₜ (columns, time, batch): ∂C/∂W = Σₜ δₜ aₜᵀ
    and ∂C/∂b = Σₜ δₜ 1 as one product and one sum over all steps, ∂C/∂aₜ = Wᵀ δₜ as one product,
    returned as (batch, time, columns)."""
    grad_x = input_gradient(flat, w.data, x.shape) if x.requires_grad else None
    grad_w, = stacked_gradients(flat, inputs, (inputs.shape[0],), (w,))
    grad_b = np.add.reduce(flat, axis=1) if want_bias else None
    return grad_x, grad_w, grad_b


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
    inputs = feature_major(x.data)
    states = project(w_ih.data, inputs, bias.data)  # zₜ, then hₜ, (time, hidden, batch)
    w = w_hh.data
    h = np.ascontiguousarray(h0.data.T)
    for t in step_order(steps, reverse):  # the unrolled loop
        z = states[t]
        z += w @ h
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
        arriving = arriving_gradient(g)
        deltas = np.empty_like(states)
        carry = np.zeros_like(h)
        w_t = w.T
        for t in step_order(steps, not reverse):
            grad_h = arriving(t) + carry
            np.multiply(grad_h, slope[t], out=deltas[t])
            carry = w_t @ deltas[t]
            if masks is not None:  # a padded step passes its gradient straight to the state before
                carry += masks[1][t] * grad_h
        flat = merged(deltas)
        grad_x, grad_w_ih, grad_b = weight_gradients(flat, inputs, w_ih, x, bias.requires_grad)
        grad_w_hh = flat @ merged_previous(states, h0.data.T, reverse).T if w_hh.requires_grad else None
        return grad_x, carry.T, grad_w_ih, grad_w_hh, grad_b

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
    inputs = feature_major(x.data)
    hiddens = project(w_ih.data, inputs, bias.data)  # (time, hidden, batch)
    ys = np.empty((steps, outputs, batch), x.dtype)
    b_y = bias_y.data[:, None]
    y = np.ascontiguousarray(y0.data.T)
    for t in step_order(steps, reverse):
        h = hiddens[t]
        h += w_yh.data @ y
        np.tanh(h, out=h)
        np.matmul(w_hy.data, h, out=ys[t])
        ys[t] += b_y
        np.tanh(ys[t], out=ys[t])
        if masks is not None:
            np.copyto(ys[t], y, where=masks[1][t])
        y = ys[t]

    def vjp(g):
        slope_y = 1 - ys * ys
        if masks is not None:
            slope_y *= masks[0]
        slope_h = 1 - hiddens * hiddens
        arriving = arriving_gradient(g)
        deltas_y = np.empty_like(ys)
        deltas_h = np.empty_like(hiddens)
        carry = np.zeros_like(y)
        for t in step_order(steps, not reverse):
            grad_y = arriving(t) + carry
            np.multiply(grad_y, slope_y[t], out=deltas_y[t])
            np.matmul(w_hy.data.T, deltas_y[t], out=deltas_h[t])
            deltas_h[t] *= slope_h[t]
            carry = w_yh.data.T @ deltas_h[t]
            if masks is not None:
                carry += masks[1][t] * grad_y
        flat = merged(deltas_h)
        grad_x, grad_w_ih, grad_b = weight_gradients(flat, inputs, w_ih, x, bias.requires_grad)
        grad_w_yh = grad_w_hy = grad_b_y = None
        if w_yh.requires_grad:
            grad_w_yh = flat @ merged_previous(ys, y0.data.T, reverse).T
        if w_hy.requires_grad:
            grad_w_hy = merged(deltas_y) @ merged(hiddens).T
        if bias_y.requires_grad:
            grad_b_y = np.add.reduce(deltas_y, axis=(0, 2))
        return grad_x, carry.T, grad_w_ih, grad_w_yh, grad_b, grad_w_hy, grad_b_y

    return Tensor.from_op(batch_major(ys), (x, y0, w_ih, w_yh, bias, w_hy, bias_y), vjp, "jordan")
