"""Recurrent layers against PyTorch's nn.RNN, nn.LSTM and nn.GRU, finite differences, and bad input.

Weights are copied by name (both use ``weight_ih_l0``, ``weight_hh_l1_reverse``, …). The mapping:

- RNN: PyTorch's two biases b_ih and b_hh add up to our ``bias``.
- LSTM: PyTorch's rows hold the gate blocks (i, f, g, o), ours (o, i, f, g): our block k is
  PyTorch's block ``TORCH_ORDER[k]`` = (3, 0, 1, 2)[k]; our ``bias`` is b_ih + b_hh.
- GRU: the same blocks (r, z, n) and the same two biases.

Padded batches are checked against ``pack_padded_sequence`` (outputs, zeros at padding, and the
final state at each sequence's own length).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from synaptica import ShapeError, Tensor
from synaptica.io import load_model, save_model
from synaptica.nn import GRU, LSTM, RNN, Embedding, Jordan, Linear, Sequential, Unflatten
from synaptica.ops.lstm import TORCH_ORDER
from synaptica.train import predict

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ops"))
from gradcheck import gradcheck  # noqa: E402


def torch_twin(layer):
    """The PyTorch layer with ``layer``'s weights (gate-order mapping in the module docstring)."""
    kind = type(layer).__name__
    options = dict(num_layers=layer.num_layers, bidirectional=layer.bidirectional, batch_first=True,
                   dtype=torch.float64)
    if kind == "RNN":
        twin = nn.RNN(layer.input_size, layer.hidden_size, nonlinearity=layer.options["nonlinearity"], **options)
    else:
        twin = getattr(nn, kind)(layer.input_size, layer.hidden_size, **options)
    h = layer.hidden_size
    with torch.no_grad():
        for name, value in twin.named_parameters():
            if name.startswith("bias_hh") and kind != "GRU":
                value.zero_()
                continue
            ours = getattr(layer, name.replace("bias_ih", "bias") if kind != "GRU" else name).data
            if kind == "LSTM":
                blocks = np.split(ours, 4)
                ours = np.concatenate([blocks[TORCH_ORDER.index(k)] for k in range(4)])
                assert h * 4 == len(ours)
            value.copy_(torch.as_tensor(ours.astype(np.float64)))
    return twin


def make(kind, **options):
    classes = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}
    return classes[kind](3, 4, rng=0, dtype=np.float64, **options)


CASES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {}),
         ("LSTM", {"num_layers": 2, "bidirectional": True}), ("GRU", {"num_layers": 2, "bidirectional": True}),
         ("RNN", {"num_layers": 3}), ("RNN", {"bidirectional": True})]


@pytest.mark.parametrize("kind, options", CASES, ids=[f"{k}-{o}" for k, o in CASES])
def test_outputs_states_and_gradients_equal_pytorch(kind, options):
    layer = make(kind, return_sequences=True, **options)
    twin = torch_twin(layer)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 6, 3))
    weights = rng.normal(size=(5, 6, layer.output_size))
    xt = Tensor(x, requires_grad=True)
    outputs, final = layer.run(xt)
    (outputs * Tensor(weights)).sum().backward()

    x_torch = torch.tensor(x, requires_grad=True)
    out_torch, final_torch = twin(x_torch)
    (out_torch * torch.as_tensor(weights)).sum().backward()
    np.testing.assert_allclose(outputs.data, out_torch.detach().numpy(), rtol=1e-10, atol=1e-12)
    finals = final if isinstance(final, tuple) else (final,)
    finals_torch = final_torch if isinstance(final_torch, tuple) else (final_torch,)
    for ours, theirs in zip(finals, finals_torch):
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xt.grad, x_torch.grad.numpy(), rtol=1e-9, atol=1e-11)
    for name, value in twin.named_parameters():
        if name.startswith("bias_hh") and kind != "GRU":
            continue
        ours = getattr(layer, name.replace("bias_ih", "bias") if kind != "GRU" else name).grad
        if kind == "LSTM":
            blocks = np.split(ours, 4)
            ours = np.concatenate([blocks[TORCH_ORDER.index(k)] for k in range(4)])
        np.testing.assert_allclose(ours, value.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)


@pytest.mark.parametrize("kind, options", [("LSTM", {"bidirectional": True, "num_layers": 2}),
                                           ("GRU", {"bidirectional": True}), ("RNN", {"num_layers": 2})])
