"""Nielsen's network2.py, chapter 3: a [784, 100, 10] sigmoid network with the cross-entropy cost,
L2 regularisation λ = 5.0, η = 0.5, mini-batches of 10, weights N(0, 1/n_in), 30 epochs.

Nielsen reports about 98% on MNIST; on Fashion-MNIST see docs/results.md.

    python examples/network2.py                      # Fashion-MNIST
    python examples/network2.py --data mnist
"""

from common import RULES, load_dataset, parse_arguments, train_and_test

from synaptica import CrossEntropyCost, SGD
from synaptica.nn import mlp


def main(argv=None) -> float:
    args = parse_arguments(__doc__.split("\n\n")[0], argv)
    splits = load_dataset(args.data)
    net = mlp([784, 100, 10], "sigmoid", init="nielsen", rng=args.seed)  # logits; the cost applies σ
    optimizer = SGD(net.parameters(), learning_rate=0.5, lmbda=5.0, n_examples=len(splits.train.x))
    rule = RULES[args.rule](CrossEntropyCost(), optimizer)
    return train_and_test(net, rule, splits, args)


if __name__ == "__main__":
    main()
