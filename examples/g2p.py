"""Grapheme to phoneme: spell a word, hear it — sequence to sequence with attention on CMUdict.

    python examples/g2p.py                              # the whole dictionary, LSTMs of 256, 16 epochs (about an hour)
    python examples/g2p.py --words 20000 --epochs 5     # a quicker run on part of it
    python examples/g2p.py --autoencoder                # a seq2seq auto-encoder of the spellings
    python examples/g2p.py --save g2p.safetensors       # keep the trained model (load_seq2seq reads it)
    python examples/g2p.py --dropout 0 --schedule constant --no-keep-best   # the first recipe

The CMU Pronouncing Dictionary (:mod:`synaptica.data.cmudict`: stress removed, a–z words, a seeded
90/5/5 split by distinct word) maps 'tomato' to T AH M EY T OW. An encoder–decoder with additive
attention (:class:`synaptica.models.Seq2Seq`) reads the letters and writes the phonemes, trained by
teacher forcing on every (word, pronunciation) pair of the training words. Scored on the held-out
test words: word error rate (no pronunciation of the word matched exactly) and phoneme error rate
(edit distance to the nearest pronunciation over its length), by greedy decoding and beam search.
The figure shows the attention weights of a few test words: which letters each phoneme came from.

The recipe follows the published attention models (Yao and Zweig 2015; Toshniwal and Livescu 2016):
dropout in training (``--dropout``, see :class:`~synaptica.models.Seq2Seq`), a learning rate annealed
along half a cosine over the epochs (``--schedule cosine``, :func:`synaptica.optim.schedules.cosine`
read in epochs by :class:`~synaptica.train.callbacks.EpochSchedule`), and the epoch whose greedy
word accuracy on the validation words is best kept at the end (``--keep-best``,
:class:`~synaptica.train.callbacks.EarlyStopping`); the test words stay unseen until the end.

``--autoencoder`` trains the same model to write a word's own letters back (seed 004's
sequence-to-sequence auto-encoder): it prints the share of held-out words reconstructed exactly and
the nearest neighbours of a few words in code space (the decoder's initial state).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from synaptica import fit
from synaptica.data.cmudict import LETTERS, PHONEMES, error_rates, load_cmudict
from synaptica.data.sequences import PaddedPairSource, pad
from synaptica.io import save_model
from synaptica.losses import SequenceLogLikelihoodCost
from synaptica.models.seq2seq import END, Seq2Seq
from synaptica.optim import Adam
from synaptica.optim.regularizers import ClipGradNorm
from synaptica.optim.schedules import cosine
from synaptica.random import stream
from synaptica.rules.teacher_forcing import TeacherForcing
from synaptica.tensor import no_grad
from synaptica.train.callbacks import EarlyStopping, EpochSchedule, TimeBudget

#: target ids: 0 pad, 1 end, then the symbols
FIRST_SYMBOL = 2


def spell(word: str) -> np.ndarray:
    return np.array([LETTERS.index(ch) + 1 for ch in word])


def pairs(lexicon, autoencoder: bool):
    """(letters, phonemes + end) for every pronunciation; the word's own letters for the auto-encoder."""
    sources, targets = [], []
    for word, pronunciations in zip(lexicon.words, lexicon.pronunciations):
        outputs = [tuple(word)] if autoencoder else pronunciations
        for output in outputs:
            symbols = LETTERS if autoencoder else PHONEMES
            sources.append(spell(word))
            targets.append(np.r_[[symbols.index(s) + FIRST_SYMBOL for s in output], END])
    return sources, targets


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=0, help="train on the first N training words (0: all)")
    parser.add_argument("--test-words", type=int, default=0, help="score the first N test words (0: all)")
    parser.add_argument("--validation-words", type=int, default=0,
                        help="choose the epoch kept on the first N validation words (0: all)")
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--minutes", type=float, default=0,
                        help="stop after the epoch during which this much time ran out (0: no limit)")
    parser.add_argument("--dropout", type=float, default=0.3, help="drop probability in training (0: none)")
    parser.add_argument("--schedule", choices=("cosine", "constant"), default="cosine",
                        help="the learning rate over the epochs: annealed along half a cosine, or constant")
    parser.add_argument("--keep-best", action=argparse.BooleanOptionalAction, default=True,
                        help="keep the epoch of best validation word accuracy (greedy decoding)")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--embedding", type=int, default=64)
    parser.add_argument("--attention", choices=("additive", "dot", "none"), default="additive")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--eta", type=float, default=3e-3)
    parser.add_argument("--beam", type=int, default=4, help="beam width (1: greedy only)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--autoencoder", action="store_true")
    parser.add_argument("--out", default="g2p_attention.png", help="the PNG of attention weights (empty: none)")
    parser.add_argument("--save", default="", help="write the trained model to this file (safetensors; "
                        "synaptica.models.seq2seq.load_seq2seq reads it back)")
    args = parser.parse_args(argv)

    splits = load_cmudict()
    train = splits.train.first(args.words)
    test = splits.test.first(args.test_words)
    sources, targets = pairs(train, args.autoencoder)
    symbols = LETTERS if args.autoencoder else PHONEMES
    model = Seq2Seq(len(LETTERS) + 1, len(symbols) + FIRST_SYMBOL, args.embedding, args.hidden, args.attention,
                    max_length=30, rng=stream(args.seed, "weights"), dropout=args.dropout)
    optimizer = Adam(model.parameters(), args.eta, regularizers=[ClipGradNorm(5.0)])
    rule = TeacherForcing(SequenceLogLikelihoodCost(padding=0), optimizer)
    callbacks, evaluators = [], []
    if args.schedule == "cosine":
        callbacks.append(EpochSchedule(optimizer, cosine(args.eta, args.epochs, args.eta * MIN_ETA_FRACTION)))
    if args.keep_best:
        validation = splits.validation.first(args.validation_words)
        evaluators.append(WordAccuracy(validation, args.autoencoder))
        callbacks.append(EarlyStopping("validation_accuracy", "max", restore_best=True))
    if args.minutes:
        callbacks.append(TimeBudget(args.minutes))
    print(f"{len(train):,} training words ({len(sources):,} pairs), {len(test):,} test words; {model!r}")
    started = time.perf_counter()
    fit(model, rule, PaddedPairSource(sources, targets, batch_size=args.batch_size), epochs=args.epochs,
        rng=args.seed, evaluators=evaluators, callbacks=callbacks)
    seconds = time.perf_counter() - started
    if args.save:
        save_model(args.save, model, {"letters": " ".join(LETTERS), "symbols": " ".join(symbols),
                                      "first_symbol": str(FIRST_SYMBOL), "task": "autoencoder" if args.autoencoder else "g2p"})
        print(f"Model: {args.save}")
    source = pad([spell(w) for w in test.words])
    results = {"seconds": seconds}
    for beam in sorted({1, args.beam}):
        words, alignments = written(model, source, symbols, beam)
        if args.autoencoder:
            exact = spelt_back(words, test.words)
            results[f"beam{beam}"] = {"reconstructed": exact}
            print(f"{'greedy' if beam == 1 else f'beam {beam}'}: {exact:.2%} of held-out words written back exactly")
        else:
            rates = error_rates(words, test)
            results[f"beam{beam}"] = rates
            print(f"{'greedy' if beam == 1 else f'beam {beam}'}: word error rate {rates['word_error_rate']:.2%}, "
                  f"phoneme error rate {rates['phoneme_error_rate']:.2%}")
        if beam == 1:
            for word, output in list(zip(test.words, words))[:6]:
                print(f"  {word:15s} {' '.join(output)}")
            greedy_alignments = alignments
    print(f"trained in {seconds / 60:.1f} min")
    if args.autoencoder:
        neighbours(model, test.words[:2000], ["water", "station", "running", "happily"])
    elif args.out and args.attention != "none":
        draw(test.words[:4], [w for w in greedy_alignments[:4]], model, source[:4], args.out)
        print(f"Figure: {args.out}")
    return results


