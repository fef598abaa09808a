"""ONNX exporters of the recurrent layers and the embedding (used by :mod:`synaptica.io.onnx_export`).

This file never imports ``onnx``: the graph being built (``g``) carries the module as ``g.onnx``.

- ``RNN``, ``LSTM``, ``GRU``: ONNX's own ``RNN``, ``LSTM`` and ``GRU`` operators, one per stacked
  layer (``direction="bidirectional"`` for both directions), on time-major input (time, batch,
  features): the (batch, time, features) input is transposed first. The gate blocks are permuted to
  ONNX's orders (LSTM (i, o, f, c) and peepholes (p_i, p_o, p_f); GRU (z, r, h) with
  ``linear_before_reset=1``, PyTorch's form); ONNX's recurrent bias R_b is 0 where synaptica holds
  one bias.
- ``Jordan``: ONNX has no Jordan operator, so each layer and direction is a ``Scan`` whose body is
  one step: hₜ = tanh(W_ih xₜ + W_yh yₜ₋₁ + b), yₜ = tanh(W_hy hₜ + b_y), the state yₜ carried.
- ``Embedding``: ``Gather`` of the table's rows by the indices, cast to int64.
"""

from __future__ import annotations

import numpy as np

from synaptica.ops.gru import ONNX_ORDER as GRU_ONNX_ORDER
from synaptica.ops.lstm import ONNX_ORDER as LSTM_ONNX_ORDER


