"""Callbacks for :func:`~synaptica.train.fit`: learning-rate schedules by epoch, and how to stop.

A callback is any function ``callback(epoch, history, model)``; ``fit`` calls it after each epoch,
once that epoch's metrics (validation accuracy and the rest) are in ``history``. A callback stops
training by raising :class:`StopTraining` with the reason: ``fit`` lets every callback see the
finished epoch, writes the reason into ``history.stop_reason`` and returns normally. A callback may
also have a method ``end(history, model)``, which ``fit`` calls once when training ends (after the
last epoch or a stop): :class:`EarlyStopping` puts the best epoch's weights back there.

An exception rather than a return value, because a stop is then impossible to trigger by accident
(a ``lambda`` that happens to return something truthy), and it carries its reason with it.

The classes here change an optimizer's ``learning_rate`` between epochs; step-by-step schedules
(a callable passed as the optimizer's ``learning_rate``) are in :mod:`synaptica.optim.schedules`.
"""

from __future__ import annotations

import math
import numbers
import sys
import time
from typing import Callable

import numpy as np

from synaptica.nn.module import Module
from synaptica.optim.base import Optimizer
from synaptica.rules.base import unprefixed
from synaptica.train.history import History


class StopTraining(Exception):
    """Raised by a callback to end :func:`~synaptica.train.fit` after the current epoch.

    The message is the reason; ``fit`` records it in ``history.stop_reason``::

        def stop_at_90_percent(epoch, history, model):
            if history.validation_accuracy[-1] >= 0.90:
                raise StopTraining(f"validation accuracy reached 0.90 at epoch {epoch}")
    """


def _numeric_learning_rate(owner: str, optimizer: Optimizer) -> float:
    rate = optimizer.learning_rate
    if not isinstance(rate, numbers.Real):
        raise TypeError(f"{owner}: the optimizer's learning_rate is a step schedule ({rate!r}); give the "
                        "optimizer a number and let the callback change it between epochs")
    return float(rate)


class EpochSchedule:
    """Set ``optimizer.learning_rate = schedule(epoch)`` before every epoch.

    ``schedule`` is any function ``epoch -> η``, for example those of :mod:`synaptica.optim.schedules`
    read in epochs instead of steps::

        optimizer = SGD(model.parameters(), learning_rate=0.1)
        halve_every_10 = EpochSchedule(optimizer, step_decay(0.1, drop=0.5, every=10))
        fit(model, rule, train, epochs=40, batch_size=10, callbacks=[halve_every_10])

    η for epoch 0 is set when the callback is made; after epoch e it sets η for epoch e + 1. The
    values used are listed in ``learning_rates`` (one per epoch begun). A schedule that reaches
    η = 0 (a cosine schedule at its end) has nothing left to teach: the callback then raises
    :class:`StopTraining`, so a schedule one epoch shorter than the run ends it cleanly.
    """

    def __init__(self, optimizer: Optimizer, schedule: Callable[[int], float]):
        if not callable(schedule):
            raise TypeError(f"EpochSchedule: schedule must be a callable epoch -> learning rate, got {schedule!r}")
        _numeric_learning_rate("EpochSchedule", optimizer)
        self.optimizer = optimizer
        self.schedule = schedule
        self.learning_rates: list[float] = []
        self._set(0)

    def _set(self, epoch: int) -> None:
        rate = float(self.schedule(epoch))
        if rate == 0 and epoch > 0:
            raise StopTraining(f"the learning-rate schedule reached 0 at epoch {epoch}")
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"EpochSchedule: the schedule gave learning rate {rate} for epoch {epoch}; "
                             "it must be a finite number > 0")
        self.optimizer.learning_rate = rate
        self.learning_rates.append(rate)

    def __call__(self, epoch: int, history: History, model: Module) -> None:
        self._set(epoch + 1)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"learning_rates": np.array(self.learning_rates, dtype=np.float64)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.learning_rates = [float(rate) for rate in state["learning_rates"]]

    def __repr__(self) -> str:
        return f"EpochSchedule({self.schedule!r})"


