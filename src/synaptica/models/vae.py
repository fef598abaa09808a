"""The variational auto-encoder (Kingma and Welling 2014) with a Gaussian code and a Bernoulli decoder.

Generative model: z ~ p(z) = N(0, I) in L dimensions, then each pixel xᵢ ~ Bernoulli(σ(fᵢ(z))), f the
decoder (it outputs logits). Recognition model: q(z | x) = N(μ(x), diag σ²(x)), the encoder giving
μ and log σ² side by side (its output has 2L units: the first L are μ, the last L are log σ²).

Training maximises the evidence lower bound, for each image x

    log p(x) ≥ ELBO(x) = E_q[log p(x | z)] − KL(q(z | x) ‖ p(z)),

estimating the expectation with one reparameterised sample z = μ + σ ⊙ ε (:mod:`synaptica.ops.sampling`)
and computing the KL in closed form. **Convention** (a known source of confusion when comparing
numbers): every figure here is in *nats per image*: log p(x | z) is *summed* over the pixels, and the
cost of a batch, −ELBO, is the *mean* of that per-image sum over the images of the batch. (Libraries
that average over pixels too report numbers 784 times smaller for 28×28 images, and their KL weight
is then silently 784 times too large.)

The test log-likelihood is estimated by importance sampling with q as the proposal (Burda, Grosse
and Salakhutdinov 2016, the IWAE bound with k samples), computed stably with log-sum-exp:

    log p(x) ≈ log (1/k) Σⱼ p(x | zⱼ) p(zⱼ) / q(zⱼ | x),  zⱼ ~ q(z | x),

a lower bound in expectation that tightens to log p(x) as k grows (k = 1 is the ELBO).

``forward(x)`` is the inference path: the reconstruction σ(f(μ(x))), the decoder's pixel
probabilities at the code's mean, so ``predict``, saving, ONNX export and the web page work
unchanged. Training reaches :meth:`VAE.elbo_terms` through the rule
(:class:`~synaptica.rules.Variational`), which owns the random stream of the noise ε.

References: D. P. Kingma and M. Welling, "Auto-encoding variational Bayes", ICLR 2014; Y. Burda,
R. Grosse and R. Salakhutdinov, "Importance weighted autoencoders", ICLR 2016.
"""

from __future__ import annotations

import math

import numpy as np

from synaptica import ops
from synaptica.data.binarize import check_binary
from synaptica.errors import FormatError, ShapeError
from synaptica.nn.builders import mlp
from synaptica.nn.module import Module
from synaptica.ops.elementwise import sigmoid_array, softplus_array
from synaptica.ops.sampling import gaussian_noise
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor, no_grad

LOG_2PI = math.log(2.0 * math.pi)


