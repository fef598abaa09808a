"""PyTorch twins and Hypothesis shapes of the fused recurrent ops, for the oracle table in test_ops.py.

Each twin writes the cell's equations step by step with torch ops (autograd gives its backward), so
the fused op's hand-written backward through time is checked against torch's own differentiation of
the same loop. The layers are checked against ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` themselves in
tests/nn/test_recurrent.py.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st

from synaptica import ops

RECURRENT_EXAMPLES = 12


@st.composite
def recurrent_shapes(draw, kind: str):
    """Operand shapes for one op, and params: a mask (None, or arbitrary true/false steps) and the direction."""
    batch, steps, features, hidden = (draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 3)),
                                      draw(st.integers(1, 3)))
    gates = {"lstm": 4, "lstm_peephole": 4, "gru": 3}.get(kind, 1)
    x, h0, w_ih, w_hh = (batch, steps, features), (batch, hidden), (gates * hidden, features), (gates * hidden, hidden)
    if kind == "jordan":
        outputs = draw(st.integers(1, 3))
        shapes = (x, (batch, outputs), (hidden, features), (hidden, outputs), (hidden,), (outputs, hidden), (outputs,))
    elif kind.startswith("lstm"):
        shapes = (x, h0, h0, w_ih, w_hh, (4 * hidden,)) + (((3 * hidden,),) if kind == "lstm_peephole" else ())
    elif kind == "gru":
        shapes = (x, h0, w_ih, w_hh, (3 * hidden,), (3 * hidden,))
    else:
        shapes = (x, h0, w_ih, w_hh, (hidden,))
    mask = None
    if draw(st.booleans()):
        mask = np.array(draw(st.lists(st.booleans(), min_size=batch * steps, max_size=batch * steps))).reshape(batch, steps)
    return shapes, {"mask": mask, "reverse": draw(st.booleans()), "nonlinearity": draw(st.sampled_from(["tanh", "relu"]))}


def _loop(x, state, step, mask, reverse):
    """Run ``step(x_t, state) -> (new state, output)`` over time; masked steps keep the state."""
    steps = x.shape[1]
    outputs = [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        new, out = step(x[:, t], state)
        if mask is not None:
            keep = torch.as_tensor(mask[:, t:t + 1])
            new = tuple(torch.where(keep, n, s) for n, s in zip(new, state))
            out = step.output(new)
        state = new
        outputs[t] = out
    return torch.stack(outputs, dim=1)


class _Step:
    def __init__(self, fn, output):
        self.fn, self.output = fn, output

    def __call__(self, x, state):
        new = self.fn(x, state)
        return new, self.output(new)


def torch_elman(t, p):
    x, h0, w_ih, w_hh, b = t
    phi = torch.tanh if p["nonlinearity"] == "tanh" else torch.relu
    step = _Step(lambda xt, s: (phi(xt @ w_ih.T + s[0] @ w_hh.T + b),), lambda s: s[0])
    return _loop(x, (h0,), step, p["mask"], p["reverse"])


def torch_jordan(t, p):
    x, y0, w_ih, w_yh, b, w_hy, b_y = t
    step = _Step(lambda xt, s: (torch.tanh(torch.tanh(xt @ w_ih.T + s[0] @ w_yh.T + b) @ w_hy.T + b_y),),
                 lambda s: s[0])
    return _loop(x, (y0,), step, p["mask"], p["reverse"])


def torch_lstm(t, p):
    x, h0, c0, w_ih, w_hh, b, *peephole = t
    n = h0.shape[1]

    def fn(xt, s):
        h, c = s
        z = xt @ w_ih.T + h @ w_hh.T + b
        zo, zi, zf, zg = (z[:, k * n:(k + 1) * n] for k in range(4))
        if peephole:
            zi, zf = zi + peephole[0][n:2 * n] * c, zf + peephole[0][2 * n:] * c
        c_new = torch.sigmoid(zf) * c + torch.sigmoid(zi) * torch.tanh(zg)
        if peephole:
            zo = zo + peephole[0][:n] * c_new
        return torch.sigmoid(zo) * torch.tanh(c_new), c_new

    return _loop(x, (h0, c0), _Step(fn, lambda s: torch.cat(s, dim=1)), p["mask"], p["reverse"])


def torch_gru(t, p):
    x, h0, w_ih, w_hh, b_ih, b_hh = t
    n = h0.shape[1]

    def fn(xt, s):
        a, u = xt @ w_ih.T + b_ih, s[0] @ w_hh.T + b_hh
        r, z = torch.sigmoid(a[:, :n] + u[:, :n]), torch.sigmoid(a[:, n:2 * n] + u[:, n:2 * n])
        cand = torch.tanh(a[:, 2 * n:] + r * u[:, 2 * n:])
        return ((1 - z) * cand + z * s[0],)

    return _loop(x, (h0,), _Step(fn, lambda s: s[0]), p["mask"], p["reverse"])


def build_elman(t, p):
    return ops.elman(*t, nonlinearity=p["nonlinearity"], mask=p["mask"], reverse=p["reverse"])


def build_jordan(t, p):
    return ops.jordan(*t, mask=p["mask"], reverse=p["reverse"])


def build_lstm(t, p):
    return ops.lstm(*t, mask=p["mask"], reverse=p["reverse"])


def build_gru(t, p):
    return ops.gru(*t, mask=p["mask"], reverse=p["reverse"])
