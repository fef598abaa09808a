"""Autoencoder codes as features: a linear classifier on raw pixels, on a plain and on a denoising code.

    python examples/denoising_features.py                      # Fashion-MNIST, 784-256-64 codes
    python examples/denoising_features.py --data mnist --epochs 5
    python examples/denoising_features.py --data ./my-idx-dir --noise 0.5 --out dae.png

Two 784-256-64-256-784 autoencoders (ReLU, a linear 64-unit code, sigmoid output) are trained on
the training images alone with the quadratic cost and Adam: a plain one on (x, x) and a denoising one
(Vincent et al. 2008) on (x̃, x), where x̃ is x with a fraction ν of its pixels set to 0, drawn afresh
for every batch (``ArraySource(x, x, augment=MaskingNoise(ν))``); each keeps the epoch with the lowest
validation reconstruction cost. Their encoders are then feature extractors (seed 004): the same
linear classifier (softmax regression, ``mlp([features, 10])`` with the log-likelihood cost and Adam,
inputs standardised with the training set's mean and deviation, the best validation epoch kept) is
trained on the raw pixels, on the plain codes and on the denoising codes, with the same budget. The
example prints the three test accuracies with their seconds, how well each autoencoder removes the
noise from corrupted test images, and draws clean, corrupted and reconstructed test images.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from synaptica import Backprop, LogLikelihoodCost, QuadraticCost, evaluate, fit
from synaptica.data import load_dataset
from synaptica.data.loaders import ArraySource
from synaptica.data.noise import MaskingNoise
from synaptica.models import dense_autoencoder
from synaptica.nn import mlp
from synaptica.optim import Adam
from synaptica.train import EarlyStopping, Reconstruction, predict


def train_autoencoder(x_train, x_validation, hidden, code, noise, args):
    """A dense autoencoder trained to map ``noise(x)`` (x itself when noise is None) back to x."""
    model = dense_autoencoder(x_train.shape[1], hidden, code, rng=args.seed)
    cost = QuadraticCost()
    fit(model, Backprop(cost, Adam(model.parameters(), args.eta)),
        ArraySource(x_train, x_train, batch_size=args.batch_size, augment=noise), epochs=args.epochs, rng=args.seed,
        evaluators=[Reconstruction(x_validation, cost)],
        callbacks=[EarlyStopping("validation_cost", mode="min", restore_best=True)], verbose=False)
    return model


def linear_accuracy(features, labels, args) -> float:
    """Test accuracy of softmax regression trained on ``features`` = (train, validation, test) rows."""
    mean, deviation = features[0].mean(axis=0), features[0].std(axis=0) + 1e-6
    train, validation, test = ((rows - mean) / deviation for rows in features)
    classifier = mlp([train.shape[1], int(labels[0].max()) + 1], init="xavier", rng=args.seed)
    fit(classifier, Backprop(LogLikelihoodCost(), Adam(classifier.parameters(), args.eta)), (train, labels[0]),
        epochs=args.classifier_epochs, batch_size=args.batch_size, rng=args.seed, validation=(validation, labels[1]),
        restore_best=True, verbose=False)
    return evaluate(classifier, test, labels[2]).accuracy


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--code", type=int, default=64, help="units in the code")
    parser.add_argument("--hidden", default="256", help="encoder hidden sizes (the decoder mirrors them)")
    parser.add_argument("--noise", type=float, default=0.3, help="fraction ν of pixels the masking noise zeroes")
    parser.add_argument("--epochs", type=int, default=10, help="epochs of each autoencoder")
    parser.add_argument("--classifier-epochs", type=int, default=30, help="epochs of each linear classifier")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--eta", type=float, default=0.001, help="Adam's learning rate")
    parser.add_argument("--train-examples", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="denoising_features.png", help="the PNG of noisy inputs and reconstructions")
    args = parser.parse_args(argv)

    splits = load_dataset(args.data)
    held_out = splits.validation if splits.validation is not None else splits.test
    parts = [(splits.train.x[:args.train_examples], splits.train.y[:args.train_examples]),
             (held_out.x, held_out.y), (splits.test.x, splits.test.y)]
    images = [x.reshape(len(x), -1).astype(np.float32) for x, _ in parts]
    labels = [y for _, y in parts]
    hidden = [int(size) for size in args.hidden.split(",") if size]

    features, seconds, models = {"raw pixels": images}, {"raw pixels": 0.0}, {}
    for name, noise in [("autoencoder codes", None), ("denoising codes", MaskingNoise(args.noise))]:
        started = time.perf_counter()
        models[name] = train_autoencoder(images[0], images[1], hidden, args.code, noise, args)
        features[name] = [predict(models[name].encoder, x) for x in images]  # the codes, in batches
        seconds[name] = time.perf_counter() - started

    accuracies = {}
    print(f"{'features':<20}{'size':>6}{'test accuracy':>15}{'seconds':>9}")
    for name, rows in features.items():
        started = time.perf_counter()
        accuracies[name] = linear_accuracy(rows, labels, args)
        seconds[name] += time.perf_counter() - started
        print(f"{name:<20}{rows[0].shape[1]:>6}{accuracies[name]:>15.4f}{seconds[name]:>9.1f}")

    x_test = images[2]
    corrupted = MaskingNoise(args.noise)(x_test, np.random.default_rng(args.seed))
    restored = {name: predict(model, corrupted) for name, model in models.items()}
    errors = {"corrupted": float(np.mean((corrupted - x_test) ** 2)),
              **{name: float(np.mean((output - x_test) ** 2)) for name, output in restored.items()}}
    print(f"Test MSE per pixel against the clean images, {args.noise:g} of the pixels zeroed: corrupted input "
          f"{errors['corrupted']:.5f}, plain autoencoder {errors['autoencoder codes']:.5f}, "
          f"denoising autoencoder {errors['denoising codes']:.5f}")

    shape = splits.test.image_shape[-2:] if splits.test.image_shape else None
    if shape is not None:
        from synaptica.viz.cnn import plot_image_rows

        shown = slice(0, 10)
        rows = {"test image": x_test[shown], f"{args.noise:g} masked": corrupted[shown],
                "autoencoder": restored["autoencoder codes"][shown], "denoising AE": restored["denoising codes"][shown]}
        plot_image_rows({name: rows_.reshape(-1, *shape) for name, rows_ in rows.items()}, args.out,
                        title=f"{args.data}: masked test images restored; linear classifier on raw pixels "
                              f"{accuracies['raw pixels']:.3f}, AE codes {accuracies['autoencoder codes']:.3f}, "
                              f"DAE codes {accuracies['denoising codes']:.3f}")
        print(f"Wrote {args.out}")
    return {"accuracy": accuracies, "seconds": seconds, "mse": errors}


if __name__ == "__main__":
    main()
