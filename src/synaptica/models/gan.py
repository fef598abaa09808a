"""Generative adversarial networks: a generator and a discriminator in one model.

The generator G maps noise z ~ N(0, I) to samples; the discriminator D maps a sample to the logit
of the probability that it came from the data rather than from G. Training (the rule
:class:`~synaptica.rules.Adversarial`) plays the two against each other (Goodfellow et al. 2014):

    min_G max_D  E_x[ln D(x)] + E_z[ln(1 − D(G(z)))]

``forward(z)`` is the generator, noise → samples: the model's inference path, so ``predict`` turns
noise into images, and saving, loading and ONNX export keep the generator (with the discriminator
saved beside it, exported not at all). :meth:`discriminate` reaches the discriminator, which the
rule calls. Samples are made in the data's own layout: flat rows of pixels for Fashion-MNIST, so a
DCGAN's generator ends in a Flatten and its discriminator starts with an Unflatten.

Two builders make the networks of the docs: :func:`mlp_gan` (fully connected, Goodfellow et al.
2014) and :func:`dcgan` (transposed convolutions with batch norm in G, strided convolutions with
leaky ReLU in D; Radford et al. 2016), both sized for 28 × 28 grey images.

References: I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville
and Y. Bengio, "Generative adversarial nets", NeurIPS 2014; A. Radford, L. Metz and S. Chintala,
"Unsupervised representation learning with deep convolutional generative adversarial networks",
ICLR 2016.
"""

from __future__ import annotations

import math

import numpy as np

from synaptica.checks import positive_int, positive_ints
from synaptica.errors import ShapeError
from synaptica.nn.activation import LeakyReLU, ReLU, Sigmoid
from synaptica.nn.batch_norm import BatchNorm1d, BatchNorm2d
from synaptica.nn.containers import Sequential
from synaptica.nn.conv import Conv2d, Flatten
from synaptica.nn.conv_transpose import ConvTranspose2d
from synaptica.nn.linear import Linear
from synaptica.nn.module import Module, model_dtype
from synaptica.nn.unflatten import Unflatten
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor, no_grad


def first_input_shape(module: Module) -> tuple:
    """The per-example input shape ``module`` takes (None where any size fits)."""
    from synaptica.io.onnx_export import input_shape  # the registry's one reading of a first layer

    return input_shape(module)