def _blocks(values: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    """The gate blocks of ``values`` (along axis 0) in ONNX's order: ONNX's block k is our order[k]."""
    parts = np.split(values, len(order))
    return np.concatenate([parts[k] for k in order])


def _time_major(g, x: str) -> str:
    return g.node("Transpose", [x], perm=[1, 0, 2])


def _onnx_layer(g, m, layer: int, sequence: str) -> tuple[str, str]:
    """One stacked layer (both directions) as ONNX's RNN/LSTM/GRU: (Y (time, batch, D·H), Y_h (D, batch, H))."""
    kind = type(m).__name__
    order = {"RNN": (0,), "LSTM": LSTM_ONNX_ORDER, "GRU": GRU_ONNX_ORDER}[kind]
    weights, recurrent, biases, peepholes = [], [], [], []
    for direction in range(m.directions):
        p = [q.data for q in m.cell_parameters(layer, direction)]
        weights.append(_blocks(p[0], order))
        recurrent.append(_blocks(p[1], order))
        if kind == "GRU":
            biases.append(np.concatenate([_blocks(p[2], order), _blocks(p[3], order)]))
        else:
            biases.append(np.concatenate([_blocks(p[2], order), np.zeros_like(p[2])]))
        if kind == "LSTM" and m.options["peephole"]:
            peepholes.append(_blocks(p[3], (1, 0, 2)))
    inputs = [sequence, g.constant("W", np.stack(weights)), g.constant("R", np.stack(recurrent)),
              g.constant("B", np.stack(biases))]
    if peepholes:
        inputs += ["", "", "", g.constant("P", np.stack(peepholes))]
    attributes = {"hidden_size": m.hidden_size, "direction": "bidirectional" if m.bidirectional else "forward"}
    if kind == "RNN":
        attributes["activations"] = ["Tanh" if m.options["nonlinearity"] == "tanh" else "Relu"] * m.directions
    if kind == "GRU":
        attributes["linear_before_reset"] = 1
    y, y_h = g.node_outputs(kind, inputs, 2, **attributes)
    # Y is (time, directions, batch, hidden): put each step's directions side by side
    y = g.node("Reshape", [g.node("Transpose", [y], perm=[0, 2, 1, 3]),
                           g.constant("shape", [0, 0, -1], np.int64)])
    return y, y_h


def _last(g, finals: str) -> str:
    """(directions, batch, hidden) -> (batch, directions·hidden)."""
    return g.node("Reshape", [g.node("Transpose", [finals], perm=[1, 0, 2]), g.constant("shape", [0, -1], np.int64)])


def export_gated(g, m, x: str, shape):
    """RNN, LSTM and GRU layers."""
    sequence, finals = _time_major(g, x), None
    for layer in range(m.num_layers):
        sequence, finals = _onnx_layer(g, m, layer, sequence)
    steps = shape[0]
    if m.return_sequences:
        return _time_major(g, sequence), (steps, m.output_size)
    return _last(g, finals), (m.output_size,)


def _jordan_scan(g, m, layer: int, direction: int, x: str) -> tuple[str, str]:
    """One Jordan cell over the sequence as a Scan: (outputs (batch, time, O), final (batch, O))."""
    helper = g.helper
    elem = helper.np_dtype_to_tensor_dtype(g.dtype)
    w_ih, w_yh, bias, w_hy, bias_y = (p.data for p in m.cell_parameters(layer, direction))
    outputs = w_hy.shape[0]
    names = [g.constant(stem, value) for stem, value in
             (("w_ih", w_ih), ("w_yh", w_yh), ("b", bias), ("w_hy", w_hy), ("b_y", bias_y))]
    stem = g.name("jordan")
    y_prev, x_t, y_new, y_out = (f"{stem}_{part}" for part in ("y_prev", "x_t", "y_new", "y_out"))
    a, r, s, h, z = (f"{stem}_{part}" for part in ("a", "r", "s", "h", "z"))
    body_nodes = [
        helper.make_node("Gemm", [x_t, names[0], names[2]], [a], transB=1),
        helper.make_node("Gemm", [y_prev, names[1]], [r], transB=1),
        helper.make_node("Add", [a, r], [s]),
        helper.make_node("Tanh", [s], [h]),
        helper.make_node("Gemm", [h, names[3], names[4]], [z], transB=1),
        helper.make_node("Tanh", [z], [y_new]),
        helper.make_node("Identity", [y_new], [y_out]),
    ]
    body = helper.make_graph(
        body_nodes, f"{stem}_step",
        [helper.make_tensor_value_info(y_prev, elem, ["batch", outputs]),
         helper.make_tensor_value_info(x_t, elem, ["batch", w_ih.shape[1]])],
        [helper.make_tensor_value_info(y_new, elem, ["batch", outputs]),
         helper.make_tensor_value_info(y_out, elem, ["batch", outputs])])
    batch = g.node("Gather", [g.node("Shape", [x]), g.constant("zero", [0], np.int64)], axis=0)
    size = g.node("Concat", [batch, g.constant("outputs", [outputs], np.int64)], axis=0)
    zero = helper.make_tensor("value", elem, [1], [0.0])
    y0 = g.node("ConstantOfShape", [size], value=zero)
    final, sequence = g.node_outputs("Scan", [y0, x], 2, body=body, num_scan_inputs=1, scan_input_axes=[1],
                                     scan_output_axes=[1], scan_input_directions=[direction],
                                     scan_output_directions=[direction])
    return sequence, final


def export_jordan(g, m, x: str, shape):
    finals: list[str] = []
    for layer in range(m.num_layers):
        outputs, finals = [], []
        for direction in range(m.directions):
            sequence, final = _jordan_scan(g, m, layer, direction, x)
            outputs.append(sequence)
            finals.append(final)
        x = outputs[0] if len(outputs) == 1 else g.node("Concat", outputs, axis=2)
    if m.return_sequences:
        return x, (shape[0], m.output_size)
    return (finals[0] if len(finals) == 1 else g.node("Concat", finals, axis=1)), (m.output_size,)


def export_embedding(g, m, x: str, shape):
    indices = g.node("Cast", [x], to=g.onnx.TensorProto.INT64)
    return g.node("Gather", [g.constant("table", m.weight.data), indices], axis=0), (*shape, m.embedding_dim)
