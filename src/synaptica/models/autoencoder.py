"""The autoencoder: a network trained to reproduce its input through a narrow code."""

from __future__ import annotations

import numpy as np

from synaptica.nn.builders import mlp
from synaptica.nn.module import Module
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor


class Autoencoder(Module):
    """x → encoder → code h → decoder → x̂, trained so that x̂ ≈ x.

    The code has fewer units than the input, so the network must find a compact description of the
    data: with linear layers and the quadratic cost the best code spans the same space as the first
    principal components (Baldi and Hornik 1989), and with nonlinear layers it can do better than
    PCA at the same size. The encoder is then a feature extractor (seed 004) and the decoder a
    generator of inputs from codes (seed 000's "autoencoders" under unsupervised learning).

    ``forward(x)`` is the reconstruction x̂, the inference path, so ``predict``, ``evaluate`` with
    :class:`~synaptica.train.Reconstruction`, saving and the rules work unchanged; :meth:`encode`
    and :meth:`decode` reach the two halves. Train it with ``fit`` on inputs alone, whose target is
    the input itself::

        model = dense_autoencoder(784, [256], 32, rng=0)
        rule = Backprop(QuadraticCost(), Adam(model.parameters(), 1e-3))
        fit(model, rule, x_train, epochs=20, batch_size=64, rng=0,
            evaluators=[Reconstruction(x_validation, QuadraticCost())],
            callbacks=[EarlyStopping("validation_cost", mode="min", restore_best=True)])

    A *denoising* autoencoder (Vincent et al. 2008) is the same network trained to restore corrupted
    inputs: the batch source corrupts the inputs and never the targets (:mod:`synaptica.data.noise`)::

        fit(model, rule, ArraySource(x_train, x_train, batch_size=64, augment=MaskingNoise(0.3)),
            epochs=20, rng=0, evaluators=[Reconstruction(x_validation, QuadraticCost())])

    Deep stacks are more ``hidden`` sizes (``dense_autoencoder(784, [512, 256], 64)``). The codes of
    many inputs, as a NumPy array computed in batches, are ``predict(model.encoder, x)``: features
    for another model (``examples/denoising_features.py`` puts a linear classifier on them).

    Reference: Hinton and Salakhutdinov, "Reducing the dimensionality of data with neural networks",
    Science 313, 2006; P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol, "Extracting and
    composing robust features with denoising autoencoders", ICML 2008; P. Baldi and K. Hornik, "Neural
    networks and principal component analysis: learning from examples without local minima", Neural
    Networks 2, 1989.
    """

    def __init__(self, encoder: Module, decoder: Module):
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, x: Tensor) -> Tensor:
        """The code h of each input."""
        return self.encoder(x)

    def decode(self, code: Tensor) -> Tensor:
        """The reconstruction x̂ of each code."""
        return self.decoder(code)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))

    def config(self) -> dict:
        return {"type": "Autoencoder", "encoder": self.encoder.config(), "decoder": self.decoder.config()}

    def __repr__(self) -> str:
        return f"Autoencoder(\n  encoder {self.encoder!r}\n  decoder {self.decoder!r}\n)"


def dense_autoencoder(inputs: int, hidden: list[int], code: int, activation: str = "relu",
                      init: str = "he", rng: SeedLike = None, dtype=np.float32) -> Autoencoder:
    """A fully connected autoencoder, the decoder the mirror image of the encoder.

    Encoder: ``inputs`` → ``hidden`` (each with ``activation``) → ``code`` (linear: the code may take
    any value). Decoder: ``code`` → reversed ``hidden`` → ``inputs`` with a sigmoid, so x̂ lies in
    [0, 1] like the pixels. ``dense_autoencoder(784, [256], 32)`` is 784-256-32-256-784.
    """
    generator = as_generator(rng)
    encoder = mlp([inputs, *hidden, code], activation, output_activation=None, init=init, rng=generator, dtype=dtype)
    decoder = mlp([code, *reversed(hidden), inputs], activation, output_activation="sigmoid", init=init,
                  rng=generator, dtype=dtype)
    return Autoencoder(encoder, decoder)
