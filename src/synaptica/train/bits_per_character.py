"""Bits per character: how many bits a language model needs per symbol of a text it did not learn from.

A model that gives the next character probability p pays −log₂ p bits to encode it (an arithmetic
coder gets within a few bits of that over a whole file). The mean over a held-out text is the
model's cross-entropy rate, the standard score for character models: 8 bits is a raw byte,
log₂ V a uniform guess over a vocabulary of V, and a good model of English ~1.2–1.6.

:func:`bits_per_character` scores a stateful model (:class:`~synaptica.models.char_lm.CharLanguageModel`)
on a stream of ids: the stream is cut into ``rows`` contiguous stretches read in parallel, window by
window, carrying the state; each stretch is first *warmed up* on the ``warm_up`` symbols before it
(not scored), so the score is not spoilt by stretches that start without context. Symbol 0 of the
stream is never scored (nothing precedes it). :class:`BitsPerCharacter` is the same as an evaluator
of :func:`~synaptica.train.fit`.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import DataError
from synaptica.ops.softmax import log_softmax_array
from synaptica.tensor import Tensor, no_grad

__all__ = ["bits_per_character", "BitsPerCharacter"]


def bits_per_character(model, ids, start: int = 1, *, rows: int = 16, window: int = 256,
                       warm_up: int = 200) -> float:
    """The mean −log₂ P(ids[t] | ids[:t]) over t ≥ ``start``, from a model with ``stateful()``.

    ``ids[:start]`` is context only: pass the training text followed by the held-out text and
    ``start=len(train)`` to score the held-out part with its true preceding text.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise DataError(f"bits_per_character: expected a 1-D array of integer ids, got {ids.dtype} {ids.shape}")
    if not 1 <= start < ids.size:
        raise DataError(f"bits_per_character: start must lie in [1, {ids.size}), got {start}")
    scored = ids.size - start
    rows = max(1, min(rows, scored // max(window, 1) or 1))
    bounds = start + (np.arange(rows + 1) * scored) // rows
    total = 0.0
    dtype = next(iter(model.parameters())).data.dtype
    was_training = model.training
    model.eval()
    try:
        with no_grad(), model.stateful():
            # row r predicts positions begins[r] … bounds[r+1] − 1 from the symbol before each; only
            # those from bounds[r] on count, the rest warm its state up. Rows are padded to one length.
            begins = np.maximum(bounds[:-1] - warm_up, 1)
            lengths = bounds[1:] - begins
            steps = int(lengths.max())
            positions = np.minimum(begins[:, None] + np.arange(steps)[None, :], ids.size - 1)
            inputs, targets = ids[positions - 1], ids[positions]
            offsets = np.arange(steps)[None, :]
            counted = (offsets >= (bounds[:-1] - begins)[:, None]) & (offsets < lengths[:, None])
            for at in range(0, steps, window):
                logits = model(Tensor(inputs[:, at:at + window].astype(dtype))).data
                log_p = log_softmax_array(logits.astype(np.float64), axis=2)
                picked = np.take_along_axis(log_p, targets[:, at:at + window, None], axis=2)[..., 0]
                total += float(picked[counted[:, at:at + window]].sum())
    finally:
        model.train(was_training)
    return -total / np.log(2) / int(counted.sum())


class BitsPerCharacter:
    """Evaluator: ``<name>_bpc`` of a model on held-out ids (after their context, as above)."""

    def __init__(self, ids, start: int = 1, name: str = "validation", **options):
        self.ids, self.start, self.name, self.options = np.asarray(ids), start, name, options

    def __call__(self, model) -> dict[str, float]:
        return {f"{self.name}_bpc": bits_per_character(model, self.ids, self.start, **self.options)}

    def summary(self, metrics: dict[str, float]) -> str:
        return f"{self.name} {metrics[f'{self.name}_bpc']:.4f} bits per character"

    def __repr__(self) -> str:
        return f"BitsPerCharacter({self.name}, {self.ids.size - self.start} symbols)"
