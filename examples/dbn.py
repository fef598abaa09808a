"""Deep belief nets (Hinton, Osindero and Teh 2006): pretrained one RBM at a time, then they read and write.

    python examples/dbn.py                          # read: Fashion-MNIST; write: the 8×8 digits
    python examples/dbn.py --examples 10000 --pretrain-epochs 2 --epochs 2

**Reading.** A [784, 500, 500] DBN is pretrained greedily on the binarised training images (CD-1,
one ``fit`` per RBM), turned into a [784, 500, 500, 10] sigmoid MLP (the RBMs' weights and hidden
biases, a fresh output layer), and fine-tuned by backprop with the log-likelihood cost. The same MLP
from a random start (Nielsen's N(0, 1/n_in)) is trained with the same optimizer, batches and epochs
of fine-tuning: the "same budget" of supervised training (the pretraining's epochs come on top and
are counted in the printed seconds). Both test accuracies are printed; the DBN is not always ahead
at this budget, and the example says which one is.

**Writing** ("not only can it read digits, it can also write them", seed 003): a [64, 100, 200] DBN
on the binarised 8×8 digits whose top RBM also sees the one-hot label (``labels=10``). With the
label clamped, Gibbs sampling in the top RBM and one pass down give a digit of that class; the grid
``dbn_digits_written.png`` (one row per label) goes to ``--out-dir``, beside
``dbn_accuracy.png``, the test accuracy per fine-tuning epoch of both networks.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from synaptica import SGD, Backprop, fit
from synaptica.data import load_dataset
from synaptica.losses import LogLikelihoodCost
from synaptica.models.dbn import DeepBeliefNet
from synaptica.nn import mlp
from synaptica.nn.rbm import binarise
from synaptica.random import stream
from synaptica.viz.cnn import plot_image_grid
from synaptica.viz.curves import plot_curves


def read(args) -> dict:
    data = load_dataset("fashion-mnist")
    x, y = binarise(data.train.x[:args.examples].reshape(-1, 784)), data.train.y[:args.examples]
    test = (binarise(data.test.x.reshape(-1, 784)), data.test.y)
    started = time.perf_counter()
    net = DeepBeliefNet([784, *args.hidden], rng=args.seed)
    net.pretrain(x, epochs=args.pretrain_epochs, batch_size=10, learning_rate=args.pretrain_rate, rng=args.seed,
                 verbose=True)
    pretrained_seconds = time.perf_counter() - started
    curves, seconds = {}, {}
    for name, model in [("DBN, fine-tuned", net.to_mlp(10, rng=args.seed)),
                        ("same MLP, random start", mlp([784, *args.hidden, 10], "sigmoid", rng=args.seed))]:
        started = time.perf_counter()
        history = fit(model, Backprop(LogLikelihoodCost(), SGD(model.parameters(), args.learning_rate)), (x, y),
                      epochs=args.epochs, batch_size=10, rng=args.seed, validation=test)
        curves[name], seconds[name] = history.validation_accuracy, time.perf_counter() - started
    dbn, plain = (curves[name][-1] for name in curves)
    print(f"test accuracy after {args.epochs} epochs of fine-tuning: DBN {dbn:.4f} "
          f"(pretraining {pretrained_seconds:.0f} s + {seconds['DBN, fine-tuned']:.0f} s), "
          f"random start {plain:.4f} ({seconds['same MLP, random start']:.0f} s): "
          + ("the pretrained net is ahead" if dbn >= plain else "the pretrained net is NOT ahead at this budget"))
    plot_curves(curves, Path(args.out_dir) / "dbn_accuracy.png", ylabel="Test accuracy",
                title=f"[784, {', '.join(map(str, args.hidden))}, 10] sigmoid MLP on binarised Fashion-MNIST")
    return {"dbn": dbn, "random_start": plain, "curves": curves}


def write(args) -> np.ndarray:
    data = load_dataset("digits")
    x = binarise(np.concatenate([data.train.x, data.validation.x]).reshape(-1, 64))
    y = np.concatenate([data.train.y, data.validation.y])
    net = DeepBeliefNet([64, 100, 200], labels=10, rng=args.seed)
    net.pretrain(x, y, epochs=args.write_epochs, batch_size=10, learning_rate=0.05, rng=args.seed)
    labels = np.repeat(np.arange(10), 10)
    images = net.generate(labels, stream(args.seed, "writing"), steps=args.gibbs_steps)
    plot_image_grid(images.reshape(-1, 8, 8), Path(args.out_dir) / "dbn_digits_written.png", columns=10,
                    panel_inches=0.6, value_range=(0, 1),
                    title=f"Written by a DBN: row = clamped label 0–9, {args.gibbs_steps} Gibbs steps in the top RBM")
    print(f"wrote {len(images)} digits, ten of each label")
    return images


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[500, 500])
    parser.add_argument("--examples", type=int, default=50000)
    parser.add_argument("--pretrain-epochs", type=int, default=5)
    parser.add_argument("--pretrain-rate", type=float, default=0.05)
    parser.add_argument("--epochs", type=int, default=5, help="fine-tuning epochs, and the random start's")
    parser.add_argument("--learning-rate", type=float, default=0.03, help="fine-tuning η, and the random start's")
    parser.add_argument("--write-epochs", type=int, default=50)
    parser.add_argument("--gibbs-steps", type=int, default=1000)
    parser.add_argument("--only", choices=["read", "write"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default="docs/figures")
    args = parser.parse_args(argv)
    Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    result = {}
    if args.only != "read":
        result["written"] = write(args)
    if args.only != "write":
        result.update(read(args))
    return result


if __name__ == "__main__":
    main()
