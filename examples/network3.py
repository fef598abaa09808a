"""Nielsen's network3 progression (ch. 6, "Deep learning"), one row at a time, on Fashion-MNIST.

Each row changes one thing from the row before, as the book's chapter does:

    row  recipe       network                                                        Nielsen (MNIST)
    1    fc           FC 100 sigmoid → softmax                                       97.80 %
    2    conv1        conv-pool (20 maps 5×5, max 2×2) → FC 100 sigmoid → softmax    98.78 %
    3    conv2        conv-pool 20 → conv-pool 40 → FC 100 sigmoid → softmax         99.06 %
    4    relu         row 3 with ReLU everywhere, η = 0.03, λ = 0.1                  99.23 %
    5    expanded     row 4 on training images shifted by up to one pixel            99.37 %
    6    dropout      conv-pool 20 → 40 → FC 1000 → FC 1000 → softmax, dropout 0.5
                      on the inputs of the three fully connected layers, expanded    99.60 %
    7    ensemble     5 row-6 networks, their probabilities averaged                 99.67 %

Nielsen's settings are kept: mini-batches of 10, η = 0.1 for the sigmoid rows and 0.03 for the
ReLU rows, λ = 0.1 where he uses it (rows 4 and 5), the reported test accuracy is the one at the
epoch of best validation accuracy (Nielsen's ``SGD`` prints exactly that), and the output layer's
weights start at zero as his ``SoftmaxLayer``'s do. What differs, and why:

- **epochs**: Nielsen trains 60 epochs (40 for dropout). A NumPy convolutional network on two CPU
  cores takes about a minute per epoch, so each row's default ``--epochs`` is chosen to run in a few
  minutes (``RECIPES[...].epochs``); pass ``--epochs 60`` to train as the book does.
- **expanded data**: Nielsen stores 250,000 images (each image and its four one-pixel shifts, up,
  down, left, right). Here ``Augment([Shift(1)])`` shifts every training image by −1, 0 or 1 pixel
  in each direction, drawn afresh for every mini-batch (diagonal shifts included), so one epoch is
  50,000 distorted images: five of our epochs see as many images as one of Nielsen's.
- **initialisation**: the sigmoid rows use N(0, 1/n_in) weights and N(0, 1) biases (``nielsen``),
  close to network3's N(0, 1/n_out); the ReLU rows use He's N(0, 2/n_in) and zero biases, since with
  N(0, 1) biases a ReLU feature map can start, and stay, switched off (see ``Conv2d``'s docstring).

Usage:

    python examples/network3.py --row 1                   # one row, seed 0
    python examples/network3.py --recipe relu --seeds 0 1 2 --epochs 5
    python examples/network3.py --row 7 --torch           # the same row trained in PyTorch too
    python examples/network3.py --row 3 --limit 5000 --epochs 1 --json results.jsonl

``--torch`` trains the same network from the same initial weights, on the same mini-batches and the
same distorted images, in PyTorch (bench/network3_torch.py; PyTorch is a benchmark dependency, never
imported by the library).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synaptica import Backprop, LogLikelihoodCost, SGD
from synaptica.data import load_dataset
from synaptica.data.augment import Augment, Shift
from synaptica.nn import ACTIVATIONS, Conv2d, Dropout, Ensemble, Flatten, Linear, MaxPool2d, Sequential, Unflatten
from synaptica.train import evaluate, fit


@dataclass(frozen=True)
class Recipe:
    """One row of the progression: the network, Nielsen's hyper-parameters and this project's epochs."""

    row: int
    name: str
    title: str
    maps: tuple[int, ...]          # feature maps of each conv-pool stage (5×5 kernels, 2×2 max pooling)
    hidden: tuple[int, ...]        # fully connected hidden layers
    activation: str
    eta: float
    lmbda: float = 0.0
    expanded: bool = False         # one-pixel shifts of the training images
    dropout: float = 0.0           # on the input of every fully connected layer (network3's p_dropout)
    members: int = 1               # > 1: an ensemble of this many networks, seeds s, s+1, ...
    epochs: int = 3                # the default here (Nielsen: nielsen_epochs)
    nielsen_epochs: int = 60
    nielsen_mnist: float = 0.0     # Nielsen's MNIST test accuracy for this row

    @property
    def init(self) -> str:
        return "he" if self.activation == "relu" else "nielsen"


RECIPES = {recipe.name: recipe for recipe in [
    Recipe(1, "fc", "FC 100 sigmoid", (), (100,), "sigmoid", eta=0.1, epochs=10, nielsen_mnist=0.9780),
    Recipe(2, "conv1", "conv-pool 20, FC 100 sigmoid", (20,), (100,), "sigmoid", eta=0.1, epochs=3,
           nielsen_mnist=0.9878),
    Recipe(3, "conv2", "conv-pool 20, conv-pool 40, FC 100 sigmoid", (20, 40), (100,), "sigmoid", eta=0.1,
           epochs=2, nielsen_mnist=0.9906),
    Recipe(4, "relu", "row 3 with ReLU, λ = 0.1", (20, 40), (100,), "relu", eta=0.03, lmbda=0.1, epochs=2,
           nielsen_mnist=0.9923),
    Recipe(5, "expanded", "row 4 on one-pixel shifts", (20, 40), (100,), "relu", eta=0.03, lmbda=0.1,
           expanded=True, epochs=2, nielsen_mnist=0.9937),
    Recipe(6, "dropout", "conv-pool 20, 40, FC 1000, FC 1000, dropout 0.5, shifts", (20, 40), (1000, 1000), "relu",
           eta=0.03, expanded=True, dropout=0.5, epochs=2, nielsen_epochs=40, nielsen_mnist=0.9960),
    Recipe(7, "ensemble", "5 row-6 networks, probabilities averaged", (20, 40), (1000, 1000), "relu", eta=0.03,
           expanded=True, dropout=0.5, members=5, epochs=2, nielsen_epochs=40, nielsen_mnist=0.9967),
]}
BY_ROW = {recipe.row: recipe for recipe in RECIPES.values()}
BATCH_SIZE = 10  # Nielsen's mini_batch_size


def network(recipe: Recipe, image_shape: tuple[int, int, int], n_classes: int, rng) -> Sequential:
    """The recipe's network, reading flat images: [Unflatten, conv-pool stages, Flatten,] FC layers, logits.

    As in network3.py, a conv-pool stage is Conv2d (5×5) → activation → MaxPool2d (2×2), and dropout
    sits on the input of each fully connected layer, the output layer included.
    """
    generator = np.random.default_rng(rng)
    activation = ACTIVATIONS[recipe.activation]
    channels, rows, columns = image_shape
    layers = [Unflatten(image_shape)]
    for maps in recipe.maps:
        layers += [Conv2d(channels, maps, 5, init=recipe.init, rng=generator), activation(), MaxPool2d(2)]
        channels, rows, columns = maps, (rows - 4) // 2, (columns - 4) // 2
    layers.append(Flatten())
    n_in = channels * rows * columns
    for size in recipe.hidden:
        if recipe.dropout:
            layers.append(Dropout(recipe.dropout, rng=generator))
        layers += [Linear(n_in, size, init=recipe.init, rng=generator), activation()]
        n_in = size
    if recipe.dropout:
        layers.append(Dropout(recipe.dropout, rng=generator))
    layers.append(Linear(n_in, n_classes, init="zeros"))  # network3's SoftmaxLayer starts at zero
    return Sequential(layers)


def augmentation(recipe: Recipe, image_shape) -> Augment | None:
    """Nielsen's expanded data: shifts of up to one pixel, drawn for every mini-batch."""
    return Augment([Shift(1)], image_shape=image_shape[1:]) if recipe.expanded else None


