"""Saying where training went wrong: the first layer whose output is non-finite on a batch."""

from __future__ import annotations

import numpy as np

from synaptica.nn.module import Module


def locate_non_finite(model: Module, batch, epoch: int, index: int, reason: str) -> str:
    """The message of a NonFiniteError at ``epoch``, batch ``index``: the reason, then where the
    non-finite values first appear (the input itself, or the first layer output, found by running
    the model's ``trace`` layer by layer on the batch's inputs)."""
    x = batch[0] if isinstance(batch, tuple) else None
    where = "no layer output was non-finite (the cost itself overflowed)"
    trace = getattr(model, "trace", None)
    if isinstance(x, np.ndarray):
        if not np.all(np.isfinite(x)):
            bad = np.argwhere(~np.isfinite(x))[0]
            where = f"the input itself is non-finite (example {bad[0]} of the batch, feature {bad[1:].tolist()})"
        if trace is not None:
            for name, output in trace(x):
                if not np.all(np.isfinite(output)):
                    layer = f"first non-finite layer output: {name}"
                    where = f"{where}; {layer}" if where.startswith("the input") else layer
                    break
    return (f"non-finite cost at epoch {epoch}, batch {index} ({reason}); {where}. "
            "The weights are those from before this step. Lower the learning rate, or check the data.")
