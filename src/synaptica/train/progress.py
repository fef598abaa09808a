"""Progress output for long loops: a tqdm bar on a terminal, and Nielsen's line after every epoch."""

from __future__ import annotations

import sys
import time
from typing import Callable, Iterable, Sequence, TypeVar

from synaptica.nn.module import Module
from synaptica.train.history import History

T = TypeVar("T")


def progress_bar(items: Iterable[T], description: str, enabled: bool | None, out,
                 total: int | None = None, done: int = 0) -> Iterable[T]:
    """Wrap ``items`` in a progress bar; ``enabled=None`` means: only on a terminal. ``done``: items
    already processed before (a run resumed in the middle of an epoch)."""
    if enabled is None:
        enabled = hasattr(out, "isatty") and out.isatty()
    if not enabled:
        return items
    try:
        from tqdm import tqdm
    except ImportError:  # optional extra 'progress'
        return items
    return tqdm(items, desc=description, leave=False, unit="batch", file=out, mininterval=0.5, total=total,
                initial=done)


class EpochReport:
    """The line printed after every epoch (a callback; ``fit(verbose=True)`` adds it first).

    With evaluators, Nielsen's ``Epoch 3: 8694 / 10000  accuracy 0.8694  cost 0.3539  train cost
    0.3272 (1.44 s)``, each evaluator contributing its ``summary``; without, ``Epoch 3 complete:
    train cost 0.3272 (1.44 s)``; the train cost is left out when the rule's steps report none (persistent
    contrastive divergence). When training stops early, :meth:`end` says why.
    """

    def __init__(self, evaluators: Sequence = (), out=None):
        self.evaluators = [e for e in evaluators if hasattr(e, "summary")]
        self.out = out

    def __call__(self, epoch: int, history: History, model: Module) -> None:
        latest = {name: values[-1] for name, values in history.metrics.items() if values}
        timing = f"({history.seconds[-1]:.2f} s)"
        costed = bool(history.step_losses) and len(history.step_losses[-1]) > 0  # some rules' steps report no cost
        train = f"train cost {latest.get('train_cost', float('nan')):.4f} " if costed else ""
        parts = [evaluator.summary(latest) for evaluator in self.evaluators]
        line = (f"Epoch {epoch}: {'  '.join(parts)}  {train}{timing}" if parts
                else f"Epoch {epoch} complete: {train}{timing}")
        self._print(line)

    def end(self, history: History, model: Module) -> None:
        if history.stopped_early:
            self._print(f"Stopping early: {history.stop_reason}.")

    def _print(self, line: str) -> None:
        print(line, file=sys.stdout if self.out is None else self.out, flush=True)


class StepReport:
    """A line every ``every`` steps: the step's metrics, a held-out measurement, and the speed.

    For rules whose steps are worth watching one by one, such as the generations of evolution
    strategies (a callback with an ``after_step`` hook)::

        generation 120: loss 0.5213  fitness_mean -0.5310  fitness_max -0.4012  held-out accuracy 0.7420  (3.12 generations/s)

    Args:
        every: steps between lines.
        held_out: an evaluator (e.g. ``Classification(x[:500], y[:500], name="held-out")``) run on the
            model for each line; None for none.
        unit: what a step is called (``"step"``, ``"generation"``).
        out: where the lines go (default: standard output).
    """

    def __init__(self, every: int = 10, held_out: Callable | None = None, unit: str = "step", out=None):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"StepReport: every must be an integer >= 1, got {every!r}")
        self.every, self.held_out, self.unit, self.out = every, held_out, unit, out
        self.steps = 0
        self._since = time.perf_counter()

    def after_step(self, epoch: int, index: int, metrics: dict, model: Module) -> None:
        self.steps += 1
        if self.steps % self.every:
            return
        rate = self.every / max(time.perf_counter() - self._since, 1e-9)
        parts = [f"{name} {value:.4f}" for name, value in metrics.items() if name != "correct"]
        if self.held_out is not None:
            was_training = model.training
            parts += [f"{name.replace('_', ' ')} {value:.4f}" for name, value in self.held_out(model).items()
                      if name.endswith("accuracy")]
            model.train(was_training)
        print(f"{self.unit} {self.steps}: {'  '.join(parts)}  ({rate:.2f} {self.unit}s/s)",
              file=sys.stdout if self.out is None else self.out, flush=True)
        self._since = time.perf_counter()

    def __call__(self, epoch: int, history: History, model: Module) -> None:
        """Nothing at the end of an epoch: the epoch line says it."""
