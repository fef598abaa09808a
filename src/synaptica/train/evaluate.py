"""Measuring a model on a dataset: cost, accuracy, predictions and the confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synaptica.losses import Cost
from synaptica.nn.module import Module
from synaptica.tensor import Tensor, no_grad


def predict(model: Module, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """The model's outputs for inputs ``x``, computed in batches without recording."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            outputs = [model(Tensor(x[i:i + batch_size])).data for i in range(0, len(x), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(outputs) if outputs else np.empty((0,))


@dataclass(frozen=True)
class Evaluation:
    cost: float
    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else float("nan")


def evaluate(model: Module, x: np.ndarray, y: np.ndarray, cost: Cost | None = None,
             batch_size: int = 1000) -> Evaluation:
    """Mean cost (if ``cost`` is given) and accuracy of ``model`` on (x, y).

    With class labels (``y`` of shape (n,)) a prediction is correct when the output's arg-max is
    the label. With target rows (XOR's 0/1 targets) it is correct when every output rounds to its
    target."""
    output = predict(model, x, batch_size)
    mean_cost = float("nan")
    if cost is not None:
        with no_grad():
            mean_cost = float(cost.fn(Tensor(output), y, reduction="mean").data)
    if y.ndim == 1:
        correct = int(np.count_nonzero(output.argmax(axis=1) == y))
    else:
        correct = int(np.count_nonzero(np.all(np.round(output) == y, axis=1)))
    return Evaluation(mean_cost, correct, len(x))


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, n_classes: int) -> np.ndarray:
    """counts[i, j] = how many examples of true class i were predicted as class j."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (labels, predictions), 1)
    return counts
