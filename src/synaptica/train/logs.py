"""Per-epoch logs of a run, written as training goes: CSV for spreadsheets, JSON lines for programs.

Both writers are :func:`~synaptica.train.fit` callbacks. Each creates its file empty when it is
made, then **appends one row after every epoch and closes the file again** (the CSV header comes
with the first row),
so a run that crashes or is stopped with Ctrl-C leaves every finished epoch on disk, and the file
can be read (or plotted) while training is still going::

    log = CsvLog("runs/net/history.csv", optimizer)
    fit(net, rule, train, epochs=30, batch_size=10, validation=valid, callbacks=[log])

One row per epoch. A classifier trained with validation data has the columns of :data:`COLUMNS`:

    epoch, train_cost, train_accuracy, validation_cost, validation_accuracy, learning_rate, seconds

``train_*`` are the means over the epoch's mini-batches, ``validation_*`` the held-out measurement
after the epoch, ``learning_rate`` the η of the epoch's last step (empty without an optimizer),
``seconds`` the epoch's wall time. Other runs have the metrics they measured instead (a run without
validation data has no ``validation_*`` columns; an autoencoder has ``validation_mse`` and no
accuracy). A non-finite value is an empty CSV cell and ``null`` in JSON (JSON has no NaN).
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

from synaptica.io.atomic import appending, atomic_write
from synaptica.nn.module import Module
from synaptica.optim.base import Optimizer
from synaptica.train.history import History

#: The columns of a classifier's run, in this order; a run's own metrics (an autoencoder's
#: ``validation_mse``, a rule's ``train_fitness_mean``) take the place of those it does not measure.
COLUMNS = ("epoch", "train_cost", "train_accuracy", "validation_cost", "validation_accuracy",
           "learning_rate", "seconds")
_CLASSIC_METRICS = COLUMNS[1:5]


def columns(history: History) -> list[str]:
    """The log's columns for ``history``: ``epoch``, the metrics the run measured (Nielsen's four
    first, in :data:`COLUMNS` order, then the others as they appeared), ``learning_rate``, ``seconds``."""
    measured = [name for name in _CLASSIC_METRICS if history.metrics.get(name)]
    measured += [name for name, values in history.metrics.items() if values and name not in _CLASSIC_METRICS]
    return ["epoch", *measured, "learning_rate", "seconds"]


def epoch_row(history: History, index: int = -1, optimizer: Optimizer | None = None) -> dict:
    """The log row of one finished epoch (the last by default), with ``None`` for what is unknown.

    ``optimizer`` supplies the learning rate: its ``current_learning_rate``, the η of the last step
    taken, which is the epoch's own η even when a schedule callback has already set the next one.
    """

    def value(series: list[float]) -> float | None:
        if not series:
            return None
        number = float(series[index])
        return number if math.isfinite(number) else None

    row = {"epoch": int(history.epochs[index])}
    row.update({name: value(values) for name, values in history.metrics.items() if values})
    row["learning_rate"] = float(optimizer.current_learning_rate) if optimizer is not None else None
    row["seconds"] = value(history.seconds)
    return row


class _EpochLog:
    """What both writers share: the path, the optimizer, and append-then-close after each epoch.

    With ``resumed`` the rows already in the file are kept (a run continued from a checkpoint logs
    into the file of its first part): when the run starts, the file is written again with the rows
    of the epochs the checkpoint had done, and the new epochs are appended after them.
    """

    def __init__(self, path: str | os.PathLike[str], optimizer: Optimizer | None = None, resumed: bool = False):
        self.path = Path(path)
        self.optimizer = optimizer
        if not self.path.parent.is_dir():
            raise FileNotFoundError(f"{type(self).__name__}: the directory {str(self.path.parent)!r} of the "
                                    f"log file {str(self.path)!r} does not exist")
        self.resumed = resumed
        self.kept_rows: list[dict] = read_log(self.path) if resumed and self.path.is_file() else []
        if not resumed:
            with atomic_write(self.path, "w", encoding="utf-8"):
                pass  # an empty file: a bad path fails before training

    def start(self, run) -> None:
        """A resumed log: write the file again with the kept rows of the epochs the run has done (a new
        log's file is empty already, and rows appended by an earlier ``fit`` with it stay)."""
        if not self.resumed:
            return
        self.kept_rows = self.kept_rows[:len(run.history.epochs)]
        with atomic_write(self.path, "w", encoding="utf-8", newline="") as f:
            for row in self.kept_rows:
                self._append(f, row, run.history)

    def __call__(self, epoch: int, history: History, model: Module) -> None:
        row = epoch_row(history, -1, self.optimizer)
        with appending(self.path, newline="") as f:
            self._append(f, row, history)

    def _append(self, f, row: dict, history: History) -> None:  # pragma: no cover - both writers override it
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"


class CsvLog(_EpochLog):
    """Append each epoch's row to a CSV file with a header line (see the module docstring).

    The header is written with the first row, from the metrics the run measured (:func:`columns`);
    a metric that first appears in a later epoch has no column (the JSON-lines log keeps it)."""

    columns: list[str] | None = None

    def _append(self, f, row: dict, history: History) -> None:
        if self.columns is None:
            self.columns = columns(history)
            csv.writer(f).writerow(self.columns)
        csv.writer(f).writerow(["" if row.get(c) is None else repr(row[c]) for c in self.columns])


class JsonlLog(_EpochLog):
    """Append each epoch's row to a JSON-lines file, one object per line (see the module docstring)."""

    def _append(self, f, row: dict, history: History) -> None:
        f.write(json.dumps(row, allow_nan=False) + "\n")


def read_log(path: str | os.PathLike[str]) -> list[dict]:
    """Read a log written by :class:`CsvLog` (``.csv``) or :class:`JsonlLog` back into rows.

    Numbers come back as ``int`` (epoch) and ``float``; empty cells and ``null`` as ``None``.
    """
    path = Path(path)
    with open(path, encoding="utf-8", newline="") as f:
        if path.suffix == ".csv":
            reader = csv.DictReader(f)
            names = list(reader.fieldnames or ())
            if names[:1] != ["epoch"] or "seconds" not in names:
                raise ValueError(f"{path}: expected the columns epoch, ..., seconds of a training log, got {names}")
            return [{c: (None if row[c] == "" else int(row[c]) if c == "epoch" else float(row[c]))
                     for c in names} for row in reader]
        return [json.loads(line) for line in f if line.strip()]
