"""Grid search: every combination of every parameter's values, in a fixed order.

Each choice list is taken whole; a range gives ``points`` evenly spaced values, both ends included
(``numpy.linspace``), or geometrically spaced ones for a log range (``numpy.geomspace``: 0.01, 0.1,
1 for three points of [0.01, 1]). Float values are rounded to 6 significant digits so that they
read as written; an integer range's values are rounded to integers, and repeats dropped.

The grid's size is the product of the numbers of values, so it grows exponentially with the number
of parameters: Bergstra and Bengio (2012) show that when only a few parameters matter, random search
finds as good a setting in far fewer trials, since a grid spends most of its trials repeating the
same few values of each parameter that matters.

Reference: J. Bergstra and Y. Bengio, "Random search for hyper-parameter optimization", JMLR 13, 2012.
"""

from __future__ import annotations

import itertools

import numpy as np

from synaptica.search.sampler import NumberedSampler
from synaptica.search.space import Choice, FloatRange, IntRange, Parameter, SearchSpace


def grid_values(name: str, parameter: Parameter) -> list:
    """The values grid search takes for one parameter."""
    if isinstance(parameter, Choice):
        return list(parameter.values)
    if parameter.points is None:
        raise ValueError(f"grid search needs a number of points for the range search.{name}; "
                         f"add points = N to it, or use --sampler random")
    spacing = np.geomspace if parameter.log else np.linspace
    values = spacing(parameter.low, parameter.high, parameter.points)
    if isinstance(parameter, IntRange):
        return list(dict.fromkeys(int(round(value)) for value in values))
    assert isinstance(parameter, FloatRange)
    return [float(f"{value:.6g}") for value in values]


def grid_points(space: SearchSpace) -> list[dict]:
    """Every combination, the last parameter of the file varying fastest."""
    names = list(space.parameters)
    axes = [grid_values(name, space.parameters[name]) for name in names]
    return [dict(zip(names, combination)) for combination in itertools.product(*axes)]


def grid_search(space: SearchSpace) -> NumberedSampler:
    """A sampler proposing trial n = the n-th grid point."""
    points = grid_points(space)
    return NumberedSampler("grid", lambda number: dict(points[number]), len(points))
