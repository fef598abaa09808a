"""The learning curves of a run: cost and accuracy per epoch, on the training and validation data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from synaptica.viz.curves import draw_series
from synaptica.viz.figure import new_figure, save_png

if TYPE_CHECKING:  # only for the annotation: pictures do not import the training code
    from synaptica.train.history import History


def plot_history(history: History, path: str | os.PathLike[str], title: str = "") -> Path:
    """Write a PNG of ``history``: cost per epoch on the left, accuracy per epoch on the right.

    Each panel has the training curve (the mean over the epoch's mini-batches) and, when ``fit`` had
    validation data, the validation curve. Reading them is Nielsen's overfitting test (ch. 3): when
    the training cost keeps falling while the validation accuracy stops rising, the network has
    begun to learn the peculiarities of its training set rather than the task.

    Returns the path written.
    """
    if not history.epochs:
        raise ValueError("plot_history: the history has no finished epoch to plot")
    figure = new_figure(10.0, 4.0)
    cost_axes, accuracy_axes = figure.subplots(1, 2)
    for axes, quantity, train, validation in [
        (cost_axes, "Cost", history.train_cost, history.validation_cost),
        (accuracy_axes, "Accuracy", history.train_accuracy, history.validation_accuracy),
    ]:
        series = {"training": train}
        if validation:
            series["validation"] = validation
        draw_series(axes, series, history.epochs)
        axes.set(title=quantity, xlabel="Epoch", ylabel=quantity.lower())
        axes.grid(True, alpha=0.3)
        if axes.get_lines():
            axes.legend()
    if title:
        figure.suptitle(title)
    return save_png(figure, path)
