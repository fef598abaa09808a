"""How well an RBM models data: pseudo-likelihood, and the log-likelihood by annealed importance sampling.

The log-likelihood of v is −F(v) − log Z, and the partition function Z = Σ_v exp(−F(v)) sums over
2ᵈ visible vectors: it cannot be computed for a 784-pixel model, so it is either side-stepped or
estimated.

**Pseudo-likelihood** (Besag 1975) side-steps it: Σᵢ log p(vᵢ | v₋ᵢ), where each conditional needs no
Z, only the free energies of v and of v with bit i flipped, v̄⁽ⁱ⁾:

    log p(vᵢ | v₋ᵢ) = log σ(F(v̄⁽ⁱ⁾) − F(v)).

scikit-learn's ``BernoulliRBM.score_samples`` estimates the sum from one bit per example, drawn at
random: d · log σ(F(v̄⁽ⁱ⁾) − F(v)), whose expectation over i is the sum itself.
:func:`pseudo_likelihood` computes that estimate (from the bits it is given, or bits drawn from a
Generator); :func:`exact_pseudo_likelihood` the sum over every bit, flipping each with a rank-one
change of the hidden pre-activations (cost d·m per example: no free energy is recomputed).

**Annealed importance sampling** (Neal 2001; Salakhutdinov and Murray 2008) estimates log Z. A
sequence of RBMs interpolates from a base model A with Z_A known to the model B: with
0 = β₀ < β₁ < … < β_K = 1, model k has weights β_k W, hidden biases β_k c and visible biases
(1 − β_k) b_A + β_k b, so its unnormalised log-probability is

    f_k(v) = ((1 − β_k) b_A + β_k b)ᵀ v + Σⱼ softplus(β_k (cⱼ + Wⱼ·v)).

Model 0 is independent visibles with biases b_A (and m hiddens that contribute 2ᵐ), so
log Z₀ = Σᵢ softplus(b_Aᵢ) + m log 2, and it is sampled exactly. Each of M chains starts from model 0;
at step k its log-weight grows by f_k(v) − f_{k−1}(v) and v moves by one Gibbs step of model k. Then

    Z_B / Z₀ ≈ (1/M) Σ exp(log-weightₘ),

an unbiased estimate of Z (its log underestimates log Z on average, by Jensen: the log-likelihoods
it gives are on the optimistic side when chains are too few or β too coarse). The base biases b_A
default to the data's pixel log-odds, which makes model 0 close to B's marginals and the estimate
better (Salakhutdinov and Murray §4.2).

:func:`exact_log_partition` enumerates the smaller layer of a tiny RBM (Z = Σ_h exp(cᵀh) Πᵢ(1 +
exp(bᵢ + (Wᵀh)ᵢ))), the oracle the tests hold AIS to.

References: J. Besag, "Statistical analysis of non-lattice data", The Statistician 24, 1975;
R. M. Neal, "Annealed importance sampling", Statistics and Computing 11, 2001; R. Salakhutdinov and
I. Murray, "On the quantitative analysis of deep belief networks", ICML 2008.
"""

from __future__ import annotations

import itertools

import numpy as np

from synaptica.checks import positive_int
from synaptica.nn.rbm import RBM, bernoulli
from synaptica.parallel.blas import blas_threads, training_threads
from synaptica.ops.elementwise import sigmoid_array, softplus_array

#: the most units of the smaller layer :func:`exact_log_partition` enumerates (2**20 states)
MAX_ENUMERATED = 20


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    return -softplus_array(-z)


def pseudo_likelihood(rbm: RBM, v: np.ndarray, flips: np.ndarray | None = None,
                      rng: np.random.Generator | None = None) -> np.ndarray:
    """scikit-learn's stochastic pseudo-likelihood of each row: d · log σ(F(v̄) − F(v)), v̄ being v with
    the bit ``flips[n]`` of row n flipped (``flips`` drawn uniformly from ``rng`` when not given)."""
    v = np.asarray(v, dtype=np.float64)
    if flips is None:
        flips = rng.integers(0, v.shape[1], size=len(v))
    flipped = v.copy()
    rows = np.arange(len(v))
    flipped[rows, flips] = 1 - flipped[rows, flips]
    return v.shape[1] * _log_sigmoid(rbm.free_energy(flipped) - rbm.free_energy(v))


def exact_pseudo_likelihood(rbm: RBM, v: np.ndarray, block: int = 16) -> np.ndarray:
    """Σᵢ log p(vᵢ | v₋ᵢ) of each row, every bit flipped in turn (the expectation of
    :func:`pseudo_likelihood` over its random bit).

    Flipping bit i adds sᵢ Wᵀ[i] to the hidden pre-activations a = c + W v (sᵢ = 1 − 2vᵢ), so
    F(v̄⁽ⁱ⁾) − F(v) = −sᵢ bᵢ − Σⱼ [softplus(aⱼ + sᵢ Wⱼᵢ) − softplus(aⱼ)], for all i at once.
    """
    v = np.asarray(v, dtype=np.float64)
    weight = rbm.weight.data.astype(np.float64)  # (m, d)
    b = rbm.visible_bias.data.astype(np.float64)
    total = np.empty(len(v))
    for start in range(0, len(v), block):
        rows = v[start:start + block]
        a = rows @ weight.T + rbm.hidden_bias.data  # (n, m)
        s = 1 - 2 * rows  # (n, d)
        moved = a[:, None, :] + s[:, :, None] * weight.T[None]  # (n, d, m)
        gap = -s * b - (softplus_array(moved).sum(axis=2) - softplus_array(a).sum(axis=1)[:, None])
        total[start:start + block] = _log_sigmoid(gap).sum(axis=1)
    return total


