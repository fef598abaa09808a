"""Named series against epochs in one picture: the building block of the training plots."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from synaptica.viz.figure import integer_ticks, new_figure, save_png


def draw_series(axes, series: Mapping[str, Sequence[float]], epochs: Sequence[int] | None = None) -> None:
    """Draw each named series as a line; ``None`` and NaN values leave gaps.

    ``epochs`` gives the x position of every value (default 0, 1, 2, ...). Short series get a
    marker on every value, so that a run of two or three epochs still shows its points.
    """
    for name, values in series.items():
        y = np.array([np.nan if v is None else v for v in values], dtype=float)
        x = np.arange(len(y)) if epochs is None else np.asarray(epochs)
        if len(x) != len(y):
            raise ValueError(f"the series {name!r} has {len(y)} values for {len(x)} epochs")
        if np.isfinite(y).any():
            axes.plot(x, y, marker="o" if len(y) <= 60 else None, markersize=3, label=name)
    integer_ticks(axes)


def plot_curves(series: Mapping[str, Sequence[float]], path: str | os.PathLike[str], *,
                epochs: Sequence[int] | None = None, title: str = "", xlabel: str = "Epoch",
                ylabel: str = "", log_scale: bool = False) -> Path:
    """Write a PNG with one line per named series, e.g. validation accuracy per epoch of two runs::

        plot_curves({"N(0, 1)": large.validation_accuracy, "N(0, 1/n_in)": new.validation_accuracy},
                    "init.png", ylabel="Validation accuracy")

    Returns the path written.
    """
    if not series:
        raise ValueError("plot_curves: nothing to plot (no series given)")
    figure = new_figure()
    axes = figure.add_subplot()
    draw_series(axes, series, epochs)
    if log_scale:
        axes.set_yscale("log")
    axes.set(title=title, xlabel=xlabel, ylabel=ylabel)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    return save_png(figure, path)