def bernoulli_log_likelihood(logits: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log p(x | logits) = Σᵢ xᵢ ℓᵢ − softplus(ℓᵢ) over the last axis, summed in float64; stable."""
    return (x * logits - softplus_array(logits)).sum(axis=-1, dtype=np.float64)


class VAE(Module):
    """x → encoder → (μ, log σ²) → z = μ + σ ⊙ ε → decoder → Bernoulli logits of x.

    Args:
        encoder: a module whose output has 2L units per example: μ (the first L) and log σ².
        decoder: a module from L units to the logits of the pixels (no sigmoid: the likelihood takes
            logits, and ``forward`` applies the sigmoid).
    """

    #: the rule gives this model no temperature (only the relaxed categorical code has one)
    temperature_needed = False

    def __init__(self, encoder: Module, decoder: Module):
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """μ and log σ² of q(z | x), each (batch, L)."""
        h = self.encoder(x)
        if h.ndim != 2 or h.shape[1] % 2:
            raise ShapeError(f"VAE: the encoder must give (batch, 2 × latent) values, μ then log σ²; "
                             f"it gave shape {h.shape}")
        mu, log_var = ops.split(h, 2, axis=1)
        return mu, log_var

    def decode(self, z: Tensor) -> Tensor:
        """The logits of p(x | z), one per pixel."""
        return self.decoder(z)

    def forward(self, x: Tensor) -> Tensor:
        """The reconstruction: the pixel probabilities σ(f(μ(x))) at the mean of the code."""
        return ops.sigmoid(self.decode(self.encode(x)[0]))

    def elbo_terms(self, x: Tensor, noise: np.random.Generator) -> tuple[Tensor, Tensor]:
        """The two terms of −ELBO for a batch of binary images, each the mean over the batch of a
        per-image sum (nats per image): the reconstruction cost −log p(x | z), z one reparameterised
        sample drawn with ``noise``, and KL(q(z | x) ‖ N(0, I)). Their sum is the cost to minimise.

        Raises:
            ValueError: x holds values other than 0 and 1 (its shape and the first such value named).
        """
        check_binary(x.data, "VAE")
        mu, log_var = self.encode(x)
        z = ops.reparameterize(mu, log_var, gaussian_noise(mu.shape, noise, mu.dtype))
        reconstruction = ops.sigmoid_cross_entropy(self.decode(z), x.data, reduction="mean")
        return reconstruction, ops.gaussian_kl(mu, log_var, reduction="mean")

    def latent_size(self) -> int:
        """L, the number of latent units (from the decoder's first layer's inputs)."""
        return _input_size(self.decoder)

    def sample(self, n: int, rng: SeedLike = None, z: np.ndarray | None = None) -> np.ndarray:
        """Pixel probabilities σ(f(z)) of ``n`` codes drawn from the prior N(0, I), or of the codes ``z``."""
        dtype = self.decoder.parameters()[0].dtype
        if z is None:
            z = as_generator(rng).standard_normal((n, self.latent_size()))
        with no_grad():
            return sigmoid_array(self.decode(Tensor(np.asarray(z, dtype=dtype))).data)

    def log_likelihood(self, x: np.ndarray, samples: int = 1000, rng: SeedLike = None,
                       batch_size: int = 10) -> np.ndarray:
        """log p(x) of each binary image, estimated by importance sampling with ``samples`` draws from
        q(z | x) per image (nats per image; see the module docstring). Computed ``batch_size`` images
        at a time (``batch_size × samples`` decoder rows at once), in float64 from the log-weights on.

        Raises:
            ValueError: x is not binary, or ``samples`` < 1.
        """
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise ValueError(f"VAE.log_likelihood: samples must be an integer >= 1, got {samples!r}")
        x = np.asarray(x).reshape(len(x), -1)
        check_binary(x, "VAE.log_likelihood")
        generator = as_generator(rng)
        dtype = self.decoder.parameters()[0].dtype
        result = np.empty(len(x))
        with no_grad():
            for start in range(0, len(x), batch_size):
                chunk = x[start:start + batch_size].astype(dtype)
                mu, log_var = (t.data.astype(np.float64) for t in self.encode(Tensor(chunk)))
                eps = generator.standard_normal((len(chunk), samples, mu.shape[1]))
                z = mu[:, None] + np.exp(0.5 * log_var)[:, None] * eps  # (batch, samples, L)
                logits = self.decode(Tensor(z.reshape(-1, z.shape[-1]).astype(dtype))).data
                log_px_z = bernoulli_log_likelihood(logits.reshape(len(chunk), samples, -1), chunk[:, None])
                log_pz = -0.5 * (z * z + LOG_2PI).sum(axis=-1)
                log_qz = -0.5 * (eps * eps + LOG_2PI + log_var[:, None]).sum(axis=-1)
                result[start:start + len(chunk)] = log_mean_exp(log_px_z + log_pz - log_qz, axis=1)
        return result

    def negative_elbo(self, x: np.ndarray, rng: SeedLike = None, samples: int = 1) -> np.ndarray:
        """−ELBO of each binary image, its expectation estimated with ``samples`` draws of z (nats per image)."""
        generator = as_generator(rng)
        return -np.mean([self.log_likelihood(x, 1, generator, batch_size=1000) for _ in range(samples)], axis=0)

    def config(self) -> dict:
        return {"type": "VAE", "encoder": self.encoder.config(), "decoder": self.decoder.config()}

    def __repr__(self) -> str:
        return f"VAE(\n  encoder {self.encoder!r}\n  decoder {self.decoder!r}\n)"


def log_mean_exp(a: np.ndarray, axis: int) -> np.ndarray:
    """log (1/k) Σⱼ exp(aⱼ) along ``axis``, k its length, computed as m + log mean exp(a − m), m = max."""
    m = a.max(axis=axis, keepdims=True)
    return (m + np.log(np.mean(np.exp(a - m), axis=axis, keepdims=True))).squeeze(axis)


def _input_size(module: Module) -> int:
    first = module
    while hasattr(first, "layers") and first.layers:
        first = first.layers[0]
    if not hasattr(first, "in_features"):
        raise ValueError(f"cannot tell the input size of {module!r}; start it with a Linear layer")
    return int(first.in_features)


def dense_vae(inputs: int, hidden: list[int], latent: int, activation: str = "relu", init: str = "he",
              rng: SeedLike = None, dtype=np.float32) -> VAE:
    """A fully connected VAE: encoder ``inputs`` → ``hidden`` → 2·``latent`` (μ, log σ²), decoder
    ``latent`` → reversed ``hidden`` → ``inputs`` logits. ``dense_vae(784, [256], 16)`` is
    784-256-(16+16) and 16-256-784."""
    generator = as_generator(rng)
    encoder = mlp([inputs, *hidden, 2 * latent], activation, output_activation=None, init=init, rng=generator,
                  dtype=dtype)
    decoder = mlp([latent, *reversed(hidden), inputs], activation, output_activation=None, init=init,
                  rng=generator, dtype=dtype)
    return VAE(encoder, decoder)


def variational_from_config(config: dict, source: str, path: str, build) -> Module:
    """A :class:`VAE` or :class:`~synaptica.models.categorical_vae.CategoricalVAE` from its saved
    architecture; ``build(config, path)`` builds each half (the registry's walk, with its checks)."""
    from synaptica.models.categorical_vae import CategoricalVAE

    kind = config["type"]
    if kind == "VAE":
        if set(config) != {"type", "encoder", "decoder"}:
            raise FormatError(f"{source}: {path} (VAE) needs exactly an 'encoder' and a 'decoder'")
        return VAE(build(config["encoder"], f"{path}.encoder"), build(config["decoder"], f"{path}.decoder"))
    if set(config) != {"type", "encoder", "decoder", "variables", "classes"}:
        raise FormatError(f"{source}: {path} (CategoricalVAE) needs exactly an 'encoder', a 'decoder', "
                          "'variables' and 'classes'")
    sizes = (config["variables"], config["classes"])
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in sizes):
        raise FormatError(f"{source}: {path} (CategoricalVAE) 'variables' and 'classes' must be integers >= 1, "
                          f"got {sizes[0]!r} and {sizes[1]!r}")
    return CategoricalVAE(build(config["encoder"], f"{path}.encoder"), build(config["decoder"], f"{path}.decoder"),
                          *sizes)
