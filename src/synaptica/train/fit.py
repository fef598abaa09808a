"""The one training loop: epochs of batches from a source, each handed to a learning rule.

    rule.bind(model, the rule's own random stream)
    for each epoch:
        for each batch the source yields (shuffled with the run's Generator):
            metrics = rule.step(model, batch)         (callbacks' after_step see them: progress lines)
        history records the steps' metrics and what every evaluator measures
        callbacks run (epoch line, schedules, logs, early stopping); one may raise StopTraining
    rule.unbind(model); callbacks' end() (early stopping puts the best weights back)

A run saved by a :class:`~synaptica.train.checkpoints.Checkpoint` callback continues with
``fit(..., resume=path)`` exactly where it stopped; the loop's counters live in a
:class:`~synaptica.train.run.Run` for that reason.

The loop knows nothing of gradients, labels or accuracy: backprop, feedback alignment, evolution
strategies and autoencoders all run here. Variety lives in batch sources
(:mod:`synaptica.data.loaders`), rules (:mod:`synaptica.rules`), evaluators
(:mod:`synaptica.train.evaluators`) and callbacks (:mod:`synaptica.train.callbacks`).
"""

from __future__ import annotations

import sys
import time
from typing import Callable, Sequence

from synaptica.data.loaders import Augmentation, as_source
from synaptica.errors import NonFiniteError
from synaptica.losses import Cost
from synaptica.nn.module import Module
from synaptica.parallel.blas import blas_threads, training_threads
from synaptica.random import SeedLike, as_generator, stream
from synaptica.rules.base import LearningRule
from synaptica.train.callbacks import EarlyStopping, StopTraining
from synaptica.train.checkpoints import latest_checkpoint, restore_checkpoint
from synaptica.train.evaluators import Classification
from synaptica.train.faults import FiniteWeights, locate_non_finite
from synaptica.train.history import History
from synaptica.train.progress import EpochReport, progress_bar
from synaptica.train.run import Run

Callback = Callable[[int, History, Module], None]
Evaluator = Callable[[Module], dict]