class HalveOnPlateau:
    """Nielsen's learning-rate schedule, driven by validation accuracy.

    Hold η constant while the validation accuracy improves. When it has not improved on its best for
    ``patience`` epochs in a row (Nielsen's "no-improvement-in-n" rule, n = 10 in the book), multiply η
    by ``factor`` (½) and start counting again. When η has fallen to ``stop_fraction`` (1/128) of its
    first value η₀, stop training::

        after each epoch e with validation accuracy aₑ:
            if aₑ > best:  best ← aₑ,  waited ← 0
            else:          waited ← waited + 1
            if waited = n: η ← η · factor,  waited ← 0
                           if η ≤ η₀ · stop_fraction:  stop

    The best accuracy is kept across halvings, so a smaller η must beat the best of the larger ones.
    With the defaults training ends after the seventh halving (η₀/2⁷ = η₀/128).

    Attributes:
        halvings: ``(epoch, new η)`` for every change, in order; the new η applies from epoch + 1.
        initial_learning_rate: η₀, read from the optimizer when the callback is made.

    Reference: Nielsen, Neural Networks and Deep Learning, ch. 3, "How to choose a neural network's
    hyper-parameters?", learning rate schedule (and its exercise: halve η on each no-improvement-in-10,
    terminate at η₀/128).
    """

    def __init__(self, optimizer: Optimizer, patience: int = 10, factor: float = 0.5,
                 stop_fraction: float = 1 / 128):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"HalveOnPlateau: patience must be an integer >= 1, got {patience!r}")
        if not 0 < factor < 1:
            raise ValueError(f"HalveOnPlateau: factor must be in (0, 1), got {factor}")
        if not 0 < stop_fraction < 1:
            raise ValueError(f"HalveOnPlateau: stop_fraction must be in (0, 1), got {stop_fraction}")
        self.optimizer = optimizer
        self.patience = patience
        self.factor = float(factor)
        self.stop_fraction = float(stop_fraction)
        self.initial_learning_rate = _numeric_learning_rate("HalveOnPlateau", optimizer)
        self.halvings: list[tuple[int, float]] = []
        self.best = -math.inf
        self.waited = 0

    def __call__(self, epoch: int, history: History, model: Module) -> None:
        if not history.validation_accuracy:
            raise ValueError("HalveOnPlateau follows validation accuracy: pass fit(..., validation=(x, y))")
        accuracy = history.validation_accuracy[-1]
        if accuracy > self.best:
            self.best, self.waited = accuracy, 0
            return
        self.waited += 1
        if self.waited < self.patience:
            return
        self.waited = 0
        rate = float(self.optimizer.learning_rate) * self.factor
        self.optimizer.learning_rate = rate
        self.halvings.append((epoch, rate))
        # a relative tolerance, so that a factor such as 0.1 still stops where it should after rounding
        if rate <= self.initial_learning_rate * self.stop_fraction * (1 + 1e-9):
            raise StopTraining(f"the learning rate fell to {rate:g} = η₀/{self.initial_learning_rate / rate:g} "
                               f"after {len(self.halvings)} reductions without validation gains "
                               f"(best accuracy {self.best:.4f})")

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"best": np.array(self.best), "waited": np.array(self.waited),
                "halvings": np.array(self.halvings, dtype=np.float64).reshape(-1, 2)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.best, self.waited = float(state["best"]), int(state["waited"])
        self.halvings = [(int(epoch), float(rate)) for epoch, rate in state["halvings"]]

    def __repr__(self) -> str:
        return (f"HalveOnPlateau(patience={self.patience}, factor={self.factor:g}, "
                f"stop_fraction={self.stop_fraction:g})")


