"""Strips of handwritten digits side by side, read column by column: a task for CTC.

Seed 004's speech example asks a network to emit a label sequence from a signal whose segmentation
nobody gives. A strip of 2–5 digits placed side by side with random gaps is that task in miniature:
a recurrent network reads the strip one pixel column at a time (each step a column of ``height``
numbers) and must output the digits in order, never told where one ends and the next begins.

:func:`make_strips` builds strips from any set of small images (the 8×8 digits by default, or
Fashion-MNIST items): each strip draws its number of items uniformly from ``[min_items,
max_items]``, the items uniformly from the given images, and before each item, and after the last,
a gap of a uniform number of blank columns in ``[min_gap, max_gap]``. Strips are padded on the right
with blank columns to the longest; ``lengths`` says how many columns each really has. Targets are the
items' labels **plus one**, since CTC reserves class 0 for the blank; ``targets`` is padded with
zeros past ``target_lengths``.

Build training strips from the training images and test strips from the test images, so no test
strip holds an image seen in training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synaptica.errors import ShapeError

__all__ = ["Strips", "make_strips"]


@dataclass(frozen=True, eq=False)
class Strips:
    """``x`` (n, columns, height) float32, ``lengths`` (n,), ``targets`` (n, max_items) int64 (label + 1),
    ``target_lengths`` (n,)."""

    x: np.ndarray
    lengths: np.ndarray
    targets: np.ndarray
    target_lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


def make_strips(images: np.ndarray, labels: np.ndarray, count: int, rng: np.random.Generator, *,
                min_items: int = 2, max_items: int = 5, min_gap: int = 0, max_gap: int = 3) -> Strips:
    """``count`` strips of ``min_items``..``max_items`` images (n, height, width) with random gaps."""
    images = np.asarray(images, dtype=np.float32)
    labels = np.asarray(labels)
    if images.ndim != 3 or len(images) != len(labels) or len(images) == 0:
        raise ShapeError(f"make_strips expects images of shape (n, height, width) and n labels, got "
                         f"{images.shape} and {labels.shape}")
    if not 1 <= min_items <= max_items or not 0 <= min_gap <= max_gap:
        raise ValueError(f"need 1 <= min_items <= max_items and 0 <= min_gap <= max_gap, got items "
                         f"{min_items}..{max_items}, gaps {min_gap}..{max_gap}")
    _, height, width = images.shape
    sizes = rng.integers(min_items, max_items + 1, size=count)
    picks = [rng.integers(0, len(images), size=k) for k in sizes]
    gaps = [rng.integers(min_gap, max_gap + 1, size=k + 1) for k in sizes]
    lengths = np.array([k * width + g.sum() for k, g in zip(sizes, gaps)], dtype=np.int64)
    x = np.zeros((count, int(lengths.max()), height), dtype=np.float32)
    targets = np.zeros((count, max_items), dtype=np.int64)
    for i, (chosen, gap) in enumerate(zip(picks, gaps)):
        column = int(gap[0])
        for j, index in enumerate(chosen):
            x[i, column:column + width] = images[index].T          # columns become steps
            column += width + int(gap[j + 1])
        targets[i, :len(chosen)] = labels[chosen] + 1
    return Strips(x, lengths, targets, sizes.astype(np.int64))
