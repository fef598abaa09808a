"""The character language model: a model file round trip, the carried state, PyTorch's twin, TBPTT."""

import numpy as np
import pytest
import torch

from synaptica.data.sequences import TokenStreamSource
from synaptica.errors import FormatError, ShapeError
from synaptica.io.model_file import load_model, save_model
from synaptica.losses import SequenceLogLikelihoodCost
from synaptica.models.char_lm import CharLanguageModel
from synaptica.nn.registry import module_from_config
from synaptica.ops.lstm import TORCH_ORDER
from synaptica.optim import Adam
from synaptica.rules import Backprop
from synaptica.tensor import Tensor, no_grad
from synaptica.train import fit


def _torch_order(ours):
    """Our LSTM gate blocks (o, i, f, g) in PyTorch's order (i, f, g, o): torch's block TORCH_ORDER[k] is ours k."""
    blocks = np.split(ours, 4)
    return np.concatenate([blocks[TORCH_ORDER.index(j)] for j in range(4)])


def _ids(rng, shape, vocabulary=11):
    return rng.integers(0, vocabulary, size=shape).astype(np.float32)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_round_trips_through_a_model_file(tmp_path, rng, cell):
    model = CharLanguageModel(11, embedding_dim=5, hidden_size=7, num_layers=2, cell=cell, rng=0)
    x = _ids(rng, (3, 6))
    save_model(tmp_path / "lm.safetensors", model, {"vocabulary": "abcdefghijk"})
    loaded, metadata = load_model(tmp_path / "lm.safetensors")
    assert type(loaded) is CharLanguageModel and metadata["vocabulary"] == "abcdefghijk"
    with no_grad():
        np.testing.assert_array_equal(loaded(Tensor(x)).data, model(Tensor(x)).data)
    with pytest.raises(FormatError, match=r"CharLanguageModel\).*cell"):
        module_from_config({"type": "CharLanguageModel", "vocabulary_size": 5, "cell": "transformer"}, "f")


def test_a_stateful_model_continues_where_the_last_window_ended(rng):
    model = CharLanguageModel(11, embedding_dim=4, hidden_size=6, rng=0)
    x = _ids(rng, (2, 12))
    with no_grad():
        whole = model(Tensor(x)).data
        with model.stateful():
            parts = [model(Tensor(x[:, i:i + 4])).data for i in (0, 4, 8)]
            assert model(Tensor(x[:1, :4])).data.shape == (1, 4, 11)      # another batch size starts afresh
        again = model(Tensor(x[:, 4:8])).data                               # stateless again after the block
    np.testing.assert_allclose(np.concatenate(parts, axis=1), whole, rtol=1e-5, atol=1e-6)
    assert not np.allclose(again, whole[:, 4:8], atol=1e-4)


def test_logits_and_gradients_equal_pytorchs_embedding_lstm_linear(rng):
    model = CharLanguageModel(9, embedding_dim=4, hidden_size=5, num_layers=2, rng=0, dtype=np.float64)
    twin_embedding = torch.nn.Embedding(9, 4).double()
    twin_lstm = torch.nn.LSTM(4, 5, num_layers=2, batch_first=True).double()
    twin_readout = torch.nn.Linear(5, 9).double()
    with torch.no_grad():
        twin_embedding.weight.copy_(torch.tensor(model.embedding.weight.data))
        for name, parameter in twin_lstm.named_parameters():     # one bias per layer here: b_ih = b, b_hh = 0
            ours = getattr(model.recurrent, name.replace("bias_ih", "bias"), None)
            parameter.copy_(torch.tensor(_torch_order(ours.data)) if ours is not None else torch.zeros_like(parameter))
        twin_readout.weight.copy_(torch.tensor(model.readout.weight.data))
        twin_readout.bias.copy_(torch.tensor(model.readout.bias.data))
    x = rng.integers(0, 9, size=(3, 7))
    y = rng.integers(0, 9, size=(3, 7))
    logits = twin_readout(twin_lstm(twin_embedding(torch.tensor(x)))[0])
    expected = torch.nn.functional.cross_entropy(logits.reshape(-1, 9), torch.tensor(y).reshape(-1))
    expected.backward()
    cost = SequenceLogLikelihoodCost()(model(Tensor(x.astype(np.float64))), y)
    cost.backward()
    assert float(cost.data) == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(_torch_order(model.recurrent.weight_hh_l1.grad), twin_lstm.weight_hh_l1.grad.numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(model.readout.weight.grad, twin_readout.weight.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(model.embedding.weight.grad, twin_embedding.weight.grad.numpy(), atol=1e-12)


def test_truncated_bptt_learns_a_periodic_text():
    text = np.tile(np.array([0, 1, 2, 3, 2, 1, 4, 5, 6, 5, 4, 3]), 200)   # period 12: order needs memory
    model = CharLanguageModel(7, embedding_dim=4, hidden_size=16, num_layers=1, rng=0)
    rule = Backprop(SequenceLogLikelihoodCost(), Adam(model.parameters(), 0.02))
    source = TokenStreamSource(text, batch_size=8, steps=12)
    with model.stateful():
        history = fit(model, rule, source, epochs=12, rng=0, verbose=False)
    first, last = history["train_cost"][0], history["train_cost"][-1]
    assert first > 1.2 and last < 0.1                                       # ln 7 ≈ 1.95 to near certainty


def test_wrong_input_is_named(rng):
    model = CharLanguageModel(11, embedding_dim=4, hidden_size=6, rng=0)
    with pytest.raises(ShapeError, match=r"reads character ids of shape \(batch, steps\), got \(3,\)"):
        model(Tensor(_ids(rng, (3,))))
    with pytest.raises(ValueError, match="outside 0 … 10"):
        model(Tensor(np.full((1, 2), 11.0, dtype=np.float32)))
