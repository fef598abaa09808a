"""``synaptica train --model snn --rule stdp``: a spiking network learns without labels by STDP.

    synaptica train --model snn --rule stdp                          # 400 neurons, one pass over Fashion-MNIST
    synaptica train --model snn --rule stdp --neurons 100 --data DIR --out snn.safetensors

The network and the rule are Diehl and Cook's (:class:`~synaptica.models.SpikingNetwork`,
:class:`~synaptica.rules.STDP`); the one loop trains it (``--epochs`` passes, ``--batch-size`` images
shown at once). Then the neurons are labelled by their responses to the last ``--label`` training
images and the test images are classified by their votes (:class:`~synaptica.train.SpikeVotes`).
The run's speed is printed in images per second.
"""

from __future__ import annotations

import argparse
import time

from synaptica.data import load_dataset
from synaptica.errors import DataError
from synaptica.models import SpikingNetwork
from synaptica.rules import STDP
from synaptica.train import SpikeVotes, fit


def check_snn_arguments(args: argparse.Namespace) -> None:
    """A spiking network is trained by STDP and STDP trains only a spiking network."""
    if args.model == "snn" and args.rule != "stdp":
        raise ValueError(f"--model snn learns by --rule stdp (a spiking network has no gradient), not {args.rule}")
    if args.rule == "stdp" and args.model != "snn":
        raise ValueError(f"--rule stdp trains a spiking network (--model snn), not --model {args.model}")


def _epoch_line(epoch: int, history, model) -> None:
    """After each epoch: the mean spikes per image, showings per image and threshold, and the time."""
    print(f"Epoch {epoch}: {history['train_spikes'][-1]:.1f} spikes per image, each image shown "
          f"{history['train_shown'][-1]:.2f} times, mean θ {history['train_theta'][-1]:.2f} mV "
          f"({history.seconds[-1]:.1f} s)", flush=True)


def train_snn(args: argparse.Namespace) -> int:
    """Train, label, test and (with ``--out``) save a spiking network; returns the exit status."""
    splits = load_dataset(args.data)
    train, test = splits.train, splits.test
    if train.image_shape is None or len(train.image_shape) != 3 or train.image_shape[0] != 1:
        raise DataError(f"--model snn needs grey images (1, rows, columns) with intensities in [0, 1] to turn into "
                        f"spike rates; {args.data} holds {train.x.shape[1:]} feature vectors, not images")
    network = SpikingNetwork(train.x[0].size, args.neurons, image_shape=tuple(train.image_shape[-2:]), seed=args.seed)
    network.check_images("--model snn", train.x[:1])
    rule = STDP()
    labelling = slice(max(0, len(train.x) - args.label), len(train.x))
    if not args.quiet:
        print(f"{args.data}: {len(train.x)} training images ({labelling.stop - labelling.start} of them label the "
              f"neurons), {len(test.x)} test images")
        print(f"{network!r}\nrule {rule!r}, batch {args.batch_size}, {args.epochs} epochs, seed {args.seed}")
    started = time.perf_counter()
    fit(network, rule, train.x, epochs=args.epochs, batch_size=args.batch_size, rng=args.seed, verbose=False,
        callbacks=[] if args.quiet else [_epoch_line])
    learning = time.perf_counter() - started
    votes = SpikeVotes(train.x[labelling], train.y[labelling], test.x, test.y, seed=args.seed)
    started = time.perf_counter()
    scores = votes(network)
    scoring = time.perf_counter() - started
    print(f"Test accuracy: {scores['test_accuracy']:.4f} by the votes of {scores['test_labelled']:.0%} of the neurons; "
          f"learnt at {args.epochs * len(train.x) / learning:.1f} images/s, labelled and tested at "
          f"{(len(votes.label_x) + len(votes.x)) / scoring:.1f} images/s")
    if args.out:
        from synaptica.models.snn_file import save_spiking_network

        save_spiking_network(args.out, network, {"synaptica.dataset": str(args.data),
                                                 "synaptica.test_accuracy": f"{scores['test_accuracy']:.4f}"})
        print(f"Saved {args.out}")
    return 0
