"""Seq2Seq's dropout and batched greedy decoding: what each changes, and what it must leave alone."""

import numpy as np
import pytest

from synaptica.data.sequences import pad
from synaptica.models.seq2seq import END, Seq2Seq


def _batch(rng, n=5):
    sources = [rng.integers(1, 9, size=rng.integers(2, 7)) for _ in range(n)]
    return pad(sources), pad([np.r_[s[::-1] + 1, END] for s in sources])


@pytest.mark.parametrize("kind", ["additive", "none"])
def test_dropout_changes_training_outputs_but_not_evaluation(rng, kind):
    x, y = _batch(rng)
    plain = Seq2Seq(9, 10, embedding_dim=5, hidden_size=6, attention=kind, rng=0, dtype=np.float64)
    dropping = Seq2Seq(9, 10, embedding_dim=5, hidden_size=6, attention=kind, rng=0, dtype=np.float64, dropout=0.5)
    for a, b in zip(plain.parameters(), dropping.parameters()):   # the masks' stream leaves the weights alone
        np.testing.assert_array_equal(a.data, b.data)
    reference = plain.teacher_forced(x, y).data
    assert not np.allclose(dropping.teacher_forced(x, y).data, reference)
    first, second = dropping.teacher_forced(x, y).data, dropping.teacher_forced(x, y).data
    assert not np.allclose(first, second)                         # a fresh mask every batch
    dropping.eval()
    np.testing.assert_allclose(dropping.teacher_forced(x, y).data, reference, rtol=1e-12)
    assert dropping.decode(x, max_length=8)[0] == plain.decode(x, max_length=8)[0]


def test_dropout_masks_repeat_with_the_seed(rng):
    x, y = _batch(rng)
    runs = [Seq2Seq(9, 10, embedding_dim=5, hidden_size=6, rng=3, dropout=0.3) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].teacher_forced(x, y).data, runs[1].teacher_forced(x, y).data)
    other = Seq2Seq(9, 10, embedding_dim=5, hidden_size=6, rng=4, dropout=0.3)
    assert not np.allclose(other.teacher_forced(x, y).data, runs[0].teacher_forced(x, y).data)


def test_dropout_passes_no_gradient_through_a_dropped_unit(rng):
    x, y = _batch(rng, 3)
    model = Seq2Seq(9, 10, embedding_dim=5, hidden_size=6, rng=0, dtype=np.float64, dropout=0.999)
    model.teacher_forced(x, y).sum().backward()
    # nearly every unit is dropped before the read-out, so its weights get (almost) no gradient
    assert np.abs(model.readout.weight.grad).sum() < 1e-2 * np.abs(model.readout.bias.grad).sum() + 1e-12
    with pytest.raises(ValueError, match="Dropout"):
        Seq2Seq(9, 10, dropout=1.0)


@pytest.mark.parametrize("kind", ["additive", "dot", "none"])
def test_batched_greedy_decoding_equals_a_beam_of_one_row_by_row(rng, kind):
    model = Seq2Seq(9, 10, embedding_dim=5, hidden_size=6, attention=kind, rng=1, dtype=np.float64)
    x, _ = _batch(rng, 12)
    batched, weights = model.decode(x, max_length=9)
    for row, ids, alignment in zip(x, batched, weights):
        alone, alone_weights = model._beam_search(row[None, :np.count_nonzero(row)], 1, 9)
        assert ids == alone
        assert alignment.shape == alone_weights.shape
        np.testing.assert_allclose(alignment, alone_weights, rtol=1e-10, atol=1e-12)
