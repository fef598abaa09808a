"""Nielsen's network.py, chapter 1: a [784, 30, 10] network of sigmoid neurons, quadratic cost,
plain mini-batch SGD with η = 3.0, mini-batches of 10, 30 epochs, weights and biases N(0, 1).

Nielsen reports about 95% on MNIST; on Fashion-MNIST (harder) see docs/results.md.

    python examples/network.py                       # Fashion-MNIST
    python examples/network.py --data mnist          # MNIST, if you have it
    python examples/network.py --rule feedback-alignment
"""

import argparse

from synaptica import QuadraticCost, SGD
from synaptica.data import load_dataset
from synaptica.nn import mlp
from synaptica.rules import RULES
from synaptica.train import evaluate, fit


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rule", choices=sorted(RULES), default="backprop")
    args = parser.parse_args(argv)

    splits = load_dataset(args.data)
    net = mlp([784, 30, 10], "sigmoid", output_activation="sigmoid", init="large", rng=args.seed)
    rule = RULES[args.rule](QuadraticCost(), SGD(net.parameters(), learning_rate=3.0))
    fit(net, rule, (splits.train.x, splits.train.y), epochs=args.epochs, batch_size=10, rng=args.seed,
        validation=(splits.validation.x, splits.validation.y))
    accuracy = evaluate(net, splits.test.x, splits.test.y).accuracy
    print(f"Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
