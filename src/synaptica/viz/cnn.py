"""Pictures of what a CNN learned, written as PNG files: grids of small images with their own colour scales.

The arrays come from :mod:`synaptica.interpret` (kernels, feature maps, maximising images, saliency
maps, dreams, style transfers); this module only draws them, with matplotlib's Agg renderer (the
``plot`` extra, imported when a picture is made; see :mod:`synaptica.viz.figure`).

Each panel gets its own colour scale, because kernels and feature maps differ in range from one to
the next. Kernels and other signed arrays use a diverging map centred on zero (red positive, blue
negative, white zero), so an excitatory and an inhibitory weight look different; pixels use grey
from black (the lowest value) to white.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from synaptica.viz.figure import new_figure, save_png

#: colour maps: pixels, signed weights (zero is white), and non-negative magnitudes such as saliency
PIXELS, SIGNED, MAGNITUDE = "gray", "RdBu_r", "hot"


def plot_image_grid(images, path: str | os.PathLike[str], *, titles: Sequence[str] | None = None,
                    title: str = "", columns: int | None = None, cmap: str = PIXELS, signed: bool = False,
                    value_range: tuple[float, float] | None = None, panel_inches: float = 1.2) -> Path:
    """Write a PNG with one panel per image: (n, H, W) grey, (n, 3, H, W) colour, or a list of grey
    (H, W) arrays whose sizes may differ.

    Args:
        titles: one caption per panel.
        columns: panels per row (default about √n, at most 10).
        cmap: the matplotlib colour map for grey panels.
        signed: scale each panel to ±max|v| so that zero sits in the middle of ``cmap``.
        value_range: one fixed (low, high) for every panel instead of each panel's own range.

    Returns the path written.
    """
    if isinstance(images, np.ndarray) and images.ndim == 4 and images.shape[1] == 3:
        panels, colour = [np.asarray(image, dtype=np.float64).transpose(1, 2, 0) for image in images], True
    else:
        panels, colour = [np.asarray(image, dtype=np.float64) for image in images], False
    if not panels or (not colour and any(panel.ndim != 2 for panel in panels)):
        raise ValueError(f"plot_image_grid: expected (n, H, W) or (n, 3, H, W) images, got shape {np.shape(images)}")
    if titles is not None and len(titles) != len(panels):
        raise ValueError(f"plot_image_grid: {len(titles)} titles for {len(panels)} images")
    n = len(panels)
    columns = columns or min(10, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / columns)
    figure = new_figure(max(4.0, columns * panel_inches), max(2.0, rows * panel_inches + (0.4 if title else 0.0)))
    axes_grid = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    for k, axes in enumerate(axes_grid):
        axes.set_axis_off()
        if k >= n:
            continue
        if colour:
            axes.imshow(_unit_range(panels[k]), interpolation="nearest")
        else:
            low, high = _panel_range(panels[k], signed, value_range)
            axes.imshow(panels[k], cmap=cmap, vmin=low, vmax=high, interpolation="nearest")
        if titles is not None:
            axes.set_title(titles[k], fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    return save_png(figure, path)


def _panel_range(image: np.ndarray, signed: bool, value_range: tuple[float, float] | None) -> tuple[float, float]:
    if value_range is not None:
        return value_range
    if signed:
        extent = float(np.abs(image).max()) or 1.0
        return -extent, extent
    low, high = float(image.min()), float(image.max())
    return (low, high) if high > low else (low - 0.5, low + 0.5)


def _unit_range(image: np.ndarray) -> np.ndarray:
    low, high = image.min(), image.max()
    return (image - low) / (high - low) if high > low else np.zeros_like(image)


def as_panels(images: np.ndarray) -> np.ndarray:
    """(n, C, H, W) -> (n, H, W) for one channel, kept as (n, 3, H, W) for three; already (n, H, W) unchanged."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[1] == 1:
        return images[:, 0]
    if images.ndim == 4 and images.shape[1] != 3:
        raise ValueError(f"images of {images.shape[1]} channels cannot be drawn as grey or colour pictures")
    return images


def plot_filters(filters: np.ndarray, path: str | os.PathLike[str], title: str = "First-layer filters") -> Path:
    """The kernels (F, C, kh, kw) of a convolution, one panel per filter, zero white.

    One input channel: each kernel in the diverging map; three: each kernel as colour; any other
    number: one panel per (filter, channel) pair, a row per filter.
    """
    filters = np.asarray(filters)
    if filters.ndim != 4:
        raise ValueError(f"plot_filters: expected kernels (filters, channels, kh, kw), got shape {filters.shape}")
    n_filters, channels = filters.shape[:2]
    if channels == 1:
        return plot_image_grid(filters[:, 0], path, titles=[str(f) for f in range(n_filters)], title=title,
                               cmap=SIGNED, signed=True)
    if channels == 3:
        return plot_image_grid(filters, path, titles=[str(f) for f in range(n_filters)], title=title)
    panels = filters.reshape(n_filters * channels, *filters.shape[2:])
    titles = [f"{f}.{c}" for f in range(n_filters) for c in range(channels)]
    return plot_image_grid(panels, path, titles=titles, title=f"{title} (filter.channel)", columns=channels,
                           cmap=SIGNED, signed=True)


