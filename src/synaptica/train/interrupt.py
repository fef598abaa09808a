"""Stopping a run cleanly on Ctrl-C or SIGTERM: at the next step boundary, with a checkpoint.

A signal in the middle of a step would leave the weights half updated (an optimizer interrupted
between two parameters), so the handler only records the request; the
:class:`~synaptica.train.checkpoints.Checkpoint` callback sees it after the step, saves the run
and raises :class:`TrainingInterrupted`. A second Ctrl-C while the step finishes stops at once,
as Python's default does (a ``KeyboardInterrupt``)::

    with stop_on_signals() as stop:
        try:
            fit(..., callbacks=[Checkpoint(directory, stop=stop)])
        except TrainingInterrupted as interrupted:
            print(f"saved {interrupted.path}")

Worker processes of the executors ignore SIGINT (a terminal sends Ctrl-C to the whole process
group), so the step under way finishes and the main process decides.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

#: the exit status of a process stopped by a signal, as shells report it: 128 + the signal's number
EXIT_STATUS = {"SIGINT": 128 + signal.SIGINT, "SIGTERM": 128 + signal.SIGTERM}


class TrainingInterrupted(Exception):
    """Training stopped at a step boundary because of a signal; ``path`` is the checkpoint saved then
    (None without one), ``epoch`` and ``step`` where the run will continue."""

    def __init__(self, signal_name: str, path: Path | None, epoch: int, step: int):
        super().__init__(f"stopped by {signal_name} at epoch {epoch}, step {step}"
                         + (f"; the run is saved in {path}" if path else ""))
        self.signal_name, self.path, self.epoch, self.step = signal_name, path, epoch, step


class StopRequest:
    """Whether a stop was asked for, and by which signal (set by :func:`stop_on_signals`'s handler)."""

    def __init__(self):
        self.signal_name: str | None = None

    @property
    def requested(self) -> bool:
        return self.signal_name is not None

    def request(self, signal_name: str = "a request") -> None:
        self.signal_name = signal_name


@contextmanager
def stop_on_signals(signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[StopRequest]:
    """Within the block, the first SIGINT or SIGTERM sets the returned :class:`StopRequest`; a second
    SIGINT raises ``KeyboardInterrupt`` at once. The previous handlers come back when the block ends.
    Outside the main thread (where Python allows no handlers) nothing is installed."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(number: int, frame) -> None:
        if stop.requested and number == signal.SIGINT:
            raise KeyboardInterrupt
        stop.request(signal.Signals(number).name)

    previous = {number: signal.signal(number, handler) for number in signals}
    try:
        yield stop
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
