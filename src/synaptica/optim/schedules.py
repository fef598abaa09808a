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


def constant(lr: float) -> Schedule:
    """ηₜ = η for every step t."""
    lr = _positive("constant: lr", lr)

    def schedule(step: int) -> float:
        return lr

    return schedule


def step_decay(lr: float, drop: float, every: int) -> Schedule:
    """ηₜ = η · drop^⌊t / every⌋: multiply by ``drop`` after each ``every`` steps.

    E.g. ``step_decay(0.1, 0.5, 1000)`` gives 0.1 for steps 0–999, 0.05 for 1000–1999, and so on.
    """
    lr = _positive("step_decay: lr", lr)
    drop = _positive("step_decay: drop", drop)
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"step_decay: every must be an integer >= 1, got {every!r}")

    def schedule(step: int) -> float:
        return lr * drop ** (step // every)

    return schedule


def exponential(lr: float, gamma: float) -> Schedule:
    """ηₜ = η · γᵗ: multiply by γ after every step (as PyTorch's ExponentialLR, per step)."""
    lr = _positive("exponential: lr", lr)
    gamma = _positive("exponential: gamma", gamma)

    def schedule(step: int) -> float:
        return lr * gamma ** step

    return schedule


def cosine(lr: float, total_steps: int, min_lr: float = 0.0) -> Schedule:
    """Cosine annealing (Loshchilov and Hutter, "SGDR: Stochastic gradient descent with warm restarts",
    ICLR 2017), without restarts:

        ηₜ = η_min + ½ (η − η_min) (1 + cos(π t / T))   for t ≤ T,   and η_min after T,

    with T = ``total_steps``: from η at step 0 down to η_min at step T along half a cosine.
    """
    lr = _positive("cosine: lr", lr)
    if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 1:
        raise ValueError(f"cosine: total_steps must be an integer >= 1, got {total_steps!r}")
    min_lr = float(min_lr)
    if not 0 <= min_lr <= lr:
        raise ValueError(f"cosine: min_lr must be in [0, lr={lr:g}], got {min_lr}")

    def schedule(step: int) -> float:
        progress = min(step, total_steps) / total_steps
        return min_lr + 0.5 * (lr - min_lr) * (1.0 + math.cos(math.pi * progress))

    return schedule
