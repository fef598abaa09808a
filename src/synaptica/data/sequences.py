"""Batch sources for sequences: one long stream cut for truncated backpropagation through time.

A character language model learns from one stream of symbols, millions long. Backpropagation
through all of it at once is impossible, so the stream is cut (Williams and Peng 1990; the set-up of
Karpathy's char-rnn and of Zaremba et al. 2014):

1. the stream of N symbols becomes ``batch_size`` rows, each a contiguous stretch of
   ``L = (N − 1) // batch_size`` symbols (row r holds symbols r·L … r·L + L − 1, and its targets are
   the same stretch shifted by one);
2. each batch is the next window of ``steps`` columns of all rows: batch k+1 continues exactly where
   batch k stopped, row by row;
3. the model carries its hidden state from one batch to the next (so it sees context longer than
   ``steps``) but the gradient stops at the window's edge: that is the *truncation*.

Batches come in order, never shuffled, since shuffling would hand a row a state from another place
in the text. At the start of each pass over the rows the source calls ``model.reset_state()`` (when
the model has one), and, with ``random_offset``, starts the windows at an offset drawn from the run's
Generator in ``[0, steps)``, so the window edges fall at different places in each pass.

A pass over a large text takes many minutes, so an *epoch* (what ``fit`` evaluates and reports after)
may be shorter: with ``windows_per_epoch`` each epoch yields that many windows and the next epoch
continues from there, starting a new pass when the rows run out.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from synaptica.errors import DataError

__all__ = ["TokenStreamSource", "PaddedPairSource", "pad"]


class TokenStreamSource:
    """Ordered ``(x, y)`` windows of shape (batch_size, steps) for truncated BPTT, y = x shifted by one.

    Args:
        ids: the stream, 1-D integer symbol ids.
        batch_size: parallel rows, each a contiguous stretch of the stream.
        steps: the window length (how far back the gradient reaches).
        random_offset: begin each pass's windows at a random offset in ``[0, steps)``.
        windows_per_epoch: windows per epoch (default: one whole pass).
    """

    def __init__(self, ids, *, batch_size: int, steps: int, random_offset: bool = True,
                 windows_per_epoch: int | None = None):
        ids = np.asarray(ids)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise DataError(f"TokenStreamSource: expected a 1-D array of integer ids, got {ids.dtype} "
                            f"of shape {ids.shape}")
        for name, value in (("batch_size", batch_size), ("steps", steps),
                            ("windows_per_epoch", 1 if windows_per_epoch is None else windows_per_epoch)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"TokenStreamSource: {name} must be an integer >= 1, got {value!r}")
        self.row_length = (ids.size - 1) // batch_size
        if self.row_length < 2 * steps:
            raise DataError(f"TokenStreamSource: a stream of {ids.size} symbols cut into {batch_size} rows "
                            f"gives rows of {self.row_length}, shorter than two windows of {steps} steps; "
                            f"use fewer rows or shorter windows")
        self.batch_size, self.window = int(batch_size), int(steps)
        rows = np.arange(batch_size)[:, None] * self.row_length
        self._inputs = ids[rows + np.arange(self.row_length)[None, :]]
        self._targets = ids[rows + 1 + np.arange(self.row_length)[None, :]]
        self.random_offset = random_offset
        self.windows_per_epoch = windows_per_epoch
        self._next: int | None = None          # the next window's first column; None: a new pass begins

    @property
    def examples(self) -> int:
        """Symbols predicted per epoch (at most: a random offset drops up to one window)."""
        return self.steps * self.batch_size * self.window

    @property
    def steps(self) -> int:
        return self.windows_per_epoch or self.row_length // self.window

    def batches(self, model, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for _ in range(self.steps):
            if self._next is None or self._next + self.window > self.row_length:
                if self._next is not None and self.windows_per_epoch is None:
                    break                                   # one pass per epoch: this pass is done
                reset = getattr(model, "reset_state", None)
                if reset is not None:
                    reset()
                self._next = int(rng.integers(0, self.window)) if self.random_offset else 0
            begin, self._next = self._next, self._next + self.window
            yield (self._inputs[:, begin:self._next], self._targets[:, begin:self._next])
        if self.windows_per_epoch is None:
            self._next = None

    def state_dict(self) -> dict[str, np.ndarray]:
        """Where the stream stands: the next window's first column (empty when a new pass begins next).
        The model's carried state is not the source's: a resumed run starts it from zeros."""
        return {} if self._next is None else {"next": np.array(self._next)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self._next = int(state["next"]) if state else None

    def __repr__(self) -> str:
        return (f"TokenStreamSource({self.batch_size} rows of {self.row_length} symbols, "
                f"windows of {self.window})")


def pad(sequences, value: int = 0, length: int | None = None) -> np.ndarray:
    """Sequences of ids as one int64 array (n, longest), each row padded on the right with ``value``."""
    longest = max((len(s) for s in sequences), default=0) if length is None else length
    out = np.full((len(sequences), longest), value, dtype=np.int64)
    for row, sequence in zip(out, sequences):
        row[:len(sequence)] = sequence
    return out


class PaddedPairSource:
    """Mini-batches of (source, target) id sequences of different lengths, padded with 0, in length buckets.

    Padding costs work: a batch costs what its longest sequence costs. So each epoch shuffles the
    pairs with the run's Generator, cuts the order into chunks of ``bucket_batches`` batches, sorts
    each chunk by source length, forms the batches, and shuffles the batches: every batch holds
    sequences of about one length, and the order still changes every epoch. Each batch is
    ``(x, y)``: x (batch, longest source) and y (batch, longest target), 0 after each row's end, so
    a row's length is its count of non-zero ids (ids start at 1).
    """

    def __init__(self, sources, targets, *, batch_size: int, bucket_batches: int = 50):
        if len(sources) != len(targets) or not len(sources):
            raise DataError(f"PaddedPairSource: {len(sources)} sources and {len(targets)} targets; need the same "
                            f"number, at least one")
        for name, value in (("batch_size", batch_size), ("bucket_batches", bucket_batches)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"PaddedPairSource: {name} must be an integer >= 1, got {value!r}")
        for what, sequences in (("source", sources), ("target", targets)):
            for i, sequence in enumerate(sequences):
                sequence = np.asarray(sequence)
                if sequence.ndim != 1 or sequence.size == 0 or sequence.min() < 1:
                    raise DataError(f"PaddedPairSource: {what} {i} must be a non-empty sequence of ids >= 1 "
                                    f"(0 is the padding), got {sequence.tolist()[:10]}")
        self.sources, self.targets = list(sources), list(targets)
        self.batch_size, self.bucket_batches = int(batch_size), int(bucket_batches)
        self._lengths = np.array([len(s) for s in self.sources])

    @property
    def examples(self) -> int:
        return len(self.sources)

    @property
    def steps(self) -> int:
        return -(-len(self.sources) // self.batch_size)

    def batches(self, model, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        order = rng.permutation(len(self.sources))
        chunk = self.batch_size * self.bucket_batches
        batches = []
        for start in range(0, len(order), chunk):
            part = order[start:start + chunk]
            part = part[np.argsort(self._lengths[part], kind="stable")]
            batches += [part[i:i + self.batch_size] for i in range(0, len(part), self.batch_size)]
        for index in rng.permutation(len(batches)):
            rows = batches[index]
            yield pad([self.sources[i] for i in rows]), pad([self.targets[i] for i in rows])

    def __repr__(self) -> str:
        return f"PaddedPairSource({len(self.sources)} pairs, batch_size={self.batch_size})"