def plot_feature_maps(maps: np.ndarray, path: str | os.PathLike[str], *, image: np.ndarray | None = None,
                      title: str = "Feature maps") -> Path:
    """A layer's output for one image: (channels, H, W) maps, one panel each, after the image itself
    when given; a flat layer's output (units,) is drawn as one row of values."""
    maps = np.asarray(maps)
    if maps.ndim == 1:
        maps = maps[None, None, :]
        titles = [f"{maps.shape[2]} units"]
    elif maps.ndim == 3:
        titles = [f"map {c}" for c in range(len(maps))]
    else:
        raise ValueError(f"plot_feature_maps: expected maps (channels, H, W) or units (d,), got shape {maps.shape}")
    panels = list(maps)
    if image is not None:
        image = as_panels(np.asarray(image)[None])[0]
        if image.ndim == 3:
            raise ValueError("plot_feature_maps: give a grey image (H, W) to draw beside the maps")
        panels, titles = [image, *panels], ["input", *titles]
    return plot_image_grid(panels, path, titles=titles, title=title, cmap="viridis")


def plot_saliency(images: np.ndarray, maps: np.ndarray, path: str | os.PathLike[str], *,
                  titles: Sequence[str] | None = None, title: str = "Class saliency |∂S_c/∂x|") -> Path:
    """Each image (n, C, H, W) above its saliency map (n, H, W)."""
    images = as_panels(images)
    maps = np.asarray(maps)
    if images.ndim != 3 or maps.shape != images.shape:
        raise ValueError(f"plot_saliency: expected grey images and maps of the same (n, H, W) shape, got "
                         f"{images.shape} and {maps.shape}")
    return _plot_rows([images, maps], [PIXELS, MAGNITUDE], path, titles, ["image", "saliency"], title)


def plot_before_after(before: np.ndarray, after: np.ndarray, path: str | os.PathLike[str], *,
                      titles: Sequence[str] | None = None, title: str = "") -> Path:
    """Rows: the images before (n, C, H, W), after, and the change (after − before, zero white)."""
    before, after = as_panels(before), as_panels(after)
    if before.shape != after.shape or before.ndim != 3:
        raise ValueError(f"plot_before_after: expected grey images of the same shape, got {before.shape} "
                         f"and {after.shape}")
    return _plot_rows([before, after, after - before], [PIXELS, PIXELS, SIGNED], path, titles,
                      ["before", "after", "change"], title)


def _plot_rows(rows: list[np.ndarray], cmaps: list[str], path, titles, row_names: list[str], title: str) -> Path:
    n = len(rows[0])
    figure = new_figure(max(4.0, 1.3 * n + 0.6), 1.3 * len(rows) + (0.4 if title else 0.0))
    grid = figure.subplots(len(rows), n, squeeze=False)
    for r, (images, cmap) in enumerate(zip(rows, cmaps)):
        for k in range(n):
            axes = grid[r, k]
            axes.set_xticks([])
            axes.set_yticks([])
            low, high = _panel_range(images[k], cmap == SIGNED, None)
            axes.imshow(images[k], cmap=cmap, vmin=low, vmax=high, interpolation="nearest")
            if r == 0 and titles is not None:
                axes.set_title(titles[k], fontsize=8)
            if k == 0:
                axes.set_ylabel(row_names[r], fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    return save_png(figure, path)


def plot_style_transfer(content: np.ndarray, style: np.ndarray, result: np.ndarray, path: str | os.PathLike[str],
                        title: str = "Deep Style") -> Path:
    """Three panels: the content image, the style image and the image found (each (C, H, W) or (H, W))."""
    panels = np.stack([np.asarray(a, dtype=np.float64) for a in (content, style, result)])
    if panels.ndim == 4:
        panels = as_panels(panels)
    return plot_image_grid(panels, path, titles=["content", "style", "result"], title=title, columns=3,
                           value_range=(0.0, 1.0) if panels.min() >= 0 and panels.max() <= 1 else None,
                           panel_inches=1.8)


def plot_image_rows(rows: dict[str, np.ndarray], path: str | os.PathLike[str], *,
                    titles: Sequence[str] | None = None, title: str = "") -> Path:
    """One row of grey panels per entry, named on the left: e.g. test images, then their reconstructions
    by an autoencoder and by PCA (each (n, H, W), the same n; pixels on one fixed 0–1 scale would hide
    a reconstruction's own contrast, so each panel uses its own range)."""
    arrays = [as_panels(np.asarray(images)) for images in rows.values()]
    if not arrays or any(a.shape[0] != arrays[0].shape[0] or a.ndim != 3 for a in arrays):
        raise ValueError(f"plot_image_rows: expected rows of (n, H, W) images with the same n, got "
                         f"{[a.shape for a in arrays]}")
    return _plot_rows(arrays, [PIXELS] * len(arrays), path, titles, list(rows), title)
