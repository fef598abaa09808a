"""A variational auto-encoder with a discrete code, trained through Gumbel-softmax (Jang, Gu and
Poole 2017).

The code is N categorical variables of K classes each: p(z) is uniform over the K^N one-hot codes,
q(z | x) = Πₙ Categorical(softmax(ℓₙ(x))), the encoder giving the N × K logits ℓ. A discrete sample
has no gradient, so training draws the relaxed sample y = softmax((ℓ + g) / τ) (Gumbel noise g,
temperature τ) and feeds it to the decoder; with the rule's ``hard=True`` the decoder sees the one-hot arg-max
instead and the gradient passes straight through to y (the straight-through Gumbel estimator).
Annealing τ from 1 towards 0.5 during training (:func:`~synaptica.rules.variational.annealed_temperature`)
makes the relaxed samples ever closer to discrete ones.

The cost is the same −ELBO as the Gaussian VAE's, in nats per image (summed over pixels, averaged
over the batch), with the KL to the uniform prior in closed form, Σₙ Σₖ qₙₖ (log qₙₖ + log K).
:meth:`CategoricalVAE.negative_elbo` evaluates the bound with *discrete* samples (the Gumbel-max
trick, an exact sample of q), so its figure is the model's true −ELBO, comparable with the Gaussian
VAE's, whatever relaxation trained it.

``forward(x)`` is the reconstruction from the most likely code, σ(f(onehot(argmax ℓ(x)))).

Reference: E. Jang, S. Gu and B. Poole, "Categorical reparameterization with Gumbel-softmax", ICLR 2017.
"""

from __future__ import annotations

import numpy as np

from synaptica import ops
from synaptica.data.binarize import check_binary
from synaptica.errors import ShapeError
from synaptica.models.vae import bernoulli_log_likelihood
from synaptica.nn.builders import mlp
from synaptica.nn.module import Module
from synaptica.ops.elementwise import sigmoid_array
from synaptica.ops.sampling import gumbel_noise, one_hot_argmax
from synaptica.ops.softmax import log_softmax_array
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor, no_grad


class CategoricalVAE(Module):
    """x → encoder → N × K logits → (relaxed) one-hot code → decoder → Bernoulli logits of x.

    Args:
        encoder: a module giving ``variables × classes`` logits per example.
        decoder: a module from ``variables × classes`` inputs (the flattened one-hot code) to logits.
        variables, classes: N and K.
    """

    #: the rule must give a temperature τ for the Gumbel-softmax relaxation
    temperature_needed = True

    def __init__(self, encoder: Module, decoder: Module, variables: int, classes: int):
        self.encoder, self.decoder = encoder, decoder
        self.variables, self.classes = int(variables), int(classes)

    def logits(self, x: Tensor) -> Tensor:
        """ℓ(x), shape (batch, N, K)."""
        h = self.encoder(x)
        if h.ndim != 2 or h.shape[1] != self.variables * self.classes:
            raise ShapeError(f"CategoricalVAE: the encoder must give (batch, {self.variables} × {self.classes}) "
                             f"logits; it gave shape {h.shape}")
        return h.reshape(len(h.data), self.variables, self.classes)

    def decode(self, code: Tensor) -> Tensor:
        """The logits of p(x | z) for codes of shape (batch, N, K)."""
        return self.decoder(code.reshape(code.shape[0], self.variables * self.classes))

    def forward(self, x: Tensor) -> Tensor:
        """The reconstruction from the most likely code."""
        code = Tensor(one_hot_argmax(self.logits(x).data))
        return ops.sigmoid(self.decode(code))

    def elbo_terms(self, x: Tensor, noise: np.random.Generator, temperature: float,
                   hard: bool = False) -> tuple[Tensor, Tensor]:
        """−log p(x | z) with z a Gumbel-softmax sample at ``temperature`` (with ``hard``, its one-hot
        arg-max, the gradient passing straight through), and KL(q ‖ uniform): each the batch mean of
        a per-image sum, in nats."""
        check_binary(x.data, "CategoricalVAE")
        logits = self.logits(x)
        code = ops.gumbel_softmax(logits, gumbel_noise(logits.shape, noise, logits.dtype), temperature)
        if hard:
            code = ops.straight_through(code)
        reconstruction = ops.sigmoid_cross_entropy(self.decode(code), x.data, reduction="mean")
        return reconstruction, ops.categorical_kl(logits, reduction="mean")

    def negative_elbo(self, x: np.ndarray, rng: SeedLike = None, samples: int = 1) -> np.ndarray:
        """−ELBO of each binary image with discrete codes z ~ q (Gumbel-max), averaged over ``samples``
        draws, in nats per image."""
        x = np.asarray(x).reshape(len(x), -1)
        check_binary(x, "CategoricalVAE.negative_elbo")
        generator = as_generator(rng)
        dtype = self.decoder.parameters()[0].dtype
        with no_grad():
            logits = self.logits(Tensor(x.astype(dtype)))
            log_q = log_softmax_array(logits.data.astype(np.float64), axis=-1)
            kl = (np.exp(log_q) * (log_q + np.log(self.classes))).sum(axis=(1, 2))
            total = np.zeros(len(x))
            per_round = max(1, 50_000 // len(x)) if len(x) else 1  # decoder rows per round ≤ 50,000 or one image's
            for done in range(0, samples, per_round):
                draws = min(per_round, samples - done)
                code = one_hot_argmax(logits.data + gumbel_noise((draws, *logits.shape), generator, dtype))
                out = self.decode(Tensor(code.reshape(-1, self.variables, self.classes))).data
                total -= bernoulli_log_likelihood(out.reshape(draws, len(x), -1), x).sum(axis=0)
        return total / samples + kl

    def sample(self, n: int, rng: SeedLike = None) -> np.ndarray:
        """Pixel probabilities of ``n`` codes drawn from the uniform prior."""
        generator = as_generator(rng)
        dtype = self.decoder.parameters()[0].dtype
        picks = generator.integers(self.classes, size=(n, self.variables))
        code = np.eye(self.classes, dtype=dtype)[picks]
        with no_grad():
            return sigmoid_array(self.decode(Tensor(code)).data)

    def config(self) -> dict:
        return {"type": "CategoricalVAE", "encoder": self.encoder.config(), "decoder": self.decoder.config(),
                "variables": self.variables, "classes": self.classes}

    def __repr__(self) -> str:
        return (f"CategoricalVAE({self.variables} × {self.classes},\n  encoder {self.encoder!r}\n"
                f"  decoder {self.decoder!r}\n)")


def dense_categorical_vae(inputs: int, hidden: list[int], variables: int, classes: int, activation: str = "relu",
                          init: str = "he", rng: SeedLike = None, dtype=np.float32) -> CategoricalVAE:
    """Encoder ``inputs`` → ``hidden`` → N·K logits; decoder N·K → reversed ``hidden`` → ``inputs`` logits."""
    generator = as_generator(rng)
    code = variables * classes
    encoder = mlp([inputs, *hidden, code], activation, output_activation=None, init=init, rng=generator, dtype=dtype)
    decoder = mlp([code, *reversed(hidden), inputs], activation, output_activation=None, init=init, rng=generator,
                  dtype=dtype)
    return CategoricalVAE(encoder, decoder, variables, classes)
