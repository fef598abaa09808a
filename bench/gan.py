"""A GAN in synaptica and the same GAN in PyTorch, trained side by side on Fashion-MNIST, in one process.

    PYTHONPATH=src python bench/gan.py --model mlp --epochs 20
    PYTHONPATH=src python bench/gan.py --model dcgan --epochs 5 --threads 4
    PYTHONPATH=src python bench/gan.py --model mlp --epochs 2 --examples 10000   # a quick look

Both frameworks get the same architecture (:func:`synaptica.models.mlp_gan` or ``dcgan``, and its
PyTorch twin built layer by layer with a copy of the same initial weights), the same training images,
the same settings (Adam with η = ``--eta`` and β = (0.5, 0.999) for both players, mini-batches of
``--batch-size``, k = 1 discriminator step per generator step, the non-saturating generator cost,
N(0, I) noise) and the same thread limit. Each epoch, both are scored by the *same* judge: the
Fréchet distance between the test images and 1,000 samples (the same noise for both) in the feature
space of the library's cached Fashion-MNIST CNN (:func:`synaptica.train.sample_quality.fashion_classifier`),
with that CNN's mean confidence and the number of classes its arg-max reaches.

Printed: one line per epoch with both distances, then the last epoch's distance of each, the ratio
synaptica / PyTorch (the target: within 25 %, i.e. at most 1.25), and the median seconds per epoch
of each with their ratio (training only: scoring is not timed). ``--json`` saves it all, and
``--curve`` draws the two distance curves as a PNG.
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

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from synaptica import fit  # noqa: E402
from synaptica.models import dcgan, mlp_gan  # noqa: E402
from synaptica.nn import (  # noqa: E402
    BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Flatten, LeakyReLU, Sequential, Unflatten,
)
from synaptica.optim import Adam  # noqa: E402
from synaptica.parallel.blas import blas_threads  # noqa: E402
from synaptica.rules import Adversarial  # noqa: E402
from synaptica.train.sample_quality import SampleQuality, fashion_classifier  # noqa: E402


def _copy(target: torch.Tensor, source: np.ndarray) -> None:
    with torch.no_grad():
        target.copy_(torch.from_numpy(np.array(source, dtype=np.float32)))


def torch_layer(layer) -> nn.Module:
    """The PyTorch twin of one synaptica layer, with a copy of its weights."""
    if isinstance(layer, (Conv2d, ConvTranspose2d)):
        kind = nn.Conv2d if isinstance(layer, Conv2d) else nn.ConvTranspose2d
        extra = {} if isinstance(layer, Conv2d) else {"output_padding": layer.output_padding}
        twin = kind(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
                    bias=layer.bias is not None, **extra)
        _copy(twin.weight, layer.weight.data)
        if layer.bias is not None:
            _copy(twin.bias, layer.bias.data)
        return twin
    if isinstance(layer, (BatchNorm1d, BatchNorm2d)):
        twin = (nn.BatchNorm1d if isinstance(layer, BatchNorm1d) else nn.BatchNorm2d)(
            layer.features, eps=layer.eps, momentum=layer.momentum)
        _copy(twin.weight, layer.gamma.data)
        _copy(twin.bias, layer.beta.data)
        return twin
    if isinstance(layer, LeakyReLU):
        return nn.LeakyReLU(layer.negative_slope)
    if isinstance(layer, Unflatten):
        return nn.Unflatten(1, layer.shape)
    if isinstance(layer, Flatten):
        return nn.Flatten()
    return common.torch_twin(Sequential(layer))[0]  # Linear and the plain activations


def torch_twin(net: Sequential) -> nn.Sequential:
    return nn.Sequential(*[torch_layer(layer) for layer in net.layers])


class TorchGAN:
    """The same adversarial step in PyTorch: D on real and detached fake rows (one batch of 2n), then G
    with the non-saturating cost −mean ln D(G(z)); the noise from a torch Generator of its own."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, noise_size: int, eta: float, seed: int):
        self.generator, self.discriminator, self.noise_size = generator, discriminator, noise_size
        self.g_optimizer = torch.optim.Adam(generator.parameters(), lr=eta, betas=(0.5, 0.999))
        self.d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=eta, betas=(0.5, 0.999))
        self.noise = torch.Generator().manual_seed(seed)

    def step(self, real: torch.Tensor) -> None:
        n = len(real)
        with torch.no_grad():
            fake = self.generator(torch.randn(n, self.noise_size, generator=self.noise))
        logits = self.discriminator(torch.cat([real, fake]))
        labels = torch.cat([torch.ones(n, 1), torch.zeros(n, 1)])
        d_loss = 2.0 * F.binary_cross_entropy_with_logits(logits, labels)
        self.d_optimizer.zero_grad()
        d_loss.backward()
        self.d_optimizer.step()
        for p in self.discriminator.parameters():
            p.requires_grad_(False)
        logits = self.discriminator(self.generator(torch.randn(n, self.noise_size, generator=self.noise)))
        g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones(n, 1))
        self.g_optimizer.zero_grad()
        g_loss.backward()
        self.g_optimizer.step()
        for p in self.discriminator.parameters():
            p.requires_grad_(True)

    def epoch(self, x: np.ndarray, batch_size: int, order: np.ndarray) -> float:
        self.generator.train()
        self.discriminator.train()
        started = time.perf_counter()
        xs = torch.from_numpy(x[order])
        for start in range(0, len(xs), batch_size):
            self.step(xs[start:start + batch_size])
        return time.perf_counter() - started

    def samples(self, z: np.ndarray) -> np.ndarray:
        self.generator.eval()
        with torch.no_grad():
            return self.generator(torch.from_numpy(z)).numpy()