def test_padded_batch_equals_packed_sequences(kind, options):
    layer = make(kind, return_sequences=True, **options)
    twin = torch_twin(layer)
    rng = np.random.default_rng(2)
    lengths = np.array([6, 2, 4, 1])
    x = rng.normal(size=(4, 6, 3))
    x[np.arange(6) >= lengths[:, None]] = 99.0  # padding must not matter
    weights = rng.normal(size=(4, 6, layer.output_size))
    xt = Tensor(x, requires_grad=True)
    outputs, final = layer.run(xt, lengths=lengths)
    finals = final if isinstance(final, tuple) else (final,)
    final_weights = [rng.normal(size=f.shape) for f in finals]
    cost = (outputs * Tensor(weights)).sum()
    for f, fw in zip(finals, final_weights):
        cost = cost + (f * Tensor(fw)).sum()
    cost.backward()

    x_torch = torch.tensor(x, requires_grad=True)
    packed = pack_padded_sequence(x_torch, torch.as_tensor(lengths), batch_first=True, enforce_sorted=False)
    out_packed, final_torch = twin(packed)
    out_torch, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=6)
    finals_torch = final_torch if isinstance(final_torch, tuple) else (final_torch,)
    cost_torch = (out_torch * torch.as_tensor(weights)).sum()
    for f, fw in zip(finals_torch, final_weights):
        cost_torch = cost_torch + (f * torch.as_tensor(fw)).sum()
    cost_torch.backward()
    np.testing.assert_allclose(outputs.data, out_torch.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours, theirs in zip(finals, finals_torch):
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xt.grad, x_torch.grad.numpy(), rtol=1e-9, atol=1e-11)
    assert np.all(xt.grad[np.arange(6) >= lengths[:, None]] == 0)


def test_last_state_of_a_padded_sequence_is_its_state_at_its_own_length():
    layer = make("GRU", bidirectional=True)
    x = np.random.default_rng(3).normal(size=(2, 5, 3))
    outputs, final = layer.run(Tensor(x), lengths=[5, 3])
    alone, final_alone = layer.run(Tensor(x[1:, :3]))
    np.testing.assert_allclose(final.data[:, 1], final_alone.data[:, 0], rtol=1e-12)
    np.testing.assert_allclose(outputs.data[1, :3], alone.data[0], rtol=1e-12)
    assert np.all(outputs.data[1, 3:] == 0)
    with pytest.raises(ValueError, match="prefix"):
        layer.run(Tensor(x), mask=np.array([[1, 0, 1, 1, 1], [1, 1, 1, 1, 1]], bool))
    np.testing.assert_array_equal(layer.run(Tensor(x), mask=np.arange(5) < np.array([[5], [3]]))[1].data, final.data)


def test_forward_gives_the_last_state_of_each_direction():
    layer = make("LSTM", bidirectional=True, num_layers=2)
    x = np.random.default_rng(4).normal(size=(3, 4, 3))
    (h, _) = layer.run(Tensor(x))[1]
    last = layer(Tensor(x)).data
    np.testing.assert_array_equal(last, np.concatenate([h.data[2], h.data[3]], axis=1))
    assert last.shape == (3, 8)


