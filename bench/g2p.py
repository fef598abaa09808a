"""Grapheme to phoneme: the same encoder–decoder with attention in synaptica and in PyTorch, same split.

    python bench/g2p.py                                 # whole CMUdict, 10 epochs each (long: see --words)
    python bench/g2p.py --words 20000 --test-words 1000 --epochs 5

Both models are :class:`synaptica.models.Seq2Seq` (additive attention): source embedding → BiLSTM
encoder → bridge to the decoder's initial state → LSTM decoder fed the true previous phoneme →
Bahdanau attention over the encoder states → tanh(W [s; c]) → logits. Both train with Adam and
gradient-norm clipping 5 on the same (word, pronunciation) pairs, in the same padded length-bucket
batches (drawn once by synaptica's source with the same seed), for the same epochs, from their own
random initial weights; both decode greedily. Printed: word and phoneme error rates of each on the
held-out test words, seconds per epoch of each, and the ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

import _common  # noqa: F401  (puts src/ on the path)
from synaptica.data.cmudict import LETTERS, PHONEMES, error_rates, load_cmudict
from synaptica.data.sequences import PaddedPairSource, pad
from synaptica.losses import SequenceLogLikelihoodCost
from synaptica.models.seq2seq import END, Seq2Seq
from synaptica.optim import Adam
from synaptica.optim.regularizers import ClipGradNorm
from synaptica.rules.teacher_forcing import TeacherForcing

FIRST = 2


class TorchSeq2Seq(nn.Module):
    """The twin of Seq2Seq(attention="additive") in PyTorch."""

    def __init__(self, sources: int, targets: int, embedding: int, hidden: int):
        super().__init__()
        self.source_embedding = nn.Embedding(sources, embedding)
        self.encoder = nn.LSTM(embedding, hidden, batch_first=True, bidirectional=True)
        self.bridge_h, self.bridge_c = nn.Linear(2 * hidden, hidden), nn.Linear(2 * hidden, hidden)
        self.target_embedding = nn.Embedding(targets, embedding)
        self.decoder = nn.LSTM(embedding, hidden, batch_first=True)
        self.w_query = nn.Linear(hidden, hidden, bias=False)
        self.w_key = nn.Linear(2 * hidden, hidden, bias=False)
        self.w_score = nn.Linear(hidden, 1, bias=False)
        self.combine = nn.Linear(3 * hidden, hidden)
        self.readout = nn.Linear(hidden, targets)

    def encode(self, source):
        lengths = (source != 0).sum(1)
        packed = nn.utils.rnn.pack_padded_sequence(self.source_embedding(source), lengths, batch_first=True,
                                                   enforce_sorted=False)
        states, (h, c) = self.encoder(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=source.shape[1])
        initial = (torch.tanh(self.bridge_h(torch.cat([h[0], h[1]], 1))), self.bridge_c(torch.cat([c[0], c[1]], 1)))
        return states, lengths, initial

    def step_logits(self, decoded, states, lengths):
        energies = self.w_score(torch.tanh(self.w_query(decoded)[:, :, None] + self.w_key(states)[:, None])).squeeze(3)
        mask = torch.arange(states.shape[1])[None, None, :] < lengths[:, None, None]
        alpha = torch.softmax(energies.masked_fill(~mask, float("-inf")), dim=2)
        context = alpha @ states
        return self.readout(torch.tanh(self.combine(torch.cat([decoded, context], 2))))

    def forward(self, source, target):
        states, lengths, (h, c) = self.encode(source)
        fed = torch.cat([torch.full((len(target), 1), END), target[:, :-1]], 1)
        decoded, _ = self.decoder(self.target_embedding(fed), (h[None], c[None]))
        return self.step_logits(decoded, states, lengths)

    @torch.no_grad()
    def greedy(self, source, max_length: int = 30):
        states, lengths, (h, c) = self.encode(source)
        state, last = (h[None], c[None]), torch.full((len(source), 1), END)
        outputs = []
        for _ in range(max_length):
            decoded, state = self.decoder(self.target_embedding(last), state)
            last = self.step_logits(decoded, states, lengths)[:, :, 1:].argmax(2) + 1   # never the padding
            outputs.append(last)
        ids = torch.cat(outputs, 1).numpy()
        return [list(row[:list(row).index(END)] if END in row else row) for row in ids]


def phonemes(ids):
    return [PHONEMES[i - FIRST] for i in ids if i >= FIRST]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=0)
    parser.add_argument("--test-words", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--embedding", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--eta", type=float, default=3e-3)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    splits = load_cmudict()
    train = splits.train if not args.words else type(splits.train)(splits.train.words[:args.words],
                                                                      splits.train.pronunciations[:args.words])
    test = splits.test if not args.test_words else type(splits.test)(splits.test.words[:args.test_words],
                                                                     splits.test.pronunciations[:args.test_words])
    spell = lambda word: np.array([LETTERS.index(ch) + 1 for ch in word])  # noqa: E731
    sources, targets = [], []
    for word, pronunciations in zip(train.words, train.pronunciations):
        for pronunciation in pronunciations:
            sources.append(spell(word))
            targets.append(np.r_[[PHONEMES.index(p) + FIRST for p in pronunciation], END])
    source = PaddedPairSource(sources, targets, batch_size=args.batch_size)
    epochs = [list(source.batches(None, np.random.default_rng(epoch))) for epoch in range(args.epochs)]
    test_source = pad([spell(w) for w in test.words])
    sizes = (len(LETTERS) + 1, len(PHONEMES) + FIRST, args.embedding, args.hidden)

    ours = Seq2Seq(*sizes, attention="additive", rng=0)
    rule = TeacherForcing(SequenceLogLikelihoodCost(padding=0),
                          Adam(ours.parameters(), args.eta, regularizers=[ClipGradNorm(5.0)]))
    rule.bind(ours, np.random.default_rng(0))
    started = time.perf_counter()
    for batches in epochs:
        for batch in batches:
            rule.step(ours, batch)
    ours_seconds = (time.perf_counter() - started) / args.epochs
    ours_rates = error_rates([phonemes(ids) for ids in ours.decode(test_source)[0]], test)

    torch.manual_seed(0)
    twin = TorchSeq2Seq(*sizes)
    optimizer = torch.optim.Adam(twin.parameters(), args.eta)
    started = time.perf_counter()
    for batches in epochs:
        for x, y in batches:
            x, y = torch.tensor(x), torch.tensor(y)
            logits = twin(x, y)
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1), ignore_index=0)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(twin.parameters(), 5.0)
            optimizer.step()
    torch_seconds = (time.perf_counter() - started) / args.epochs
    twin.eval()
    torch_rates = error_rates([phonemes(ids) for ids in twin.greedy(torch.tensor(test_source))], test)

    print(f"{len(train):,} training words, {len(test):,} test words, {args.epochs} epochs, greedy decoding")
    print(f"{'':10s} {'WER':>8s} {'PER':>8s} {'s/epoch':>9s}")
    for name, rates, seconds in (("synaptica", ours_rates, ours_seconds), ("pytorch", torch_rates, torch_seconds)):
        print(f"{name:10s} {rates['word_error_rate']:8.2%} {rates['phoneme_error_rate']:8.2%} {seconds:9.1f}")
    print(f"time ratio synaptica / pytorch: {ours_seconds / torch_seconds:.2f}")


if __name__ == "__main__":
    main()
