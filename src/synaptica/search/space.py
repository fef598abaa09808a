"""A search space: the settings every trial shares, and the parameters the search varies.

A parameter is one of three kinds:

- :class:`Choice`: a list of values, e.g. ``λ ∈ {0, 0.5, 5}`` or ``hidden ∈ {[30], [100]}``;
- :class:`FloatRange`: a number in [low, high], drawn uniformly, or log-uniformly (``log=True``:
  ln x uniform in [ln low, ln high], so each factor of ten is as likely as the next, the right
  prior for a learning rate whose useful values span decades);
- :class:`IntRange`: an integer in [low, high], both ends included (``log=True`` as above).

Ranges have no finite set of values, so grid search needs ``points``: how many evenly spaced values
(geometrically spaced when ``log``) to take from the range, both ends included. Random and Bayesian
search ignore ``points`` and draw from the whole range.

Spaces are read from TOML files by :func:`synaptica.search.load.load_space`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from synaptica.search.settings import full_settings


@dataclass(frozen=True)
class Choice:
    """One of a list of values, each a valid value of its setting."""

    values: tuple


@dataclass(frozen=True)
class FloatRange:
    """A number in [low, high] (low < high; low > 0 when ``log``)."""

    low: float
    high: float
    log: bool = False
    points: int | None = None


@dataclass(frozen=True)
class IntRange:
    """An integer in [low, high], both included (low < high; low > 0 when ``log``)."""

    low: int
    high: int
    log: bool = False
    points: int | None = None


Parameter = Choice | FloatRange | IntRange


@dataclass(frozen=True)
class SearchSpace:
    """What a search varies (``parameters``, in file order) and what it holds fixed (``fixed``).

    ``source`` is the file the space came from (named in errors and used to name the results file);
    ``name`` is its stem, which also names the Optuna study.
    """

    fixed: dict
    parameters: dict[str, Parameter]
    source: Path = field(default=Path("<space>"))

    @property
    def name(self) -> str:
        return self.source.stem

    def settings(self, params: dict) -> dict:
        """Every training setting of the trial with these parameter values."""
        return full_settings(self.fixed, params)
