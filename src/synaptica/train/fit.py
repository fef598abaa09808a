"""The one training loop: epochs of shuffled mini-batches, each handed to a learning rule.

    for each epoch:
        shuffle the training set with the run's Generator
        for each mini-batch:  metrics = rule.step(model, batch)      (and check the cost is finite)
        evaluate on the validation set; print Nielsen's "Epoch 3: 8512 / 10000"
        stop early after `patience` epochs without a better validation accuracy,
        or when a callback raises StopTraining (see synaptica.train.callbacks)

The loop knows nothing of gradients: backprop, feedback alignment and later rules all run here.
"""

from __future__ import annotations

import sys
import time
from typing import Callable

import numpy as np

from synaptica.errors import NonFiniteError, ShapeError
from synaptica.losses import Cost
from synaptica.nn.module import Module
from synaptica.random import SeedLike, as_generator
from synaptica.rules.base import LearningRule
from synaptica.train.blas import blas_threads, training_threads
from synaptica.train.callbacks import StopTraining
from synaptica.train.evaluate import evaluate
from synaptica.train.history import History
from synaptica.train.progress import progress_bar

Callback = Callable[[int, History, Module], None]
#: ``augment(x_batch, rng) -> x_batch``, e.g. :class:`synaptica.data.augment.Augment`
Augmentation = Callable[[np.ndarray, np.random.Generator], np.ndarray]
#: Mini-batches are gathered from the shuffled order in blocks of about this many examples: one
#: gather (and one call of ``augment``) per block instead of per mini-batch, since at batch size 10
#: the cost of a call, not of the pixels, dominates. The batches are the same either way.
BLOCK_EXAMPLES = 1024


