"""The validators for constructor arguments: one check per kind of number, one message format.

Each function takes the owner (the layer, builder or function whose argument it is, as the user
would name it: ``"Linear"``, ``"mlp"``), the argument's name and its value; it returns the value as
a plain Python ``int`` or ``float``, or raises :class:`ValueError` naming all three::

    Linear: in_features must be a positive integer, got 2.5

What they refuse, beyond the range each states:

- ``bool``: ``True`` is an ``int`` to Python, but ``Linear(True, 3)`` is a mistake, not one input;
- non-integral numbers where an integer is asked for (``2.5``, also ``3.0``), so a size never gets
  rounded silently; NumPy integers are accepted;
- NaN and ±∞ where a real number is asked for (a NaN fails every comparison, so a hand-written
  ``if x < 0`` lets it through);
- anything that is not a number (a string from a config file, None).

Every error is a :class:`ValueError` (also for a value of the wrong type), so a caller that turns a
refused value into its own error, such as the model loader, catches one class. An empty ``owner``
leaves out the ``owner:`` prefix, and an empty ``name`` the name, for a caller that states them in
its own words: the command line's option types (:mod:`synaptica.cli.arguments`) give argparse
``must be > 0 (a finite number), got inf``, which it prints after the option's name.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection
from typing import Any


def _refused(owner: str, name: str, problem: str) -> ValueError:
    """The one message format, ``owner: name problem``, without the parts that are empty."""
    return ValueError(" ".join(part for part in (f"{owner}:" if owner else "", name, problem) if part))


def _integer(owner: str, name: str, value: Any, low: int, wanted: str) -> int:
    """``value`` as an int if it is an integer (not a bool) ≥ ``low``; otherwise ``must be {wanted}``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise _refused(owner, name, f"must be {wanted}, got {value!r}")
    return int(value)


def positive_int(owner: str, name: str, value: Any) -> int:
    """An integer ≥ 1 (a size, a count)."""
    return _integer(owner, name, value, 1, "a positive integer")


def non_negative_int(owner: str, name: str, value: Any) -> int:
    """An integer ≥ 0 (a seed, an index)."""
    return _integer(owner, name, value, 0, "an integer >= 0")


def positive_ints(owner: str, name: str, values: Any, example: str = "[784, 30, 10]") -> tuple[int, ...]:
    """A list or tuple of integers ≥ 1 (layer sizes, an image shape); an error names the item
    (``mlp: sizes[1] must be a positive integer, got 0``). The caller checks the length."""
    if not isinstance(values, (list, tuple)):
        raise _refused(owner, name, f"must be a list of positive integers such as {example}, got {values!r}")
    return tuple(positive_int(owner, f"{name}[{i}]", value) for i, value in enumerate(values))


def _real(owner: str, name: str, value: Any, accepts, wanted: str) -> float:
    """``value`` as a float if it is a finite real number that ``accepts``; otherwise the message
    ``must be {wanted}``, which adds ``(a finite number)`` for NaN, ±∞ and non-numbers."""
    finite = not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)
    if not finite or not accepts(float(value)):
        note = "" if finite or "finite" in wanted else " (a finite number)"
        raise _refused(owner, name, f"must be {wanted}{note}, got {value!r}")
    return float(value)


def finite_float(owner: str, name: str, value: Any) -> float:
    """Any finite real number."""
    return _real(owner, name, value, lambda v: True, "a finite number")


def positive_float(owner: str, name: str, value: Any) -> float:
    """A finite real number > 0 (a learning rate, an ε)."""
    return _real(owner, name, value, lambda v: v > 0, "> 0")


def non_negative_float(owner: str, name: str, value: Any) -> float:
    """A finite real number ≥ 0 (a penalty weight)."""
    return _real(owner, name, value, lambda v: v >= 0, ">= 0")


def in_unit_interval(owner: str, name: str, value: Any, *, one: bool = True, what: str = "") -> float:
    """A number in [0, 1], or in [0, 1) with ``one=False`` (a leaky ReLU's slope); ``what`` names
    the kind of number in the message (``"a probability"``)."""
    interval = "[0, 1]" if one else "[0, 1)"
    wanted = f"{what} in {interval}" if what else f"in {interval}"
    return _real(owner, name, value, (lambda v: 0 <= v <= 1) if one else (lambda v: 0 <= v < 1), wanted)


def probability(owner: str, name: str, value: Any, *, one: bool = True) -> float:
    """A probability in [0, 1], or in [0, 1) with ``one=False`` (a dropout p: dropping every unit
    leaves no network)."""
    return in_unit_interval(owner, name, value, one=one, what="a probability")


def one_of(owner: str, name: str, value: Any, choices: Collection[str]) -> str:
    """One of the names in ``choices`` (an initialiser, an activation); the message lists them."""
    if not isinstance(value, str) or value not in choices:
        raise _refused(owner, f"unknown {name}", f"{value!r}; choose from {sorted(choices)}")
    return value
