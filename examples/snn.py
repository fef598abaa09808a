"""Unsupervised digit (and clothing) recognition with spikes: Diehl and Cook (2015) trained by STDP.

    python examples/snn.py                                   # the full figure: 400 neurons, one pass
    python examples/snn.py --train 10000 --label 5000        # a shorter run on part of the training set

A layer of 400 leaky integrate-and-fire neurons with lateral inhibition and adaptive thresholds sees
each Fashion-MNIST training image for 350 ms as Poisson spike trains (at most 63.75 Hz, dt = 0.5 ms)
and learns its input weights by pair-based STDP with weight normalisation (no labels). Then each
neuron is labelled with the class it responds to most on ``--label`` training images (the last ones
of the training split, which the network has also learnt from, as Diehl and Cook do; never test
images), and the test images are classified by the labelled neurons' votes.

Prints the test accuracy and the simulation speed in images per second (learning, and fixed-weight
labelling and testing), writes the receptive fields of all neurons as ``snn_receptive_fields.png``
into ``--out-dir`` and, with ``--save``, the network as a model file.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from synaptica import fit
from synaptica.data import load_dataset
from synaptica.models import SpikingNetwork
from synaptica.models.snn import Neurons
from synaptica.rules import STDP
from synaptica.train import SpikeVotes


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--neurons", type=int, default=400)
    parser.add_argument("--train", type=int, default=None, help="training images to learn from (default: all)")
    parser.add_argument("--label", type=int, default=10000, help="training images that label the neurons")
    parser.add_argument("--test", type=int, default=None, help="test images to score (default: all)")
    parser.add_argument("--batch-size", type=int, default=16, help="images shown at once while learning")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default="docs/figures")
    parser.add_argument("--save", default=None, metavar="FILE", help="write the trained network here")
    parser.add_argument("--json", default=None, metavar="FILE", help="write the figures here as JSON")
    parser.add_argument("--progress", action="store_true", help="a progress bar even when not on a terminal")
    parser.add_argument("--theta-plus", type=float, default=Neurons.theta_plus,
                        help="mV the adaptive threshold rises per spike (Diehl and Cook: 0.05)")
    parser.add_argument("--tau-theta", type=float, default=Neurons.tau_theta, help="ms, the threshold's decay time constant (Diehl and Cook: 10⁷)")
    args = parser.parse_args(argv)

    splits = load_dataset(args.data)
    train, test = splits.train, splits.test
    if train.image_shape is None:
        raise SystemExit(f"examples/snn.py: {args.data} holds no images")
    x = train.x[:args.train]
    labelling = slice(len(x) - min(args.label, len(x)), len(x))
    network = SpikingNetwork(x[0].size, args.neurons, image_shape=tuple(train.image_shape[-2:]), seed=args.seed,
                             neuron=Neurons(theta_plus=args.theta_plus, tau_theta=args.tau_theta))
    rule = STDP()
    print(f"{args.data}: {network!r}; {rule!r}; learning from {len(x)} images, {args.batch_size} at a time")
    started = time.perf_counter()
    fit(network, rule, x, epochs=1, batch_size=args.batch_size, rng=args.seed, verbose=False,
        progress=True if args.progress else None)
    learning = time.perf_counter() - started
    votes = SpikeVotes(x[labelling], train.y[:len(x)][labelling], test.x[:args.test], test.y[:args.test],
                       seed=args.seed)
    started = time.perf_counter()
    scores = votes(network)
    scoring = time.perf_counter() - started
    scored = len(votes.label_x) + len(votes.x)
    results = {"test_accuracy": scores["test_accuracy"], "labelled": scores["test_labelled"],
               "train_images": len(x), "label_images": len(votes.label_x), "test_images": len(votes.x),
               "neurons": args.neurons, "learning_seconds": learning, "learning_images_per_second": len(x) / learning,
               "scoring_images_per_second": scored / scoring, "mean_theta_mv": float(network.theta.mean())}
    print(f"learnt in {learning:.0f} s ({results['learning_images_per_second']:.1f} images/s); labelled on "
          f"{len(votes.label_x)} training images and scored {len(votes.x)} test images in {scoring:.0f} s "
          f"({results['scoring_images_per_second']:.1f} images/s)")
    print(f"test accuracy by votes {results['test_accuracy']:.4f} ({results['labelled']:.0%} of neurons labelled)")

    from synaptica.viz.snn import plot_receptive_fields

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = plot_receptive_fields(network, out / "snn_receptive_fields.png",
                                 title=f"{args.data}: receptive fields of {args.neurons} neurons after STDP on "
                                       f"{len(x)} images (test accuracy {results['test_accuracy']:.3f})")
    print(f"Wrote {path}")
    if args.save:
        from synaptica.models.snn_file import save_spiking_network

        save_spiking_network(args.save, network, {"synaptica.dataset": args.data,
                                                  "synaptica.test_accuracy": f"{results['test_accuracy']:.4f}"})
        print(f"Saved {args.save}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