def gather_block(batch_size: int) -> int:
    """Examples gathered at once: as many whole mini-batches as fit in :data:`BLOCK_EXAMPLES` (at least one)."""
    return batch_size * max(1, BLOCK_EXAMPLES // batch_size)


def fit(model: Module, rule: LearningRule, train: tuple[np.ndarray, np.ndarray], *,
        epochs: int, batch_size: int, rng: SeedLike = None,
        validation: tuple[np.ndarray, np.ndarray] | None = None, cost: Cost | None = None,
        patience: int | None = None, restore_best: bool = False, verbose: bool = True, progress: bool | None = None,
        blas: int | str | None = "auto", callbacks: list[Callback] = (), augment: Augmentation | None = None,
        out=None) -> History:
    """Train ``model`` with ``rule`` on ``train = (x, y)``; return the :class:`History`.

    Args:
        epochs, batch_size: as Nielsen's ``SGD(training_data, epochs, mini_batch_size, eta)``.
        rng: seed or Generator for shuffling (and for the rule's own randomness via ``bind``).
        validation: (x, y) evaluated after every epoch (Nielsen's ``test_data``/``evaluation_data``).
        cost: the cost reported on validation data (default: the rule's own).
        patience: stop after this many epochs without a better validation accuracy (None: never).
        restore_best: at the end, put back the weights of the epoch with the best validation
            accuracy (model selection on held-out data, so the test set stays unseen).
        verbose: print one line per epoch.
        progress: a progress bar per epoch (default: when ``out`` is a terminal and tqdm is installed).
        blas: BLAS threads during training: 'auto' (see :mod:`synaptica.train.blas`), an int, or None.
        callbacks: functions called as ``callback(epoch, history, model)`` after each epoch. One that
            raises :class:`~synaptica.train.callbacks.StopTraining` ends training after this epoch
            (the other callbacks still see it); its message goes to ``history.stop_reason``.
        augment: distorts the training inputs as ``augment(x, rng)`` with this run's Generator, so each
            epoch sees freshly distorted images and the same seed gives the same run. It is called on
            blocks of whole mini-batches (:data:`BLOCK_EXAMPLES`) in the shuffled order.
        out: where epoch lines go (default: standard output).

    Raises:
        NonFiniteError: a step's cost was NaN or infinite; names the epoch, the batch and the first
            layer whose output was non-finite. The weights are those from before that step.
    """
    x_train, y_train = train
    if len(x_train) != len(y_train):
        raise ValueError(f"fit: {len(x_train)} inputs but {len(y_train)} targets")
    if batch_size < 1 or epochs < 0:
        raise ValueError(f"fit: batch_size must be >= 1 and epochs >= 0, got {batch_size} and {epochs}")
    out = sys.stdout if out is None else out
    generator = as_generator(rng)
    rule.bind(model, generator)
    report_cost = cost if cost is not None else getattr(rule, "cost", None)
    history = History()
    best, best_epoch, best_state, epochs_without_gain = -np.inf, -1, None, 0
    n = len(x_train)
    block = gather_block(batch_size)
    model.train()
    with blas_threads(training_threads(batch_size, blas)):
        for epoch in range(epochs):
            started = time.perf_counter()
            order = generator.permutation(n)  # batches gathered by index: no copy of the whole set
            losses = np.empty((n + batch_size - 1) // batch_size)
            correct = 0
            batches = progress_bar(range(0, n, batch_size), f"Epoch {epoch}", progress, out)
            for b, start in enumerate(batches):
                at = start % block
                if at == 0:  # gather (and distort) the next block of whole mini-batches in one call
                    rows = order[start:start + block]
                    x_block, y_block = x_train[rows], y_train[rows]
                    if augment is not None:
                        x_block = _augment_block(augment, x_block, generator)
                batch = (x_block[at:at + batch_size], y_block[at:at + batch_size])
                try:
                    metrics = rule.step(model, batch)
                except NonFiniteError as error:
                    raise NonFiniteError(_locate(model, batch[0], epoch, b, str(error))) from None
                losses[b] = metrics["loss"]
                correct += metrics.get("correct", 0)
            history.epochs.append(epoch)
            history.step_losses.append(losses)
            history.train_cost.append(float(losses.mean()) if len(losses) else float("nan"))
            history.train_accuracy.append(correct / n if y_train.ndim == 1 and n else float("nan"))
            if validation is not None:
                result = evaluate(model, validation[0], validation[1], report_cost)
                model.train()
                history.validation_cost.append(result.cost)
                history.validation_accuracy.append(result.accuracy)
            history.seconds.append(time.perf_counter() - started)
            if verbose:
                print(_epoch_line(history, validation, result if validation is not None else None), file=out, flush=True)
            stop_reasons = []
            for callback in callbacks:
                try:
                    callback(epoch, history, model)
                except StopTraining as stop:
                    stop_reasons.append(str(stop) or type(callback).__name__)
            if validation is not None:
                if history.validation_accuracy[-1] > best:
                    best, best_epoch, epochs_without_gain = history.validation_accuracy[-1], epoch, 0
                    if restore_best:
                        best_state = {name: array.copy() for name, array in model.state_dict().items()}
                else:
                    epochs_without_gain += 1
                if patience is not None and epochs_without_gain >= patience:
                    stop_reasons.append(f"no better validation accuracy for {patience} epochs (best {best:.4f})")
            if stop_reasons:
                history.stopped_early = True
                history.stop_reason = "; ".join(stop_reasons)
                if verbose:
                    print(f"Stopping early: {history.stop_reason}.", file=out, flush=True)
                break
    if best_state is not None and best_epoch != history.epochs[-1]:
        model.load_state_dict(best_state)
        history.restored_epoch = best_epoch
        if verbose:
            print(f"Restored the weights of epoch {best_epoch} (validation accuracy {best:.4f}).",
                  file=out, flush=True)
    return history


def _augment_block(augment: Augmentation, x: np.ndarray, generator: np.random.Generator) -> np.ndarray:
    distorted = augment(x, generator)
    if getattr(distorted, "shape", None) != x.shape:
        raise ShapeError(f"fit: augment={augment!r} returned shape {getattr(distorted, 'shape', type(distorted))} "
                         f"for inputs of shape {x.shape}; it must keep the shape")
    return distorted


def _epoch_line(history: History, validation, result) -> str:
    epoch = history.epochs[-1]
    timing = f"({history.seconds[-1]:.2f} s)"
    train = f"train cost {history.train_cost[-1]:.4f}"
    if result is None:
        return f"Epoch {epoch} complete: {train} {timing}"
    return (f"Epoch {epoch}: {result.correct} / {result.total}  "
            f"accuracy {result.accuracy:.4f}  cost {result.cost:.4f}  {train} {timing}")


def _locate(model: Module, x: np.ndarray, epoch: int, batch: int, reason: str) -> str:
    """Name the first layer whose output is non-finite on this batch (re-run forward, layer by layer)."""
    where = "no layer output was non-finite (the cost itself overflowed)"
    trace = getattr(model, "trace", None)
    if not np.all(np.isfinite(x)):
        bad = np.argwhere(~np.isfinite(x))[0]
        where = f"the input itself is non-finite (example {bad[0]} of the batch, feature {bad[1:].tolist()})"
        if trace is not None:
            for name, output in trace(x):
                if not np.all(np.isfinite(output)):
                    where += f"; first non-finite layer output: {name}"
                    break
    elif trace is not None:
        for name, output in trace(x):
            if not np.all(np.isfinite(output)):
                where = f"first non-finite layer output: {name}"
                break
    return (f"non-finite cost at epoch {epoch}, batch {batch} ({reason}); {where}. "
            "The weights are those from before this step. Lower the learning rate, or check the data.")
