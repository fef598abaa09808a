"""Grapheme to phoneme: the same encoder–decoder with attention in synaptica and in PyTorch, same split.

    python bench/g2p.py                                 # whole CMUdict, 256 units, 16 epochs each (long: see --words)
    python bench/g2p.py --words 20000 --test-words 1000 --epochs 5

Both models are :class:`synaptica.models.Seq2Seq` (additive attention): source embedding → BiLSTM
encoder → bridge to the decoder's initial state → LSTM decoder fed the true previous phoneme →
Bahdanau attention over the encoder states → tanh(W [s; c]) → logits. Both train with Adam and
gradient-norm clipping 5 on the same (word, pronunciation) pairs, in the same padded length-bucket
batches (drawn once by synaptica's source with the same seed), for the same epochs, from their own
random initial weights; both decode greedily. The recipe is the example's (``examples/g2p.py``):
dropout p at the same four places (letter and phoneme embeddings, the encoder's outputs on their way
to the decoder, the combined state before the read-out), the learning rate set before every epoch
from the same cosine schedule, and the epoch of best greedy word accuracy on the validation words
kept. Printed: word and phoneme error rates of each on the held-out test words, seconds per epoch of
each (training only), and the ratio.
"""

from __future__ import annotations

import argparse
import copy
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
from synaptica.optim.schedules import cosine
from synaptica.optim.regularizers import ClipGradNorm
from synaptica.rules.teacher_forcing import TeacherForcing

FIRST = 2
#: the cosine schedule ends at this fraction of the first learning rate, as in examples/g2p.py
MIN_ETA_FRACTION = 0.02


