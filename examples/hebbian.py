"""Oja's rule and Sanger's generalised Hebbian algorithm on Fashion-MNIST, against the principal components.

    python examples/hebbian.py                              # 10,000 images, Oja k = 1, Sanger k = 8
    python examples/hebbian.py --components 16 --epochs 40 --out hebbian16.png

Each rule trains a bias-free ``Linear(784, k)`` through the same ``fit`` as every network, on the
training images alone, centred by the data (the mean image subtracted once; the rules do not
centre). η follows the schedule ηₜ = η₀ / (1 + t/τ). The reference is the SVD of the same centred
images: its right singular vectors are the principal components. The example prints, per learnt
row, the cosine |cos(wᵢ, vᵢ)|, the row's norm, and the reconstruction error against PCA's with as
many components, and draws the components as 28×28 images: the SVD's, Sanger's and Oja's (each
learnt vector's sign matched to the SVD's, since a component's sign is arbitrary).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from synaptica import fit
from synaptica.data import load_dataset
from synaptica.nn import Linear
from synaptica.rules import Oja, Sanger
from synaptica.train import PrincipalComponents


def train(rule, x: np.ndarray, components: np.ndarray, k: int, args) -> dict:
    """Train a Linear(n, k) without bias with ``rule``; its final metrics and weights (signs matched)."""
    model = Linear(x.shape[1], k, bias=False, rng=args.seed)
    evaluator = PrincipalComponents(components[:k], x, name="train")
    started = time.perf_counter()
    history = fit(model, rule, x, epochs=args.epochs, batch_size=args.batch_size, rng=args.seed,
                  evaluators=[evaluator], verbose=False)
    weights = model.weight.data.astype(np.float64)
    weights *= np.sign((weights * components[:k]).sum(axis=1, keepdims=True))
    return {"cosines": [history[f"train_cosine_{i + 1}"][-1] for i in range(k)],
            "norm": history["train_weight_norm"][-1], "mse": history["train_mse"][-1],
            "seconds": time.perf_counter() - started, "weights": weights}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--examples", type=int, default=10000, help="the first N training images")
    parser.add_argument("--components", type=int, default=8, help="k, the units Sanger's rule trains")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--eta", type=float, default=0.005, help="η₀")
    parser.add_argument("--tau", type=float, default=20000, help="τ, in steps, of ηₜ = η₀ / (1 + t/τ)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="hebbian.png", help="the PNG of the components")
    args = parser.parse_args(argv)

    splits = load_dataset(args.data)
    x = splits.train.x[:args.examples].reshape(len(splits.train.x[:args.examples]), -1).astype(np.float64)
    x -= x.mean(axis=0)  # centring is the data's job, not the rule's
    _, singular, v = np.linalg.svd(x, full_matrices=False)
    k = args.components
    schedule = lambda t: args.eta / (1 + t / args.tau)  # noqa: E731 - the schedule is the example's subject
    results = {"oja": train(Oja(schedule), x, v, 1, args), "sanger": train(Sanger(schedule), x, v, k, args)}
    pca_mse = {j: float(np.mean((x - x @ v[:j].T @ v[:j]) ** 2)) for j in (1, k)}

    print(f"{args.data}: {len(x)} centred training images, {args.epochs} epochs of batches of {args.batch_size}, "
          f"η = {args.eta} / (1 + t/{args.tau:g})")
    print(f"variance along the first {k + 1} components: {np.round(singular[:k + 1] ** 2 / len(x), 3).tolist()}")
    for name, result in results.items():
        count = len(result["cosines"])
        print(f"{name:>6}: |cos| with SVD components 1-{count}: {' '.join(f'{c:.4f}' for c in result['cosines'])}; "
              f"max |w| {result['norm']:.4f}; reconstruction MSE {result['mse']:.5f} (PCA with {count}: "
              f"{pca_mse[count]:.5f}); {result['seconds']:.1f} s")

    shape = splits.train.image_shape[-2:] if splits.train.image_shape else None
    if shape is not None:
        from synaptica.viz.cnn import SIGNED, plot_image_grid

        panels = [*v[:k], *results["sanger"]["weights"], results["oja"]["weights"][0]]
        titles = ([f"SVD {i + 1}" for i in range(k)] + [f"Sanger {i + 1}: {c:.3f}" for i, c in
                                                        enumerate(results["sanger"]["cosines"])]
                  + [f"Oja: {results['oja']['cosines'][0]:.3f}"])
        plot_image_grid([p.reshape(shape) for p in panels], args.out, titles=titles, columns=k, cmap=SIGNED,
                        signed=True, title=f"{args.data}: principal components by SVD (row 1), Sanger's rule (row 2) "
                                           f"and Oja's rule (row 3), with |cos| to the SVD's")
        print(f"Wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
