"""Nielsen's network2.py, chapter 3: a [784, 100, 10] sigmoid network with the cross-entropy cost,
L2 regularisation λ = 5.0, η = 0.5, mini-batches of 10, weights N(0, 1/n_in), 30 epochs.

Nielsen reports about 98% on MNIST; on Fashion-MNIST see docs/results.md.

    python examples/network2.py                      # Fashion-MNIST
    python examples/network2.py --data mnist
"""

import argparse

from synaptica import CrossEntropyCost, SGD
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
    train = splits.train
    net = mlp([784, 100, 10], "sigmoid", init="nielsen", rng=args.seed)  # logits; the cost applies σ
    optimizer = SGD(net.parameters(), learning_rate=0.5, l2=5.0, n_examples=len(train.x))
    rule = RULES[args.rule](CrossEntropyCost(), optimizer)
    fit(net, rule, (train.x, train.y), epochs=args.epochs, batch_size=10, rng=args.seed,
        validation=(splits.validation.x, splits.validation.y))
    accuracy = evaluate(net, splits.test.x, splits.test.y).accuracy
    print(f"Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
