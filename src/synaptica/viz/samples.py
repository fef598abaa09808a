"""Pictures of a generator's samples: rows of pixels drawn as one grid of grey images.

The callback :class:`synaptica.train.sample_quality.SampleGrid` calls :func:`plot_samples` after
every epoch. Drawing uses matplotlib (the ``plot`` extra), imported when the first picture is made.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from synaptica.viz.cnn import plot_image_grid


def plot_samples(samples: np.ndarray, image_shape: tuple[int, int], path: str | os.PathLike[str], *,
                 title: str = "", columns: int = 8) -> Path:
    """Write rows of pixels in [0, 1] as a grid of grey images of ``image_shape`` (rows, columns)."""
    images = np.asarray(samples).reshape(len(samples), *image_shape)
    return plot_image_grid(images, path, title=title, columns=columns, value_range=(0.0, 1.0), panel_inches=0.6)
