"""Saying where training went wrong, and leaving finite weights behind when it does.

A step whose cost is NaN or infinite is refused by the rule before its update (:func:`locate_non_finite`
says where the non-finite values first appear). An update can also make weights non-finite while its
own cost was finite (a learning rate of 1,000 overflows them); that shows only later, as the next
step's cost or at the end of the epoch. Checking every weight after every step would cost 5–8 % of a
small network's training time, so :class:`FiniteWeights` keeps a copy of the weights once per epoch,
checks them when the epoch's steps are done (and when a later cost fails), and puts the copy back.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import NonFiniteError
from synaptica.nn.module import Module

ADVICE = "Lower the learning rate, or check the data."


def locate_non_finite(model: Module, batch, epoch: int, index: int, reason: str, rows=None) -> str:
    """Where the non-finite values of a failed step first appear: the input itself (its example in
    the batch and, given the batch's dataset ``rows``, its row in the data), or the first non-finite
    layer output, found by running the model's ``trace`` layer by layer on the batch's inputs."""
    x = batch[0] if isinstance(batch, tuple) else None
    where = "no layer output was non-finite (the cost itself overflowed)"
    trace = getattr(model, "trace", None)
    if isinstance(x, np.ndarray):
        if not np.all(np.isfinite(x)):
            bad = np.argwhere(~np.isfinite(x))[0]
            row = f", row {int(rows[bad[0]])} of the data" if rows is not None and len(rows) == len(x) else ""
            where = f"the input itself is non-finite (example {bad[0]} of the batch{row}, feature {bad[1:].tolist()})"
        if trace is not None:
            for name, output in trace(x):
                if not np.all(np.isfinite(output)):
                    layer = f"first non-finite layer output: {name}"
                    where = f"{where}; {layer}" if where.startswith("the input") else layer
                    break
    return f"non-finite cost at epoch {epoch}, batch {index} ({reason}); {where}"


def non_finite_weights(model: Module) -> tuple[str, int] | None:
    """The first parameter holding NaN or infinite values and how many it holds, or None."""
    for name, parameter in model.named_parameters():
        bad = int(np.count_nonzero(~np.isfinite(parameter.data)))
        if bad:
            return name, bad
    return None


class FiniteWeights:
    """The model's weights as they were at the end of the last epoch found finite, to put back."""

    def __init__(self, model: Module, epoch: int):
        self.model, self.epoch = model, epoch
        self.kept: dict[str, np.ndarray] | None = None  # None: non-finite from the start, nothing to put back
        if non_finite_weights(model) is None:
            self._keep(epoch)

    def check(self, epoch: int) -> None:
        """After epoch ``epoch - 1``'s steps (before any evaluation or checkpoint sees the weights):
        keep a copy if every weight is finite, else put the last copy back and raise NonFiniteError."""
        broken = non_finite_weights(self.model)
        if broken is None:
            self._keep(epoch)
        elif self.kept is None:
            raise NonFiniteError(f"the weights were non-finite before training: {self._named(broken)}. {ADVICE}")
        else:
            raise NonFiniteError(f"an update in epoch {epoch - 1} {self._restore(broken)}")

    def step_failed(self, message: str) -> NonFiniteError:
        """The error for a step whose cost was non-finite: the weights were fine before it (the rule
        refused to update), or an earlier update of the epoch broke them (they are put back)."""
        broken = non_finite_weights(self.model)
        if broken is None:
            return NonFiniteError(f"{message}. The weights are those from before this step. {ADVICE}")
        if self.kept is None:
            return NonFiniteError(f"{message}; the weights were non-finite before training: {self._named(broken)}")
        return NonFiniteError(f"{message}; an earlier update of this epoch {self._restore(broken)}")

    def _keep(self, epoch: int) -> None:
        self.kept = {name: array.copy() for name, array in self.model.state_dict().items()}
        self.epoch = epoch

    @staticmethod
    def _named(broken: tuple[str, int]) -> str:
        name, count = broken
        return f"{count} values of {name} are NaN or infinite"

    def _restore(self, broken: tuple[str, int]) -> str:
        self.model.load_state_dict(self.kept)
        name, count = broken
        return (f"made {count} weights of {name} non-finite (NaN or infinite) while its cost was finite. "
                f"The weights are put back to those from before epoch {self.epoch}. {ADVICE}")
