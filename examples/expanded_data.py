"""Training on artificially expanded data: the first N training images, distorted afresh in every
mini-batch (Nielsen ch. 3 and 6; Simard, Steinkraus and Platt 2003), against the same run without.

A [784, 100, 10] ReLU network (He initialisation, log-likelihood cost, SGD η = 0.05, mini-batches of
10), keeping the epoch with the best validation accuracy; prints the test accuracy.

    python examples/expanded_data.py --augment none
    python examples/expanded_data.py --augment shift --train 5000 --epochs 30
"""

import argparse

from synaptica import Backprop, LogLikelihoodCost, SGD, fit
from synaptica.data import load_dataset
from synaptica.data.augment import Augment, Elastic, Rotate, Shear, Shift
from synaptica.nn import mlp
from synaptica.train import evaluate

AUGMENTATIONS = {
    "none": lambda: None,
    "shift": lambda: Augment([Shift(1)], image_shape=(28, 28)),
    "affine": lambda: Augment([Shift(2), Rotate(10)], image_shape=(28, 28)),
    "elastic": lambda: Augment([Elastic(alpha=34, sigma=4)], image_shape=(28, 28)),
    "mild": lambda: Augment([Shift(2), Rotate(10), Shear(0.2)], image_shape=(28, 28), probability=0.5),
}


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--augment", choices=list(AUGMENTATIONS), default="shift")
    parser.add_argument("--train", type=int, default=5000, help="how many training images to use")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    splits = load_dataset(args.data)
    x, y = splits.train.x[:args.train], splits.train.y[:args.train]
    augment = AUGMENTATIONS[args.augment]()
    net = mlp([784, 100, 10], "relu", init="he", rng=args.seed)
    rule = Backprop(LogLikelihoodCost(), SGD(net.parameters(), learning_rate=0.05))
    fit(net, rule, (x, y), epochs=args.epochs, batch_size=10, rng=args.seed, augment=augment, verbose=False,
        validation=(splits.validation.x, splits.validation.y), restore_best=True)
    accuracy = evaluate(net, splits.test.x, splits.test.y).accuracy
    print(f"{len(x)} training images, augment {args.augment} ({augment!r}): test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