class EarlyStopping:
    """Stop when a metric has not improved for ``patience`` epochs; optionally keep the best weights.

    Follows any named metric of the history, larger or smaller being better (``mode``): validation
    accuracy for a classifier, validation cost for an autoencoder, episode return for a policy::

        keep_best = EarlyStopping("validation_cost", mode="min", patience=5, restore_best=True)
        fit(autoencoder, rule, x, epochs=50, batch_size=64, evaluators=[Reconstruction(x_val, cost)],
            callbacks=[keep_best])

    An epoch improves on the best only when strictly better. With ``restore_best`` the weights (and
    buffers) of the best epoch are copied when it happens and put back when training ends, so the
    model is the one chosen on held-out data and the test set stays unseen; ``history.restored_epoch``
    then names it.

    Args:
        monitor: the metric's name in the history (e.g. ``"validation_accuracy"``).
        mode: ``"max"`` or ``"min"``: whether larger or smaller is better.
        patience: epochs without improvement before stopping (None: never stop, only keep the best).
        restore_best: put back the best epoch's weights at the end.
        verbose, out: print a line when the weights are put back (default: standard output).
    """

    def __init__(self, monitor: str = "validation_accuracy", mode: str = "max", patience: int | None = None,
                 restore_best: bool = False, verbose: bool = True, out=None):
        if mode not in ("max", "min"):
            raise ValueError(f"EarlyStopping: mode must be 'max' or 'min', got {mode!r}")
        if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 1):
            raise ValueError(f"EarlyStopping: patience must be an integer >= 1 or None, got {patience!r}")
        self.monitor, self.mode, self.patience = monitor, mode, patience
        self.restore_best, self.verbose, self.out = restore_best, verbose, out
        self.best = -math.inf if mode == "max" else math.inf
        self.best_epoch: int | None = None
        self.best_state: dict | None = None
        self.waited = 0

    def _better(self, value: float) -> bool:
        return value > self.best if self.mode == "max" else value < self.best

    def __call__(self, epoch: int, history: History, model: Module) -> None:
        if self.monitor not in history:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, which no evaluator or rule reported; "
                             f"the history has {sorted(history.metrics)}")
        value = history[self.monitor][-1]
        if self._better(value):
            self.best, self.best_epoch, self.waited = value, epoch, 0
            if self.restore_best:
                self.best_state = {name: array.copy() for name, array in model.state_dict().items()}
            return
        self.waited += 1
        if self.patience is not None and self.waited >= self.patience:
            raise StopTraining(f"no better {self.monitor.replace('_', ' ')} for {self.patience} epochs "
                               f"(best {self.best:.4f})")

    def state_dict(self) -> dict[str, np.ndarray]:
        """The best value, its epoch (-1: none yet), the epochs waited and the best weights, for checkpoints."""
        state = {"best": np.array(self.best), "waited": np.array(self.waited),
                 "best_epoch": np.array(-1 if self.best_epoch is None else self.best_epoch)}
        state.update({f"weights/{name}": array for name, array in (self.best_state or {}).items()})
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.best, self.waited = float(state["best"]), int(state["waited"])
        self.best_epoch = None if int(state["best_epoch"]) < 0 else int(state["best_epoch"])
        weights = {name: np.array(value) for name, value in unprefixed("weights/", state).items()}
        self.best_state = weights or None

    def end(self, history: History, model: Module) -> None:
        """Training is over: put the best epoch's weights back (with ``restore_best``)."""
        if self.best_state is None or not history.epochs or self.best_epoch == history.epochs[-1]:
            return
        model.load_state_dict(self.best_state)
        history.restored_epoch = self.best_epoch
        if self.verbose:
            print(f"Restored the weights of epoch {self.best_epoch} ({self.monitor.replace('_', ' ')} "
                  f"{self.best:.4f}).", file=sys.stdout if self.out is None else self.out, flush=True)

    def __repr__(self) -> str:
        return f"EarlyStopping({self.monitor!r}, mode={self.mode!r}, patience={self.patience})"


class TimeBudget:
    """Stop training after the epoch during which ``minutes`` of training time ran out.

    The clock starts when ``fit`` starts (``start``), so evaluation time counts too; the epoch under
    way always finishes, so keep epochs short when the budget is (``windows_per_epoch`` of
    :class:`~synaptica.data.sequences.TokenStreamSource`).
    """

    def __init__(self, minutes: float, clock=time.perf_counter):
        if not minutes > 0:
            raise ValueError(f"TimeBudget: minutes must be > 0, got {minutes}")
        self.minutes, self.clock = float(minutes), clock
        self.started: float | None = None

    def start(self, run) -> None:
        self.started = self.clock()

    def __call__(self, epoch: int, history: History, model: Module) -> None:
        if self.started is not None and self.clock() - self.started >= 60 * self.minutes:
            raise StopTraining(f"the time budget of {self.minutes:g} minutes is used")

    def __repr__(self) -> str:
        return f"TimeBudget({self.minutes:g} minutes)"
