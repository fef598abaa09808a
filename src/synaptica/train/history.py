"""What training returns: per-epoch costs and accuracies, and every step's loss."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class History:
    """Per-epoch records of a :func:`~synaptica.train.fit` run (one entry per finished epoch).

    ``train_cost`` and ``train_accuracy`` are the means over the epoch's mini-batches, measured as
    the weights changed (free to compute); ``validation_*`` are measured after the epoch on the
    evaluation set. ``step_losses`` holds every step's cost, one array per epoch.
    """

    epochs: list[int] = field(default_factory=list)
    train_cost: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    validation_cost: list[float] = field(default_factory=list)
    validation_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    step_losses: list[np.ndarray] = field(default_factory=list)
    stopped_early: bool = False
    stop_reason: str | None = None  # why training stopped early (patience, or a callback's StopTraining)
    restored_epoch: int | None = None  # set when fit(restore_best=True) put back an earlier epoch's weights

    @property
    def best_validation_accuracy(self) -> float:
        return max(self.validation_accuracy, default=float("nan"))

    def as_rows(self) -> list[dict]:
        """One dict per epoch (for CSV/JSON logs)."""
        return [
            {"epoch": e, "train_cost": tc, "train_accuracy": ta, "validation_cost": vc,
             "validation_accuracy": va, "seconds": s}
            for e, tc, ta, vc, va, s in zip(self.epochs, self.train_cost, self.train_accuracy,
                                            self.validation_cost, self.validation_accuracy, self.seconds)
        ]
