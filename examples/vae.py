"""Variational auto-encoders on binarised images: samples, a 2-D latent walk, and a Gaussian against a
categorical (Gumbel-softmax) code.

    python examples/vae.py                                        # Fashion-MNIST, 10 epochs each
    python examples/vae.py --data digits --epochs 100 --batch-size 32 --hidden 128 --latent 8 \\
        --variables 8 --classes 8
    python examples/vae.py --train 10000 --test 500 --epochs 3   # a quick look

Three models are trained by ``fit`` with the variational rule on the training images binarised at
the fixed threshold 0.5 (each reports −ELBO in nats per image, summed over the pixels):

1. a Gaussian VAE with ``--latent`` units: its test −ELBO and its test −log p(x) estimated by
   importance sampling (``--samples`` draws per image), and a grid of 64 samples from the prior
   (the decoder's pixel probabilities at z ~ N(0, I)), written to ``<out>/vae_samples_<data>.png``;
2. the same with a 2-unit code, whose decoder is drawn over a grid of codes spaced by the prior's
   quantiles, Φ⁻¹(0.05) … Φ⁻¹(0.95) in each direction (Kingma and Welling's figure 4):
   ``<out>/vae_walk_<data>.png``;
3. a categorical VAE with ``--variables`` variables of ``--classes`` classes, trained through the
   Gumbel-softmax relaxation with the temperature annealed from 1 towards 0.5, whose test −ELBO is
   evaluated with discrete codes (comparable with the Gaussian one) and whose prior samples go to
   ``<out>/categorical_vae_samples_<data>.png``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from statistics import NormalDist

import numpy as np

from synaptica.data import load_dataset
from synaptica.data.binarize import binarize
from synaptica.models import dense_categorical_vae, dense_vae
from synaptica.optim import Adam
from synaptica.random import stream
from synaptica.rules import Variational
from synaptica.rules.variational import annealed_temperature
from synaptica.train.fit import fit
from synaptica.viz.cnn import plot_image_grid


def train(model, x, args, temperature=None) -> float:
    """Train with the variational rule; returns seconds."""
    started = time.perf_counter()
    rule = Variational(Adam(model.parameters(), args.eta), temperature=temperature)
    fit(model, rule, x, epochs=args.epochs, batch_size=args.batch_size, rng=stream(args.seed, "training"),
        verbose=args.verbose)
    return time.perf_counter() - started


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="fashion-mnist", help="fashion-mnist, digits or an IDX directory")
    parser.add_argument("--train", type=int, default=None, help="training images used (default: all)")
    parser.add_argument("--test", type=int, default=1000, help="test images scored")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--latent", type=int, default=16)
    parser.add_argument("--variables", type=int, default=16, help="categorical variables of the discrete code")
    parser.add_argument("--classes", type=int, default=10, help="classes of each categorical variable")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--eta", type=float, default=1e-3, help="Adam's learning rate")
    parser.add_argument("--samples", type=int, default=1000, help="importance samples per test image")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="docs/figures", help="folder of the PNGs")
    parser.add_argument("--verbose", action="store_true", help="a line per epoch")
    args = parser.parse_args(argv)

    splits = load_dataset(args.data)
    side = int(round(np.sqrt(splits.train.x[0].size)))
    x = binarize(splits.train.x[:args.train].reshape(-1, side * side))
    x_test = binarize(splits.test.x[:args.test].reshape(-1, side * side))
    name = Path(args.data).name
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    steps_per_epoch = -(-len(x) // args.batch_size)
    print(f"{args.data}: {len(x)} training, {len(x_test)} test images of {side}×{side}, binarised at 0.5; "
          f"hidden {args.hidden}, {args.epochs} epochs, batch {args.batch_size}")

    gaussian = dense_vae(x.shape[1], [args.hidden], args.latent, rng=stream(args.seed, "gaussian"))
    seconds = train(gaussian, x, args)
    elbo = float(-gaussian.log_likelihood(x_test, 1, rng=stream(args.seed, "elbo")).mean())
    nll = float(-gaussian.log_likelihood(x_test, args.samples, rng=stream(args.seed, "is")).mean())
    samples = gaussian.sample(64, rng=stream(args.seed, "samples")).reshape(-1, side, side)
    plot_image_grid(samples, out / f"vae_samples_{name}.png", columns=8, value_range=(0, 1),
                    title=f"Gaussian VAE ({args.latent} latent units): samples from the prior", panel_inches=0.9)
    print(f"Gaussian VAE, {args.latent} units: test −ELBO {elbo:.2f}, test −log p(x) {nll:.2f} "
          f"(k = {args.samples}) nats per image; trained in {seconds:.0f} s")

    planar = dense_vae(x.shape[1], [args.hidden], 2, rng=stream(args.seed, "planar"))
    train(planar, x, args)
    steps = [NormalDist().inv_cdf(p) for p in np.linspace(0.05, 0.95, 15)]
    codes = np.array([[a, b] for b in reversed(steps) for a in steps])
    plot_image_grid(planar.sample(len(codes), z=codes).reshape(-1, side, side), out / f"vae_walk_{name}.png",
                    columns=15, value_range=(0, 1), panel_inches=0.6,
                    title="A 2-D latent walk: the decoder over the prior's quantiles 0.05 … 0.95")
    planar_elbo = float(-planar.log_likelihood(x_test, 1, rng=stream(args.seed, "elbo")).mean())
    print(f"Gaussian VAE, 2 units: test −ELBO {planar_elbo:.2f}")

    categorical = dense_categorical_vae(x.shape[1], [args.hidden], args.variables, args.classes,
                                        rng=stream(args.seed, "categorical"))
    anneal = annealed_temperature(1.0, rate=3.0 / (args.epochs * steps_per_epoch), floor=0.5)
    seconds = train(categorical, x, args, temperature=anneal)
    categorical_elbo = float(categorical.negative_elbo(x_test, rng=stream(args.seed, "elbo")).mean())
    samples = categorical.sample(64, rng=stream(args.seed, "samples")).reshape(-1, side, side)
    plot_image_grid(samples, out / f"categorical_vae_samples_{name}.png", columns=8, value_range=(0, 1),
                    title=f"Categorical VAE ({args.variables} × {args.classes}): samples from the prior",
                    panel_inches=0.9)
    print(f"categorical VAE, {args.variables} × {args.classes}: test −ELBO {categorical_elbo:.2f} "
          f"(discrete codes); trained in {seconds:.0f} s")
    return {"gaussian_elbo": elbo, "gaussian_nll": nll, "planar_elbo": planar_elbo,
            "categorical_elbo": categorical_elbo}


if __name__ == "__main__":
    main()
