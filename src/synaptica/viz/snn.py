"""Pictures of a spiking network: every excitatory neuron's receptive field (its incoming weights)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from synaptica.viz.som import plot_mosaic


def plot_receptive_fields(model, path: str | os.PathLike[str], *, title: str = "", columns: int | None = None) -> Path:
    """The input weights of each neuron of a :class:`~synaptica.models.SpikingNetwork` drawn as an
    image (dark: strong), neurons row by row in a mosaic (default about √neurons wide)."""
    fields = model.receptive_fields()
    n, h, w = fields.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    tiles = np.zeros((rows * columns, h, w))
    tiles[:n] = fields
    return plot_mosaic(tiles.reshape(rows, columns, h, w), path, title=title)