class GAN(Module):
    """A generator G (noise → sample) and a discriminator D (sample → one logit).

    Args:
        generator: takes (batch, noise_size) noise; its output is one sample per row.
        discriminator: takes the generator's samples (and the data), gives (batch, 1) logits.

    Raises:
        ShapeError: the generator's samples are not the shape the discriminator takes (both named).
    """

    def __init__(self, generator: Module, discriminator: Module):
        self.generator = generator
        self.discriminator = discriminator
        noise = first_input_shape(generator)
        if len(noise) != 1 or noise[0] is None:
            raise ShapeError(f"GAN: the generator must take flat noise (batch, noise_size), but it takes {noise}")
        self.noise_size = int(noise[0])
        self._check_shapes()

    def _check_shapes(self) -> None:
        """Run two noise vectors through G and D (in evaluation mode, recording nothing)."""
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                sample = self.generator(Tensor(np.zeros((2, self.noise_size), model_dtype(self.generator))))
                try:
                    expected = first_input_shape(self.discriminator)
                except ValueError:
                    expected = None
                fits = expected is None or (len(expected) == sample.ndim - 1 and all(
                    e is None or e == s for e, s in zip(expected, sample.shape[1:])))
                if fits:
                    try:
                        logits = self.discriminator(sample)
                    except ShapeError:
                        fits = False
                if not fits:
                    raise ShapeError(
                        f"GAN: the generator makes samples of shape {tuple(sample.shape[1:])} "
                        f"({math.prod(sample.shape[1:])} numbers) but the discriminator takes inputs of shape "
                        f"{expected}; make the generator's last layer give what the discriminator's first takes")
                if logits.shape != (2, 1):
                    raise ShapeError(f"GAN: the discriminator must give one logit per sample, (batch, 1), "
                                     f"but gives {tuple(logits.shape[1:])} per sample")
        finally:
            self.train(was_training)

    def forward(self, z: Tensor) -> Tensor:
        """Samples G(z) for noise z: the inference path."""
        return self.generator(z)

    def generate(self, z: Tensor) -> Tensor:
        """The same as ``forward``: G(z)."""
        return self.generator(z)

    def discriminate(self, x: Tensor) -> Tensor:
        """D's logits, (batch, 1): ln(p / (1 − p)) with p the probability that x is data."""
        return self.discriminator(x)

    def noise(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n noise vectors z ~ N(0, I) in the generator's dtype, drawn from ``rng``."""
        return rng.standard_normal((n, self.noise_size)).astype(model_dtype(self.generator))

    def config(self) -> dict:
        return {"type": "GAN", "generator": self.generator.config(), "discriminator": self.discriminator.config()}

    def __repr__(self) -> str:
        return f"GAN(\n  generator {self.generator!r}\n  discriminator {self.discriminator!r}\n)"


def mlp_gan(noise_size: int = 64, hidden: list[int] = (256, 256), image_size: int = 784, rng: SeedLike = None,
            dtype=np.float32) -> GAN:
    """Fully connected G and D (Goodfellow et al. 2014, with ReLU and leaky ReLU units).

    G: noise → hidden (ReLU) → image_size (sigmoid: pixels in [0, 1]).
    D: image_size → reversed hidden (leaky ReLU, slope 0.2) → 1 logit.
    """
    noise_size = positive_int("mlp_gan", "noise_size", noise_size)
    hidden = positive_ints("mlp_gan", "hidden", hidden, "[256, 256]")
    generator = as_generator(rng)
    g_layers: list[Module] = []
    for n_in, n_out in zip([noise_size, *hidden], hidden):
        g_layers += [Linear(n_in, n_out, rng=generator, dtype=dtype), ReLU()]
    g_layers += [Linear(([noise_size, *hidden])[-1], image_size, init="xavier", rng=generator, dtype=dtype), Sigmoid()]
    d_sizes = [image_size, *reversed(hidden)]
    d_layers: list[Module] = []
    for n_in, n_out in zip(d_sizes, d_sizes[1:]):
        d_layers += [Linear(n_in, n_out, rng=generator, dtype=dtype), LeakyReLU(0.2)]
    d_layers.append(Linear(d_sizes[-1], 1, init="xavier", rng=generator, dtype=dtype))
    return GAN(Sequential(g_layers), Sequential(d_layers))


def dcgan(noise_size: int = 64, maps: int = 32, rng: SeedLike = None, dtype=np.float32) -> GAN:
    """A small DCGAN for 28 × 28 grey images, as rows of 784 pixels (Radford et al. 2016).

    G: noise → Linear → 2·maps × 7 × 7 (batch norm, ReLU) → ConvTranspose 4×4 stride 2 → maps × 14 × 14
    (batch norm, ReLU) → ConvTranspose 4×4 stride 2 → 1 × 28 × 28 (sigmoid) → 784.
    D: 784 → 1 × 28 × 28 → Conv 4×4 stride 2 → maps × 14 × 14 (leaky ReLU 0.2) → Conv 4×4 stride 2 →
    2·maps × 7 × 7 (leaky ReLU 0.2) → Linear → 1 logit. No batch norm in D, so its score of a sample
    does not depend on the rest of the batch.
    """
    noise_size = positive_int("dcgan", "noise_size", noise_size)
    maps = positive_int("dcgan", "maps", maps)
    g = as_generator(rng)
    wide = 2 * maps
    generator = Sequential(
        Linear(noise_size, wide * 49, rng=g, dtype=dtype), BatchNorm1d(wide * 49, dtype=dtype), ReLU(),
        Unflatten((wide, 7, 7)),
        ConvTranspose2d(wide, maps, 4, stride=2, padding=1, rng=g, dtype=dtype), BatchNorm2d(maps, dtype=dtype),
        ReLU(),
        ConvTranspose2d(maps, 1, 4, stride=2, padding=1, init="xavier", rng=g, dtype=dtype), Sigmoid(), Flatten())
    discriminator = Sequential(
        Unflatten((1, 28, 28)), Conv2d(1, maps, 4, stride=2, padding=1, rng=g, dtype=dtype), LeakyReLU(0.2),
        Conv2d(maps, wide, 4, stride=2, padding=1, rng=g, dtype=dtype), LeakyReLU(0.2), Flatten(),
        Linear(wide * 49, 1, init="xavier", rng=g, dtype=dtype))
    return GAN(generator, discriminator)
