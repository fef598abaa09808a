"""Progress output for long loops: a tqdm bar on a terminal, and Nielsen's line after every epoch."""

from __future__ import annotations

import sys
from typing import Iterable, Sequence, TypeVar

from synaptica.nn.module import Module
from synaptica.train.history import History

T = TypeVar("T")


def progress_bar(items: Iterable[T], description: str, enabled: bool | None, out,
                 total: int | None = None) -> Iterable[T]:
    """Wrap ``items`` in a progress bar; ``enabled=None`` means: only on a terminal."""
    if enabled is None:
        enabled = hasattr(out, "isatty") and out.isatty()
    if not enabled:
        return items
    try:
        from tqdm import tqdm
    except ImportError:  # optional extra 'progress'
        return items
    return tqdm(items, desc=description, leave=False, unit="batch", file=out, mininterval=0.5, total=total)


class EpochReport:
    """The line printed after every epoch (a callback; ``fit(verbose=True)`` adds it first).

    With evaluators, Nielsen's ``Epoch 3: 8694 / 10000  accuracy 0.8694  cost 0.3539  train cost
    0.3272 (1.44 s)``, each evaluator contributing its ``summary``; without, ``Epoch 3 complete:
    train cost 0.3272 (1.44 s)``. When training stops early, :meth:`end` says why.
    """

    def __init__(self, evaluators: Sequence = (), out=None):
        self.evaluators = [e for e in evaluators if hasattr(e, "summary")]
        self.out = out

    def __call__(self, epoch: int, history: History, model: Module) -> None:
        latest = {name: values[-1] for name, values in history.metrics.items() if values}
        timing = f"({history.seconds[-1]:.2f} s)"
        train = f"train cost {latest.get('train_cost', float('nan')):.4f}"
        parts = [evaluator.summary(latest) for evaluator in self.evaluators]
        line = (f"Epoch {epoch}: {'  '.join(parts)}  {train} {timing}" if parts
                else f"Epoch {epoch} complete: {train} {timing}")
        self._print(line)

    def end(self, history: History, model: Module) -> None:
        if history.stopped_early:
            self._print(f"Stopping early: {history.stop_reason}.")

    def _print(self, line: str) -> None:
        print(line, file=sys.stdout if self.out is None else self.out, flush=True)
