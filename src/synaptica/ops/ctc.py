"""Connectionist temporal classification (Graves, Fernández, Gomez and Schmidhuber 2006).

A network reading a strip of digits column by column, or speech frame by frame, emits a
distribution over the labels *and a blank* at every step, but nobody says which step belongs to
which label. CTC sums over every alignment instead. A path π (one symbol per step) maps to a label
sequence by 𝓑: merge repeated symbols, then drop blanks (``-aa--b-`` → ``ab``; a blank between two
equal labels keeps them apart: ``a-a`` → ``aa``). The cost is

.. math::

    C = -\\ln p(l \\mid x) = -\\ln \\sum_{\\pi \\in \\mathcal{B}^{-1}(l)} \\prod_t y^t_{\\pi_t}

computed by dynamic programming over the *extended* label sequence l' (l with a blank before, between
and after its labels, length 2S + 1). The forward variable α_t(s) is the probability of the
prefixes of paths that reach l'_s at step t:

.. math::

    \\alpha_t(s) = \\bigl(\\alpha_{t-1}(s) + \\alpha_{t-1}(s-1)
                  + [l'_s \\ne \\text{blank} \\wedge l'_s \\ne l'_{s-2}]\\,\\alpha_{t-1}(s-2)\\bigr)\\,
                  y^t_{l'_s}

and the backward variable β_t(s) the probability of completing the path from there (here without
step t's own symbol). Then p(l|x) = α_{T−1}(2S) + α_{T−1}(2S−1), the occupancy of l'_s at t is
γ_t(s) = α_t(s) β_t(s) / p(l|x), and with the network's softmax folded in, the gradient on the logits
is the closed form

.. math::

    \\frac{\\partial C}{\\partial z^t_k} = y^t_k - \\sum_{s:\\, l'_s = k} \\gamma_t(s)

Everything is done in log space (``logaddexp``), so sequences of hundreds of steps neither
underflow nor overflow; the recursions run over time in a Python loop, vectorised over the batch
and the positions of l'. Steps after a sequence's own input length get no gradient.

Decoding: :func:`ctc_best_path` takes the most likely symbol at each step and applies 𝓑 (fast, and
exact when one path dominates); :func:`ctc_prefix_beam_search` keeps the ``beam`` most probable label
*prefixes*, summing the probability of every path that maps to each (Hannun et al. 2014,
"First-pass large vocabulary continuous speech recognition using bi-directional recurrent DNNs").
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.ops.softmax import log_softmax_array
from synaptica.tensor import Tensor

__all__ = ["ctc_loss", "ctc_best_path", "ctc_prefix_beam_search"]

_NEG = -np.inf


def ctc_loss(z: Tensor, targets, input_lengths=None, target_lengths=None, *, blank: int = 0,
             reduction: str = "mean") -> Tensor:
    """The CTC cost from logits ``z`` of shape (batch, steps, classes), blank included.

    Args:
        targets: (batch, S) integer labels, padded on the right; none may be the blank.
        input_lengths: each sequence's number of steps (default: all).
        target_lengths: each target's number of labels (default: S for all).
        reduction: ``"mean"`` divides each sequence's cost by its target length and averages over the
            batch (PyTorch's ``ctc_loss`` convention); ``"sum"`` adds the costs.

    Raises:
        ShapeError: shapes that disagree, labels out of range or equal to the blank, or a target
            that no alignment can produce in its sequence's steps (each repeated label needs a
            blank between, so S labels with r repeats need S + r steps).
    """
    x = z.data
    if z.ndim != 3:
        raise ShapeError(f"ctc_loss expects logits of shape (batch, steps, classes), got {x.shape}")
    batch, steps, classes = x.shape
    labels, input_lengths, target_lengths = _checked(targets, input_lengths, target_lengths, batch, steps,
                                                     classes, blank)
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    log_y = log_softmax_array(x.astype(np.float64), axis=2)
    extended, allowed_skip, width = _extended(labels, target_lengths, blank)
    emit = np.take_along_axis(log_y, np.broadcast_to(extended[:, None, :], (batch, steps, extended.shape[1])), axis=2)
    valid = np.arange(extended.shape[1])[None, :] < width[:, None]
    alpha = _forward(emit, allowed_skip, valid, input_lengths)
    beta = _backward(emit, allowed_skip, valid, input_lengths, width)
    rows = np.arange(batch)
    last = alpha[rows, input_lengths - 1]
    log_p = np.logaddexp(last[rows, width - 1], last[rows, width - 2])
    weights = 1.0 / np.maximum(target_lengths, 1) / batch if reduction == "mean" else np.ones(batch)
    cost = float(-(weights * log_p).sum())

    def vjp(g):
        occupancy = np.exp(alpha + beta - log_p[:, None, None])           # γ_t(s), (batch, steps, 2S+1)
        occupancy[~np.broadcast_to(valid[:, None, :], occupancy.shape)] = 0.0
        per_class = np.zeros_like(log_y)
        np.add.at(per_class, (rows[:, None, None], np.arange(steps)[None, :, None], extended[:, None, :]),
                  occupancy)
        grad = np.exp(log_y) - per_class
        grad[np.arange(steps)[None, :] >= input_lengths[:, None]] = 0.0
        grad *= (float(g) * weights)[:, None, None]
        return (grad.astype(x.dtype),)

    return Tensor.from_op(np.asarray(cost, dtype=z.dtype), (z,), vjp, "ctc_loss")


def _checked(targets, input_lengths, target_lengths, batch, steps, classes, blank):
    labels = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if labels.ndim == 1 and batch == 1:
        labels = labels[None, :]
    if labels.ndim != 2 or labels.shape[0] != batch or not np.issubdtype(labels.dtype, np.integer):
        raise ShapeError(f"ctc_loss: targets must be integer labels of shape ({batch}, S), got "
                         f"{labels.dtype} {labels.shape}")
    if not 0 <= blank < classes:
        raise ShapeError(f"ctc_loss: blank {blank} is not one of the {classes} classes")
    input_lengths = np.full(batch, steps) if input_lengths is None else np.asarray(input_lengths)
    target_lengths = np.full(batch, labels.shape[1]) if target_lengths is None else np.asarray(target_lengths)
    for name, lengths, top in (("input_lengths", input_lengths, steps), ("target_lengths", target_lengths,
                                                                           labels.shape[1])):
        if lengths.shape != (batch,) or not np.issubdtype(lengths.dtype, np.integer):
            raise ShapeError(f"ctc_loss: {name} must be {batch} integers, got {lengths.dtype} {lengths.shape}")
        if lengths.min() < (1 if name == "input_lengths" else 0) or lengths.max() > top:
            raise ShapeError(f"ctc_loss: {name} must lie in [{1 if name == 'input_lengths' else 0}, {top}], "
                             f"got {lengths.min()}..{lengths.max()}")
    for b in range(batch):
        seq = labels[b, :target_lengths[b]]
        if seq.size and (seq.min() < 0 or seq.max() >= classes or np.any(seq == blank)):
            raise ShapeError(f"ctc_loss: sequence {b}: labels must lie in [0, {classes}) and differ from "
                             f"the blank {blank}, got {seq.tolist()}")
        needed = seq.size + int(np.count_nonzero(seq[1:] == seq[:-1]))
        if needed > input_lengths[b]:
            raise ShapeError(f"ctc_loss: sequence {b}: {input_lengths[b]} steps cannot emit its "
                             f"{seq.size} labels ({needed} steps needed, a blank between repeats)")
    return labels.astype(np.int64), input_lengths.astype(np.int64), target_lengths.astype(np.int64)


def _extended(labels, target_lengths, blank):
    """l' (blank, l1, blank, l2, …, blank) per sequence, padded; where a skip from s−2 is allowed; lengths."""
    batch, s = labels.shape
    extended = np.full((batch, 2 * s + 1), blank, dtype=np.int64)
    extended[:, 1::2] = labels
    width = 2 * target_lengths + 1
    extended[np.arange(2 * s + 1)[None, :] >= width[:, None]] = blank
    allowed_skip = np.zeros_like(extended, dtype=bool)
    allowed_skip[:, 2:] = (extended[:, 2:] != blank) & (extended[:, 2:] != extended[:, :-2])
    return extended, allowed_skip, width


