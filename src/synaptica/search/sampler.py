"""The sampler seam: what proposes each trial's parameters.

The search loop (:mod:`synaptica.search.runner`) asks a sampler for a trial, runs it, and tells the
sampler the result, so grid, random and Bayesian search all run through the same loop::

    number, params = sampler.ask()       # None when the sampler has nothing more to propose
    ... train with params ...
    sampler.tell(number, record)          # Bayesian search learns from it; the others ignore it

Grid and random search propose trials that depend only on their number (:class:`NumberedSampler`),
so a stopped search resumes by skipping the numbers its results file already holds.
"""

from __future__ import annotations

import itertools
import json
from typing import Callable, Protocol


class Sampler(Protocol):
    name: str
    #: how many trials the sampler can propose in all (the grid's size), or None for no limit
    size: int | None

    def resume(self, records: list[dict]) -> None:
        """Take note of the trials a results file already holds, before the first ``ask``."""

    def ask(self) -> tuple[int, dict] | None:
        """The next trial's number and parameter values, or None when there are no more."""

    def tell(self, number: int, record: dict) -> None:
        """Learn the result of trial ``number`` (its results-file record)."""


class NumberedSampler:
    """Trial ``n`` has parameters ``params_for(n)`` whoever runs it and whenever (grid and random search).

    ``ask`` hands out the lowest numbers not yet recorded. ``resume`` checks that each recorded
    trial's parameters are still what ``params_for`` gives, so a results file is never continued
    with a different space, sampler or seed.
    """

    def __init__(self, name: str, params_for: Callable[[int], dict], size: int | None):
        self.name = name
        self.params_for = params_for
        self.size = size
        self.done: set[int] = set()

    def resume(self, records: list[dict]) -> None:
        for record in records:
            number = record["trial"]
            if self.size is not None and number >= self.size:
                raise ValueError(f"trial {number} is outside this {self.name} search of {self.size} trials")
            expected = _as_json(self.params_for(number))
            if record["params"] != expected:
                raise ValueError(f"trial {number} was run with {record['params']}, but this {self.name} search "
                                 f"gives it {expected}: a different space, sampler or seed")
            self.done.add(number)

    def ask(self) -> tuple[int, dict] | None:
        numbers = range(self.size) if self.size is not None else itertools.count()
        for number in numbers:
            if number not in self.done:
                self.done.add(number)
                return number, self.params_for(number)
        return None

    def tell(self, number: int, record: dict) -> None:
        pass  # nothing to learn: the proposals are fixed in advance


def _as_json(params: dict) -> dict:
    """Values as a results file stores them (tuples become lists), for comparison with a record."""
    return json.loads(json.dumps(params))


def make_sampler(name: str, space, *, seed: int, journal=None) -> Sampler:
    """The sampler called ``name`` ("grid", "random" or "bayes") for ``space``.

    ``seed`` seeds the random and Bayesian samplers; ``journal`` is the Optuna journal file the
    Bayesian sampler keeps its study in.
    """
    if name == "grid":
        from synaptica.search.grid import grid_search
        return grid_search(space)
    if name == "random":
        from synaptica.search.random_search import random_search
        return random_search(space, seed)
    if name == "bayes":
        from synaptica.search.bayes import OptunaSampler
        return OptunaSampler(space, journal, seed=seed)
    raise ValueError(f"unknown sampler {name!r}; choose grid, random or bayes")