class TorchSeq2Seq(nn.Module):
    """The twin of Seq2Seq(attention="additive") in PyTorch."""

    def __init__(self, sources: int, targets: int, embedding: int, hidden: int, dropout: float = 0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
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
        packed = nn.utils.rnn.pack_padded_sequence(self.dropout(self.source_embedding(source)), lengths,
                                                   batch_first=True, enforce_sorted=False)
        states, (h, c) = self.encoder(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=source.shape[1])
        both = lambda final: self.dropout(torch.cat([final[0], final[1]], 1))  # noqa: E731
        initial = (torch.tanh(self.bridge_h(both(h))), self.bridge_c(both(c)))
        return self.dropout(states), lengths, initial

    def step_logits(self, decoded, states, lengths):
        energies = self.w_score(torch.tanh(self.w_query(decoded)[:, :, None] + self.w_key(states)[:, None])).squeeze(3)
        mask = torch.arange(states.shape[1])[None, None, :] < lengths[:, None, None]
        alpha = torch.softmax(energies.masked_fill(~mask, float("-inf")), dim=2)
        context = alpha @ states
        return self.readout(self.dropout(torch.tanh(self.combine(torch.cat([decoded, context], 2)))))

    def forward(self, source, target):
        states, lengths, (h, c) = self.encode(source)
        fed = torch.cat([torch.full((len(target), 1), END), target[:, :-1]], 1)
        decoded, _ = self.decoder(self.dropout(self.target_embedding(fed)), (h[None], c[None]))
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
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--embedding", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--eta", type=float, default=3e-3)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--schedule", choices=("cosine", "constant"), default="cosine")
    parser.add_argument("--keep-best", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--validation-words", type=int, default=0)
    parser.add_argument("--which", choices=("both", "synaptica", "pytorch"), default="both")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch's threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    splits = load_cmudict()
    train, test = splits.train.first(args.words), splits.test.first(args.test_words)
    validation = splits.validation.first(args.validation_words)
    spell = lambda word: np.array([LETTERS.index(ch) + 1 for ch in word])  # noqa: E731
    sources, targets = [], []
    for word, pronunciations in zip(train.words, train.pronunciations):
        for pronunciation in pronunciations:
            sources.append(spell(word))
            targets.append(np.r_[[PHONEMES.index(p) + FIRST for p in pronunciation], END])
    source = PaddedPairSource(sources, targets, batch_size=args.batch_size)
    epochs = [list(source.batches(None, np.random.default_rng(epoch))) for epoch in range(args.epochs)]
    test_source = pad([spell(w) for w in test.words])
    validation_source = pad([spell(w) for w in validation.words])
    sizes = (len(LETTERS) + 1, len(PHONEMES) + FIRST, args.embedding, args.hidden)
    rate = cosine(args.eta, args.epochs, args.eta * MIN_ETA_FRACTION) if args.schedule == "cosine" else lambda e: args.eta
    rows = []

    if args.which != "pytorch":
        ours = Seq2Seq(*sizes, attention="additive", rng=0, dropout=args.dropout)
        optimizer = Adam(ours.parameters(), args.eta, regularizers=[ClipGradNorm(5.0)])
        rule = TeacherForcing(SequenceLogLikelihoodCost(padding=0), optimizer)
        rule.bind(ours, np.random.default_rng(0))
        keep = KeepBest(validation, lambda: ours.decode(validation_source)[0], ours.state_dict)
        seconds = 0.0
        for epoch, batches in enumerate(epochs):
            optimizer.learning_rate = rate(epoch)
            ours.train()
            started = time.perf_counter()
            for batch in batches:
                rule.step(ours, batch)
            seconds += time.perf_counter() - started
            if args.keep_best:
                keep.epoch_done(epoch, "synaptica")
        if keep.state is not None:
            ours.load_state_dict(keep.state)
        rows.append(("synaptica", error_rates([phonemes(ids) for ids in ours.decode(test_source)[0]], test),
                     seconds / args.epochs, keep.epoch))

    if args.which != "synaptica":
        torch.manual_seed(0)
        twin = TorchSeq2Seq(*sizes, dropout=args.dropout)
        optimizer = torch.optim.Adam(twin.parameters(), args.eta)

        def greedy():
            twin.eval()
            return twin.greedy(torch.tensor(validation_source))

        keep = KeepBest(validation, greedy, lambda: copy.deepcopy(twin.state_dict()))
        seconds = 0.0
        for epoch, batches in enumerate(epochs):
            for group in optimizer.param_groups:
                group["lr"] = rate(epoch)
            twin.train()
            started = time.perf_counter()
            for x, y in batches:
                x, y = torch.tensor(x), torch.tensor(y)
                logits = twin(x, y)
                loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1), ignore_index=0)
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(twin.parameters(), 5.0)
                optimizer.step()
            seconds += time.perf_counter() - started
            if args.keep_best:
                keep.epoch_done(epoch, "pytorch")
        if keep.state is not None:
            twin.load_state_dict(keep.state)
        twin.eval()
        rows.append(("pytorch", error_rates([phonemes(ids) for ids in twin.greedy(torch.tensor(test_source))], test),
                     seconds / args.epochs, keep.epoch))

    print(f"{len(train):,} training words, {len(test):,} test words, {args.epochs} epochs, greedy decoding")
    print(f"{'':10s} {'WER':>8s} {'PER':>8s} {'s/epoch':>9s} {'kept epoch':>11s}")
    for name, rates, seconds, kept in rows:
        print(f"{name:10s} {rates['word_error_rate']:8.2%} {rates['phoneme_error_rate']:8.2%} {seconds:9.1f} "
              f"{'last' if kept is None else kept:>11}")
    if len(rows) == 2:
        print(f"time ratio synaptica / pytorch: {rows[0][2] / rows[1][2]:.2f}")


class KeepBest:
    """The weights of the epoch with the most validation words right (greedy), as the example keeps."""

    def __init__(self, lexicon, decode, state):
        self.lexicon, self.decode, self.get_state = lexicon, decode, state
        self.best, self.epoch, self.state = -1.0, None, None

    def epoch_done(self, epoch: int, name: str) -> None:
        rates = error_rates([phonemes(ids) for ids in self.decode()], self.lexicon)
        right = 1 - rates["word_error_rate"]
        print(f"{name} epoch {epoch}: validation words right {right:.2%}, "
              f"phoneme error rate {rates['phoneme_error_rate']:.2%}", flush=True)
        if right > self.best:
            self.best, self.epoch, self.state = right, epoch, self.get_state()


if __name__ == "__main__":
    main()
