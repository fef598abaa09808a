"""An autoencoder against PCA at the same code size: which reproduces unseen images better?

    python examples/autoencoder.py                       # Fashion-MNIST, a 32-unit code
    python examples/autoencoder.py --data mnist --code 16 --epochs 5
    python examples/autoencoder.py --data ./my-idx-dir --out reconstructions.png

A 784-512-128-32-128-512-784 network (ReLU, linear code, sigmoid output) is trained by the same
``fit`` as every classifier, on the training images alone (each image is its own target), with the
quadratic cost and Adam; the epoch with the lowest validation reconstruction cost is kept. PCA with
as many components is the best *linear* code (Baldi and Hornik 1989): computed here by the SVD of
the centred training images, it reconstructs x̂ = μ + (x − μ) VₖᵀVₖ. The example prints the test
mean squared error per pixel of both and draws test images with their two reconstructions.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from synaptica import Backprop, QuadraticCost, fit
from synaptica.data import load_dataset
from synaptica.models import dense_autoencoder
from synaptica.optim import Adam
from synaptica.train import EarlyStopping, Reconstruction, predict


def pca_reconstruction(x_train: np.ndarray, x: np.ndarray, components: int) -> np.ndarray:
    """x projected on the first ``components`` principal directions of ``x_train`` and mapped back."""
    mean = x_train.mean(axis=0, dtype=np.float64)
    _, _, v = np.linalg.svd(x_train - mean, full_matrices=False)
    basis = v[:components]
    return (x - mean) @ basis.T @ basis + mean


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--code", type=int, default=32, help="units in the code (and PCA components)")
    parser.add_argument("--hidden", default="512,128", help="encoder hidden sizes (the decoder mirrors them)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--eta", type=float, default=0.001, help="Adam's learning rate")
    parser.add_argument("--train-examples", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="autoencoder.png", help="the PNG of test images and reconstructions")
    args = parser.parse_args(argv)

    splits = load_dataset(args.data)
    x_train = splits.train.x[:args.train_examples].reshape(len(splits.train.x[:args.train_examples]), -1)
    held_out = splits.validation if splits.validation is not None else splits.test
    x_validation, x_test = held_out.x.reshape(len(held_out.x), -1), splits.test.x.reshape(len(splits.test.x), -1)
    hidden = [int(size) for size in args.hidden.split(",") if size]

    model = dense_autoencoder(x_train.shape[1], hidden, args.code, rng=args.seed)
    cost = QuadraticCost()
    rule = Backprop(cost, Adam(model.parameters(), args.eta))
    started = time.perf_counter()
    fit(model, rule, x_train, epochs=args.epochs, batch_size=args.batch_size, rng=args.seed,
        evaluators=[Reconstruction(x_validation, cost)],
        callbacks=[EarlyStopping("validation_cost", mode="min", restore_best=True)])
    seconds = time.perf_counter() - started

    reconstructed = {"autoencoder": predict(model, x_test),
                     "PCA": pca_reconstruction(x_train, x_test, args.code)}
    errors = {name: float(np.mean((images - x_test) ** 2)) for name, images in reconstructed.items()}
    print(f"Test reconstruction MSE per pixel with a {args.code}-number code: autoencoder {errors['autoencoder']:.5f} "
          f"(trained in {seconds:.0f} s), PCA with {args.code} components {errors['PCA']:.5f}")

    shape = splits.test.image_shape[-2:] if splits.test.image_shape else None
    if shape is not None:
        from synaptica.viz.cnn import plot_image_rows

        shown = slice(0, 10)
        rows = {"test image": x_test[shown], **{name: images[shown] for name, images in reconstructed.items()}}
        plot_image_rows({name: np.asarray(images).reshape(-1, *shape) for name, images in rows.items()}, args.out,
                        title=f"{args.data}: {args.code}-number codes, autoencoder MSE {errors['autoencoder']:.4f}, "
                              f"PCA {errors['PCA']:.4f}")
        print(f"Wrote {args.out}")
    return errors


if __name__ == "__main__":
    main()