NAMES = {"mlp": "MLP GAN", "dcgan": "DCGAN"}


def build(args):
    if args.model == "mlp":
        return mlp_gan(args.noise, [int(h) for h in args.hidden.split(",")], rng=args.seed)
    return dcgan(args.noise, args.maps, rng=args.seed)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["mlp", "dcgan"], default="mlp")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--examples", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--eta", type=float, default=2e-4, help="Adam's learning rate, both players")
    parser.add_argument("--noise", type=int, default=64, help="noise dimensions")
    parser.add_argument("--hidden", default="256,256", help="the MLP GAN's hidden sizes")
    parser.add_argument("--maps", type=int, default=32, help="the DCGAN's feature maps")
    parser.add_argument("--samples", type=int, default=1000, help="samples scored each epoch")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads and torch threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", default=None, help="where the judging CNN is kept (default: the user cache)")
    parser.add_argument("--json", default=None, help="write the figures to this file")
    parser.add_argument("--curve", default=None, help="draw both Fréchet-distance curves to this PNG")
    parser.add_argument("--grid", default=None, help="draw 16 samples of each framework's last epoch to this PNG")
    args = parser.parse_args(argv)

    data = common.load("fashion-mnist")
    x = data.train.x[:args.examples]
    quality = SampleQuality(fashion_classifier(args.cache_dir), data.test.x, samples=args.samples, seed=args.seed)
    ours = build(args)
    theirs = TorchGAN(torch_twin(ours.generator), torch_twin(ours.discriminator), ours.noise_size, args.eta,
                      args.seed)
    rule = Adversarial(Adam(ours.generator.parameters(), args.eta, betas=(0.5, 0.999)),
                       Adam(ours.discriminator.parameters(), args.eta, betas=(0.5, 0.999)))
    z = ours.noise(args.samples, np.random.default_rng([args.seed, 1]))
    order = np.random.default_rng([args.seed, 2])
    torch.set_num_threads(args.threads)
    history = {"synaptica": [quality.scores(_predict(ours, z))],
               "pytorch": [quality.scores(theirs.samples(z))]}
    seconds = {"synaptica": [], "pytorch": []}
    print(f"{NAMES[args.model]}, {len(x)} images, batch {args.batch_size}, η {args.eta}, {args.threads} thread(s)")
    print("epoch  FD synaptica  FD PyTorch   classes s/p   s/epoch s/p")
    _line(-1, history, seconds)
    for epoch in range(args.epochs):
        with blas_threads(args.threads):
            started = time.perf_counter()
            fit(ours, rule, x, epochs=1, batch_size=args.batch_size, rng=args.seed + epoch, verbose=False, blas=None)
            seconds["synaptica"].append(time.perf_counter() - started)
        seconds["pytorch"].append(theirs.epoch(x, args.batch_size, order.permutation(len(x))))
        history["synaptica"].append(quality.scores(_predict(ours, z)))
        history["pytorch"].append(quality.scores(theirs.samples(z)))
        _line(epoch, history, seconds)

    final = {name: runs[-1]["samples_frechet"] for name, runs in history.items()}
    per_epoch = {name: common.median(values) for name, values in seconds.items()}
    ratio = final["synaptica"] / final["pytorch"]
    print(f"Fréchet distance after {args.epochs} epochs: synaptica {final['synaptica']:.2f}, "
          f"PyTorch {final['pytorch']:.2f}; synaptica/PyTorch {ratio:.3f} (target <= 1.25)")
    print(f"synaptica/PyTorch: s/epoch {per_epoch['synaptica']:.2f} / {per_epoch['pytorch']:.2f} = "
          f"{per_epoch['synaptica'] / per_epoch['pytorch']:.2f}")
    record = {"settings": vars(args), "history": history, "seconds": seconds, "frechet_ratio": ratio,
              "environment": common.environment()}
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=1))
    if args.curve:
        from synaptica.viz.curves import plot_curves

        labels = {"synaptica": "synaptica", "pytorch": "PyTorch"}
        plot_curves({labels[name]: [row["samples_frechet"] for row in runs] for name, runs in history.items()},
                    args.curve,
                    epochs=list(range(args.epochs + 1)), title=f"{NAMES[args.model]} on Fashion-MNIST",
                    xlabel="Epochs trained", ylabel="Fréchet distance (CNN features)")
    if args.grid:
        from synaptica.viz.cnn import plot_image_rows

        rows = {"synaptica": _predict(ours, z[:16]), "PyTorch": theirs.samples(z[:16])}
        plot_image_rows({name: images.reshape(-1, 28, 28) for name, images in rows.items()}, args.grid,
                        title=f"{NAMES[args.model]} after {args.epochs} epochs (the same noise)")
    return record


def _predict(model, z: np.ndarray) -> np.ndarray:
    from synaptica.train import predict

    return predict(model, z, workers=1)


def _line(epoch: int, history: dict, seconds: dict) -> None:
    ours, theirs = history["synaptica"][-1], history["pytorch"][-1]
    timing = (f"{seconds['synaptica'][-1]:7.1f} {seconds['pytorch'][-1]:6.1f}" if seconds["synaptica"] else "")
    print(f"{epoch + 1:5d}  {ours['samples_frechet']:12.2f}  {theirs['samples_frechet']:10.2f}   "
          f"{ours['samples_classes']:4.0f} {theirs['samples_classes']:3.0f}   {timing}", flush=True)


if __name__ == "__main__":
    main()
