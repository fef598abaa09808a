"""Learning-rate schedules: plain callables ``step -> η``, where step counts optimizer steps from 0.

Pass one as any optimizer's ``learning_rate``; the optimizer calls it once per ``step()``::

    Adam(model.parameters(), learning_rate=cosine(1e-3, total_steps=10_000))

Any function of the step works as well (``lambda t: 0.1 / (1 + t / 1000)``).
"""

from __future__ import annotations

import math
from typing import Callable

Schedule = Callable[[int], float]


def _positive(name: str, value: float) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return number


def constant(learning_rate: float) -> Schedule:
    """ηₜ = η for every step t."""
    learning_rate = _positive("constant: learning_rate", learning_rate)

    def schedule(step: int) -> float:
        return learning_rate

    return schedule


def step_decay(learning_rate: float, drop: float, every: int) -> Schedule:
    """ηₜ = η · drop^⌊t / every⌋: multiply by ``drop`` after each ``every`` steps.

    E.g. ``step_decay(0.1, 0.5, 1000)`` gives 0.1 for steps 0–999, 0.05 for 1000–1999, and so on.
    """
    learning_rate = _positive("step_decay: learning_rate", learning_rate)
    drop = _positive("step_decay: drop", drop)
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"step_decay: every must be an integer >= 1, got {every!r}")

    def schedule(step: int) -> float:
        return learning_rate * drop ** (step // every)

    return schedule


def exponential(learning_rate: float, gamma: float) -> Schedule:
    """ηₜ = η · γᵗ: multiply by γ after every step (as PyTorch's ExponentialLR, per step)."""
    learning_rate = _positive("exponential: learning_rate", learning_rate)
    gamma = _positive("exponential: gamma", gamma)

    def schedule(step: int) -> float:
        return learning_rate * gamma ** step

    return schedule


def cosine(learning_rate: float, total_steps: int, min_learning_rate: float = 0.0) -> Schedule:
    """Cosine annealing (Loshchilov and Hutter, "SGDR: Stochastic gradient descent with warm restarts",
    ICLR 2017), without restarts:

        ηₜ = η_min + ½ (η − η_min) (1 + cos(π t / T))   for t ≤ T,   and η_min after T,

    with T = ``total_steps``: from η at step 0 down to η_min at step T along half a cosine.
    """
    learning_rate = _positive("cosine: learning_rate", learning_rate)
    if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 1:
        raise ValueError(f"cosine: total_steps must be an integer >= 1, got {total_steps!r}")
    min_learning_rate = float(min_learning_rate)
    if not 0 <= min_learning_rate <= learning_rate:
        raise ValueError(f"cosine: min_learning_rate must be in [0, learning_rate={learning_rate:g}], got {min_learning_rate}")

    def schedule(step: int) -> float:
        progress = min(step, total_steps) / total_steps
        return min_learning_rate + 0.5 * (learning_rate - min_learning_rate) * (1.0 + math.cos(math.pi * progress))

    return schedule
