"""A run directory: where ``synaptica train`` keeps the logs and pictures of one training run.

    runs/20250131-140509-seed0/
        history.csv, history.jsonl     one row per epoch, appended as each epoch ends
        curves.png                     cost and accuracy per epoch              (with --plot)
        gradient_norms.csv, .png       ‖∂C/∂b‖ of each layer per epoch          (with --plot)

With ``--tensorboard DIR`` the run also writes TensorBoard event files into ``DIR/<the run's name>``
(:class:`~synaptica.train.tensorboard.TensorBoardLog`), so ``tensorboard --logdir DIR`` shows the
runs side by side.

The name holds the start time and the seed, so runs sort by time and a run can be repeated from its
name. The per-epoch logs survive a crash; the pictures are drawn when training ends.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import numpy as np

from synaptica.io.atomic import atomic_write
from synaptica.losses import Cost
from synaptica.nn.module import Module
from synaptica.optim.base import Optimizer
from synaptica.train.history import History
from synaptica.train.logs import CsvLog, JsonlLog
from synaptica.train.monitors import LayerSpeedMonitor

#: how many training examples the speed-of-learning measurement uses (Nielsen's 1,000)
SPEED_BATCH = 1000


def new_run_directory(root: str | os.PathLike[str], seed: int | None, now: float | None = None) -> Path:
    """Create and return ``root/<YYYYmmdd-HHMMSS>-seed<seed>`` (``-2``, ``-3``, ... when taken)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    base = Path(root) / (f"{stamp}-seed{seed}" if seed is not None else stamp)
    if Path(root).exists() and not Path(root).is_dir():
        raise ValueError(f"the log directory {str(root)!r} is a file, not a directory")
    Path(root).mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        directory = base if attempt == 1 else base.with_name(f"{base.name}-{attempt}")
        try:
            directory.mkdir()
            return directory
        except FileExistsError:
            continue
    raise FileExistsError(f"new_run_directory: {base} and 998 numbered variants all exist")


class RunLogs:
    """The ``fit`` callbacks that fill a run directory, and the pictures drawn at the end.

    Args:
        directory: an existing directory (see :func:`new_run_directory`).
        optimizer: read for the learning rate column.
        plot: also measure each layer's speed of learning and draw the PNGs at :meth:`finish`;
            checks at once that matplotlib is installed, so a missing extra fails before training.
        cost, speed_batch, model: with ``plot``, the cost and the fixed batch ``(x, y)`` of the
            speed measurement, and the model to measure at initialisation.
        tensorboard: also write TensorBoard event files (scalars, ‖∂C/∂b‖ of each layer when the
            cost and speed batch are given, weight histograms) into ``tensorboard/<directory's name>``;
            checks at once that tensorboardX is installed.
        resumed: the directory holds the logs of a run being continued from a checkpoint: keep them.
    """

    def __init__(self, directory: str | os.PathLike[str], optimizer: Optimizer | None = None, *,
                 plot: bool = False, cost: Cost | None = None,
                 speed_batch: tuple[np.ndarray, np.ndarray] | None = None, model: Module | None = None,
                 tensorboard: str | os.PathLike[str] | None = None, resumed: bool = False):
        self._check(plot, cost, speed_batch, tensorboard)
        self.directory = Path(directory)
        self.plot = plot
        self.callbacks: list = [CsvLog(self.directory / "history.csv", optimizer, resumed),
                                JsonlLog(self.directory / "history.jsonl", optimizer, resumed)]
        self.speeds: LayerSpeedMonitor | None = None
        if plot:
            self.speeds = LayerSpeedMonitor(cost, *speed_batch, model=model)
            self.callbacks.append(self.speeds)
        self.tensorboard = None
        if tensorboard is not None:
            from synaptica.train.tensorboard import TensorBoardLog

            self.tensorboard = TensorBoardLog(Path(tensorboard) / self.directory.name, optimizer,
                                              cost=cost, speed_batch=speed_batch)
            self.callbacks.append(self.tensorboard)

    @classmethod
    def in_new_directory(cls, root: str | os.PathLike[str], seed: int | None, optimizer: Optimizer | None = None,
                         **options) -> RunLogs:
        """Check the options (matplotlib for ``plot``, tensorboardX for ``tensorboard``), then make the
        run directory under ``root`` and return its logs; a run that cannot start leaves no empty
        directory behind."""
        cls._check(options.get("plot", False), options.get("cost"), options.get("speed_batch"),
                   options.get("tensorboard"))
        return cls(new_run_directory(root, seed), optimizer, **options)

    @staticmethod
    def _check(plot: bool, cost: Cost | None, speed_batch, tensorboard=None) -> None:
        if tensorboard is not None:
            from synaptica.train.tensorboard import require_tensorboardx

            require_tensorboardx()
        if plot:
            from synaptica.viz import require_matplotlib

            require_matplotlib()
            if cost is None or speed_batch is None:
                raise ValueError("RunLogs(plot=True) needs the cost and a speed_batch (x, y) to measure ‖∂C/∂b‖")

    def finish(self, history: History) -> list[Path]:
        """Draw the pictures (with ``plot``) and return every file in the run directory."""
        if self.plot and history.epochs:
            from synaptica.viz import plot_gradient_norms, plot_history

            plot_history(history, self.directory / "curves.png", title=self.directory.name)
            plot_gradient_norms(self.speeds.norms, self.directory / "gradient_norms.png", epochs=self.speeds.epochs)
            rows = self.speeds.rows()
            with atomic_write(self.directory / "gradient_norms.csv", "w", encoding="utf-8", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        return sorted(self.directory.iterdir())
