"""A convolutional layer with a Gaussian over every kernel weight: Bayes by backprop for images.

The same method as :class:`synaptica.nn.BayesLinear` (its module, :mod:`synaptica.nn.bayes`, has
the math: w = μ + σ ⊙ ε with σ = ln(1 + e^ρ), the scale-mixture prior, the Monte Carlo KL term,
the mean kernels in evaluation mode), applied to a :class:`~synaptica.nn.Conv2d`'s kernels and
biases: one kernel sample per forward pass, shared by the whole batch.

Reference: C. Blundell, J. Cornebise, K. Kavukcuoglu and D. Wierstra, "Weight uncertainty in neural
networks", ICML 2015 (arXiv:1505.05424).
"""

from __future__ import annotations

import numpy as np

from synaptica import ops
from synaptica.nn.bayes import (PRIOR_PI, PRIOR_SIGMA1, PRIOR_SIGMA2, checked_prior, gaussian_parameters,
                                kl_term, sampling_stream, weights_for_pass)
from synaptica.nn.budget import check_parameters
from synaptica.nn.conv import Conv2d, Size, _extras, _json_pair, check_conv_input
from synaptica.nn.module import Module
from synaptica.ops._windows import pair_text
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor


class BayesConv2d(Module):
    """A Conv2d whose kernels and biases are Gaussians N(μ, σ²), σ = ln(1 + e^ρ).

    Parameters ``weight_mu``, ``weight_rho`` (out_channels, in_channels, kh, kw) and ``bias_mu``,
    ``bias_rho`` (out_channels,). Training mode convolves with a kernel sample drawn from the
    layer's stream ``rng``; evaluation mode with the mean kernels μ.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, bias, init: as for
            :class:`~synaptica.nn.Conv2d` (``init`` gives μ, with fan-in in_channels·kh·kw).
        prior_pi, prior_sigma1, prior_sigma2, rho_init, rng, dtype: as for
            :class:`~synaptica.nn.BayesLinear`.
    """

    #: while :func:`~synaptica.nn.sampled_weights` is active: the Generator evaluation-mode samples come from
    sampler: np.random.Generator | None = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Size, stride: Size = 1, padding: Size = 0,
                 bias: bool = True, prior_pi: float = PRIOR_PI, prior_sigma1: float = PRIOR_SIGMA1,
                 prior_sigma2: float = PRIOR_SIGMA2, rho_init: float = -5.0, init: str = "he",
                 rng: SeedLike = None, dtype=np.float32):
        self.prior_pi, self.prior_sigma1, self.prior_sigma2, self.rho_init = checked_prior(
            "BayesConv2d", prior_pi, prior_sigma1, prior_sigma2, rho_init)
        generator = as_generator(rng)
        try:  # the geometry, its checks and the initial μ are a Conv2d's
            means = Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias, init, generator, dtype)
        except ValueError as error:
            raise ValueError(f"BayesConv2d: {error}") from None
        self.in_channels, self.out_channels = means.in_channels, means.out_channels
        self.kernel_size, self.stride, self.padding = means.kernel_size, means.stride, means.padding
        check_parameters(repr(self), self.parameter_count(in_channels, out_channels, kernel_size, bias=bias))
        self.weight_mu, self.weight_rho, self.bias_mu, self.bias_rho = gaussian_parameters(
            means.weight.data, means.bias.data if bias else None, self.rho_init)
        self.rng = sampling_stream(generator)
        self._sample: list[tuple[Tensor, Tensor, np.ndarray]] | None = None

    def forward(self, x: Tensor) -> Tensor:
        check_conv_input(self, x, self.weight_mu)
        weight, bias = weights_for_pass(self)
        return ops.conv2d(x, weight, bias, self.stride, self.padding)

    def kl_divergence(self) -> Tensor | None:
        """ln q(w | θ) − ln P(w) on the kernels the last training forward drew; None after an
        evaluation pass (see :mod:`synaptica.nn.bayes`)."""
        return kl_term(self)

    @classmethod
    def parameter_count(cls, in_channels: int, out_channels: int, kernel_size: Size, stride: Size = 1,
                        padding: Size = 0, bias: bool = True, **prior) -> int:
        return 2 * Conv2d.parameter_count(in_channels, out_channels, kernel_size, bias=bias)

    def config(self) -> dict:
        return {"type": "BayesConv2d", "in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": _json_pair(self.kernel_size), "stride": _json_pair(self.stride),
                "padding": _json_pair(self.padding), "bias": self.bias_mu is not None, "prior_pi": self.prior_pi,
                "prior_sigma1": self.prior_sigma1, "prior_sigma2": self.prior_sigma2, "rho_init": self.rho_init}

    def __repr__(self) -> str:
        extras = _extras(self.stride, (1, 1), self.padding)
        return f"BayesConv2d({self.in_channels}→{self.out_channels}, {pair_text(self.kernel_size)}{extras})"
