"""Nielsen's "speed of learning" picture: ‖∂C/∂b‖ of each layer per epoch, on a log scale."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from synaptica.viz.curves import plot_curves


def plot_gradient_norms(norms: Mapping[str, Sequence[float]], path: str | os.PathLike[str], *,
                        epochs: Sequence[int] | None = None,
                        title: str = "Speed of learning: ‖∂C/∂b‖ per layer") -> Path:
    """Write a PNG of each layer's bias-gradient length per epoch (log scale), as in Nielsen ch. 5.

    ``norms`` is ``{layer name: [‖∂C/∂b‖, ...]}``, such as
    :attr:`synaptica.train.monitors.LayerSpeedMonitor.norms`, and ``epochs`` the number of epochs
    of training before each value (the monitor's ``epochs``; 0 is the initial network). In a deep
    sigmoid network the curves lie in order, the first hidden layer lowest: the vanishing gradient.

    Returns the path written.
    """
    for name, values in norms.items():
        if any(v is not None and v < 0 for v in values):
            raise ValueError(f"plot_gradient_norms: the norms of {name!r} include a negative value")
    return plot_curves(norms, path, epochs=epochs, title=title, xlabel="Epochs of training",
                       ylabel="‖∂C/∂b‖ (log scale)", log_scale=True)
