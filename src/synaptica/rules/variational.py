"""Variational learning (Kingma and Welling 2014): gradient descent on −ELBO with reparameterised samples.

For each batch of binary images the rule asks the model for the two terms of −ELBO
(:meth:`~synaptica.models.VAE.elbo_terms`: the reconstruction cost −log p(x | z) with z one sample
of q(z | x), and KL(q(z | x) ‖ p(z))), adds them, backpropagates through the sample (made
differentiable by the reparameterisation trick or its Gumbel-softmax relaxation) and takes an
optimizer step. The cost is in nats per image: summed over the pixels, averaged over the batch.

The noise of every sample comes from the rule's own stream: a key drawn once from the Generator
``fit`` gives the rule, and a step counter, so step t's noise is ``default_rng((key, t))``. The same
seed gives the same noise, and a resumed run continues the sequence exactly (both are in the state).

Models with a categorical code need a temperature τ: a number, or a schedule ``step -> τ`` such as
:func:`annealed_temperature` (the rule counts its steps, as optimizers count theirs for a
learning-rate schedule).

Reference: D. P. Kingma and M. Welling, "Auto-encoding variational Bayes", ICLR 2014; E. Jang,
S. Gu and B. Poole, "Categorical reparameterization with Gumbel-softmax", ICLR 2017.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from synaptica.nn.module import Module
from synaptica.optim.base import Optimizer
from synaptica.rules.base import State, checked_cost, model_input, prefixed, unprefixed


def annealed_temperature(start: float = 1.0, rate: float = 1e-4, floor: float = 0.5,
                         every: int = 1) -> Callable[[int], float]:
    """Jang et al.'s schedule τₜ = max(floor, start · exp(−rate · t)), with t rounded down to a
    multiple of ``every`` steps (they update τ every N steps)."""
    if not 0 < floor <= start:
        raise ValueError(f"annealed_temperature: need 0 < floor <= start, got floor={floor}, start={start}")
    if rate < 0 or isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"annealed_temperature: need rate >= 0 and an integer every >= 1, got {rate}, {every!r}")

    def schedule(step: int) -> float:
        return max(floor, start * math.exp(-rate * (step // every * every)))

    return schedule


class Variational:
    """Minimise −ELBO of a :class:`~synaptica.models.VAE` or
    :class:`~synaptica.models.CategoricalVAE` with ``optimizer``.

    Args:
        optimizer: over the model's parameters.
        temperature: τ of the Gumbel-softmax relaxation, a number or a schedule ``step -> τ``
            (categorical codes only; a Gaussian code takes none).
        hard: the straight-through Gumbel estimator (categorical codes only).

    Metrics of each step: ``loss`` (−ELBO), ``reconstruction`` and ``kl``; for a categorical code,
    ``temperature`` too.
    """

    name = "variational"
    #: what :func:`~synaptica.rules.make_rule` passes to the constructor, in order
    arguments = ("optimizer",)

    def __init__(self, optimizer: Optimizer, temperature: float | Callable[[int], float] | None = None,
                 hard: bool = False):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"Variational: optimizer must be an Optimizer (e.g. Adam(model.parameters(), 1e-3)), "
                            f"got {optimizer!r}")
        self.optimizer, self.temperature, self.hard = optimizer, temperature, bool(hard)
        self.key: int | None = None
        self.steps = 0

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        needed = getattr(model, "temperature_needed", None)
        if needed is None:
            raise TypeError("Variational trains a VAE or a CategoricalVAE (a model with elbo_terms), "
                            f"not {type(model).__name__}")
        if needed and self.temperature is None:
            raise ValueError(f"Variational: a {type(model).__name__} needs a temperature (a number or a schedule, "
                             "e.g. annealed_temperature())")
        if not needed and (self.temperature is not None or self.hard):
            raise ValueError(f"Variational: a {type(model).__name__} has a Gaussian code; temperature and hard "
                             "apply to categorical codes only")
        if self.key is None:  # a second fit continues the same sequence of noise
            self.key = int(rng.integers(2 ** 63))

    def unbind(self, model: Module) -> None:
        """Nothing to undo."""

    def current_temperature(self) -> float:
        tau = self.temperature(self.steps) if callable(self.temperature) else self.temperature
        return float(tau)

    def step(self, model: Module, batch: tuple) -> dict:
        x = model_input(batch[0], self.optimizer.params[0].dtype)  # labels, if any, are not used
        noise = np.random.default_rng((self.key, self.steps))
        extra = {}
        if model.temperature_needed:
            extra = {"temperature": self.current_temperature()}
            reconstruction, kl = model.elbo_terms(x, noise, extra["temperature"], self.hard)
        else:
            reconstruction, kl = model.elbo_terms(x, noise)
        loss = reconstruction + kl
        value = checked_cost(loss)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        return {"loss": value, "reconstruction": float(reconstruction.data), "kl": float(kl.data), **extra}

    def state_dict(self) -> State:
        return {**prefixed("optimizer.", self.optimizer.state_dict()),
                "variational.key": np.array(self.key if self.key is not None else 0, dtype=np.uint64),
                "variational.steps": np.array(self.steps, dtype=np.int64)}

    def load_state_dict(self, state: State) -> None:
        self.optimizer.load_state_dict(unprefixed("optimizer.", state))
        self.key, self.steps = int(state["variational.key"]), int(state["variational.steps"])

    def __repr__(self) -> str:
        return f"Variational({type(self.optimizer).__name__}, temperature={self.temperature!r}, hard={self.hard})"
