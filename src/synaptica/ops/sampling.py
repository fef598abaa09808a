"""Making sampling differentiable: the reparameterisation trick, Gumbel-softmax, straight-through,
and the closed-form KL divergences the variational auto-encoders need (seed 002: "make all the
things differentiable").

A sample z ~ q(z | x) has no gradient with respect to the parameters of q. Each op here moves the
randomness into noise drawn *outside* the graph (the caller passes the noise array, drawn from its
own Generator), so that z becomes a deterministic, differentiable function of q's parameters:

- Gaussian (Kingma and Welling 2014): z = μ + σ ⊙ ε, ε ~ N(0, I), σ = exp(½ log σ²).
- Categorical, relaxed (Jang, Gu and Poole 2017; Maddison et al. 2017): y = softmax((ℓ + g) / τ)
  with g = −log(−log u), u ~ U(0, 1) (Gumbel noise). As τ → 0 the sample approaches the one-hot
  vector of argmax(ℓ + g), which is an exact sample of Categorical(softmax(ℓ)) (the Gumbel-max trick).
- Straight-through (Bengio, Léonard and Courville 2013): forward the hard one-hot of a soft sample,
  backward as if it were the identity, ∂hard/∂soft := I (a biased but useful gradient).

References: D. P. Kingma and M. Welling, "Auto-encoding variational Bayes", ICLR 2014; E. Jang,
S. Gu and B. Poole, "Categorical reparameterization with Gumbel-softmax", ICLR 2017; Y. Bengio,
N. Léonard and A. Courville, "Estimating or propagating gradients through stochastic neurons for
conditional computation", arXiv:1308.3432, 2013.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.ops.softmax import log_softmax_array, softmax_array
from synaptica.tensor import Tensor


def gaussian_noise(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """ε ~ N(0, I) of ``shape``, from ``rng`` (the noise of :func:`reparameterize`)."""
    return rng.standard_normal(shape, dtype=np.float64).astype(dtype, copy=False)


def gumbel_noise(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """g = −log(−log u), u ~ U(0, 1), of ``shape``, from ``rng`` (the noise of :func:`gumbel_softmax`).

    u is drawn in float64 as 1 − U[0, 1), in (0, 1], and kept below 1 − 1e-12, so both logs are finite."""
    u = 1.0 - rng.random(shape)  # (0, 1]
    u = np.minimum(u, 1.0 - 1e-12)  # keep −log u > 0
    return (-np.log(-np.log(u))).astype(dtype, copy=False)


def _same_shape(op: str, first: Tensor, second, names: tuple[str, str]) -> None:
    shape = second.shape if hasattr(second, "shape") else np.shape(second)
    if first.shape != tuple(shape):
        raise ShapeError(f"{op}: {names[0]} of shape {first.shape} and {names[1]} of shape {tuple(shape)} must agree")


def reparameterize(mu: Tensor, log_var: Tensor, eps: np.ndarray) -> Tensor:
    """z = μ + exp(½ log σ²) ⊙ ε: a sample of N(μ, σ²) that is differentiable in μ and log σ².

    ``eps`` is the standard normal noise (an array, not differentiated; :func:`gaussian_noise`).
    vjp: ∂z/∂μ = 1 and ∂z/∂log σ² = ½ σ ⊙ ε, so gᵤ = g and g_logσ² = ½ g ⊙ σ ⊙ ε.
    """
    _same_shape("reparameterize", mu, log_var, ("mu", "log_var"))
    _same_shape("reparameterize", mu, eps, ("mu", "eps"))
    sigma_eps = np.exp(0.5 * log_var.data) * np.asarray(eps, dtype=mu.dtype)
    z = mu.data + sigma_eps

    def vjp(g):
        return g, 0.5 * g * sigma_eps

    return Tensor.from_op(z, (mu, log_var), vjp, "reparameterize")


def _batch_scale(x: np.ndarray, reduction: str) -> float:
    if reduction == "mean":
        return 1.0 / len(x) if x.ndim and len(x) else 1.0
    if reduction == "sum":
        return 1.0
    raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")


def gaussian_kl(mu: Tensor, log_var: Tensor, reduction: str = "mean") -> Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) in closed form, summed over the latent units (the last axis):

        KL = ½ Σⱼ (μⱼ² + σⱼ² − 1 − log σⱼ²)

    then averaged over the batch (``"mean"``, the first axis) or added up (``"sum"``). In nats.
    vjp: ∂KL/∂μ = μ and ∂KL/∂log σ² = ½ (σ² − 1), times the batch scale.
    """
    _same_shape("gaussian_kl", mu, log_var, ("mu", "log_var"))
    scale = _batch_scale(mu.data, reduction)
    var = np.exp(log_var.data)
    total = 0.5 * scale * float(np.sum(mu.data * mu.data + var - 1.0 - log_var.data, dtype=np.float64))

    def vjp(g):
        s = float(g) * scale
        return mu.data * s, 0.5 * (var - 1.0) * s

    return Tensor.from_op(np.asarray(total, dtype=mu.dtype), (mu, log_var), vjp, "gaussian_kl")


