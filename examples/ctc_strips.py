"""CTC reads strips of 2–5 handwritten digits column by column, never told where a digit begins.

    python examples/ctc_strips.py                       # 8×8 digits, 6,000 training strips, ~15 epochs
    python examples/ctc_strips.py --epochs 30 --hidden 96 --out ctc.png

The strips (:mod:`synaptica.data.strips`) put 2–5 of the 8×8 digits side by side with gaps of 0–3
blank columns; training strips use the training images, test strips the test images. A
bidirectional LSTM reads a strip one 8-pixel column per step and a read-out gives, at every step,
scores for the ten digits and the blank; the CTC cost (:mod:`synaptica.ops.ctc`) sums over every
alignment of the digit sequence to the columns. A strip counts as read when the whole sequence is
right (sequence accuracy), decoded by best path and by prefix beam search. The figure shows test
strips with what the network read, and the per-step probability of each label over one strip.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from synaptica import fit
from synaptica.data import load_dataset
from synaptica.data.strips import make_strips
from synaptica.losses import CTCCost
from synaptica.nn import LSTM, Linear, Sequential
from synaptica.ops.ctc import ctc_best_path, ctc_prefix_beam_search
from synaptica.ops.softmax import log_softmax_array
from synaptica.optim import Adam
from synaptica.optim.regularizers import ClipGradNorm
from synaptica.random import stream
from synaptica.rules import Backprop
from synaptica.train import predict


def sequence_accuracy(log_probs: np.ndarray, strips, decode) -> float:
    """The share of strips whose decoded digits equal the true ones exactly."""
    right = 0
    for scores, length, target, k in zip(log_probs, strips.lengths, strips.targets, strips.target_lengths):
        right += decode(scores, length) == target[:k].tolist()
    return right / len(strips)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-strips", type=int, default=6000)
    parser.add_argument("--test-strips", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=64, help="LSTM units per direction")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--eta", type=float, default=1e-2)
    parser.add_argument("--beam", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="ctc_strips.png", help="the PNG (empty: none)")
    args = parser.parse_args(argv)

    digits = load_dataset("digits")
    images = lambda split: split.x.reshape(-1, 8, 8)  # noqa: E731
    train = make_strips(images(digits.train), digits.train.y, args.train_strips, stream(args.seed, "train strips"))
    test = make_strips(images(digits.test), digits.test.y, args.test_strips, stream(args.seed, "test strips"))
    model = Sequential(LSTM(8, args.hidden, bidirectional=True, return_sequences=True,
                            rng=stream(args.seed, "recurrent")),
                       Linear(2 * args.hidden, 11, init="xavier", rng=stream(args.seed, "read-out")))
    rule = Backprop(CTCCost(), Adam(model.parameters(), args.eta, regularizers=[ClipGradNorm(5.0)]))
    started = time.perf_counter()
    fit(model, rule, (train.x, train.targets), epochs=args.epochs, batch_size=args.batch_size, rng=args.seed)
    seconds = time.perf_counter() - started
    log_probs = log_softmax_array(predict(model, test.x).astype(np.float64), axis=2)
    best = sequence_accuracy(log_probs, test, lambda s, n: ctc_best_path(s, n))
    beam = sequence_accuracy(log_probs, test, lambda s, n: ctc_prefix_beam_search(s, n, beam=args.beam))
    print(f"Test strips read exactly: best path {best:.4f}, prefix beam search (width {args.beam}) {beam:.4f}; "
          f"trained in {seconds:.0f} s")
    if args.out:
        draw(test, log_probs, args.out)
        print(f"Figure: {args.out}")
    return {"best_path": best, "beam": beam, "seconds": seconds}


def draw(strips, log_probs: np.ndarray, path: str) -> None:
    from synaptica.viz.figure import new_figure, save_png

    figure = new_figure(8, 8)
    axes = figure.subplots(5, 1, gridspec_kw={"height_ratios": [1, 1, 1, 1, 2]})
    for i, axis in enumerate(axes[:4]):
        n = strips.lengths[i]
        read = "".join(str(k - 1) for k in ctc_best_path(log_probs[i], n))
        truth = "".join(str(k - 1) for k in strips.targets[i, :strips.target_lengths[i]])
        axis.imshow(strips.x[i, :n].T, cmap="gray_r", aspect="auto")
        axis.set_title(f"true {truth}   read {read}", fontsize=9)
        axis.set_xticks([]), axis.set_yticks([])
    n = strips.lengths[0]
    probabilities = np.exp(log_probs[0, :n])
    axes[4].plot(probabilities[:, 0], color="0.6", label="blank")
    for k in range(1, 11):
        if probabilities[:, k].max() > 0.2:
            axes[4].plot(probabilities[:, k], label=f"digit {k - 1}")
    axes[4].set_xlim(0, n - 1), axes[4].set_xlabel("column (step)"), axes[4].set_ylabel("P(label)")
    axes[4].legend(fontsize=7, ncol=6, loc="upper center")
    save_png(figure, path)


if __name__ == "__main__":
    main()