def _shifted(values, by):
    out = np.full_like(values, _NEG)
    out[:, by:] = values[:, :-by]
    return out


def _forward(emit, allowed_skip, valid, input_lengths):
    batch, steps, width = emit.shape
    alpha = np.full((batch, steps, width), _NEG)
    alpha[:, 0, :2] = emit[:, 0, :2]
    alpha[:, 0][~valid] = _NEG
    for t in range(1, steps):
        previous = alpha[:, t - 1]
        total = np.logaddexp(previous, _shifted(previous, 1))
        total = np.where(allowed_skip, np.logaddexp(total, _shifted(previous, 2)), total)
        alpha[:, t] = np.where(valid, total + emit[:, t], _NEG)
    alpha[np.arange(steps)[None, :] >= input_lengths[:, None]] = _NEG
    return alpha


def _backward(emit, allowed_skip, valid, input_lengths, width):
    batch, steps, size = emit.shape
    beta = np.full((batch, steps, size), _NEG)
    rows = np.arange(batch)
    end = np.full((batch, size), _NEG)
    end[rows, width - 1] = 0.0
    end[rows, width - 2] = 0.0
    skip_into = np.zeros_like(allowed_skip)
    skip_into[:, :-2] = allowed_skip[:, 2:]                     # from s, a jump to s + 2 is allowed
    for t in range(steps - 1, -1, -1):
        if t < steps - 1:
            nxt = beta[:, t + 1] + emit[:, t + 1]
            total = np.logaddexp(nxt, _shifted_back(nxt, 1))
            total = np.where(skip_into, np.logaddexp(total, _shifted_back(nxt, 2)), total)
            beta[:, t] = np.where(valid, total, _NEG)
        at_end = input_lengths - 1 == t
        beta[at_end, t] = end[at_end]
    beta[np.arange(steps)[None, :] >= input_lengths[:, None]] = _NEG
    return beta


