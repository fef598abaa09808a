"""A Bernoulli RBM in synaptica against scikit-learn's BernoulliRBM, on binarised Fashion-MNIST, in one process.

    PYTHONPATH=src python bench/rbm.py                                 # 50,000 images, scikit-learn's defaults
    PYTHONPATH=src python bench/rbm.py --examples 10000 --epochs 5     # a shorter run

Three models with the same settings (hidden units, learning rate, batch size, epochs; weights start
N(0, 0.01²), biases 0, in float32 on both sides, or ``--dtype float64``): scikit-learn's
``BernoulliRBM`` (which is PCD-1 with as many chains as a batch has rows), synaptica's
``ContrastiveDivergence(persistent=True)`` (the same algorithm) and synaptica's CD-1. synaptica's batches come in the stored order, as
scikit-learn's do (``--shuffle``: shuffled every epoch, as ``fit`` does by default). Each is trained
on one BLAS thread, timed, and measured the same way:

- the exact pseudo-likelihood Σᵢ log p(vᵢ | v₋ᵢ) of ``--pl-examples`` test images, every bit flipped
  (:func:`synaptica.models.rbm.exact_pseudo_likelihood`): the figure the ratio is taken of;
- scikit-learn's own ``score_samples`` estimate (one random bit per image) over the whole test set,
  with the same bits for the three models;
- for synaptica's models, the test log-likelihood by annealed importance sampling (``--ais-chains``
  chains, ``--ais-betas`` temperatures, base rates from the training images).

Printed: seconds, the ratio of the seconds (scikit-learn / synaptica: above 1, synaptica is faster)
and the ratio of the pseudo-likelihoods (synaptica / scikit-learn: 1.00 is the same).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402  (puts src/ on the path when needed)

from sklearn.neural_network import BernoulliRBM  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from synaptica.data.loaders import ArraySource  # noqa: E402
from synaptica.models.rbm import (  # noqa: E402
    ais_log_partition, exact_pseudo_likelihood, log_likelihood, pseudo_likelihood,
)
from synaptica.nn import RBM  # noqa: E402
from synaptica.nn.rbm import binarise, pixel_log_odds  # noqa: E402
from synaptica.rules import ContrastiveDivergence  # noqa: E402
from synaptica.train import fit  # noqa: E402


def as_rbm(theirs: BernoulliRBM) -> RBM:
    """scikit-learn's fitted weights in an RBM, to measure every model with the same code."""
    rbm = RBM(theirs.components_.shape[1], theirs.n_components, dtype=theirs.components_.dtype)
    rbm.weight.data[...], rbm.hidden_bias.data[...] = theirs.components_, theirs.intercept_hidden_
    rbm.visible_bias.data[...] = theirs.intercept_visible_
    return rbm


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=50000, help="training images")
    parser.add_argument("--hidden", type=int, default=500)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=10, help="epochs (scikit-learn's n_iter)")
    parser.add_argument("--pl-examples", type=int, default=1000, help="test images for the exact pseudo-likelihood")
    parser.add_argument("--ais-chains", type=int, default=100)
    parser.add_argument("--ais-betas", type=int, default=10000)
    parser.add_argument("--shuffle", action="store_true",
                        help="synaptica shuffles the batches every epoch (default: the stored order, as scikit-learn)")
    parser.add_argument("--no-cd", action="store_true", help="leave out synaptica's CD-1 row")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32", help="for both libraries")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args(argv)

    data = common.load("fashion-mnist")
    x = binarise(data.train.x[:args.examples].reshape(-1, 784)).astype(args.dtype)
    test = binarise(data.test.x.reshape(-1, 784))
    flips = np.random.RandomState(args.seed).randint(0, 784, len(test))  # the bits score_samples would flip
    print(f"binarised Fashion-MNIST: {len(x)} training images, {args.hidden} hidden units, η = {args.learning_rate}, "
          f"batches of {args.batch_size}, {args.epochs} epochs; exact pseudo-likelihood on {args.pl_examples} "
          "test images", flush=True)

    def synaptica_model(persistent: bool) -> RBM:
        rbm = RBM(784, args.hidden, rng=args.seed, dtype=args.dtype)
        fit(rbm, ContrastiveDivergence(args.learning_rate, persistent=persistent),
            ArraySource(x, batch_size=args.batch_size, shuffle=args.shuffle), epochs=args.epochs, rng=args.seed,
            verbose=False, blas=1)
        return rbm

    def sklearn_model() -> RBM:
        theirs = BernoulliRBM(args.hidden, learning_rate=args.learning_rate, batch_size=args.batch_size,
                              n_iter=args.epochs, random_state=args.seed)
        return as_rbm(theirs.fit(x))

    record = {"settings": vars(args), "rows": {}}
    with threadpool_limits(1):
        models = [("scikit-learn PCD-1", sklearn_model), ("synaptica PCD-1", lambda: synaptica_model(True)),
                  ("synaptica CD-1", lambda: synaptica_model(False))]
        for name, make in models[:2] if args.no_cd else models:
            started = time.perf_counter()
            rbm = make()
            seconds = time.perf_counter() - started
            row = {"seconds": seconds,
                   "pseudo_likelihood": float(exact_pseudo_likelihood(rbm, test[:args.pl_examples]).mean()),
                   "score_samples": float(pseudo_likelihood(rbm, test, flips).mean())}
            if name.startswith("synaptica") and args.ais_chains:
                log_z, error = ais_log_partition(rbm, np.random.default_rng(args.seed), args.ais_chains,
                                                 args.ais_betas, base=pixel_log_odds(x))
                row.update(log_z=log_z, log_z_error=error, log_likelihood=log_likelihood(rbm, test, log_z))
            record["rows"][name] = row
            print(f"{name:<20} {seconds:8.1f} s   pseudo-likelihood {row['pseudo_likelihood']:9.2f} "
                  f"(score_samples {row['score_samples']:9.2f})"
                  + (f"   AIS log-likelihood {row['log_likelihood']:8.2f} (log Z {log_z:.2f} ± {error:.2f})"
                     if "log_likelihood" in row else ""), flush=True)
    theirs = record["rows"]["scikit-learn PCD-1"]
    for name in [name for name in ("synaptica PCD-1", "synaptica CD-1") if name in record["rows"]]:
        row = record["rows"][name]
        row["speed_ratio"] = theirs["seconds"] / row["seconds"]
        row["pl_ratio"] = row["pseudo_likelihood"] / theirs["pseudo_likelihood"]
        print(f"{name}: speed {row['speed_ratio']:.2f}× scikit-learn's, pseudo-likelihood ratio {row['pl_ratio']:.4f} "
              f"({100 * abs(row['pl_ratio'] - 1):.2f} % apart)")
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=2))
    return record


if __name__ == "__main__":
    main()