def fit(model: Module, rule: LearningRule, data, *, epochs: int, batch_size: int | None = None,
        rng: SeedLike = None, evaluators: Sequence[Evaluator] = (), callbacks: Sequence[Callback] = (),
        validation=None, cost: Cost | None = None, patience: int | None = None, restore_best: bool = False,
        augment: Augmentation | None = None, verbose: bool = True, progress: bool | None = None,
        blas: int | str | None = "auto", out=None, resume=None) -> History:
    """Train ``model`` with ``rule`` on ``data``; return the :class:`History`.

    Args:
        data: a batch source (:mod:`synaptica.data.loaders`), or arrays: ``(x, y)`` or ``x`` alone,
            which become an :class:`~synaptica.data.loaders.ArraySource` of ``batch_size`` with
            ``augment`` (Nielsen's ``SGD(training_data, epochs, mini_batch_size, eta)``).
        epochs: how many passes over the source.
        rng: seed or Generator: the source shuffles and distorts with it; the rule receives a stream
            of its own derived from it (:func:`synaptica.random.stream`).
        evaluators: called as ``evaluator(model) -> {name: value}`` after every epoch.
        callbacks: called as ``callback(epoch, history, model)`` after each epoch (and, where they
            have them, ``start(run)`` before the first step with the :class:`~synaptica.train.run.Run`,
            ``after_step(epoch, index, metrics, model)`` after every step and ``end(history, model)``
            when training ends); one raising :class:`StopTraining` ends training after the
            epoch, its message in ``history.stop_reason``.
        validation, cost: shorthand for ``evaluators=[Classification(*validation, cost)]``, the cost
            defaulting to the rule's own (Nielsen's ``evaluation_data``).
        patience, restore_best: shorthand for an :class:`EarlyStopping` callback on the first
            evaluator's accuracy (its cost when it reports none): stop after ``patience`` epochs
            without a better value; put back the best epoch's weights at the end. It runs before
            the other callbacks, so the weights it keeps are those the evaluators just measured.
        verbose: print one line per epoch (:class:`~synaptica.train.progress.EpochReport`) to ``out``.
        progress: a progress bar per epoch (default: when ``out`` is a terminal and tqdm is installed).
        blas: BLAS threads during training: 'auto' (see :mod:`synaptica.parallel.blas`), an int, or None.
        resume: a checkpoint file, or a directory of them (the newest is taken), written by a
            :class:`~synaptica.train.checkpoints.Checkpoint` of a run with the same model, rule and
            callbacks: training continues from there, exactly as if it had never stopped.

    Raises:
        NonFiniteError: a step's cost was NaN or infinite (names the epoch, the batch and the first
            layer whose output was non-finite; the weights are those from before that step), or an
            update made weights non-finite with a finite cost (names the parameter; the weights are
            put back to those from before the epoch, see :mod:`synaptica.train.faults`).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be an integer >= 0, got {epochs!r}")
    source = as_source(data, batch_size, augment)
    out = sys.stdout if out is None else out
    evaluators = [*evaluators, *_validation(validation, cost if cost is not None else getattr(rule, "cost", None))]
    callbacks = [*([EpochReport(evaluators, out)] if verbose else []),
                 *_early_stopping(evaluators, patience, restore_best, verbose, out), *callbacks]
    step_hooks = [callback.after_step for callback in callbacks if hasattr(callback, "after_step")]
    run = Run(model, rule, as_generator(rng), callbacks, source)
    rule.bind(model, stream(run.generator, "rule"))
    try:
        if resume is not None:
            restore_checkpoint(latest_checkpoint(resume), run)
        for callback in callbacks:
            getattr(callback, "start", lambda run: None)(run)
        model.train()
        finite = FiniteWeights(model, run.epoch)
        with blas_threads(training_threads(getattr(source, "batch_size", 1), blas)):
            while run.epoch < epochs and not run.history.stopped_early:
                if run.step == 0:  # not an epoch resumed in its middle, whose clock the checkpoint set
                    run.epoch_started = time.perf_counter()
                batches = progress_bar(source.batches(model, run.generator), f"Epoch {run.epoch}", progress, out,
                                       getattr(source, "steps", None), done=run.step)
                for index, batch in enumerate(batches, start=run.step):  # resumed mid-epoch: from its step
                    run.took_step(index, _step(run, batch, index, finite))
                    for hook in step_hooks:
                        hook(run.epoch, index, run.steps[-1], model)
                finite.check(run.epoch + 1)  # an update may have overflowed the weights with a finite cost
                evaluated = {name: value for evaluator in evaluators for name, value in evaluator(model).items()}
                model.train()
                run.history.end_epoch(run.epoch, run.steps, getattr(source, "examples", None), evaluated,
                                      run.epoch_seconds())
                run.end_epoch()
                _after_epoch(callbacks, run.epoch - 1, run.history, model)
    finally:
        getattr(rule, "unbind", lambda model: None)(model)  # optional for a rule with no state to undo
    for callback in callbacks:
        getattr(callback, "end", lambda history, model: None)(run.history, model)
    return run.history


def _step(run: Run, batch, index: int, finite: FiniteWeights) -> dict:
    try:
        return run.rule.step(run.model, batch)
    except NonFiniteError as error:
        rows = getattr(run.source, "batch_rows", lambda: None)()
        raise finite.step_failed(locate_non_finite(run.model, batch, run.epoch, index, str(error), rows)) from None


def _after_epoch(callbacks: list, epoch: int, history: History, model: Module) -> None:
    """Run every callback on the finished epoch. A stop is in ``history`` at once, so the callbacks
    after the one that stopped (a checkpoint) see it."""
    for callback in callbacks:
        try:
            callback(epoch, history, model)
        except StopTraining as stop:
            history.stop(str(stop) or type(callback).__name__)


def _validation(validation, cost: Cost | None) -> list:
    """``validation=(x, y)`` as a Classification evaluator (none without validation data)."""
    if validation is None:
        return []
    return [Classification(validation[0], validation[1], cost)]


def _early_stopping(evaluators: list, patience: int | None, restore_best: bool, verbose: bool, out) -> list:
    """``patience``/``restore_best`` as an EarlyStopping on the first evaluator's accuracy, else its cost."""
    if (patience is None and not restore_best) or not evaluators:
        return []
    name = getattr(evaluators[0], "name", "validation")
    monitor, mode = ((f"{name}_accuracy", "max") if isinstance(evaluators[0], Classification)
                     else (f"{name}_cost", "min"))
    return [EarlyStopping(monitor, mode, patience, restore_best, verbose, out)]
