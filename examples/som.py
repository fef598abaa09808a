"""A self-organizing map (Kohonen 1990) trained by the one loop: quantization and topographic error,
a majority-label classifier, and pictures of the map.

    python examples/som.py                        # the 8×8 digits, MiniSom's example: 30×30, σ = 4, η = 0.5
    python examples/som.py --data fashion-mnist   # Fashion-MNIST, 20×20, Gaussian, one pass online

On the digits the configuration is MiniSom's digits example: all 1,797 images standardised (each
pixel to mean 0, variance 1, as scikit-learn's ``scale``), a 30×30 map spanning the first two
principal components, 5,000 online steps (the images repeated to 5,000 and shuffled), σ₀ = 4 and
η₀ = 0.5 under the asymptotic decay, MiniSom's triangle neighbourhood. Units are then labelled by
the training split's majority labels and the test split is classified by its best-matching units
(on the digits the map itself has seen every image, without labels, as in MiniSom's example).

On Fashion-MNIST the map trains on the 50,000 training images and is scored on the 10,000 test
images. The example prints the quantization error (mean ‖x − w_c‖), the topographic error and the
test accuracy, and writes ``som_<data>_map.png`` (U-matrix with majority labels, hit map) and
``som_<data>_prototypes.png`` (each unit's prototype as an image) into ``--out-dir``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from synaptica import fit
from synaptica.data import load_dataset
from synaptica.models import SelfOrganizingMap
from synaptica.rules import BatchSOM, OnlineSOM

SETTINGS = {  # rows, columns, sigma, eta, iterations (None: one pass over the training data), neighbourhood
    "digits": dict(rows=30, columns=30, sigma=4.0, eta=0.5, iterations=5000, neighbourhood="triangle"),
    "fashion-mnist": dict(rows=20, columns=20, sigma=3.0, eta=0.5, iterations=None, neighbourhood="gaussian"),
}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", choices=sorted(SETTINGS), default="digits")
    parser.add_argument("--rule", choices=["som", "batch-som"], default="som")
    parser.add_argument("--rows", type=int)
    parser.add_argument("--columns", type=int)
    parser.add_argument("--sigma", type=float, help="σ₀")
    parser.add_argument("--eta", type=float, help="η₀ (online rule)")
    parser.add_argument("--iterations", type=int, help="T: examples (online) or batches (batch rule)")
    parser.add_argument("--neighbourhood", choices=["gaussian", "bubble", "triangle"])
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default="docs/figures")
    args = parser.parse_args(argv)
    settings = {**SETTINGS[args.data], **{k: v for k, v in vars(args).items() if k in SETTINGS[args.data] and v is not None}}

    splits = load_dataset(args.data)
    flat = lambda d: d.x.reshape(len(d.x), -1).astype(np.float64)  # noqa: E731
    if args.data == "digits":
        fitted = np.concatenate([flat(splits.train), flat(splits.validation), flat(splits.test)])
        mean, spread = fitted.mean(axis=0), fitted.std(axis=0)
        spread[spread == 0] = 1
        scale = lambda x: (x - mean) / spread  # noqa: E731
        pixels = lambda w: w * spread + mean  # noqa: E731 - prototypes drawn back in pixel units
        fitted, train, test = scale(fitted), scale(flat(splits.train)), scale(flat(splits.test))
    else:
        fitted = train = flat(splits.train)
        pixels = lambda w: w  # noqa: E731
        test = flat(splits.test)
    iterations = settings["iterations"] or (len(fitted) if args.rule == "som" else -(-len(fitted) // args.batch_size))
    som = SelfOrganizingMap.pca(settings["rows"], settings["columns"], fitted)
    if args.rule == "som":
        rule = OnlineSOM(iterations, settings["sigma"], settings["eta"], settings["neighbourhood"])
        data, epochs = fitted[np.arange(iterations) % len(fitted)], 1  # fit shuffles the repeated images
    else:
        rule = BatchSOM(iterations, settings["sigma"], neighbourhood=settings["neighbourhood"])
        epochs = -(-iterations * args.batch_size // len(fitted))
        data = fitted
    started = time.perf_counter()
    fit(som, rule, data, epochs=epochs, batch_size=args.batch_size, rng=args.seed, verbose=False)
    seconds = time.perf_counter() - started
    scored = fitted if args.data == "digits" else test
    results = {"quantization_error": som.quantization_error(scored), "topographic_error": som.topographic_error(scored),
               "seconds": seconds}
    som.majority_labels(train, splits.train.y)
    results["test_accuracy"] = float(np.mean(som.predict(test) == splits.test.y))

    print(f"{args.data}: {som!r}, PCA-initialised; {rule!r}; {rule.t} steps in {seconds:.1f} s")
    print(f"quantization error {results['quantization_error']:.4f}  topographic error {results['topographic_error']:.4f}"
          f"  ({'all' if args.data == 'digits' else 'test'} {len(scored)} images)")
    print(f"majority-label test accuracy {results['test_accuracy']:.4f} ({len(test)} test images)")

    from synaptica.viz.som import plot_map, plot_prototypes

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    side = int(round(np.sqrt(fitted.shape[1])))
    title = f"{args.data}: {som.rows}×{som.columns} SOM, quantization error {results['quantization_error']:.3f}"
    for path in (plot_map(som, train, out / f"som_{args.data}_map.png", y=splits.train.y,
                          title=title + " (hits and labels: training images)"),
                 plot_prototypes(SelfOrganizingMap(som.rows, som.columns, pixels(som.prototypes)), (side, side), out / f"som_{args.data}_prototypes.png", title=title)):
        print(f"Wrote {path}")
    return results


if __name__ == "__main__":
    main()
