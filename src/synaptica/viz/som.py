"""Pictures of a self-organizing map: its U-matrix, its hit map and its prototypes as images.

    from synaptica.viz.som import plot_map, plot_prototypes
    plot_map(som, x, "som.png", y=y)            # U-matrix and hits, each unit's majority label written in
    plot_prototypes(som, (8, 8), "prototypes.png")
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from synaptica.viz.figure import new_figure, save_png


def plot_map(som, x, path: str | os.PathLike[str], *, y=None, title: str = "") -> Path:
    """Two panels: the U-matrix (mean distance of each unit's prototype to its neighbours'; dark
    valleys are clusters, light ridges borders) and the hit map (how many of ``x`` each unit wins).
    With labels ``y`` each unit's majority label is written on the U-matrix."""
    figure = new_figure(11.0, 5.2)
    left, right = figure.subplots(1, 2)
    shown = left.imshow(som.u_matrix(), cmap="bone_r", interpolation="nearest")
    figure.colorbar(shown, ax=left, shrink=0.8)
    left.set_title("U-matrix (mean distance to neighbours)", fontsize=10)
    if y is not None:
        labels = som.majority_labels(x, y).reshape(som.rows, som.columns)
        hits = som.hits(x)
        for (r, c), label in np.ndenumerate(labels):
            if hits[r, c]:
                left.text(c, r, str(label), ha="center", va="center", fontsize=max(4, 160 // max(som.rows, som.columns)),
                          color=f"C{label % 10}")
    shown = right.imshow(som.hits(x), cmap="viridis", interpolation="nearest")
    figure.colorbar(shown, ax=right, shrink=0.8)
    right.set_title(f"hits ({len(x)} points)", fontsize=10)
    from matplotlib.ticker import MaxNLocator

    for axes in (left, right):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("column")
        axes.set_ylabel("row")
    if title:
        figure.suptitle(title, fontsize=11)
    return save_png(figure, path)


def plot_prototypes(som, image_shape: tuple[int, int], path: str | os.PathLike[str], *, title: str = "",
                    cmap: str = "gray_r") -> Path:
    """Every unit's prototype drawn as an image at its place on the grid, as one mosaic."""
    h, w = image_shape
    return plot_mosaic(som.prototypes.reshape(som.rows, som.columns, h, w), path, title=title, cmap=cmap)


def plot_mosaic(tiles, path: str | os.PathLike[str], *, title: str = "", cmap: str = "gray_r") -> Path:
    """A (rows, columns, h, w) array of small images drawn as one mosaic, each scaled to its own range."""
    tiles = np.asarray(tiles, dtype=np.float64)
    rows, columns, h, w = tiles.shape
    low, high = tiles.min(axis=(2, 3), keepdims=True), tiles.max(axis=(2, 3), keepdims=True)
    tiles = (tiles - low) / np.where(high > low, high - low, 1)
    mosaic = np.ones((rows * (h + 1) - 1, columns * (w + 1) - 1))
    for r in range(rows):
        for c in range(columns):
            mosaic[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = tiles[r, c]
    figure = new_figure(8.0, 8.0 * mosaic.shape[0] / mosaic.shape[1] + (0.4 if title else 0.0))
    axes = figure.add_subplot()
    axes.imshow(mosaic, cmap=cmap, interpolation="nearest")
    axes.set_axis_off()
    if title:
        figure.suptitle(title, fontsize=11)
    return save_png(figure, path)
