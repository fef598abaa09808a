"""Nielsen's weight-initialisation figure (chapter 3, "Weight initialization"), on Fashion-MNIST.

The same [784, 30, 10] sigmoid network with the cross-entropy cost is trained twice, as in Nielsen's
fig/weight_initialization.py (η = 0.1, λ = 5.0, mini-batches of 10, 30 epochs), once from each
initialisation:

- "old", N(0, 1) weights (network.py's ``large``): a hidden neuron's z = Σⱼ wⱼ xⱼ + b is a sum of
  hundreds of terms, so its standard deviation is large, σ(z) sits near 0 or 1 and σ'(z) ≈ 0: the
  hidden layer starts saturated and learns slowly.
- "new", N(0, 1/n_in) weights (network2.py's default, ``nielsen``): z has a standard deviation of
  about 1 whatever the number of inputs, so the neurons start where σ' is large.

The picture shows the validation accuracy per epoch of both. Nielsen: the new initialisation gets
to a good accuracy much sooner; with 30 hidden neurons both end close together, with 100 "the
final performance" can improve as well.

    python examples/weight_init.py                        # 2 × 30 epochs on 50,000 images, ~2 min
    python examples/weight_init.py --hidden 100
    python examples/weight_init.py --epochs 3 --limit 5000 --out init.png     # a quick look
"""

import argparse
import csv
from pathlib import Path

from synaptica import Backprop, CrossEntropyCost, SGD
from synaptica.data import load_dataset
from synaptica.nn import mlp
from synaptica.train import fit
from synaptica.viz import plot_curves

#: the two initialisations compared, by their names in synaptica.nn.init and in the picture
INITIALISATIONS = {"large": "old: weights N(0, 1)", "nielsen": "new: weights N(0, 1/n_in)"}


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--limit", type=int, default=None, help="train on the first LIMIT training images only")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=30, help="hidden neurons (Nielsen shows 30 and 100)")
    parser.add_argument("--eta", type=float, default=0.1, help="learning rate η")
    parser.add_argument("--lmbda", type=float, default=5.0, help="L2 regularisation λ")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="weight_init.png",
                        help="the PNG to write; the accuracies go to the same name with .csv")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.hidden < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--epochs, --hidden and --limit must be >= 1")
    return args


def main(argv=None) -> dict[str, list[float]]:
    args = parse_arguments(argv)
    splits = load_dataset(args.data)
    x, y = splits.train.x[:args.limit], splits.train.y[:args.limit]
    validation = (splits.validation.x, splits.validation.y)
    accuracies = {}
    for init, label in INITIALISATIONS.items():
        print(f"{label}: [{x.shape[1]}, {args.hidden}, {splits.train.n_classes}], {len(x)} training images, "
              f"η = {args.eta}, λ = {args.lmbda}, batch 10, seed {args.seed}")
        net = mlp([x.shape[1], args.hidden, splits.train.n_classes], "sigmoid", init=init, rng=args.seed)
        optimizer = SGD(net.parameters(), learning_rate=args.eta, lmbda=args.lmbda, n_examples=len(x))
        history = fit(net, Backprop(CrossEntropyCost(), optimizer), (x, y), epochs=args.epochs, batch_size=10,
                      rng=args.seed, validation=validation)
        accuracies[init] = history.validation_accuracy

    out = Path(args.out)
    plot_curves({INITIALISATIONS[init]: values for init, values in accuracies.items()}, out,
                title=f"Weight initialisation: [784, {args.hidden}, 10] sigmoid network, cross-entropy",
                ylabel="Validation accuracy")
    with open(out.with_suffix(".csv"), "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch", *accuracies])
        writer.writerows([epoch, *values] for epoch, values in enumerate(zip(*accuracies.values())))
    for epoch, (old, new) in enumerate(zip(*accuracies.values())):
        print(f"Epoch {epoch}: old {old:.4f}  new {new:.4f}")
    print(f"Wrote {out} and {out.with_suffix('.csv')}")
    return accuracies


if __name__ == "__main__":
    main()
