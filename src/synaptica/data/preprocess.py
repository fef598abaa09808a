"""Drawn images in the form the datasets were made: crop, scale into a box, centre in the frame.

A person drawing on a canvas puts the stroke anywhere, at any size; a network trained on MNIST or
Fashion-MNIST has only ever seen objects of one size in one place. MNIST was made this way
(LeCun et al., "The MNIST database of handwritten digits"): the digit's bounding box was scaled to
fit a 20 × 20 box keeping its aspect ratio (anti-aliased, so the result has grey levels), and that
box was placed in a 28 × 28 frame so the pixels' centre of mass sits at the frame's centre.
Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, section 2) trimmed each product to its bounding box,
scaled the longest edge to 28 and centred the result in the 28 × 28 frame; where the margin is odd,
its larger half lies above and to the left (so 98.8 % of its test images sit). :func:`frame` does both:

    1. the bounding box B of the pixels brighter than ``threshold``;
    2. B scaled by s = box / max(height(B), width(B)) with area averaging: each output pixel is the
       mean of the canvas area it covers (fractional overlaps weighted), the anti-aliasing of a
       box filter;
    3. the scaled image placed in a ``size`` × ``size`` frame, its centre of mass
       (Σ r·I / Σ I, Σ c·I / Σ I) moved to the frame's centre ((size − 1)/2, (size − 1)/2) by
       a whole-pixel shift (``centre="mass"``), or its box centred (``centre="box"``); a shift
       that would push ink out of the frame is reduced so that none is lost.

Area averaging is two matrix products, A_rows · crop · A_colsᵀ, where A[i, k] is the length of the
overlap of output pixel i, [i/s, (i + 1)/s), with input pixel k, [k, k + 1), times s.

The canvas is grey levels in [0, 1] with the ink bright (white on black, as the datasets store
it); :func:`ink_on_black` turns dark ink on light paper around.
"""

from __future__ import annotations

import numpy as np

#: how each dataset placed its images: (box side, centring) in a 28 × 28 frame
DATASET_FRAMING = {"mnist": (20, "mass"), "fashion-mnist": (28, "box")}


def framing_for(dataset: str | None) -> tuple[int, str]:
    """(box, centre) of ``dataset`` (:data:`DATASET_FRAMING`); MNIST's for any other or unknown dataset."""
    return DATASET_FRAMING.get(dataset or "", DATASET_FRAMING["mnist"])


def ink_on_black(canvas: np.ndarray) -> np.ndarray:
    """The canvas with bright ink: inverted when its border is mostly light (dark ink on paper)."""
    canvas = np.asarray(canvas, dtype=np.float64)
    border = np.concatenate([canvas[0], canvas[-1], canvas[:, 0], canvas[:, -1]])
    return 1.0 - canvas if border.mean() > 0.5 else canvas


def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in): row i averages the input pixels output pixel i covers, weighted by overlap."""
    scale = n_out / n_in
    left = np.arange(n_out)[:, None] / scale        # output pixel i covers [i/s, (i+1)/s) of the input
    right = left + 1 / scale
    k = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(right, k + 1) - np.maximum(left, k), 0.0, None)
    return overlap * scale


def resize_area(image: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """``image`` (h, w) resampled to (rows, columns) by area averaging (a box filter)."""
    image = np.asarray(image, dtype=np.float64)
    return _area_matrix(image.shape[0], rows) @ image @ _area_matrix(image.shape[1], columns).T


def _shift(centre: float, low: int, high: int, size: int) -> int:
    """The whole-pixel shift taking ``centre`` to the frame's centre, kept so that the ink, which
    spans [low, high) before the shift, stays inside [0, size)."""
    wanted = int(np.round((size - 1) / 2 - centre))
    return int(np.clip(wanted, -low, size - high))


def frame(canvas, *, size: int = 28, box: int = 20, centre: str = "mass", threshold: float = 0.0) -> np.ndarray:
    """A drawing as a ``size`` × ``size`` float32 image in [0, 1] made the way the dataset was (see the module).

    Args:
        canvas: a 2-D array of grey levels in [0, 1], ink bright; any size.
        box: the side the longer edge of the ink's bounding box is scaled to (20: MNIST, 28: Fashion-MNIST).
        centre: ``"mass"`` (MNIST: centre of mass to the frame's centre) or ``"box"`` (the box centred).
        threshold: pixels brighter than this are ink (they define the bounding box).

    A blank canvas gives a blank frame.
    """
    canvas = np.asarray(canvas, dtype=np.float64)
    if canvas.ndim != 2 or 0 in canvas.shape:
        raise ValueError(f"frame: the canvas must be a 2-D image, got shape {canvas.shape}")
    if not 0 < box <= size:
        raise ValueError(f"frame: box must be between 1 and size = {size}, got {box}")
    if centre not in ("mass", "box"):
        raise ValueError(f"frame: centre must be 'mass' or 'box', got {centre!r}")
    out = np.zeros((size, size), dtype=np.float32)
    rows, columns = np.nonzero(canvas > threshold)
    if len(rows) == 0:
        return out
    crop = np.clip(canvas[rows.min():rows.max() + 1, columns.min():columns.max() + 1], 0.0, 1.0)
    scale = box / max(crop.shape)
    height, width = (max(1, min(box, int(round(n * scale)))) for n in crop.shape)
    scaled = resize_area(crop, height, width)
    top, left = (size - height + 1) // 2, (size - width + 1) // 2  # an odd margin: the larger part above, left
    if centre == "mass" and scaled.sum() > 0:
        mass = scaled.sum()
        centre_row = (np.arange(height) @ scaled.sum(axis=1)) / mass + top
        centre_column = (np.arange(width) @ scaled.sum(axis=0)) / mass + left
        top += _shift(centre_row, top, top + height, size)
        left += _shift(centre_column, left, left + width, size)
    out[top:top + height, left:left + width] = scaled
    return out
