"""`synaptica train --model cnn` trained in PyTorch: the row beside synaptica's in docs/results.md.

The default convolutional network (``synaptica.nn.cnn``: conv 5×5 32 maps, max 2×2, conv 5×5 64
maps, max 2×2, FC 256 ReLU, dropout 0.5, softmax) is built by synaptica from the seed exactly as the
command line builds it, and its twin in PyTorch starts from a copy of those weights. The training is
the command line's: Adam (η = 0.001, β = (0.9, 0.999), ε = 1e-8), the learning rate falling along half
a cosine from η to η/100 by the last epoch (one value per epoch), mini-batches of 64, optional
one-pixel shifts of every training image (``--augment shift``), and the weights of the epoch with
the best validation accuracy kept. The batches are shuffled and shifted by a NumPy Generator seeded
like the command line's; synaptica also draws its dropout masks from that Generator, so after the
first step the two runs see different orders (the same distribution). One PyTorch thread.

    python bench/default_cnn_torch.py --augment shift --epochs 20 --seeds 0 1 2

prints each network's test accuracy and that of the ensemble averaging their probabilities (what
``examples/ensemble_files.py`` reports for synaptica's saved networks). ``--limit N`` trains on the
first N images (for a quick check). PyTorch is a benchmark dependency; the library never imports it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402,F401  (puts src/ on the path when needed)
from network3_torch import _probabilities, torch_twin, train_torch  # noqa: E402

from synaptica.recipes import CNN_DEFAULTS  # noqa: E402
from synaptica.data import load_dataset  # noqa: E402
from synaptica.data.augment import Augment, Shift  # noqa: E402
from synaptica.nn.cnn import cnn  # noqa: E402
from synaptica.optim.schedules import cosine  # noqa: E402


def train_member(splits, train, seed: int, epochs: int, augment: str, verbose: bool):
    """One default CNN in PyTorch, from synaptica's initial weights for ``seed``; (twin, seconds)."""
    rng = np.random.default_rng(seed)  # as `synaptica train`: one Generator for the weights, then the batches
    twin = torch_twin(cnn(splits.train.image_shape, splits.train.n_classes, rng=rng))
    eta = CNN_DEFAULTS["eta"]
    schedule = cosine(eta, max(epochs - 1, 1), min_lr=eta / 100)
    shifts = Augment([Shift(1)], image_shape=tuple(splits.train.image_shape[-2:])) if augment == "shift" else None
    return train_torch(twin, torch.optim.Adam(twin.parameters(), lr=eta), splits, train, generator=rng, seed=seed,
                       epochs=epochs, batch_size=CNN_DEFAULTS["batch_size"], augment=shifts,
                       learning_rates=[schedule(epoch) for epoch in range(epochs)], verbose=verbose)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=CNN_DEFAULTS["epochs"])
    parser.add_argument("--augment", choices=["none", "shift"], default="none")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--json", default=None, help="append the result as one JSON line to this file")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    splits = load_dataset(args.data)
    train = (splits.train.x[:args.limit], splits.train.y[:args.limit])
    probabilities, members, seconds = [], [], []
    for seed in args.seeds:
        twin, took = train_member(splits, train, seed, args.epochs, args.augment, not args.quiet)
        probabilities.append(_probabilities(twin, splits.test.x))
        members.append(float((probabilities[-1].argmax(1) == splits.test.y).mean()))
        seconds.append(round(took, 1))
        print(f"PyTorch default CNN, seed {seed}: test accuracy {members[-1]:.4f} ({took:.0f} s)", flush=True)
    ensemble = float((np.mean(probabilities, axis=0).argmax(1) == splits.test.y).mean())
    print(f"mean member: {np.mean(members):.4f}; ensemble of {len(members)} (average): test accuracy {ensemble:.4f}")
    record = {"library": "pytorch", "recipe": "default-cnn", "augment": args.augment, "epochs": args.epochs,
              "seeds": args.seeds, "n_train": len(train[0]), "member_accuracy": members, "accuracy": ensemble,
              "seconds": seconds}
    if args.json:
        with open(args.json, "a") as file:
            file.write(json.dumps(record) + "\n")
    return record


if __name__ == "__main__":
    main()
