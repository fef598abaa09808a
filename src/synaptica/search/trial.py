"""One trial: train one network with one setting of the hyper-parameters and score it.

A trial is the training ``synaptica train`` does (``mlp``, an optimizer, a learning rule, ``fit``
with validation after every epoch), scored by its **best validation accuracy**: hyper-parameters
are chosen on held-out validation data, never on the test set, which stays unseen until the
chosen network is measured once. When a dataset has no validation split, its test split is used,
as ``synaptica train`` does.

A trial whose cost becomes NaN or infinite (``fit`` raises :class:`~synaptica.errors.NonFiniteError`,
typically a learning rate past the threshold where gradient descent diverges) is not an error of the
search: it returns a ``failed`` record with the reason, and the search goes on. NumPy's overflow
warnings inside such a run are silenced, since the record already says what went wrong.

Every trial seeds its initial weights and shuffling with its ``seed`` setting. By default all trials
share it, so two trials differ only in their hyper-parameters (common random numbers); searching
``seed`` itself measures how much a result owes to luck.
"""

from __future__ import annotations

import math
import time

import numpy as np

from synaptica.data import load_dataset
from synaptica.errors import DataError, NonFiniteError
from synaptica.losses import get_cost
from synaptica.nn import mlp
from synaptica.optim import make_optimizer
from synaptica.parallel import worker_task
from synaptica.rules import make_rule
from synaptica.train import fit


def run_trial(number: int, params: dict, settings: dict, blas: int | str | None = "auto") -> dict:
    """Train with ``settings`` (every training setting; ``params`` are the searched ones) and return
    the trial's record for the results file.

    The record holds ``trial``, ``status`` ("ok" or "failed"), ``params``, ``validation_accuracy``
    (the best over the epochs), ``validation_cost`` and ``best_epoch`` (at that epoch),
    ``train_cost`` (mean over the last epoch), ``epochs`` (how many ran), ``seconds``, ``reason``
    (why a trial failed, else None) and ``settings``. ``blas`` is passed on to ``fit``.
    """
    started = time.perf_counter()
    record = {"trial": number, "status": "ok", "params": params, "validation_accuracy": None,
              "validation_cost": None, "best_epoch": None, "train_cost": None, "epochs": 0,
              "seconds": None, "reason": None, "settings": settings}
    train, validation, n_classes = training_data(settings)
    cost = get_cost(settings["cost"])
    rng = np.random.default_rng(settings["seed"])
    sizes = [train[0].shape[1], *settings["hidden"], n_classes]
    model = mlp(sizes, settings["activation"], output_activation=None if cost.takes_logits else "sigmoid",
                init=settings["init"], rng=rng)
    optimizer = make_optimizer(settings["optimizer"], model.parameters(), settings["eta"], lmbda=settings["lmbda"],
                               n_examples=len(train[0]), momentum=settings["momentum"])
    rule = make_rule(settings["rule"], cost, optimizer)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            history = fit(model, rule, train, epochs=settings["epochs"], batch_size=settings["batch_size"],
                          rng=rng, validation=validation, patience=settings["patience"], verbose=False,
                          progress=False, blas=blas)
    except NonFiniteError as error:
        record.update(status="failed", reason=f"diverged: {error}")
    else:
        best = int(np.argmax(history.validation_accuracy))
        record.update(validation_accuracy=float(history.validation_accuracy[best]),
                      validation_cost=_finite_or_none(history.validation_cost[best]), best_epoch=best,
                      train_cost=_finite_or_none(history.train_cost[-1]), epochs=len(history.epochs))
    record["seconds"] = round(time.perf_counter() - started, 3)
    return record


@worker_task
def trial_task(payload: dict) -> dict:
    """:func:`run_trial` as a worker task: the payload holds ``number``, ``params``, ``settings`` and
    ``blas`` (JSON all), the result is the trial's record."""
    return run_trial(payload["number"], payload["params"], payload["settings"], payload["blas"])


def training_data(settings: dict) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], int]:
    """(train, validation, number of classes), the splits as (x, y) pairs cut to ``train_examples``
    and ``validation_examples``."""
    splits = load_dataset(settings["dataset"])
    held_out = splits.validation if splits.validation is not None else splits.test
    parts = []
    for split, limit_name in [(splits.train, "train_examples"), (held_out, "validation_examples")]:
        limit = settings[limit_name]
        if limit is not None and limit > len(split.x):
            raise DataError(f"{settings['dataset']}: {limit_name} = {limit}, but the split holds only "
                            f"{len(split.x)} examples")
        parts.append((split.x[:limit], split.y[:limit]))
    return parts[0], parts[1], splits.train.n_classes


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN or infinity: a non-finite number is stored as null."""
    return float(value) if math.isfinite(value) else None
