"""Sequence to sequence with attention: teacher forcing, the cost's padding, decoding, a learnt task."""

import numpy as np
import pytest
import torch

from synaptica.data.sequences import PaddedPairSource, pad
from synaptica.errors import ShapeError
from synaptica.losses import SequenceLogLikelihoodCost
from synaptica.models.seq2seq import END, Seq2Seq
from synaptica.optim import Adam
from synaptica.rules.teacher_forcing import TeacherForcing
from synaptica.tensor import Tensor
from synaptica.train import fit


def _reversal_task(rng, n):
    """Reverse a sequence of 2–6 symbols from 1..8; targets are the symbols + 1 (0 pad, 1 end) then END."""
    sources = [rng.integers(1, 9, size=rng.integers(2, 7)) for _ in range(n)]
    targets = [np.r_[s[::-1] + 1, END] for s in sources]
    return sources, targets


@pytest.mark.parametrize("kind", ["additive", "dot", "none"])
def test_padding_changes_nothing_a_sequence_computes(rng, kind):
    model = Seq2Seq(9, 10, embedding_dim=5, hidden_size=6, attention=kind, rng=0, dtype=np.float64)
    sources, targets = _reversal_task(rng, 3)
    alone = [model.teacher_forced(pad([s]), pad([t])).data[0] for s, t in zip(sources, targets)]
    together = model.teacher_forced(pad(sources), pad(targets)).data
    for i, logits in enumerate(alone):
        np.testing.assert_allclose(together[i, :len(logits)], logits, rtol=1e-10, atol=1e-12)


def test_padded_steps_cost_nothing(rng):
    model = Seq2Seq(9, 10, embedding_dim=5, hidden_size=6, rng=0, dtype=np.float64)
    sources, targets = _reversal_task(rng, 4)
    cost = SequenceLogLikelihoodCost(padding=0)
    x, y = pad(sources), pad(targets)
    logits = Tensor(model.teacher_forced(x, y).data, requires_grad=True)
    loss = cost(logits, y)
    loss.backward()
    assert np.all(logits.grad[y == 0] == 0)
    real = [t.size for t in targets]
    manual = np.mean(np.concatenate([
        -torch.log_softmax(torch.tensor(logits.data[i, :n]), 1)[np.arange(n), y[i, :n]].numpy()
        for i, n in enumerate(real)]))
    assert float(loss.data) == pytest.approx(manual, rel=1e-12)


@pytest.mark.slow
def test_learns_to_reverse_sequences_and_beam_search_agrees(rng):
    sources, targets = _reversal_task(rng, 1200)
    model = Seq2Seq(9, 10, embedding_dim=16, hidden_size=32, attention="additive", max_length=10, rng=0)
    rule = TeacherForcing(SequenceLogLikelihoodCost(padding=0), Adam(model.parameters(), 0.01))
    fit(model, rule, PaddedPairSource(sources, targets, batch_size=32), epochs=12, rng=0, verbose=False)
    tests, answers = _reversal_task(np.random.default_rng(99), 100)
    greedy, alignments = model.decode(pad(tests))
    right = np.mean([g == list(a[:-1]) for g, a in zip(greedy, answers)])
    assert right > 0.8
    beam, _ = model.decode(pad(tests[:20]), beam=4)
    assert np.mean([b == list(a[:-1]) for b, a in zip(beam, answers[:20])]) >= 0.75
    first = alignments[0]                                   # reversal: output t looks at input n − 1 − t
    n = len(tests[0])
    assert first.shape == (n + 1, n)
    assert np.mean(first[:n].argmax(axis=1) == np.arange(n)[::-1]) >= 0.5


def test_rules_and_inputs_are_checked(rng):
    with pytest.raises(TypeError, match="teacher-forcing trains a sequence-to-sequence model"):
        TeacherForcing(SequenceLogLikelihoodCost(), _adam()).bind(object(), rng)
    model = Seq2Seq(9, 10, embedding_dim=5, hidden_size=6, rng=0)
    with pytest.raises(ShapeError, match="source sequence 1 is empty"):
        model.teacher_forced(np.array([[1, 2], [0, 0]]), np.array([[2, 1], [3, 1]]))


def _adam():
    from synaptica.nn import Linear
    return Adam(Linear(1, 1, rng=0).parameters(), 0.1)
