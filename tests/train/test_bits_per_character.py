"""Bits per character: equal to the mean −log₂ p from one long stateful pass, whatever the cutting."""

import numpy as np
import pytest

from synaptica.models.char_lm import CharLanguageModel
from synaptica.ops.softmax import log_softmax_array
from synaptica.tensor import Tensor, no_grad
from synaptica.train.bits_per_character import BitsPerCharacter, bits_per_character


def _reference(model, ids, start):
    """One row, the whole stream at once: −log₂ P(ids[t] | ids[:t]) averaged over t ≥ start."""
    with no_grad():
        logits = model(Tensor(ids[None, :-1].astype(np.float64))).data[0]
    log_p = log_softmax_array(logits, axis=1)[np.arange(ids.size - 1), ids[1:]]
    return -log_p[start - 1:].mean() / np.log(2)


def test_one_row_equals_a_single_pass_and_many_rows_with_warm_up_come_close(rng):
    model = CharLanguageModel(7, embedding_dim=3, hidden_size=8, num_layers=1, rng=0, dtype=np.float64)
    ids = rng.integers(0, 7, size=900)
    exact = _reference(model, ids, 300)
    assert bits_per_character(model, ids, 300, rows=1, window=64, warm_up=10_000) == pytest.approx(exact, rel=1e-10)
    cut = bits_per_character(model, ids, 300, rows=6, window=50, warm_up=60)
    assert cut == pytest.approx(exact, rel=1e-3)                       # a short warm-up loses almost nothing
    assert BitsPerCharacter(ids, 300, name="test", rows=1, warm_up=10_000)(model) == {"test_bpc": pytest.approx(exact)}
    assert model.training                                               # scoring leaves the mode as it was


def test_an_untrained_model_needs_about_log2_v_bits():
    model = CharLanguageModel(16, embedding_dim=3, hidden_size=4, num_layers=1, rng=0)
    ids = np.random.default_rng(1).integers(0, 16, size=2000)
    assert 3.9 < bits_per_character(model, ids) < 4.5
