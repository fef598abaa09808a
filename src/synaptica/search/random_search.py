"""Random search: each trial draws every parameter independently (Bergstra and Bengio 2012).

    choice:              each value with probability 1/k
    range:               x ~ U(low, high)
    log range:           ln x ~ U(ln low, ln high)      (each decade equally likely)
    integer range:       each integer in [low, high] equally likely
    log integer range:   ln x ~ U(ln(low − ½), ln(high + ½)), rounded (as Optuna does)

Trial n draws from its own Generator, ``default_rng(SeedSequence(seed, spawn_key=(n,)))``, so its
parameters depend only on the seed and n: not on which worker runs it, nor on how many trials the
search asks for, and a stopped search resumes with the same proposals.

Why random beats a grid: when only a few of the parameters matter (the usual case), n random trials
try n different values of each parameter that matters, where a grid of n points tries only n^(1/d)
of them per parameter.

Reference: J. Bergstra and Y. Bengio, "Random search for hyper-parameter optimization", JMLR 13, 2012.
"""

from __future__ import annotations

import math

import numpy as np

from synaptica.search.sampler import NumberedSampler
from synaptica.search.space import Choice, FloatRange, IntRange, Parameter, SearchSpace


def draw(parameter: Parameter, rng: np.random.Generator):
    """One random value of ``parameter``."""
    if isinstance(parameter, Choice):
        return parameter.values[int(rng.integers(len(parameter.values)))]
    if isinstance(parameter, FloatRange):
        if parameter.log:
            return float(math.exp(rng.uniform(math.log(parameter.low), math.log(parameter.high))))
        return float(rng.uniform(parameter.low, parameter.high))
    assert isinstance(parameter, IntRange)
    if parameter.log:
        value = math.exp(rng.uniform(math.log(parameter.low - 0.5), math.log(parameter.high + 0.5)))
        return int(min(max(round(value), parameter.low), parameter.high))
    return int(rng.integers(parameter.low, parameter.high + 1))


def trial_params(space: SearchSpace, seed: int, number: int) -> dict:
    """Trial ``number``'s parameter values: one draw each, in the file's order."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(number,)))
    return {name: draw(parameter, rng) for name, parameter in space.parameters.items()}


def random_search(space: SearchSpace, seed: int) -> NumberedSampler:
    """A sampler proposing trial n = :func:`trial_params` (space, seed, n), with no limit on n."""
    return NumberedSampler("random", lambda number: trial_params(space, seed, number), None)
