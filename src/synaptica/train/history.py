"""What training returns: named series of per-epoch metrics, and every step's loss."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class History:
    """Per-epoch records of a :func:`~synaptica.train.fit` run (one entry per finished epoch).

    ``metrics`` holds named series, one value per epoch: what the rule's steps reported, averaged
    over the epoch and prefixed ``train_`` (the step's ``loss`` becomes ``train_cost``, its ``correct``
    count ``train_accuracy``), and what the evaluators measured after the epoch
    (``validation_accuracy``, ``validation_cost``, ``validation_mse``, ...). ``history[name]`` reads
    a series; the four series Nielsen plots are also attributes (``history.validation_accuracy``),
    empty when the run did not measure them. ``step_losses`` holds every step's cost, one array per
    epoch.
    """

    epochs: list[int] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    step_losses: list[np.ndarray] = field(default_factory=list)
    stopped_early: bool = False
    stop_reason: str | None = None  # why training stopped early (patience, or a callback's StopTraining)
    restored_epoch: int | None = None  # set when an earlier epoch's weights were put back at the end

    def __getitem__(self, name: str) -> list[float]:
        if name not in self.metrics:
            raise KeyError(f"the history has no metric {name!r}; it has {sorted(self.metrics)}")
        return self.metrics[name]

    def __contains__(self, name: str) -> bool:
        return name in self.metrics

    def series(self, name: str) -> list[float]:
        """The series called ``name``, made empty if the run has none yet (so it can be appended to)."""
        return self.metrics.setdefault(name, [])

    @property
    def train_cost(self) -> list[float]:
        return self.series("train_cost")

    @property
    def train_accuracy(self) -> list[float]:
        return self.series("train_accuracy")

    @property
    def validation_cost(self) -> list[float]:
        return self.series("validation_cost")

    @property
    def validation_accuracy(self) -> list[float]:
        return self.series("validation_accuracy")

    @property
    def best_validation_accuracy(self) -> float:
        return max(self.validation_accuracy, default=float("nan"))

    def stop(self, reason: str) -> None:
        """Training stops after this epoch, for ``reason`` (joined to any earlier one by "; ")."""
        self.stop_reason = reason if not self.stopped_early else f"{self.stop_reason}; {reason}"
        self.stopped_early = True

    def end_epoch(self, epoch: int, steps: list[dict], examples: int | None, evaluated: dict[str, float],
                  seconds: float) -> None:
        """Record a finished epoch: the steps' metrics, what the evaluators measured, and its wall time."""
        self.epochs.append(epoch)
        losses = np.array([step["loss"] for step in steps if "loss" in step], dtype=np.float64)
        self.step_losses.append(losses)
        epoch_metrics = {"train_cost": float(losses.mean()) if len(losses) else float("nan")}
        names = [name for name in dict.fromkeys(key for step in steps for key in step) if name != "loss"]
        for name in names:
            values = [step[name] for step in steps if name in step]
            if name == "correct":
                epoch_metrics["train_accuracy"] = sum(values) / examples if examples else float("nan")
            else:
                epoch_metrics[f"train_{name}"] = float(np.mean(values))
        epoch_metrics.update(evaluated)
        for name, value in epoch_metrics.items():
            self.series(name).append(float(value))
        self.seconds.append(seconds)

    def as_rows(self) -> list[dict]:
        """One dict per epoch (for CSV/JSON logs): ``epoch``, every metric the run measured, ``seconds``."""
        rows = []
        for index, epoch in enumerate(self.epochs):
            row = {"epoch": epoch}
            row.update({name: values[index] for name, values in self.metrics.items() if len(values) > index})
            row["seconds"] = self.seconds[index] if index < len(self.seconds) else None
            rows.append(row)
        return rows
