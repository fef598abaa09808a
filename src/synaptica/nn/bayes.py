"""Bayes by backprop (Blundell et al. 2015): a fully connected layer with a distribution over its weights.

Each weight is not a number but a Gaussian q(w | θ) = N(μ, σ²), with θ = (μ, ρ) learned and
σ = ln(1 + e^ρ) (softplus, so σ > 0 for any ρ). Training minimises the variational free energy

    F(θ) = KL[q(w | θ) ‖ P(w)] − E_q[ln P(D | w)]

by gradient descent on θ, with a Monte Carlo estimate of both terms from one weight sample per
mini-batch, drawn by reparameterisation so that plain backprop gives the gradient:

    ε ~ N(0, I),   w = μ + σ ⊙ ε       (ε from the layer's own random stream)

What this file holds, and how the pieces meet plain :class:`~synaptica.rules.Backprop`:

- :class:`BayesLinear`. In training mode its forward draws w and computes z = x wᵀ + b with it,
  and keeps the sample; :meth:`BayesLinear.kl_divergence` then gives the layer's KL term for the
  step, estimated on that sample. In evaluation mode (``predict``, ``evaluate``, ONNX export) its
  forward uses the mean weights μ: one deterministic network, the "most likely" one. To average the
  predictions of K sampled networks instead, use :func:`synaptica.train.calibration.predictive_probabilities`,
  which draws weights in evaluation mode inside :func:`sampled_weights`.
- :func:`variational_cost`: wraps a cost (log-likelihood) so that it adds the model's KL term,
  weighted as the paper's mini-batch objective asks. ``Backprop(variational_cost(cost, model, M),
  optimizer)`` trains a Bayesian network; ``fit`` and the rules know nothing of it.

**The KL term is the paper's Monte Carlo estimate**, not a closed form: the scale-mixture prior
has none. (With ``prior_pi=1`` the prior is one Gaussian N(0, σ₁²), and the closed form is used:
see :func:`kl_term`.) On the sampled weights w,

    KL ≈ ln q(w | θ) − ln P(w)
    ln q(w | θ) = Σ −ln σ − ε²/2 − ½ ln 2π          (since (w − μ)/σ = ε)
    ln P(w)     = Σ ln(π N(w; 0, σ₁²) + (1 − π) N(w; 0, σ₂²))   (:func:`~synaptica.ops.scale_mixture_log_prior`)

ln q is computed in its ε form with ε held fixed. That gives the same gradient as the paper's
(∂f/∂w + ∂f/∂μ for μ, ∂f/∂w · ε + ∂f/∂σ for σ): in ln q's w-form the path through w and the
explicit dependence on μ cancel exactly (−ε/σ + ε/σ = 0) and for σ they leave −1/σ, which is what
−ln σ gives. ln P(w) does depend on θ through w alone, and backprop carries it there.

**Weighting (section 3.4 of the paper).** With M mini-batches per epoch, the paper minimises
Fᵢ = KL/M − ln P(Dᵢ | w) for mini-batch i, so that the M terms add up to F. Our costs average over
the batch (``reduction="mean"``), i.e. they are −ln P(Dᵢ | w) / B for a batch of B examples, so the
KL term is divided by B too: KL / (M B), which is KL / N for N training examples. With
``reduction="sum"`` it is KL / M, exactly the paper's Fᵢ. (The paper's other scheme, weights
πᵢ = 2^(M−i) / (2^M − 1) that shrink along the epoch, is not implemented.)

Weight decay is not needed on top: the prior is the regulariser. The bias has a distribution and a
prior too, as in the paper.

Reference: C. Blundell, J. Cornebise, K. Kavukcuoglu and D. Wierstra, "Weight uncertainty in neural
networks", ICML 2015 (arXiv:1505.05424).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator

import numpy as np

from synaptica import ops
from synaptica.checks import finite_float, one_of, positive_float, positive_int, probability
from synaptica.losses import Cost
from synaptica.nn.activation import ReLU
from synaptica.nn.budget import check_parameters
from synaptica.nn.containers import Sequential
from synaptica.nn.init import INITIALISERS
from synaptica.nn.linear import check_linear_input
from synaptica.nn.module import Module, Parameter
from synaptica.random import SeedLike, as_generator, stream
from synaptica.tensor import Tensor

#: The paper's prior for MNIST (section 5.1 searched −ln σ₁ ∈ {0, 1, 2}, −ln σ₂ ∈ {6, 7, 8},
#: π ∈ {¼, ½, ¾}): one wide component of scale 1 and one narrow of scale e⁻⁶, mixed half and half.
PRIOR_PI, PRIOR_SIGMA1, PRIOR_SIGMA2 = 0.5, 1.0, math.exp(-6)

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class BayesLinear(Module):
    """A fully connected layer whose weights and biases are Gaussians N(μ, σ²), σ = ln(1 + e^ρ).

    Parameters ``weight_mu``, ``weight_rho`` (out_features, in_features) and ``bias_mu``,
    ``bias_rho`` (out_features,). In training mode forward samples w = μ + σ ⊙ ε afresh from the
    layer's stream ``rng`` (one sample for the whole batch, as the paper does) and returns
    x wᵀ + b; in evaluation mode it returns x μ_wᵀ + μ_b (see the module docstring for the KL term
    and for averaging sampled predictions).

    Args:
        in_features, out_features: sizes of the input and output vectors.
        bias: whether the layer has a (random) bias.
        prior_pi, prior_sigma1, prior_sigma2: the scale-mixture prior π N(0, σ₁²) + (1 − π) N(0, σ₂²)
            on every weight and bias (default: the paper's π = ½, σ₁ = 1, σ₂ = e⁻⁶). π = 1 is the
            Gaussian prior N(0, σ₁²), whose KL term is computed in closed form (σ₂ is then unused).
        rho_init: the initial ρ of every weight (σ = softplus(−5) ≈ 0.0067 by default: the network
            starts close to a deterministic one and learns where it may be uncertain).
        init: the initialiser of μ, a name from :data:`synaptica.nn.init.INITIALISERS`.
        rng: a seed or Generator for the initial μ. The samples ε come from a stream of the layer's
            own (:func:`synaptica.random.stream`, purpose ``"bayes-by-backprop"``, seeded from the
            same Generator), so the same seed gives the same μ and the same ε, layers built from one
            Generator draw different ε, and a checkpoint saves and restores the stream (it is a
            Generator attribute, like a dropout layer's). A loaded model gets a fresh stream; set
            ``layer.rng`` to make its training repeatable.
        dtype: ``np.float32`` (default) or ``np.float64``.
    """

    #: while :func:`sampled_weights` is active: the Generator evaluation-mode samples come from
    sampler: np.random.Generator | None = None

    def __init__(self, in_features: int, out_features: int, bias: bool = True, prior_pi: float = PRIOR_PI,
                 prior_sigma1: float = PRIOR_SIGMA1, prior_sigma2: float = PRIOR_SIGMA2, rho_init: float = -5.0,
                 init: str = "nielsen", rng: SeedLike = None, dtype=np.float32):
        self.in_features = positive_int("BayesLinear", "in_features", in_features)
        self.out_features = positive_int("BayesLinear", "out_features", out_features)
        self.prior_pi, self.prior_sigma1, self.prior_sigma2, self.rho_init = checked_prior(
            "BayesLinear", prior_pi, prior_sigma1, prior_sigma2, rho_init)
        init = one_of("BayesLinear", "init", init, INITIALISERS)
        check_parameters(repr(self), self.parameter_count(self.in_features, self.out_features, bias))
        generator = as_generator(rng)
        weight, bias_values = INITIALISERS[init](self.in_features, self.out_features, generator, dtype)
        self.weight_mu, self.weight_rho, self.bias_mu, self.bias_rho = gaussian_parameters(
            weight, bias_values if bias else None, self.rho_init)
        self.rng = sampling_stream(generator)
        self._sample: list[tuple[Tensor, Tensor, np.ndarray]] | None = None

    def forward(self, x: Tensor) -> Tensor:
        check_linear_input(self, x, self.weight_mu)
        return ops.linear(x, *weights_for_pass(self))

    def kl_divergence(self) -> Tensor | None:
        """ln q(w | θ) − ln P(w) on the weights the last training forward drew (module docstring);
        None when the last forward was an evaluation pass (no sample to score)."""
        return kl_term(self)

    @classmethod
    def parameter_count(cls, in_features: int, out_features: int, bias: bool = True, **prior) -> int:
        return 2 * out_features * (in_features + bool(bias))

    def config(self) -> dict:
        return {"type": "BayesLinear", "in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias_mu is not None, "prior_pi": self.prior_pi, "prior_sigma1": self.prior_sigma1,
                "prior_sigma2": self.prior_sigma2, "rho_init": self.rho_init}

    def __repr__(self) -> str:
        return f"BayesLinear({self.in_features}→{self.out_features})"


def bayes_mlp(sizes: list[int], activation: Module | None = None, init: str = "he", rng: SeedLike = None,
              dtype=np.float32, **prior: float) -> Sequential:
    """A fully connected Bayesian network: BayesLinear → activation for each hidden layer, then a
    BayesLinear giving logits (``bayes_mlp([784, 400, 400, 10])``, the paper's MNIST shape).

    Args:
        activation: a layer class to put after each hidden layer (default ReLU, as in the paper).
        init, rng, dtype: as for :class:`BayesLinear` (one Generator for every layer).
        prior: ``prior_pi``, ``prior_sigma1``, ``prior_sigma2``, ``rho_init`` for every layer.
    """
    generator = as_generator(rng)
    layers: list[Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(BayesLinear(n_in, n_out, init=init, rng=generator, dtype=dtype, **prior))
        if i < len(sizes) - 2:
            layers.append((activation or ReLU)())
    return Sequential(layers)


def kl_divergence(model: Module) -> Tensor | None:
    """The sum of every layer's KL term for the current step (layers with a ``kl_divergence``
    method, such as :class:`BayesLinear`); None when no layer has one (a deterministic model, or
    only evaluation passes since the last training forward)."""
    total = None
    for module in model.modules():
        term = module.kl_divergence() if hasattr(module, "kl_divergence") else None
        if term is not None:
            total = term if total is None else total + term
    return total


def variational_cost(cost: Cost, model: Module, batches: int) -> Cost:
    """``cost`` plus the model's KL term weighted for one of ``batches`` mini-batches: the paper's Fᵢ.

    C = cost(output, y) + KL / M with ``reduction="sum"``, and C = cost(output, y) + KL / (M B) with
    the default ``reduction="mean"`` over a batch of B examples (module docstring). The KL term is
    that of the forward pass that produced ``output``; when the model drew no weights (evaluation:
    ``evaluate`` runs the mean network), only the data term is returned, so an evaluator reports
    the plain cost.

    Args:
        cost: the data term, e.g. ``LogLikelihoodCost()``.
        model: the network whose Bayesian layers supply the KL term.
        batches: M, the number of mini-batches per epoch (``ceil(N / batch_size)``).
    """
    batches = positive_int("variational_cost", "batches", batches)

    def fn(output: Tensor, targets, reduction: str = "mean") -> Tensor:
        data_term = cost.fn(output, targets, reduction=reduction)
        kl = kl_divergence(model)
        if kl is None:
            return data_term
        examples = len(output.data) if reduction == "mean" else 1
        return data_term + kl * (1.0 / (batches * examples))

    return Cost(f"{cost.name}+kl", fn, cost.takes_logits, cost.reduction)


@contextmanager
def sampled_weights(model: Module, rng: SeedLike = None) -> Iterator[Module]:
    """Inside this block the Bayesian layers draw their weights even in evaluation mode, from ``rng``
    (their training streams are left untouched, so predicting does not change a resumed run).

    Every forward pass then runs a new network sampled from q(w | θ); dropout and batch
    normalisation keep their evaluation behaviour. Used by
    :func:`synaptica.train.calibration.predictive_probabilities` to average K predictions. Call
    ``predict(..., workers=1)`` inside it: threads would take their ε from ``rng`` in no fixed order.
    """
    generator = as_generator(rng)
    layers = [module for module in model.modules() if hasattr(module, "kl_divergence")]
    for layer in layers:
        layer.sampler = generator
    try:
        yield model
    finally:
        for layer in layers:
            del layer.sampler  # back to the class's None


# ------------------------------------------------------------ what every Bayesian layer shares
# A Bayesian layer holds ``weight_mu``, ``weight_rho``, ``bias_mu``, ``bias_rho`` (the last two may be
# None), ``prior_pi``, ``prior_sigma1``, ``prior_sigma2``, ``rng``, ``_sample`` and the class
# attribute ``sampler``; these functions do the rest for it.


def checked_prior(owner: str, pi, sigma1, sigma2, rho_init) -> tuple[float, float, float, float]:
    """π in (0, 1], σ₁ and σ₂ > 0 and a finite ρ₀, or a ValueError naming ``owner``."""
    pi = probability(owner, "prior_pi", pi)
    if pi == 0.0:
        raise ValueError(f"{owner}: prior_pi must be in (0, 1] (1: the Gaussian prior N(0, σ₁²) alone), got {pi!r}")
    return (pi, positive_float(owner, "prior_sigma1", sigma1), positive_float(owner, "prior_sigma2", sigma2),
            finite_float(owner, "rho_init", rho_init))


def gaussian_parameters(weight: np.ndarray, bias: np.ndarray | None, rho_init: float) -> tuple:
    """(weight μ, weight ρ, bias μ, bias ρ) as Parameters, every ρ set to ``rho_init`` (no bias: Nones)."""
    pairs = [Parameter(weight, regularized=True), Parameter(np.full_like(weight, rho_init), regularized=False)]
    if bias is None:
        return (*pairs, None, None)
    return (*pairs, Parameter(bias, regularized=False), Parameter(np.full_like(bias, rho_init), regularized=False))


def sampling_stream(generator: np.random.Generator) -> np.random.Generator:
    """The layer's own stream of ε, seeded from the Generator that drew its initial μ (so layers built
    from one Generator draw different ε, and the same seed gives the same ε)."""
    return stream(int(generator.integers(2 ** 63)), "bayes-by-backprop")


def parameter_pairs(layer: Module) -> list[tuple[Parameter, Parameter]]:
    """(μ, ρ) of the weight, and of the bias when there is one."""
    pairs = [(layer.weight_mu, layer.weight_rho)]
    return pairs + ([(layer.bias_mu, layer.bias_rho)] if layer.bias_mu is not None else [])


def weights_for_pass(layer: Module) -> tuple[Tensor, Tensor | None]:
    """The (weight, bias) a forward pass of ``layer`` uses: μ in evaluation mode, else a sample
    w = μ + σ ⊙ ε with ε from the layer's stream (training) or from :func:`sampled_weights`'s
    Generator. A training pass keeps its sample for :func:`kl_term`; any other pass clears it."""
    if not layer.training and layer.sampler is None:
        layer._sample = None  # an evaluation pass: no KL term belongs to it
        return layer.weight_mu, layer.bias_mu
    generator = layer.rng if layer.sampler is None else layer.sampler
    sample = []
    for mu, rho in parameter_pairs(layer):
        epsilon = generator.standard_normal(mu.shape, dtype=mu.dtype)
        sigma = ops.softplus(rho)
        sample.append((mu + sigma * Tensor(epsilon), sigma, epsilon))
    layer._sample = sample if layer.training else None
    return sample[0][0], (sample[1][0] if len(sample) > 1 else None)


def kl_term(layer: Module) -> Tensor | None:
    """KL[q ‖ P] for ``layer``'s last training pass; None without a sample.

    For the scale mixture (π < 1), the Monte Carlo estimate ln q(w | θ) − ln P(w) summed over the
    sampled weights and biases (module docstring: ln q in its ε form). For π = 1, the prior is
    N(0, σ₁²) alone and the KL has a closed form, used instead (it does not depend on ε):

        KL[N(μ, σ²) ‖ N(0, s²)] = Σ ln(s/σ) + (σ² + μ²) / (2s²) − ½
    """
    if layer._sample is None:
        return None
    total = None
    for (w, sigma, epsilon), (mu, _) in zip(layer._sample, parameter_pairs(layer)):
        if layer.prior_pi == 1.0:
            s = layer.prior_sigma1
            spread = (sigma * sigma + mu * mu) * (0.5 / s ** 2)
            term = ops.sum(spread - ops.log(sigma)) + (math.log(s) - 0.5) * epsilon.size
        else:
            constant = -0.5 * float(np.sum(np.square(epsilon, dtype=np.float64))) - _HALF_LOG_2PI * epsilon.size
            log_q = constant - ops.sum(ops.log(sigma))
            log_prior = ops.sum(ops.scale_mixture_log_prior(w, layer.prior_pi, layer.prior_sigma1, layer.prior_sigma2))
            term = log_q - log_prior
        total = term if total is None else total + term
    return total
