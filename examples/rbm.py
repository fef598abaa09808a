"""A restricted Boltzmann machine on binarised Fashion-MNIST: CD-1 or PCD, its filters, its dreams, and
how likely it finds the test images.

    python examples/rbm.py                                  # 500 hidden, PCD-1, 10 epochs on 50,000 images
    python examples/rbm.py --rule cd --examples 10000 --epochs 5

Prints the pseudo-likelihood of the test images after each epoch (scikit-learn's one-bit estimate,
the same bits every epoch), then the exact pseudo-likelihood of 1,000 test images and the test
log-likelihood by annealed importance sampling. Writes ``rbm_<rule>_filters.png`` (the weights of
100 hidden units as images) and ``rbm_<rule>_samples.png`` (Gibbs chains started from noise, after
1,000 steps, the visible probabilities drawn) into ``--out-dir``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from synaptica import fit
from synaptica.data import load_dataset
from synaptica.models.rbm import ais_log_partition, exact_pseudo_likelihood, log_likelihood
from synaptica.nn import RBM
from synaptica.nn.rbm import binarise, pixel_log_odds
from synaptica.random import stream
from synaptica.rules import ContrastiveDivergence
from synaptica.train.evaluators import PseudoLikelihood
from synaptica.viz.cnn import plot_image_grid


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rule", choices=["cd", "pcd"], default="pcd")
    parser.add_argument("--hidden", type=int, default=500)
    parser.add_argument("--k", type=int, default=1, help="Gibbs steps per update")
    parser.add_argument("--examples", type=int, default=50000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--ais-chains", type=int, default=100)
    parser.add_argument("--ais-betas", type=int, default=10000)
    parser.add_argument("--gibbs-steps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default="docs/figures")
    args = parser.parse_args(argv)

    data = load_dataset("fashion-mnist")
    x = binarise(data.train.x[:args.examples].reshape(-1, 784))
    test = binarise(data.test.x.reshape(-1, 784))
    rbm = RBM(784, args.hidden, rng=args.seed)
    rule = ContrastiveDivergence(args.learning_rate, k=args.k, persistent=args.rule == "pcd")
    started = time.perf_counter()
    fit(rbm, rule, x, epochs=args.epochs, batch_size=args.batch_size, rng=args.seed,
        evaluators=[PseudoLikelihood(test, "test")])
    seconds = time.perf_counter() - started
    pl = float(exact_pseudo_likelihood(rbm, test[:1000]).mean())
    log_z, error = ais_log_partition(rbm, stream(args.seed, "ais"), args.ais_chains, args.ais_betas,
                                     base=pixel_log_odds(x))
    ll = log_likelihood(rbm, test, log_z)
    print(f"{rule!r}, {args.hidden} hidden, {len(x)} images, {args.epochs} epochs in {seconds:.1f} s")
    print(f"exact pseudo-likelihood (1,000 test images): {pl:.2f}")
    print(f"AIS: log Z = {log_z:.2f} ± {error:.2f} ({args.ais_chains} chains, {args.ais_betas} temperatures); "
          f"test log-likelihood {ll:.2f} nats per image")

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plot_image_grid(rbm.weight.data[:100].reshape(-1, 28, 28), out / f"rbm_{args.rule}_filters.png", signed=True,
                    cmap="RdBu_r", columns=10, panel_inches=0.8,
                    title=f"RBM ({args.rule.upper()}-{args.k}) filters: the weights of 100 hidden units")
    sampler = stream(args.seed, "samples")
    chains = rbm.gibbs((sampler.random((20, 784)) < 0.5).astype(np.float32), args.gibbs_steps, sampler)
    plot_image_grid(rbm.visible_probabilities(rbm.sample_hidden(chains, sampler)).reshape(-1, 28, 28),
                    out / f"rbm_{args.rule}_samples.png", columns=10, panel_inches=0.8, value_range=(0, 1),
                    title=f"Samples after {args.gibbs_steps} Gibbs steps from noise (p(v | h) drawn)")
    return {"pseudo_likelihood": pl, "log_z": log_z, "log_likelihood": ll, "seconds": seconds}


if __name__ == "__main__":
    main()
