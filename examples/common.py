"""What the Nielsen examples share: their command-line options and the train-then-test run."""

import argparse

from synaptica.data import load_dataset
from synaptica.rules import RULES
from synaptica.train import evaluate, fit


def parse_arguments(description: str, argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    # rules that turn a gradient into a step through an optimizer (damped Newton takes whole batches:
    # see examples/newton.py)
    parser.add_argument("--rule", choices=sorted(set(RULES) - {"damped-newton"}), default="backprop")
    return parser.parse_args(argv)


def train_and_test(net, rule, splits, args) -> float:
    """Nielsen's SGD(training_data, epochs, 10, eta, evaluation_data), then the test accuracy."""
    fit(net, rule, (splits.train.x, splits.train.y), epochs=args.epochs, batch_size=10, rng=args.seed,
        validation=(splits.validation.x, splits.validation.y))
    accuracy = evaluate(net, splits.test.x, splits.test.y).accuracy
    print(f"Test accuracy: {accuracy:.4f}")
    return accuracy


__all__ = ["load_dataset", "parse_arguments", "train_and_test", "RULES"]
