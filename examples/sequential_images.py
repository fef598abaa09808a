"""Images read as sequences: the tanh RNN, the IRNN, the LSTM and the GRU side by side at the same budget.

Seed 004 compares the simple recurrent network with the LSTM and with Le, Jaitly and Hinton's IRNN
(ReLU units, recurrent weights starting as the identity) on images fed to the network one piece per
time step, so that the class must be remembered across the whole sequence:

- ``--task digits`` (default): the 8×8 digits **pixel by pixel**, 64 steps of one pixel each. The
  gradient of the first pixels has to travel back through 64 steps; through tanh units and a
  random W_hh it fades on the way (the vanishing gradient of chapter 5, now in time), while the LSTM's
  cell (∂cₜ/∂cₜ₋₁ = fₜ) and the IRNN's identity pass it on.
- ``--task fashion``: Fashion-MNIST **row by row**, 28 steps of 28 pixels (``synaptica train --model
  lstm`` trains the same network on the command line).
- ``--task fashion-pixels``: Fashion-MNIST **pixel by pixel**, 784 steps of one pixel, the length of
  Le et al.'s MNIST experiment (IRNN 97 %, LSTM 65 %, tanh RNN 35 %). About 28 times the work of row
  by row per image: ``--train-limit`` and friends train and score on the first N images of a split.
- ``--permute``: the pixels in one fixed random order (the same for every kind and seed; Le et al.'s
  permuted MNIST), so that neighbouring steps no longer hold neighbouring pixels and the evidence for
  the class is spread over the whole sequence.

Every kind gets the same network shape (one recurrent layer of ``--hidden`` units, its last state into
a Linear layer of 10 logits), the same optimizer (Adam, or with ``--optimizer sgd`` SGD with momentum
0.9 as Le et al. train; η = ``--eta``, gradients clipped to norm 1, as they clip), the same
mini-batches and epochs. Prints the test accuracy of each (the weights of
the epoch with the best validation accuracy) and draws validation accuracy per epoch.

    python examples/sequential_images.py                                   # digits, 4 kinds, ~10 min here
    python examples/sequential_images.py --epochs 5 --kinds rnn,lstm       # a quicker look
    python examples/sequential_images.py --task fashion --epochs 15 --kinds lstm,gru
    python examples/sequential_images.py --seeds 0,1,2 --out docs/figures/sequential_digits.png
    python examples/sequential_images.py --permute --kinds rnn,irnn,lstm    # permuted digits
    python examples/sequential_images.py --task fashion-pixels --train-limit 5000 --validation-limit 1000 \
        --test-limit 2000 --epochs 5 --batch-size 32                        # 784 steps, on part of the data
"""

import argparse
import csv
from dataclasses import replace
from pathlib import Path

import numpy as np

from synaptica import Backprop
from synaptica.data import Dataset, Splits, load_dataset
from synaptica.losses import get_cost
from synaptica.nn.sequence_models import KINDS, sequence_classifier
from synaptica.optim import SGD, Adam
from synaptica.optim.regularizers import ClipGradNorm
from synaptica.random import stream
from synaptica.train import evaluate, fit

TASKS = {  # dataset, read pixel by pixel, defaults: hidden units, epochs, batch size, η
    "digits": ("digits", True, {"hidden": 64, "epochs": 40, "batch_size": 32, "eta": 0.002}),
    "fashion": ("fashion-mnist", False, {"hidden": 128, "epochs": 15, "batch_size": 64, "eta": 0.001}),
    "fashion-pixels": ("fashion-mnist", True, {"hidden": 128, "epochs": 15, "batch_size": 64, "eta": 0.001}),
}

