"""Pictures of a classifier's uncertainty: reliability diagrams and predictive-entropy histograms.

    from synaptica.train.calibration import reliability
    from synaptica.viz.calibration import plot_reliability, plot_entropy
    plot_reliability({"Bayes by backprop": reliability(p_bbb, y), "backprop": reliability(p_bp, y)}, "reliability.png")
    plot_entropy({"Bayes by backprop": {"test": h1, "held-out classes": h2, "noise": h3}, ...}, "entropy.png")

A reliability diagram (DeGroot and Fienberg 1983; Guo et al. 2017) draws, for each confidence bin,
the fraction of predictions that were right against the diagonal a calibrated model would follow:
bars below the diagonal are over-confidence. The gap is the expected calibration error
(:func:`synaptica.train.calibration.expected_calibration_error`), written in each panel's title.
The pictures draw tables that :mod:`synaptica.train.calibration` measured; nothing is measured here.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from synaptica.viz.figure import new_figure, save_png


def plot_reliability(models: dict[str, dict], path: str | os.PathLike[str], *, title: str = "") -> Path:
    """One panel per model (label -> its :func:`~synaptica.train.calibration.reliability` table):
    accuracy per confidence bin as bars, the gap to the bin's confidence, the diagonal, and the
    share of predictions in each bin (grey line)."""
    figure = new_figure(4.2 * len(models), 4.4)
    panels = np.atleast_1d(figure.subplots(1, len(models), squeeze=False)[0])
    for axes, (label, table) in zip(panels, models.items()):
        edges = table["edges"]
        width = edges[1] - edges[0]
        filled = table["count"] > 0
        axes.bar(edges[:-1][filled], table["accuracy"][filled], width=width, align="edge", color="C0",
                 edgecolor="black", linewidth=0.5, label="accuracy")
        axes.bar(edges[:-1][filled], (table["confidence"] - table["accuracy"])[filled],
                 bottom=table["accuracy"][filled], width=width, align="edge", color="C3", alpha=0.35,
                 edgecolor="C3", linewidth=0.5, label="gap to confidence")
        axes.plot([0, 1], [0, 1], "k--", linewidth=1, label="calibrated")
        share = table["count"] / max(table["count"].sum(), 1)
        axes.step(edges[:-1], share, where="post", color="gray", linewidth=1, label="share of predictions")
        axes.set_title(f"{label}\nECE {table['ece']:.4f} ({len(edges) - 1} bins)", fontsize=10)
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1)
        axes.set_xlabel("confidence (largest probability)")
        axes.set_ylabel("accuracy")
        axes.legend(fontsize=7, loc="upper left")
    if title:
        figure.suptitle(title, fontsize=11)
    return save_png(figure, path)


def plot_entropy(models: dict[str, dict[str, np.ndarray]], path: str | os.PathLike[str], *,
                 classes: int | None = None, title: str = "") -> Path:
    """One panel per model (label -> {data set name -> per-example predictive entropies}): the
    histogram of each data set's entropies, normalised, on a shared axis from 0 to ln(classes)."""
    figure = new_figure(4.2 * len(models), 3.8)
    panels = np.atleast_1d(figure.subplots(1, len(models), squeeze=False)[0])
    largest = max(float(np.max(h)) for sets in models.values() for h in sets.values())
    top = np.log(classes) if classes else largest
    edges = np.linspace(0.0, max(top, largest) + 1e-9, 31)
    for axes, (label, sets) in zip(panels, models.items()):
        for i, (name, entropies) in enumerate(sets.items()):
            axes.hist(entropies, bins=edges, density=True, histtype="stepfilled", alpha=0.35, color=f"C{i}",
                      label=f"{name} (mean {np.mean(entropies):.3f})")
            axes.hist(entropies, bins=edges, density=True, histtype="step", color=f"C{i}")
        axes.set_title(label, fontsize=10)
        axes.set_xlabel("predictive entropy (nats)")
        axes.set_ylabel("density")
        axes.legend(fontsize=7)
    if title:
        figure.suptitle(title, fontsize=11)
    return save_png(figure, path)