#: the cosine schedule ends at this fraction of the first learning rate
MIN_ETA_FRACTION = 0.02


def written(model: Seq2Seq, source: np.ndarray, symbols, beam: int = 1):
    """The symbols the model writes for each padded row of letter ids, and the attention weights."""
    decoded, alignments = model.decode(source, beam=beam)
    return [[symbols[i - FIRST_SYMBOL] for i in ids if i >= FIRST_SYMBOL] for ids in decoded], alignments


def spelt_back(written_letters, words) -> float:
    """The auto-encoder's score: the share of words whose letters were written back exactly."""
    return float(np.mean(["".join(letters) == word for letters, word in zip(written_letters, words)]))


class WordAccuracy:
    """Evaluator: the share of words written exactly by greedy decoding (``validation_accuracy``, one
    minus the word error rate; for the auto-encoder, the words spelt back) and, for pronunciations,
    the phoneme error rate (``validation_phoneme_error_rate``)."""

    name = "validation"

    def __init__(self, lexicon, autoencoder: bool = False):
        self.lexicon, self.autoencoder = lexicon, autoencoder
        self.source = pad([spell(w) for w in lexicon.words])

    def __call__(self, model: Seq2Seq) -> dict:
        words, _ = written(model, self.source, LETTERS if self.autoencoder else PHONEMES)
        if self.autoencoder:
            return {"validation_accuracy": spelt_back(words, self.lexicon.words)}
        rates = error_rates(words, self.lexicon)
        return {"validation_accuracy": 1.0 - rates["word_error_rate"],
                "validation_phoneme_error_rate": rates["phoneme_error_rate"]}

    def summary(self, metrics: dict) -> str:
        per = metrics.get("validation_phoneme_error_rate")
        return (f"validation words right {metrics['validation_accuracy']:.2%}"
                + ("" if per is None else f"  phoneme error rate {per:.2%}"))


def neighbours(model: Seq2Seq, words, probes) -> None:
    """Print each probe's nearest words by cosine of the decoder's initial state (the code)."""
    model.eval()
    with no_grad():
        codes = model.encode(pad([spell(w) for w in [*probes, *words]]))[2][0].data.astype(np.float64)
    codes /= np.linalg.norm(codes, axis=1, keepdims=True)
    similarity = codes[:len(probes)] @ codes[len(probes):].T
    for probe, row in zip(probes, similarity):
        print(f"  {probe:10s} → " + ", ".join(words[i] for i in np.argsort(-row)[:5]))


def draw(words, alignments, model: Seq2Seq, source, path: str) -> None:
    from synaptica.viz.figure import new_figure, save_png

    decoded, _ = model.decode(source)
    figure = new_figure(9, 7)
    axes = figure.subplots(2, 2).ravel()
    for axis, word, weights, ids in zip(axes, words, alignments, decoded):
        phonemes = [PHONEMES[i - FIRST_SYMBOL] for i in ids if i >= FIRST_SYMBOL] + ["</s>"]
        axis.imshow(weights[:len(phonemes), :len(word)], cmap="Greys", vmin=0, vmax=1, aspect="auto")
        axis.set_xticks(range(len(word)), list(word))
        axis.set_yticks(range(len(phonemes)), phonemes, fontsize=8)
        axis.set_title(word, fontsize=10)
    save_png(figure, path)


if __name__ == "__main__":
    main()