def categorical_kl(logits: Tensor, reduction: str = "mean") -> Tensor:
    """KL(q ‖ Uniform(K)) of categorical distributions q = softmax(ℓ) over the last axis (K classes),
    summed over all the other axes but the first (the batch), then averaged or added over it:

        KL = Σₖ qₖ (log qₖ + log K)

    vjp: ∂KL/∂ℓⱼ = qⱼ (log qⱼ − Σₖ qₖ log qₖ) (the log K term is constant on the simplex).
    """
    x = logits.data
    if x.ndim < 1 or x.shape[-1] < 1:
        raise ShapeError(f"categorical_kl expects logits with a non-empty last axis of classes, got {x.shape}")
    scale = _batch_scale(x, reduction)
    log_q = log_softmax_array(x, axis=-1)
    q = np.exp(log_q)
    q_log_q = q * log_q
    total = scale * float(np.sum(q_log_q, dtype=np.float64) + np.log(x.shape[-1]) * (x.size // x.shape[-1]))

    def vjp(g):
        return (q * (log_q - q_log_q.sum(axis=-1, keepdims=True)) * (float(g) * scale),)

    return Tensor.from_op(np.asarray(total, dtype=x.dtype), (logits,), vjp, "categorical_kl")


def gumbel_softmax(logits: Tensor, gumbels: np.ndarray, temperature: float) -> Tensor:
    """y = softmax((ℓ + g) / τ) over the last axis: a relaxed one-hot sample of Categorical(softmax ℓ).

    ``gumbels`` is the Gumbel noise (:func:`gumbel_noise`), ``temperature`` τ > 0: small τ gives
    nearly one-hot samples with high-variance gradients, large τ smooth samples close to uniform.
    vjp: the softmax vjp divided by τ, gℓ = y ⊙ (g − Σ g ⊙ y) / τ.
    """
    tau = float(temperature)
    if not tau > 0:
        raise ValueError(f"gumbel_softmax: the temperature must be > 0, got {temperature}")
    _same_shape("gumbel_softmax", logits, gumbels, ("logits", "gumbels"))
    y = softmax_array((logits.data + np.asarray(gumbels, dtype=logits.dtype)) / tau, axis=-1)

    def vjp(g):
        return (y * (g - (g * y).sum(axis=-1, keepdims=True)) / tau,)

    return Tensor.from_op(y, (logits,), vjp, "gumbel_softmax")


def one_hot_argmax(x: np.ndarray) -> np.ndarray:
    """The one-hot vector of the arg-max along the last axis (the first on a tie), in x's dtype."""
    hot = np.zeros_like(x)
    if x.size:
        np.put_along_axis(hot, x.argmax(axis=-1)[..., None], 1.0, axis=-1)
    return hot


def straight_through(soft: Tensor) -> Tensor:
    """Forward the one-hot of argmax(soft) over the last axis; backward the gradient unchanged.

    The straight-through estimator: the hard sample's true derivative is zero almost everywhere, so
    the backward pass pretends the op is the identity, ∂C/∂soft := ∂C/∂hard. Written in PyTorch as
    ``hard - soft.detach() + soft``. With ``soft`` a :func:`gumbel_softmax` sample this is the
    "straight-through Gumbel-softmax" estimator of Jang et al. (2017): discrete samples forward,
    the relaxation's gradient backward.
    """
    return Tensor.from_op(one_hot_argmax(soft.data), (soft,), lambda g: (g,), "straight_through")
