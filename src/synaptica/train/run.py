"""The state of one :func:`~synaptica.train.fit` run, in one object: what a checkpoint saves.

``fit`` keeps its counters here rather than in local variables, so that a callback given the run
(through its optional ``start(run)`` method) can save everything needed to continue exactly, at
the end of an epoch or between two steps:

    model, rule        the weights and buffers; the rule's state (optimizer moments, feedback matrices)
    generator          the run's Generator: it shuffles and distorts the batches
    source             where the epoch under way stands (its order, the next batch), between two steps
    history            every finished epoch's metrics
    epoch, step        the epoch under way and how many of its steps are done
    steps              those steps' metrics (the epoch's averages need them)
    callbacks          those with ``state_dict`` (early stopping's best weights, a plateau's counter)

Every Generator is saved in the state it has at that moment, the model's (dropout masks) and the
rule's too, even when they are one object (``synaptica train`` builds the network and shuffles with
one seeded Generator).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from synaptica.nn.module import Module
from synaptica.train.history import History


@dataclass
class Run:
    """One training run as ``fit`` advances it (see the module docstring)."""

    model: Module
    rule: object
    generator: np.random.Generator
    callbacks: list
    source: object = None
    history: History = field(default_factory=History)
    epoch: int = 0
    step: int = 0
    steps: list[dict] = field(default_factory=list)
    epoch_started: float = 0.0  # time.perf_counter() when the epoch under way began (moved back, on a
                                # resume in its middle, by the seconds its first part ran)

    def took_step(self, index: int, metrics: dict) -> None:
        self.steps.append(metrics)
        self.step = index + 1

    def end_epoch(self) -> None:
        """The epoch is in the history: the next one is under way, with no steps done."""
        self.epoch, self.step, self.steps = self.epoch + 1, 0, []

    def epoch_seconds(self) -> float:
        """The wall time of the epoch under way so far, the part before a resume included."""
        return time.perf_counter() - self.epoch_started

    @property
    def can_pause_mid_epoch(self) -> bool:
        """Whether the source can save where the epoch under way stands (else: checkpoints at epoch ends)."""
        return hasattr(self.source, "state_dict") and hasattr(self.source, "load_state_dict")

    def generators(self) -> dict[str, np.random.Generator]:
        """Every Generator the run draws from, by name: its own, the model's (dropout masks), the rule's."""
        found = {"run": self.generator}
        found.update({f"model/{name}": generator for name, generator in self.model.named_generators()})
        found.update({f"rule/{name}": value for name, value in vars(self.rule).items()
                      if isinstance(value, np.random.Generator)})
        return found