def exact_log_partition(rbm: RBM) -> float:
    """log Z by enumerating every state of the smaller layer (at most :data:`MAX_ENUMERATED` units)."""
    weight = rbm.weight.data.astype(np.float64)
    b, c = rbm.visible_bias.data.astype(np.float64), rbm.hidden_bias.data.astype(np.float64)
    if min(rbm.visible, rbm.hidden) > MAX_ENUMERATED:
        raise ValueError(f"exact_log_partition: {rbm!r} has 2**{min(rbm.visible, rbm.hidden)} states in its smaller "
                         f"layer; enumeration stops at 2**{MAX_ENUMERATED}: estimate log Z by ais_log_partition")
    if rbm.hidden <= rbm.visible:  # Σ_h exp(cᵀh) Πᵢ (1 + exp(bᵢ + (Wᵀh)ᵢ))
        states = np.array(list(itertools.product((0.0, 1.0), repeat=rbm.hidden)))
        terms = states @ c + softplus_array(states @ weight + b).sum(axis=1)
    else:  # Σ_v exp(−F(v))
        states = np.array(list(itertools.product((0.0, 1.0), repeat=rbm.visible)))
        terms = -rbm.free_energy(states)
    return float(_log_mean_exp(terms) + np.log(len(terms)))


def _log_mean_exp(values: np.ndarray) -> float:
    top = float(values.max())
    return top + float(np.log(np.mean(np.exp(values - top))))


def ais_log_partition(rbm: RBM, rng: np.random.Generator, chains: int = 100, betas: int = 10000,
                      base: np.ndarray | None = None) -> tuple[float, float]:
    """log Z of ``rbm`` by annealed importance sampling: (estimate, its standard error by the delta method).

    Args:
        chains: M, independent annealing runs.
        betas: K, the number of intermediate temperatures (spaced as Salakhutdinov and Murray:
            more of them near β = 1, where the distributions change fastest for a trained RBM).
        base: b_A, the base model's visible biases (zero when not given; the data's pixel log-odds
            from :func:`~synaptica.nn.rbm.pixel_log_odds` make a better start).
    """
    chains = positive_int("ais_log_partition", "chains", chains)
    betas = positive_int("ais_log_partition", "betas", betas)
    weight = rbm.weight.data.astype(np.float64)
    b, c = rbm.visible_bias.data.astype(np.float64), rbm.hidden_bias.data.astype(np.float64)
    base = np.zeros(rbm.visible) if base is None else np.asarray(base, dtype=np.float64)
    schedule = _schedule(betas)
    v = bernoulli(np.broadcast_to(sigmoid_array(base), (chains, rbm.visible)).copy(), rng)
    log_weight = np.zeros(chains)
    with blas_threads(training_threads(chains)):  # products with a batch of chains: fit's thread policy
        for previous, beta in zip(schedule[:-1], schedule[1:]):
            a = v @ weight.T + c  # one product serves both log-weights and the hidden sample
            log_weight += (beta - previous) * (v @ (b - base))
            log_weight += (softplus_array(beta * a) - softplus_array(previous * a)).sum(axis=1)
            h = bernoulli(sigmoid_array(beta * a), rng)
            v = bernoulli(sigmoid_array(beta * (h @ weight) + (1 - beta) * base + beta * b), rng)
    log_z0 = float(softplus_array(base).sum() + rbm.hidden * np.log(2.0))
    estimate = log_z0 + _log_mean_exp(log_weight)
    ratios = np.exp(log_weight - log_weight.max())
    error = float(np.std(ratios) / np.sqrt(chains) / np.mean(ratios))  # sd of log(mean) ≈ sd(mean)/mean
    return estimate, error


def _schedule(betas: int) -> np.ndarray:
    """K + 1 inverse temperatures from 0 to 1: a tenth of them up to 0.5, three tenths to 0.9, the rest
    to 1 (Salakhutdinov and Murray's 500 / 4,000 / 10,000 split, in proportion)."""
    first, second = max(1, betas // 10), max(1, 3 * betas // 10)
    return np.concatenate([np.linspace(0, 0.5, first, endpoint=False), np.linspace(0.5, 0.9, second, endpoint=False),
                           np.linspace(0.9, 1.0, max(2, betas - first - second + 1))])


def log_likelihood(rbm: RBM, v: np.ndarray, log_z: float) -> float:
    """The mean log p(v) = −F(v) − log Z over the rows of ``v``, given an estimate of log Z."""
    return float(np.mean(-rbm.free_energy(v)) - log_z)
