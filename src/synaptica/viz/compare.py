"""Learning rules side by side: validation accuracy per epoch and each rule's angle to backprop.

Drawn by ``synaptica compare`` and the examples that compare rules (examples/feedback_rules.py,
examples/synthetic_gradients.py) from their run records: ``{"rule", "validation_accuracy": [per
epoch], "angles": {name: [per epoch]}}``, several seeds of a rule averaged.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from synaptica.viz.figure import new_figure, save_png

#: the line styles of one rule's angle series (layer by layer)
_STYLES = ["-", "--", ":", "-."]


def draw_comparison(records: list[dict], path: str | os.PathLike[str], title: str,
                    angle_title: str = "Angle to backprop's update") -> Path:
    """Two panels: the mean validation accuracy of every rule per epoch, and the mean of every angle
    series (degrees, with the 90° line below which an update still descends the cost); a PNG at ``path``."""
    figure = new_figure(11.0, 4.2)
    accuracy_axes, angle_axes = figure.subplots(1, 2)
    epochs = 1
    for rule in dict.fromkeys(record["rule"] for record in records):
        runs = [record for record in records if record["rule"] == rule]
        curve = np.mean([record["validation_accuracy"] for record in runs], axis=0)
        epochs = max(epochs, len(curve))
        colour = accuracy_axes.plot(range(len(curve)), curve, marker=".", label=rule)[0].get_color()
        for style, name in zip(_STYLES * len(runs[0]["angles"]), runs[0]["angles"]):  # one colour per rule
            angles = np.mean([record["angles"][name] for record in runs], axis=0)
            angle_axes.plot(range(len(angles)), angles, marker=".", color=colour, linestyle=style,
                            label=f"{rule}: {name}")
    accuracy_axes.set(title="Validation accuracy (mean over seeds)", xlabel="Epoch", ylabel="accuracy")
    angle_axes.set(title=angle_title, xlabel="Epoch", ylabel="degrees")
    angle_axes.axhline(90, color="grey", linewidth=0.8, linestyle=":")
    for axes in (accuracy_axes, angle_axes):
        axes.set_xticks(range(0, epochs, max(1, epochs // 10)))  # whole epochs, also for a single one
        axes.set_xlim(-0.5, epochs - 0.5)
        axes.grid(True, alpha=0.3)
        if axes.get_lines():
            axes.legend(fontsize=7)
    figure.suptitle(title, fontsize=10)
    return save_png(figure, path)
