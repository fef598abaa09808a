"""Costs as named objects: what a learning rule minimises and what training reports.

Each cost is a small callable over a fused op in :mod:`synaptica.ops.losses`, plus the output
activation its outputs imply, so that the command line and saved models can name a cost by string
while Python users pass the object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from synaptica import ops
from synaptica.tensor import Tensor


@dataclass(frozen=True)
class Cost:
    """A named cost C(output, targets) -> scalar Tensor.

    Attributes:
        name: the spelling used on the command line and in saved models.
        fn: the fused op.
        takes_logits: True when the network should end without an activation (the cost applies σ or
            softmax itself); False when the network's output is the activation (quadratic cost).
        reduction: ``mean`` over the batch (default) or ``sum``.
    """

    name: str
    fn: Callable[..., Tensor]
    takes_logits: bool
    reduction: str = "mean"

    def __call__(self, output: Tensor, targets) -> Tensor:
        return self.fn(output, targets, reduction=self.reduction)


def QuadraticCost(reduction: str = "mean") -> Cost:
    """½‖a − y‖² on the network's activations (Nielsen ch. 1)."""
    return Cost("quadratic", ops.quadratic_cost, takes_logits=False, reduction=reduction)


def CrossEntropyCost(reduction: str = "mean") -> Cost:
    """−Σ y ln a + (1 − y) ln(1 − a) with a = σ(z), from logits z (Nielsen ch. 3)."""
    return Cost("cross-entropy", ops.sigmoid_cross_entropy, takes_logits=True, reduction=reduction)


def LogLikelihoodCost(reduction: str = "mean") -> Cost:
    """−ln a_y with a = softmax(z), from logits z (Nielsen ch. 3)."""
    return Cost("log-likelihood", ops.softmax_cross_entropy, takes_logits=True, reduction=reduction)


def SequenceLogLikelihoodCost(reduction: str = "mean", padding: int | None = None) -> Cost:
    """−ln a_y at every step of a batch of sequences, from logits (batch, steps, classes); the mean is
    over the steps (tokens), so the cost is nats per symbol (:mod:`synaptica.ops.sequence_losses`).
    ``padding``: the label that fills rows after their end, whose steps do not count."""
    from functools import partial

    from synaptica.ops.sequence_losses import sequence_cross_entropy

    return Cost("sequence-log-likelihood", partial(sequence_cross_entropy, padding=padding), takes_logits=True,
                reduction=reduction)


def _ctc(z: Tensor, targets, reduction: str = "mean") -> Tensor:
    from synaptica.ops.ctc import ctc_loss

    labels = np.asarray(targets)
    return ctc_loss(z, labels, target_lengths=np.count_nonzero(labels, axis=1), reduction=reduction)


def CTCCost(reduction: str = "mean") -> Cost:
    """Connectionist temporal classification from per-step logits (batch, steps, classes), class 0 the
    blank; targets (batch, S) hold each sequence's labels (≥ 1) padded with 0 (:mod:`synaptica.ops.ctc`)."""
    return Cost("ctc", _ctc, takes_logits=True, reduction=reduction)


COSTS: dict[str, Callable[..., Cost]] = {
    "quadratic": QuadraticCost,
    "cross-entropy": CrossEntropyCost,
    "log-likelihood": LogLikelihoodCost,
}


def get_cost(name: str) -> Cost:
    if name not in COSTS:
        raise ValueError(f"unknown cost {name!r}; choose from {sorted(COSTS)}")
    return COSTS[name]()
