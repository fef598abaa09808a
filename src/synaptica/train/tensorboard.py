"""A run's epochs as TensorBoard event files: scalars, gradient norms and weight histograms.

tensorboardX is imported here only, and only when a :class:`TensorBoardLog` is made: it is the
``tensorboard`` extra (``pip install 'synaptica[tensorboard]'``). Viewing the files needs
TensorBoard itself (``pip install tensorboard``, then ``tensorboard --logdir DIR``).

:class:`TensorBoardLog` is a :func:`~synaptica.train.fit` callback. After every epoch it writes, at
step = the epoch's number (the ``epoch`` column of the CSV log, counted from 0):

* one scalar per value of the epoch's log row (:func:`~synaptica.train.logs.epoch_row`), under the
  same name: ``train_cost``, ``train_accuracy``, ``validation_cost``, ``validation_accuracy``,
  ``learning_rate`` (with an optimizer), ``seconds``, or the run's own metrics;
* with a cost and a fixed batch, each layer's speed of learning ‖∂C/∂b‖
  (:func:`~synaptica.train.monitors.layer_speeds`) as ``gradient_norm/hidden_layer_1``, ...,
  ``gradient_norm/output_layer``;
* with ``histograms``, the values of every parameter as ``weights/<name>`` (``weights/layers.0.weight``).

The events are written and flushed to disk as each epoch ends (synchronously: no writer thread), so
TensorBoard shows a run while it trains and a crash loses nothing finished::

    log = TensorBoardLog("tb/net", optimizer, cost=CrossEntropyCost(), speed_batch=(x[:1000], y[:1000]))
    fit(net, rule, (x, y), epochs=30, batch_size=10, validation=valid, callbacks=[log])

A run continued from a checkpoint (``fit(..., resume=...)``) writes a new event file into the same
directory that starts with a purge marker at its first epoch, so TensorBoard hides the events an
earlier part wrote for epochs the checkpoint had not kept.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

from synaptica.extras import missing_extra
from synaptica.losses import Cost
from synaptica.nn.module import Module
from synaptica.optim.base import Optimizer
from synaptica.train.history import History
from synaptica.train.logs import epoch_row
from synaptica.train.monitors import layer_speeds

#: equal-width bins between each parameter's smallest and largest value (TensorBoard re-bins to draw)
HISTOGRAM_BINS = 64

def require_tensorboardx() -> None:
    """Raise a clear :class:`ModuleNotFoundError` when tensorboardX is missing; do nothing otherwise."""
    try:
        import tensorboardX  # noqa: F401
    except ImportError as error:
        raise missing_extra("tensorboardX", "TensorBoard logging", "tensorboard") from error


def tag(name: str) -> str:
    """A name as a TensorBoard tag: spaces become underscores (``hidden layer 1`` → ``hidden_layer_1``)."""
    return name.replace(" ", "_")


class TensorBoardLog:
    """Write each epoch's scalars, gradient norms and weight histograms into ``directory`` (a ``fit`` callback).

    Args:
        directory: where the event files go; made (with its parents) if missing. One directory per
            run: ``tensorboard --logdir`` on its parent shows the runs side by side.
        optimizer: read for the ``learning_rate`` scalar (its ``current_learning_rate``).
        histograms: also write a histogram of every parameter's values after each epoch.
        cost, speed_batch: when both are given, also write ‖∂C/∂b‖ of each layer measured on the
            fixed batch ``(x, y)`` (Nielsen uses the first 1,000 training examples).

    Checks at once that tensorboardX is installed, so a missing extra fails before training.
    """

    def __init__(self, directory: str | os.PathLike[str], optimizer: Optimizer | None = None, *,
                 histograms: bool = True, cost: Cost | None = None,
                 speed_batch: tuple[np.ndarray, np.ndarray] | None = None):
        require_tensorboardx()
        if (cost is None) != (speed_batch is None):
            raise ValueError("TensorBoardLog: give both the cost and the speed_batch (x, y) to log ‖∂C/∂b‖, "
                             "or neither")
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise ValueError(f"TensorBoardLog: {str(self.directory)!r} is a file, not a directory")
        self.optimizer = optimizer
        self.histograms = histograms
        self.cost = cost
        self.speed_batch = speed_batch
        self._writer = None

    def start(self, run) -> None:
        """Open the event file; a resumed run's starts with a purge marker at its first epoch."""
        self._open(len(run.history.epochs))

    def _open(self, first_epoch: int):
        """A new event file, written synchronously (tensorboardX's ``EventsWriter``: no writer thread,
        so a flushed epoch is on disk). Its name is tensorboardX's, numbered when the directory already
        has event files, so a second part of a run started within the same second cannot overwrite
        the first."""
        if self._writer is None:
            from tensorboardX.event_file_writer import EventsWriter
            from tensorboardX.proto.event_pb2 import Event, SessionLog

            self.directory.mkdir(parents=True, exist_ok=True)
            earlier = len(list(self.directory.glob("events.out.tfevents.*")))
            self._writer = EventsWriter(str(self.directory / "events"), f".{earlier}" if earlier else "")
            if first_epoch > 0:
                self._writer.write_event(Event(wall_time=time.time(), step=first_epoch,
                                               session_log=SessionLog(status=SessionLog.START)))
        return self._writer

    def __call__(self, epoch: int, history: History, model: Module) -> None:
        from tensorboardX.proto.event_pb2 import Event
        from tensorboardX.summary import histogram, scalar

        writer = self._open(len(history.epochs) - 1)
        row = epoch_row(history, -1, self.optimizer)
        step = row.pop("epoch")
        summaries = [scalar(tag(name), value) for name, value in row.items()
                     if value is not None and math.isfinite(value)]
        if self.cost is not None:
            summaries += [scalar(f"gradient_norm/{tag(name)}", norm)
                          for name, norm in layer_speeds(model, self.cost, *self.speed_batch).items()]
        if self.histograms:
            summaries += [histogram(f"weights/{tag(name)}", np.asarray(parameter.data, dtype=np.float64),
                                    HISTOGRAM_BINS) for name, parameter in model.named_parameters()]
        now = time.time()
        for summary in summaries:
            writer.write_event(Event(wall_time=now, step=step, summary=summary))
        writer.flush()

    def end(self, history: History, model: Module) -> None:
        """Close the event file (a later epoch would open a new one)."""
        self.close()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __repr__(self) -> str:
        return f"TensorBoardLog({str(self.directory)!r})"
