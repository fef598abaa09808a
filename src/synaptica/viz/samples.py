"""Pictures of a generator's samples: a grid PNG after every epoch, and the quality curve.

:class:`SampleGrid` is a callback for ``fit``: after each epoch it turns the same fixed noise into
images with ``predict(model, z)`` (the generator, in evaluation mode) and writes them as one grid, so
the files of successive epochs show one set of samples taking shape. Drawing uses matplotlib (the
``plot`` extra), imported when the first picture is made.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from synaptica.random import SeedLike, stream
from synaptica.train.evaluate import predict
from synaptica.viz.cnn import plot_image_grid


def plot_samples(samples: np.ndarray, image_shape: tuple[int, int], path: str | os.PathLike[str], *,
                 title: str = "", columns: int = 8) -> Path:
    """Write rows of pixels in [0, 1] as a grid of grey images of ``image_shape`` (rows, columns)."""
    images = np.asarray(samples).reshape(len(samples), *image_shape)
    return plot_image_grid(images, path, title=title, columns=columns, value_range=(0.0, 1.0), panel_inches=0.6)


class SampleGrid:
    """After each epoch write ``pattern.format(epoch=...)``: a grid of ``count`` samples.

    Args:
        pattern: the file name, with ``{epoch}`` where the epoch number goes (``samples-{epoch:02d}.png``),
            or one name to overwrite each epoch.
        image_shape: (rows, columns) of one sample, (28, 28) for Fashion-MNIST.
        count: samples per grid (64: 8 × 8).
        seed: seed of the fixed noise (the callback's own stream).

    Attributes:
        written: the paths written so far.
    """

    def __init__(self, pattern: str | os.PathLike[str], image_shape: tuple[int, int] = (28, 28), count: int = 64,
                 seed: SeedLike = 0, title: str = "Samples"):
        self.pattern, self.image_shape, self.count, self.title = str(pattern), tuple(image_shape), count, title
        self.seed = seed
        self.written: list[Path] = []

    def __call__(self, epoch: int, history, model) -> None:
        samples = predict(model, model.noise(self.count, stream(self.seed, "sample-grid")))
        path = self.pattern.format(epoch=epoch)
        self.written.append(plot_samples(samples, self.image_shape, path, title=f"{self.title}, epoch {epoch}"))
