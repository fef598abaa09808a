"""The gated cells' inference path (nothing recorded) against PyTorch and against the recording path.

Without recording, :func:`synaptica.ops.lstm` and :func:`synaptica.ops.gru` take another route
(one step's buffers reused at every step, the LSTM's step one product of the stacked weights), so
these tests run it where the oracle tests of tests/nn/test_recurrent.py run the recording one: the
same layers as ``nn.LSTM`` / ``nn.GRU`` with copied weights, padded batches as packed sequences,
both directions, two layers, and, at the op level, peepholes, masks and a reversed loop.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from synaptica import Tensor, ops
from synaptica.tensor import no_grad
from tests.nn.test_recurrent import make, torch_twin


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("padded", [False, True], ids=["full", "padded"])
def test_no_grad_outputs_and_final_states_equal_pytorch(kind, padded):
    layer = make(kind, return_sequences=True, num_layers=2, bidirectional=True)
    twin = torch_twin(layer)
    rng = np.random.default_rng(3)
    lengths = np.array([6, 2, 4, 1, 5])
    x = rng.normal(size=(5, 6, 3))
    with no_grad():
        outputs, final = layer.run(Tensor(x), lengths=lengths if padded else None)
    assert not outputs.requires_grad
    x_torch = torch.tensor(x)
    with torch.no_grad():
        if padded:
            packed = pack_padded_sequence(x_torch, torch.as_tensor(lengths), batch_first=True, enforce_sorted=False)
            out_packed, final_torch = twin(packed)
            out_torch, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=6)
        else:
            out_torch, final_torch = twin(x_torch)
    np.testing.assert_allclose(outputs.data, out_torch.numpy(), rtol=1e-10, atol=1e-12)
    finals = final if isinstance(final, tuple) else (final,)
    finals_torch = final_torch if isinstance(final_torch, tuple) else (final_torch,)
    for ours, theirs in zip(finals, finals_torch):
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-10, atol=1e-12)


def operands(kind, rng, batch=4, steps=5, features=3, hidden=4, peephole=False):
    gates = 4 if kind == "lstm" else 3
    shapes = [(batch, steps, features), (batch, hidden)] + ([(batch, hidden)] if kind == "lstm" else [])
    shapes += [(gates * hidden, features), (gates * hidden, hidden), (gates * hidden,)]
    shapes += [(3 * hidden,)] if kind == "gru" or peephole else []
    return [rng.normal(size=shape) for shape in shapes]


@pytest.mark.parametrize("kind, peephole", [("lstm", False), ("lstm", True), ("gru", False)],
                         ids=["lstm", "lstm-peephole", "gru"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_op_without_recording_equals_the_recording_path(kind, peephole, reverse, dtype):
    rng = np.random.default_rng(4)
    arrays = [a.astype(dtype) for a in operands(kind, rng, peephole=peephole)]
    mask = rng.random((4, 5)) < 0.7  # arbitrary padded steps, not only a suffix
    op = getattr(ops, kind)
    recorded = op(*[Tensor(a, requires_grad=True) for a in arrays], mask=mask, reverse=reverse)
    assert recorded.requires_grad
    with no_grad():
        unrecorded = op(*[Tensor(a, requires_grad=True) for a in arrays], mask=mask, reverse=reverse)
    no_parent_wants_grad = op(*[Tensor(a) for a in arrays], mask=mask, reverse=reverse)
    tolerance = {"rtol": 1e-12, "atol": 1e-13} if dtype == np.float64 else {"rtol": 2e-6, "atol": 2e-6}
    for out in (unrecorded, no_parent_wants_grad):
        assert not out.requires_grad and out.op == kind and out.dtype == dtype
        np.testing.assert_allclose(out.data, recorded.data, **tolerance)
