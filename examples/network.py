"""Nielsen's network.py, chapter 1: a [784, 30, 10] network of sigmoid neurons, quadratic cost,
plain mini-batch SGD with η = 3.0, mini-batches of 10, 30 epochs, weights and biases N(0, 1).

Nielsen reports about 95% on MNIST; on Fashion-MNIST (harder) see docs/results.md.

    python examples/network.py                       # Fashion-MNIST
    python examples/network.py --data mnist          # MNIST, if you have it
    python examples/network.py --rule feedback-alignment
"""

from common import RULES, load_dataset, parse_arguments, train_and_test

from synaptica import QuadraticCost, SGD
from synaptica.nn import mlp


def main(argv=None) -> float:
    args = parse_arguments(__doc__.split("\n\n")[0], argv)
    splits = load_dataset(args.data)
    net = mlp([784, 30, 10], "sigmoid", output_activation="sigmoid", init="large", rng=args.seed)
    rule = RULES[args.rule](QuadraticCost(), SGD(net.parameters(), learning_rate=3.0))
    return train_and_test(net, rule, splits, args)


if __name__ == "__main__":
    main()