#: the seed of the one pixel order ``--permute`` uses, whatever the seeds of the runs
PERMUTATION_SEED = 0


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--task", choices=sorted(TASKS), default="digits")
    parser.add_argument("--kinds", default="rnn,irnn,lstm,gru", help=f"comma-separated, from {sorted(KINDS)}")
    parser.add_argument("--hidden", type=int, default=None, help="recurrent units (default: 64 digits, 128 fashion)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default: 40 digits, 15 fashion)")
    parser.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: 32 digits, 64 fashion)")
    parser.add_argument("--eta", type=float, default=None, help="Adam's η (default: 0.002 digits, 0.001 fashion)")
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam",
                        help="adam, or SGD with momentum 0.9 (Le et al. train with SGD)")
    parser.add_argument("--permute", action="store_true",
                        help="read the pixels in one fixed random order (permuted pixel by pixel)")
    for split in ("train", "validation", "test"):
        parser.add_argument(f"--{split}-limit", type=int, default=0, help=f"use the first N {split} images (0: all)")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds; the table gives each kind's mean")
    parser.add_argument("--out", default="sequential_images.png",
                        help="the PNG to write (validation accuracy per epoch); the numbers go to .csv")
    args = parser.parse_args(argv)
    for name, value in TASKS[args.task][2].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    unknown = sorted(set(args.kinds) - set(KINDS))
    if unknown or not args.kinds:
        parser.error(f"--kinds: unknown {unknown}; choose from {sorted(KINDS)}")
    try:
        args.seeds = [int(seed) for seed in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds must be comma-separated integers, got {args.seeds!r}")
    if min(args.hidden, args.epochs, args.batch_size) < 1 or args.eta <= 0:
        parser.error("--hidden, --epochs and --batch-size must be >= 1 and --eta > 0")
    if min(args.train_limit, args.validation_limit, args.test_limit) < 0:
        parser.error("--train-limit, --validation-limit and --test-limit must be >= 0 (0: the whole split)")
    if args.permute and not TASKS[args.task][1]:
        parser.error(f"--permute reorders the pixels of a pixel-by-pixel task; --task {args.task} reads rows")
    return args


def prepare(splits: Splits, args) -> Splits:
    """The first ``--*-limit`` images of each split, with the pixels in the ``--permute`` order."""
    order = stream(PERMUTATION_SEED, "pixel order").permutation(splits.train.x.shape[1]) if args.permute else None

    def part(data: Dataset, limit: int) -> Dataset:
        x, y = (data.x[:limit], data.y[:limit]) if limit else (data.x, data.y)
        return replace(data, x=np.ascontiguousarray(x[:, order]) if order is not None else x, y=y)

    return Splits(part(splits.train, args.train_limit), part(splits.validation, args.validation_limit),
                  part(splits.test, args.test_limit))


def train_one(kind: str, splits, pixel_by_pixel: bool, seed: int, args):
    """One network of ``kind``: (test accuracy, validation accuracy per epoch)."""
    image_shape = splits.train.image_shape or (1, splits.train.x.shape[1])
    net = sequence_classifier(kind, image_shape, splits.train.n_classes, hidden=args.hidden,
                              pixel_by_pixel=pixel_by_pixel, rng=seed)
    cost = get_cost("log-likelihood")
    if args.optimizer == "adam":
        optimizer = Adam(net.parameters(), learning_rate=args.eta, regularizers=[ClipGradNorm(1.0)])
    else:
        optimizer = SGD(net.parameters(), learning_rate=args.eta, momentum=0.9, regularizers=[ClipGradNorm(1.0)])
    rule = Backprop(cost, optimizer)
    history = fit(net, rule, (splits.train.x, splits.train.y), epochs=args.epochs, batch_size=args.batch_size,
                  rng=seed, validation=(splits.validation.x, splits.validation.y), restore_best=True, verbose=False)
    return evaluate(net, splits.test.x, splits.test.y).accuracy, history.validation_accuracy


def main(argv=None) -> dict[str, float]:
    args = parse_arguments(argv)
    name, pixel_by_pixel, _ = TASKS[args.task]
    splits = prepare(load_dataset(name), args)
    steps = splits.train.x.shape[1] if pixel_by_pixel else (splits.train.image_shape or (1, 1))[-2]
    reading = f"{'permuted ' if args.permute else ''}{'pixel by pixel' if pixel_by_pixel else 'row by row'}"
    print(f"{name}, {reading} ({steps} steps), {len(splits.train)} / {len(splits.validation)} / {len(splits.test)} "
          f"images; {args.hidden} units, "
          f"{'Adam' if args.optimizer == 'adam' else 'SGD with momentum 0.9'} η = {args.eta}, clip 1.0, batch {args.batch_size}, {args.epochs} epochs, seeds {args.seeds}")
    means, curves, rows = {}, {}, []
    for kind in args.kinds:
        accuracies = []
        for seed in args.seeds:
            accuracy, validation = train_one(kind, splits, pixel_by_pixel, seed, args)
            accuracies.append(accuracy)
            rows.append({"kind": kind, "seed": seed, "test_accuracy": accuracy,
                         "validation_accuracy": " ".join(f"{v:.4f}" for v in validation)})
            curves.setdefault(kind, []).append(validation)
            print(f"  {kind:<5} seed {seed}: test accuracy {accuracy:.4f} (best validation {max(validation):.4f})",
                  flush=True)
        means[kind] = float(np.mean(accuracies))
    print("\nkind   test accuracy (mean over seeds)")
    for kind, mean in means.items():
        print(f"{kind:<6} {mean:.4f}")
    out = Path(args.out)
    with out.with_suffix(".csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    try:
        from synaptica.viz import plot_curves
        plot_curves({kind: np.mean(runs, axis=0) for kind, runs in curves.items()}, out, ylabel="Validation accuracy",
                    title=f"{name} read {reading} ({steps} steps)")
        print(f"wrote {out} and {out.with_suffix('.csv')}")
    except ModuleNotFoundError as error:  # matplotlib is an optional extra
        print(f"wrote {out.with_suffix('.csv')}; no picture: {error}")
    return means


if __name__ == "__main__":
    main()