def _shifted_back(values, by):
    out = np.full_like(values, _NEG)
    out[:, :-by] = values[:, by:]
    return out


def ctc_best_path(log_probs, input_length: int | None = None, *, blank: int = 0) -> list[int]:
    """The labels of the single most likely path: arg-max per step, repeats merged, blanks dropped."""
    log_probs = np.asarray(log_probs)
    path = log_probs[:input_length].argmax(axis=1)
    merged = path[np.r_[True, path[1:] != path[:-1]]]
    return [int(k) for k in merged if k != blank]


def ctc_prefix_beam_search(log_probs, input_length: int | None = None, *, beam: int = 8,
                           blank: int = 0) -> list[int]:
    """The most probable label sequence found by prefix beam search over per-step log-probabilities.

    Each prefix keeps two probabilities (log): of the paths that map to it and end in a blank, and of
    those that end in its last label; a label equal to the prefix's last extends it only after a
    blank, otherwise it merges into the same prefix.
    """
    log_probs = np.asarray(log_probs, dtype=np.float64)[:input_length]
    if beam < 1:
        raise ValueError(f"beam must be >= 1, got {beam}")
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, _NEG)}    # prefix -> (blank, label)
    for step in log_probs:
        candidates: dict[tuple[int, ...], list[float]] = {}

        def add(prefix, blank_part=_NEG, label_part=_NEG):
            entry = candidates.setdefault(prefix, [_NEG, _NEG])
            entry[0] = np.logaddexp(entry[0], blank_part)
            entry[1] = np.logaddexp(entry[1], label_part)

        for prefix, (p_blank, p_label) in beams.items():
            total = np.logaddexp(p_blank, p_label)
            add(prefix, blank_part=total + step[blank])
            for k in range(step.size):
                if k == blank:
                    continue
                if prefix and prefix[-1] == k:
                    add(prefix, label_part=p_label + step[k])               # a repeat merges
                    add(prefix + (k,), label_part=p_blank + step[k])        # after a blank it extends
                else:
                    add(prefix + (k,), label_part=total + step[k])
        ranked = sorted(candidates.items(), key=lambda item: -np.logaddexp(*item[1]))
        beams = {prefix: (parts[0], parts[1]) for prefix, parts in ranked[:beam]}
    best = max(beams.items(), key=lambda item: np.logaddexp(*item[1]))[0]
    return list(best)
