"""The log-likelihood cost of a sequence of softmax outputs, with padded steps masked out.

A many-to-many network (a character language model, a tagger, a decoder under teacher forcing)
emits logits ``z[b, t]`` at every step of a batch of sequences; sequences shorter than the batch's
longest are padded, and padding must neither count in the cost nor send a gradient back. With
``lengths[b]`` the true length of sequence ``b`` and ``mask[b, t] = t < lengths[b]``:

.. math::

    C = \\frac{1}{\\sum_{b,t} \\text{mask}_{bt}} \\sum_{b,t} \\text{mask}_{bt}\\,
        \\bigl(-\\ln \\operatorname{softmax}(z_{bt})_{y_{bt}}\\bigr), \\qquad
    \\frac{\\partial C}{\\partial z_{bt}} = \\frac{\\text{mask}_{bt}}{\\sum \\text{mask}}\\,
        (\\operatorname{softmax}(z_{bt}) - e_{y_{bt}})

``reduction="mean"`` averages over the real steps (tokens), as PyTorch's ``cross_entropy`` with
``ignore_index`` does, so the cost is nats per token and ``C / ln 2`` bits per character;
``"sum"`` adds them. Targets at padded steps are ignored whatever they hold.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.ops.softmax import log_softmax_array
from synaptica.tensor import Tensor

__all__ = ["sequence_cross_entropy", "step_mask"]


def step_mask(lengths, steps: int, batch: int | None = None) -> np.ndarray:
    """``mask[b, t] = t < lengths[b]`` as a bool array of shape (batch, steps)."""
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or (batch is not None and lengths.shape[0] != batch):
        raise ShapeError(f"lengths must have shape ({batch if batch is not None else 'batch'},), "
                         f"got {lengths.shape}")
    if not np.issubdtype(lengths.dtype, np.integer):
        raise ShapeError(f"lengths must be integers, got {lengths.dtype}")
    if lengths.size and (lengths.min() < 1 or lengths.max() > steps):
        raise ShapeError(f"lengths must lie in [1, {steps}] for {steps} steps, got "
                         f"{lengths.min()}..{lengths.max()}")
    return np.arange(steps)[None, :] < lengths[:, None]


def sequence_cross_entropy(z: Tensor, targets, lengths=None, reduction: str = "mean", *,
                           padding: int | None = None) -> Tensor:
    """Masked per-step softmax cross-entropy from logits ``z`` of shape (batch, steps, classes).

    Args:
        targets: int labels of shape (batch, steps).
        lengths: each sequence's number of real steps (batch,); None when no step is padded.
        reduction: ``"mean"`` over real steps, or ``"sum"``.
        padding: instead of ``lengths``, the label that fills each row after its end (right padding):
            a row's length is its count of other labels.
    """
    x = z.data
    if z.ndim != 3:
        raise ShapeError(f"sequence_cross_entropy expects logits of shape (batch, steps, classes), got {x.shape}")
    batch, steps, classes = x.shape
    y = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if y.shape != (batch, steps) or not np.issubdtype(y.dtype, np.integer):
        raise ShapeError(f"sequence_cross_entropy: targets must be integer labels of shape "
                         f"({batch}, {steps}) to match logits {x.shape}, got {y.dtype} {y.shape}")
    if padding is not None:
        lengths = np.count_nonzero(y != padding, axis=1)
    mask = np.ones((batch, steps), dtype=bool) if lengths is None else step_mask(lengths, steps, batch)
    labels = np.where(mask, y, 0)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = np.argwhere(mask & ((y < 0) | (y >= classes)))[0]
        raise ShapeError(f"sequence_cross_entropy: target {y[tuple(bad)]} at (sequence {bad[0]}, step "
                         f"{bad[1]}) is outside the {classes} classes")
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    real = int(mask.sum())
    scale = 1.0 / real if reduction == "mean" else 1.0
    log_a = log_softmax_array(x, axis=2)
    picked = np.take_along_axis(log_a, labels[..., None], axis=2)[..., 0]
    cost = -scale * picked[mask].sum()

    def vjp(g):
        grad = np.exp(log_a)
        np.put_along_axis(grad, labels[..., None], np.take_along_axis(grad, labels[..., None], axis=2) - 1, axis=2)
        grad *= (mask * (float(g) * scale))[..., None].astype(x.dtype)
        return (grad,)

    return Tensor.from_op(np.asarray(cost, dtype=z.dtype), (z,), vjp, "sequence_cross_entropy")
