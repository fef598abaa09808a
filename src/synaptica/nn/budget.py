"""The memory budget: how large a layer, an architecture or one forward pass may be.

A size typed by mistake (``mlp([784, 30000000, 10])``, 175 GiB) or read from a damaged model file
(``out_features`` 10,000,000, or a convolution padded by 10,000) would otherwise ask NumPy for tens
of gigabytes, and end in a ``MemoryError`` or the machine swapping, long after the mistake. So:

- every layer with parameters checks, in its constructor and before allocating anything, that it
  holds at most :data:`MAX_PARAMETERS` numbers (parameters and buffers);
- the model loader adds up what each layer of a file's architecture would hold, before building it,
  and refuses an architecture that needs more than the file holds, or more than the budget
  (:mod:`synaptica.nn.registry`);
- ``Linear``, ``Maxout`` and ``Conv2d`` check, before each forward pass, that no array they make
  (an output, or a convolution's patch matrix) holds more than :data:`MAX_ACTIVATION_VALUES` numbers;
  a larger batch is refused with the advice to split it.

Each refusal is a :class:`~synaptica.errors.BudgetError` (a ``ValueError``) that names the layer, the
size asked for and the budget. The budgets are 2**28 numbers, 1 GiB of float32 (2 GiB of float64):
about 200 times the largest network this library trains in its examples (1.3 million parameters),
and 5 times the largest array of the default CNN (``synaptica.nn.cnn``) for the batches of 1,000 that
``predict`` and ``evaluate`` pass (its second convolution's patch matrix, 51 million numbers).
"""

from __future__ import annotations

import math

from synaptica.errors import BudgetError

__all__ = ["MAX_PARAMETERS", "MAX_ACTIVATION_VALUES", "check_parameters", "check_activation"]

MAX_PARAMETERS = 2**28
"""The most numbers (parameters and buffers) one layer, or one model read from a file, may hold."""

MAX_ACTIVATION_VALUES = 2**28
"""The most numbers one array made by one layer in one forward pass may hold."""


def _gib(count: int) -> str:
    """``1.0 GiB as float32`` for 2**28 numbers."""
    return f"{count * 4 / 2**30:,.1f} GiB as float32"


def check_parameters(layer: str, count: int) -> int:
    """Return ``count``, or raise :class:`BudgetError` if ``layer`` would hold more numbers than
    :data:`MAX_PARAMETERS`."""
    if count > MAX_PARAMETERS:
        raise BudgetError(f"{layer} would hold {count:,} parameters ({_gib(count)}), more than the budget of "
                          f"{MAX_PARAMETERS:,} (synaptica.nn.budget.MAX_PARAMETERS); is a size mistyped?")
    return count


def check_activation(layer: str, input_shape: tuple, what: str, shape: tuple) -> None:
    """Raise :class:`BudgetError` if the array ``what`` of ``shape`` that ``layer`` would make from
    an input of ``input_shape`` holds more numbers than :data:`MAX_ACTIVATION_VALUES`."""
    count = math.prod(shape)
    if count > MAX_ACTIVATION_VALUES:
        raise BudgetError(f"{layer} on an input of shape {tuple(input_shape)} would make its {what} of shape "
                          f"{tuple(shape)}: {count:,} numbers ({_gib(count)}), more than the budget of "
                          f"{MAX_ACTIVATION_VALUES:,} (synaptica.nn.budget.MAX_ACTIVATION_VALUES); "
                          f"pass fewer examples at a time")
