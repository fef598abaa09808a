"""Nielsen's vanishing-gradient figure (chapter 5, "Speed of learning: 4 hidden layers"), on Fashion-MNIST.

A [784, 30, 30, 30, 30, 10] sigmoid network (weights N(0, 1/n_in), biases N(0, 1), cross-entropy
cost) is trained as in Nielsen's fig/generate_gradient.py: on the first 1,000 training images, each
epoch one gradient step over all 1,000 of them (η = 0.1, λ = 5.0), for 500 epochs. Before training
and after every epoch, the speed of learning of each hidden layer, ‖∂C/∂bˡ‖, is measured over the
same 1,000 images, and the picture shows it on a log scale.

The first hidden layer learns about 100 times more slowly than the fourth (Nielsen: "the first hidden
layer learns roughly 100 times slower than the last hidden layer"), because backpropagation
multiplies the error by Wᵀ σ'(z), with σ'(z) ≤ 1/4, once per layer it passes.

    python examples/vanishing_gradient.py                               # Nielsen's settings, ~20 s
    python examples/vanishing_gradient.py --epochs 50 --out speed.png   # a quicker look
    python examples/vanishing_gradient.py --limit 50000 --batch-size 10 --epochs 5   # ordinary SGD

With ordinary mini-batches on the whole training set the network leaves its starting plateau within
an epoch or two, and from then on the hidden layers' speeds come close together and can even swap
order: the hundredfold gap is the picture of a deep sigmoid network that has not started to learn.
"""

import argparse
import csv
from pathlib import Path

import numpy as np

from synaptica import Backprop, CrossEntropyCost, SGD
from synaptica.data import load_dataset
from synaptica.nn import mlp
from synaptica.train import LayerSpeedMonitor, evaluate, fit
from synaptica.viz import plot_gradient_norms


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--limit", type=int, default=1000,
                        help="train on the first LIMIT training images (Nielsen: 1000)")
    parser.add_argument("--epochs", type=int, default=500, help="epochs of training (Nielsen: 500)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="mini-batch size (default: all LIMIT images in one step, as Nielsen's figure)")
    parser.add_argument("--eta", type=float, default=0.1, help="learning rate η")
    parser.add_argument("--lmbda", type=float, default=5.0, help="L2 regularisation λ")
    parser.add_argument("--hidden", type=int, default=4, help="number of hidden layers of 30 sigmoid neurons")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="vanishing_gradient.png",
                        help="the PNG to write; the numbers go to the same name with .csv")
    args = parser.parse_args(argv)
    if args.limit < 1 or args.epochs < 0 or args.hidden < 1 or (args.batch_size is not None and args.batch_size < 1):
        parser.error("--limit, --hidden and --batch-size must be >= 1 and --epochs >= 0")
    return args


def main(argv=None) -> dict[str, list[float]]:
    args = parse_arguments(argv)
    splits = load_dataset(args.data)
    x, y = splits.train.x[:args.limit], splits.train.y[:args.limit]
    sizes = [x.shape[1], *[30] * args.hidden, splits.train.n_classes]
    net = mlp(sizes, "sigmoid", init="nielsen", rng=args.seed)  # logits; the cost applies σ
    cost = CrossEntropyCost()
    rule = Backprop(cost, SGD(net.parameters(), learning_rate=args.eta, lmbda=args.lmbda, n_examples=len(x)))
    speeds = LayerSpeedMonitor(cost, x[:1000], y[:1000], model=net)
    print(f"{sizes} sigmoid network, {len(x)} training images, batch {args.batch_size or len(x)}, "
          f"η = {args.eta}, λ = {args.lmbda}, {args.epochs} epochs, seed {args.seed}")
    fit(net, rule, (x, y), epochs=args.epochs, batch_size=args.batch_size or len(x), rng=args.seed, verbose=False,
        callbacks=[speeds])

    hidden = {name: values for name, values in speeds.norms.items() if name.startswith("hidden")}
    table = np.array(list(hidden.values()))  # (hidden layers, measurements)
    shown = sorted({0, 1, *range(0, args.epochs + 1, max(1, args.epochs // 5)), args.epochs})
    print(f"‖∂C/∂b‖ of hidden layers 1..{len(hidden)}, and the speed of the first over that of the last:")
    for e in shown:
        column = table[:, speeds.epochs.index(e)]
        print(f"  after {e:4d} epochs: " + "  ".join(f"{v:.2e}" for v in column) + f"   {column[0] / column[-1]:.4f}"
              + (f" (1/{column[-1] / column[0]:.0f})" if column[0] < column[-1] else ""))
    accuracy = evaluate(net, splits.validation.x, splits.validation.y).accuracy
    print(f"Validation accuracy after {args.epochs} epochs: {accuracy:.4f}")

    out = Path(args.out)
    plot_gradient_norms(hidden, out, epochs=speeds.epochs,
                        title=f"Speed of learning: {len(hidden)} hidden layers ({len(x)} images)")
    with open(out.with_suffix(".csv"), "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["epochs", *speeds.norms])
        writer.writeheader()
        writer.writerows(speeds.rows())
    print(f"Wrote {out} and {out.with_suffix('.csv')}")
    return hidden


if __name__ == "__main__":
    main()
