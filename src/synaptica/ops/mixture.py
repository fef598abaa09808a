"""The scale-mixture prior of Bayes by backprop as an op: log P(w) for each weight, with its vjp.

Blundell et al. put a mixture of two zero-mean Gaussians on every weight, one wide and one narrow:

    P(w) = π N(w; 0, σ₁²) + (1 − π) N(w; 0, σ₂²)          (σ₁ > σ₂, σ₂ ≪ 1)

The narrow component pulls many weights towards 0, the wide one lets the rest be large. Written with
exp and log ops the sum underflows: for σ₂ = e⁻⁶ and w = 0.1, N(w; 0, σ₂²) holds e^(−814), and for a
weight of 40 both terms are 0 and the log is −∞. The op works in the log domain instead, with
ln(a + b) = max(ln a, ln b) + ln(1 + e^(−|ln a − ln b|)), so it is finite for every finite w.

Reference: C. Blundell, J. Cornebise, K. Kavukcuoglu and D. Wierstra, "Weight uncertainty in neural
networks", ICML 2015, section 3.3.
"""

from __future__ import annotations

import math

import numpy as np

from synaptica.ops.elementwise import sigmoid_array
from synaptica.tensor import Tensor


def scale_mixture_log_prior(w: Tensor, pi: float, sigma1: float, sigma2: float) -> Tensor:
    """ln P(w) = ln(π N(w; 0, σ₁²) + (1 − π) N(w; 0, σ₂²)), elementwise (same shape as ``w``).

    With the log-weights of the two components ℓ₁ = ln π + ln N(w; 0, σ₁²) and
    ℓ₂ = ln(1 − π) + ln N(w; 0, σ₂²), the output is ln(e^ℓ₁ + e^ℓ₂) = max(ℓ₁, ℓ₂) + ln(1 + e^(−|d|)) with

        d = ℓ₁ − ℓ₂ = ln(π / (1 − π)) + ln(σ₂ / σ₁) + (w²/2)(1/σ₂² − 1/σ₁²)

    written as a quadratic in w, with no difference of large terms. The responsibilities of the
    components are r₁ = e^(ℓ₁ − ln P) = σ(d) and r₂ = σ(−d) = 1 − r₁, so

        d ln P / dw = −w (r₁/σ₁² + r₂/σ₂²)

    vjp: g · d ln P / dw. π, σ₁ and σ₂ are fixed numbers (the prior is not learned).

    Raises:
        ValueError: π outside (0, 1) or a σ that is not positive.
    """
    if not 0.0 < pi < 1.0:
        raise ValueError(f"scale_mixture_log_prior: pi must be in (0, 1), got {pi!r}")
    if not (sigma1 > 0 and sigma2 > 0):
        raise ValueError(f"scale_mixture_log_prior: sigma1 and sigma2 must be > 0, got {sigma1!r} and {sigma2!r}")
    data = w.data
    precision1, precision2 = 1.0 / sigma1 ** 2, 1.0 / sigma2 ** 2
    half_square = 0.5 * data * data
    log_half_2pi = 0.5 * math.log(2 * math.pi)
    wide = (math.log(pi) - math.log(sigma1) - log_half_2pi) - half_square * precision1  # ℓ₁
    narrow = (math.log1p(-pi) - math.log(sigma2) - log_half_2pi) - half_square * precision2  # ℓ₂
    d = half_square * (precision2 - precision1)
    d += math.log(pi / (1 - pi)) + math.log(sigma2 / sigma1)
    # max(ℓ₁, ℓ₂) + ln(1 + e^(−|d|)): each ℓ is summed without cancellation, whichever dominates
    out = np.maximum(wide, narrow) + np.log1p(np.exp(-np.abs(d)))

    def vjp(g):
        # r₁ and r₂ each from its own sigmoid: 1 − r₁ would lose r₂'s digits when r₁ ≈ 1 (float32)
        return (g * (-data * (sigmoid_array(d) * precision1 + sigmoid_array(-d) * precision2)),)

    return Tensor.from_op(out.astype(data.dtype, copy=False), (w,), vjp, "scale_mixture_log_prior")