def test_initial_state_is_used_and_receives_gradient():
    layer = make("LSTM", num_layers=2)
    twin = torch_twin(layer)
    rng = np.random.default_rng(5)
    x, h0, c0 = rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 2, 4)), rng.normal(size=(2, 2, 4))
    h0t, c0t = Tensor(h0, requires_grad=True), Tensor(c0, requires_grad=True)
    out, (h, c) = layer.run(Tensor(x), initial_state=(h0t, c0t))
    (out.sum() + (c * c).sum()).backward()
    h0_torch, c0_torch = torch.tensor(h0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    out_torch, (_, c_torch) = twin(torch.as_tensor(x), (h0_torch, c0_torch))
    (out_torch.sum() + (c_torch * c_torch).sum()).backward()
    np.testing.assert_allclose(out.data, out_torch.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(h0t.grad, h0_torch.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(c0t.grad, c0_torch.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("layer", [
    Jordan(2, 3, output_size=2, num_layers=2, bidirectional=True, return_sequences=True, rng=0, dtype=np.float64),
    LSTM(2, 2, peephole=True, bidirectional=True, return_sequences=True, rng=0, dtype=np.float64),
    RNN(2, 3, nonlinearity="relu", num_layers=2, return_sequences=True, rng=0, dtype=np.float64),
    GRU(2, 2, num_layers=2, bidirectional=True, return_sequences=True, rng=0, dtype=np.float64),
], ids=["jordan", "lstm-peephole", "relu-rnn", "gru"])
def test_layers_pass_finite_differences_with_masks(layer):
    """∂C/∂x entry by entry, and each parameter's gradient along a random direction (float64)."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 4, 2))
    w = rng.normal(size=(3, 4, layer.output_size))
    lengths = [4, 2, 3]

    def cost(x_tensor):
        return (layer.run(x_tensor, lengths=lengths)[0] * Tensor(w)).sum()

    layer.zero_grad()
    gradcheck(cost, [x])
    for p in layer.parameters():
        d = rng.normal(size=p.shape)
        original = p.data.copy()
        p.data = original + 1e-6 * d
        plus = cost(Tensor(x)).item()
        p.data = original - 1e-6 * d
        minus = cost(Tensor(x)).item()
        p.data = original
        analytic = float(np.vdot(p.grad, d))
        assert abs((plus - minus) / 2e-6 - analytic) <= 1e-6 * max(1.0, abs(analytic))


def test_irnn_starts_from_the_identity_and_lstm_from_a_forget_bias_of_one():
    irnn = RNN(5, 7, nonlinearity="relu", init="identity", rng=0)
    np.testing.assert_array_equal(irnn.weight_hh_l0.data, np.eye(7))
    assert not irnn.bias_l0.data.any() and 0 < irnn.weight_ih_l0.data.std() < 0.01
    lstm = LSTM(5, 7, rng=0)
    np.testing.assert_array_equal(lstm.bias_l0.data[14:21], 1.0)  # block f of (o, i, f, g)
    bound = 1 / np.sqrt(7)
    assert np.abs(lstm.weight_hh_l0.data).max() <= bound and np.abs(lstm.bias_l0.data[:14]).max() <= bound


@pytest.mark.parametrize("layer", [RNN(3, 4, rng=0), Jordan(3, 4, output_size=2, rng=0), LSTM(3, 4, rng=0),
                                   GRU(3, 4, rng=0)], ids=["rnn", "jordan", "lstm", "gru"])
def test_wrong_feature_size_names_the_layer_and_both_shapes(layer):
    with pytest.raises(ShapeError) as error:
        layer(Tensor(np.zeros((2, 5, 6), np.float32)))
    message = str(error.value)
    assert repr(layer) in message and "(2, 5, 6)" in message and "(batch, time, 3)" in message
    with pytest.raises(ShapeError, match="Unflatten"):
        layer(Tensor(np.zeros((2, 15), np.float32)))


def test_empty_sequences_and_bad_lengths_are_refused():
    layer = GRU(3, 4, rng=0)
    with pytest.raises(ShapeError, match="empty sequence"):
        layer(Tensor(np.zeros((2, 0, 3), np.float32)))
    x = Tensor(np.zeros((2, 5, 3), np.float32))
    for lengths in ([5, 0], [6, 1]):
        with pytest.raises(ValueError, match=r"within 1 … 5"):
            layer.run(x, lengths=lengths)
    with pytest.raises(ValueError, match="2 whole numbers"):
        layer.run(x, lengths=[5])
    with pytest.raises(ShapeError, match="initial_state"):
        layer.run(x, initial_state=Tensor(np.zeros((2, 2, 4), np.float32)))


@pytest.mark.parametrize("kind", ["RNN", "Jordan", "LSTM", "GRU"])
def test_models_with_recurrent_layers_save_and_load(tmp_path, kind):
    options = {"Jordan": {"output_size": 5}, "LSTM": {"peephole": True}, "RNN": {"nonlinearity": "relu"}}
    layer = {"RNN": RNN, "Jordan": Jordan, "LSTM": LSTM, "GRU": GRU}[kind](
        7, 6, num_layers=2, bidirectional=True, rng=0, **options.get(kind, {}))
    model = Sequential(Unflatten((4, 7)), layer, Linear(layer.output_size, 3, rng=1))
    x = np.random.default_rng(0).normal(size=(5, 28)).astype(np.float32)
    save_model(tmp_path / "m.safetensors", model)
    loaded, _ = load_model(tmp_path / "m.safetensors")
    assert loaded.config() == model.config()
    np.testing.assert_array_equal(predict(loaded, x), predict(model, x))


def test_embedding_matches_pytorch_and_refuses_bad_indices():
    layer = Embedding(6, 3, rng=0, dtype=np.float64)
    indices = np.array([[0, 5, 2, 2], [1, 1, 4, 0]])
    out = layer(Tensor(indices.astype(np.float64)))
    weights = np.random.default_rng(0).normal(size=out.shape)
    (out * Tensor(weights)).sum().backward()
    twin = torch.tensor(layer.weight.data, requires_grad=True)
    expected = torch.nn.functional.embedding(torch.as_tensor(indices), twin)
    (expected * torch.as_tensor(weights)).sum().backward()
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    np.testing.assert_allclose(layer.weight.grad, twin.grad.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"Embedding\(6×3\) got index 6, outside 0 … 5"):
        layer(Tensor(np.array([[6.0]])))
    with pytest.raises(ValueError, match="not a whole number"):
        layer(Tensor(np.array([[1.5]])))