def train_one(recipe: Recipe, splits, train, seed: int, epochs: int, verbose: bool):
    """Train one network of the recipe; return it and its seconds of training."""
    net = network(recipe, splits.train.image_shape, splits.train.n_classes, seed)
    optimizer = SGD(net.parameters(), learning_rate=recipe.eta, lmbda=recipe.lmbda, n_examples=len(train[0]))
    started = time.perf_counter()
    fit(net, Backprop(LogLikelihoodCost(), optimizer), train, epochs=epochs, batch_size=BATCH_SIZE, rng=seed,
        validation=(splits.validation.x, splits.validation.y), restore_best=True, verbose=verbose,
        augment=augmentation(recipe, splits.train.image_shape))
    return net, time.perf_counter() - started


def run_synaptica(recipe: Recipe, splits, train, seed: int, epochs: int, verbose: bool = True) -> dict:
    """Train the recipe (all its members, seeds seed, seed+1, ...) and measure test accuracy."""
    members, seconds = [], 0.0
    for member_seed in range(seed, seed + recipe.members):
        net, took = train_one(recipe, splits, train, member_seed, epochs, verbose)
        members.append(net)
        seconds += took
    test = (splits.test.x, splits.test.y)
    result = {"member_accuracy": [evaluate(net, *test).accuracy for net in members]}
    model = members[0] if recipe.members == 1 else Ensemble(members, combine="average")
    result.update(accuracy=evaluate(model, *test).accuracy, seconds=seconds)
    return result


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--row", type=int, choices=sorted(BY_ROW), help="the row of the progression")
    which.add_argument("--recipe", choices=list(RECIPES), help="the row by name")
    parser.add_argument("--data", default="fashion-mnist", help="fashion-mnist, mnist, or an IDX directory")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default: the recipe's, see RECIPES)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="one run per seed (an ensemble's members use seed, seed+1, ...)")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N training images only")
    parser.add_argument("--torch", action="store_true", help="also train the same row in PyTorch")
    parser.add_argument("--torch-only", action="store_true", help="train the row in PyTorch only")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    parser.add_argument("--json", default=None, metavar="FILE", help="append one JSON line per run to FILE")
    args = parser.parse_args(argv)
    recipe = BY_ROW[args.row] if args.row is not None else RECIPES[args.recipe]
    epochs = recipe.epochs if args.epochs is None else args.epochs
    splits = load_dataset(args.data)
    if splits.train.image_shape is None or len(splits.train.image_shape) != 3:
        parser.error(f"{args.data} holds no images (channels, rows, columns); network3 needs images")
    train = (splits.train.x[:args.limit], splits.train.y[:args.limit])
    print(f"row {recipe.row} ({recipe.name}): {recipe.title}; η = {recipe.eta}, λ = {recipe.lmbda}, batch "
          f"{BATCH_SIZE}, {epochs} epochs (Nielsen: {recipe.nielsen_epochs}), {len(train[0])} training images, "
          f"seeds {args.seeds}")
    records = []
    for seed in args.seeds:
        runs = {}
        if not args.torch_only:
            runs["synaptica"] = run_synaptica(recipe, splits, train, seed, epochs, verbose=not args.quiet)
        if args.torch or args.torch_only:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
            from network3_torch import run_torch  # PyTorch only when asked for
            runs["pytorch"] = run_torch(recipe, splits, train, seed, epochs, verbose=not args.quiet)
        for library, result in runs.items():
            record = {"row": recipe.row, "recipe": recipe.name, "library": library, "seed": seed, "epochs": epochs,
                      "n_train": len(train[0]), "data": args.data, **result}
            records.append(record)
            members = "" if recipe.members == 1 else (
                f" (members {', '.join(f'{a:.4f}' for a in result['member_accuracy'])})")
            print(f"row {recipe.row} {recipe.name}, {library}, seed {seed}: test accuracy {result['accuracy']:.4f}"
                  f"{members}, {result['seconds']:.0f} s", flush=True)
            if args.json:
                with open(args.json, "a", encoding="utf-8") as f:
                    f.write(json.dumps(record) + "\n")
    for library in dict.fromkeys(r["library"] for r in records):
        accuracies = [r["accuracy"] for r in records if r["library"] == library]
        print(f"{library}: mean test accuracy {np.mean(accuracies):.4f} over seeds {args.seeds}")
    return records


if __name__ == "__main__":
    main()
