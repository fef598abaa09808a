"""Measuring a model on a dataset: cost, accuracy, predictions and the confusion matrix."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from synaptica.checks import positive_int
from synaptica.errors import ShapeError
from synaptica.losses import Cost
from synaptica.nn.module import Module, input_tensor
from synaptica.parallel.blas import blas_threads, inference_workers
from synaptica.tensor import Tensor, no_grad


def predict(model: Module, x: np.ndarray, batch_size: int = 1000, workers: int | str = "auto") -> np.ndarray:
    """The model's outputs for inputs ``x``, computed in batches without recording.

    ``x`` is cast to the model's dtype batch by batch (:func:`synaptica.nn.module.input_tensor`), so
    float64 or uint8 data can be given to a float32 model.

    Args:
        batch_size: examples per forward pass.
        workers: how many batches run at once, each in a thread of its own: 'auto' (one per usable
            core, see :func:`synaptica.parallel.blas.inference_workers`) or a number (1: one batch after
            another). NumPy releases the GIL inside its loops and BLAS, so the threads run in
            parallel. BLAS runs one thread per batch whatever the number of workers (a BLAS thread
            count can change a product's summation order), so every batch is computed exactly as
            it would be alone and the outputs are bitwise the same for any ``workers``.
    """
    batch_size = positive_int("predict", "batch_size", batch_size)
    x = np.asarray(x)
    starts = range(0, len(x), batch_size)
    n_workers = inference_workers(len(starts), workers)

    def forward(start: int) -> np.ndarray:
        with no_grad():  # per thread: the recording switch is a context variable
            return model(input_tensor(model, x[start:start + batch_size], "predict")).data

    was_training = model.training
    model.eval()
    try:
        with blas_threads(1):
            if n_workers == 1:
                outputs = [forward(start) for start in starts]
            else:
                with ThreadPoolExecutor(n_workers) as pool:
                    outputs = list(pool.map(forward, starts))
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
    target. ``x`` is cast to the model's dtype, as by :func:`predict`."""
    y = np.asarray(y)
    if len(x) != len(y):
        raise ShapeError(f"evaluate: {len(x)} inputs but {len(y)} targets; give one target per input")
    output = predict(model, x, batch_size)
    if y.ndim == 1 and output.ndim == 2 and y.dtype.kind in "iu" and len(y):
        outside = np.flatnonzero((y < 0) | (y >= output.shape[1]))
        if len(outside):
            raise ShapeError(f"evaluate: {len(outside)} labels are not classes of the model's {output.shape[1]} "
                             f"outputs (0..{output.shape[1] - 1}), the first at index {outside[0]} ({y[outside[0]]})")
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
