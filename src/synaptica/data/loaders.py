"""Batch sources: where the training loop's batches come from.

:func:`~synaptica.train.fit` asks its source for one epoch of batches at a time::

    for batch in source.batches(model, rng): ...

A source is any object with that method. It receives the model (a source of environment rollouts
acts with the current policy) and the run's Generator (so shuffling and distortions follow the
run's seed). Two optional attributes help the loop report progress: ``examples`` (per epoch, for
the training accuracy) and ``steps`` (batches per epoch, for the progress bar); ``batch_size``
tells the BLAS thread policy how large the products are.

:class:`ArraySource` is the source for data held in arrays: labelled ``(x, y)`` pairs or inputs
``x`` alone (an autoencoder's data), shuffled every epoch, gathered in blocks and optionally
distorted as they are drawn. Padded sequences and rollouts are sources of their own.

A source that can stop between two steps and go on exactly (for checkpoints) also has
``state_dict()`` and ``load_state_dict(state)``: where the epoch under way stands. A source
without them is checkpointed at the end of an epoch only.
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from synaptica.errors import ShapeError

#: ``augment(x_batch, rng) -> x_batch``, e.g. :class:`synaptica.data.augment.Augment`
Augmentation = Callable[[np.ndarray, np.random.Generator], np.ndarray]

#: Mini-batches are gathered from the shuffled order in blocks of about this many examples: one
#: gather (and one call of ``augment``) per block instead of per mini-batch, since at batch size 10
#: the cost of a call, not of the pixels, dominates. The batches are the same either way.
BLOCK_EXAMPLES = 1024


def gather_block(batch_size: int) -> int:
    """Examples gathered at once: as many whole mini-batches as fit in :data:`BLOCK_EXAMPLES` (at least one)."""
    return batch_size * max(1, BLOCK_EXAMPLES // batch_size)


class ArraySource:
    """Shuffled mini-batches of ``(x, y)``, or of ``(x,)`` when there are no targets.

    Every epoch draws a new order with the run's Generator (``rng.permutation(n)``), then yields the
    batches in that order; the last batch is smaller when ``batch_size`` does not divide n. Batches
    are gathered by index, a block of whole mini-batches at a time (:func:`gather_block`), so the
    dataset is never copied whole.

    Args:
        x: inputs, one example per row (or per leading index, for images).
        y: targets of the same length (class labels or target rows), or None for inputs alone.
        batch_size: examples per batch, ≥ 1.
        augment: distorts the inputs as ``augment(x_block, rng)`` with the run's Generator, so each
            epoch sees freshly distorted inputs and the same seed gives the same run; targets are
            never distorted (so ``ArraySource(x, x, augment=noise)`` yields the (noisy input, clean
            target) pairs of a denoising autoencoder).
        shuffle: False keeps the stored order (ordered streams, evaluation).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray | None = None, *, batch_size: int,
                 augment: Augmentation | None = None, shuffle: bool = True):
        if y is not None and len(x) != len(y):
            raise ValueError(f"fit: {len(x)} inputs but {len(y)} targets")
        if len(x) == 0:
            raise ValueError("fit: the training data hold no examples")
        if y is not None and np.ndim(y) == 1 and np.asarray(y).dtype.kind == "i" and np.min(y) < 0:
            negative = np.flatnonzero(np.asarray(y) < 0)
            raise ValueError(f"fit: {len(negative)} class labels are negative, the first at index {negative[0]} "
                             f"({y[negative[0]]}); labels are 0, 1, ... (NumPy would read -1 as the last class)")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"fit: batch_size must be an integer >= 1, got {batch_size!r}")
        self.x, self.y = x, y
        self.batch_size = int(batch_size)
        self.augment = augment
        self.shuffle = shuffle
        self._position: tuple | None = None  # (order, next start, block, targets) while an epoch is under way
        self._resumed: tuple | None = None

    @property
    def examples(self) -> int:
        return len(self.x)

    @property
    def steps(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def batches(self, model, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, ...]]:
        n, size = len(self.x), self.batch_size
        block = gather_block(size)
        resumed, self._resumed = self._resumed, None
        if resumed is None:
            order, begin, x_block, y_block = rng.permutation(n) if self.shuffle else np.arange(n), 0, None, None
        else:  # the rest of an epoch a checkpoint interrupted (see state_dict)
            order, begin, x_block, y_block = resumed
        for start in range(begin, n, size):
            at = start % block
            if at == 0:  # gather (and distort) the next block of whole mini-batches in one call
                rows = order[start:start + block]
                x_block = self._distorted(self.x[rows], rng)
                y_block = None if self.y is None else self.y[rows]
            self._position = (order, start + size, x_block, y_block)
            x_batch = x_block[at:at + size]
            yield (x_batch,) if y_block is None else (x_batch, y_block[at:at + size])
        self._position = None

    def batch_rows(self) -> np.ndarray | None:
        """The dataset rows of the batch last yielded (to name the row of a bad example), or None."""
        if self._position is None:
            return None
        order, start = self._position[0], self._position[1] - self.batch_size
        return order[start:start + self.batch_size]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Where the epoch under way stands, for a checkpoint between two steps: the epoch's order,
        the next batch's start and the gathered (distorted) block it comes from; empty between epochs.
        A source given this by :meth:`load_state_dict` yields the rest of that epoch, drawing nothing."""
        if self._position is None or self._position[1] >= len(self.x):
            return {}
        order, start, x_block, y_block = self._position
        state = {"order": order, "next": np.array(start), "x_block": x_block}
        return state if y_block is None else {**state, "y_block": y_block}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self._resumed = None if not state else (np.asarray(state["order"]), int(state["next"]),
                                                np.asarray(state["x_block"]), state.get("y_block"))

    def _distorted(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.augment is None:
            return x
        distorted = self.augment(x, rng)
        if getattr(distorted, "shape", None) != x.shape:
            raise ShapeError(f"fit: augment={self.augment!r} returned shape "
                             f"{getattr(distorted, 'shape', type(distorted))} for inputs of shape {x.shape}; "
                             "it must keep the shape")
        return distorted

    def __repr__(self) -> str:
        kind = "inputs" if self.y is None else "pairs"
        return f"ArraySource({len(self.x)} {kind}, batch_size={self.batch_size})"


def as_source(data, batch_size: int | None = None, augment: Augmentation | None = None):
    """The batch source for what ``fit`` was given: a source itself, ``(x, y)`` arrays, or ``x`` alone."""
    if hasattr(data, "batches"):
        if batch_size is not None or augment is not None:
            raise TypeError(f"fit: {data!r} is a batch source; give batch_size and augment to the source, not to fit")
        return data
    if batch_size is None:
        raise TypeError("fit: batch_size is required when the data are arrays")
    if isinstance(data, np.ndarray):
        return ArraySource(data, batch_size=batch_size, augment=augment)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return ArraySource(data[0], data[1], batch_size=batch_size, augment=augment)
    raise TypeError(f"fit: data must be (x, y) arrays, an array x of inputs alone, or a batch source with a "
                    f"batches(model, rng) method; got {type(data).__name__}")
