"""Fused losses: each takes the network's output (or logits) and targets and returns a scalar cost.

Each is one op with a closed-form backward, so the output error δᴸ (Nielsen's BP1) is computed in
one step and without the overflow that σ or softmax followed by a log would risk.

Targets may be class labels (integers, shape (batch,)) or arrays of the output's shape (one-hot
rows, or any real targets such as XOR's). ``reduction="mean"`` averages the per-example cost over the
batch, so plain SGD with rate η performs Nielsen's update w ← w − (η/m) Σₓ ∇Cₓ; ``"sum"`` adds
them up (seed 000's XOR program).
"""

from __future__ import annotations

import functools

import numpy as np

from synaptica.errors import ShapeError
from synaptica.ops.elementwise import sigmoid_array, softplus_array
from synaptica.ops.softmax import log_softmax_array
from synaptica.tensor import Tensor


def _target_array(targets) -> np.ndarray:
    """Targets as a plain array, whether given as a Tensor or array-like."""
    return targets.data if isinstance(targets, Tensor) else np.asarray(targets)


def _dense_targets(targets, output: np.ndarray, loss: str) -> np.ndarray:
    """Targets as an array of the output's shape and dtype; class labels become one-hot rows."""
    y = _target_array(targets)
    if y.shape == output.shape:
        return y.astype(output.dtype, copy=False)
    if y.ndim == 1 and output.ndim == 2 and len(y) == len(output) and y.dtype.kind in "iu":
        try:
            return _identity(output.shape[1], output.dtype)[_checked_labels(y, output.shape[1], loss)]
        except IndexError:  # row y of I is label y's one-hot vector; there is no row y
            raise _labels_out_of_range(y, output.shape[1], loss) from None
    raise ShapeError(
        f"{loss}: targets of shape {y.shape} ({y.dtype}) do not fit output of shape {output.shape}; "
        f"give integer class labels of shape ({len(output)},) or targets of shape {output.shape}."
    )


def _checked_labels(y: np.ndarray, classes: int, loss: str) -> np.ndarray:
    """Integer labels as they are; signed ones are refused when negative (NumPy would read −1 as the
    last class). Labels ≥ ``classes`` make the indexing fail (see :func:`_labels_out_of_range`)."""
    if y.dtype.kind == "i" and len(y) and y.min() < 0:
        raise _labels_out_of_range(y, classes, loss)
    return y


def _labels_out_of_range(y: np.ndarray, classes: int, loss: str) -> ShapeError:
    bad = (y < 0) | (y >= classes)
    first = int(np.argmax(bad))
    return ShapeError(f"{loss}: label {y[first]} (example {first} of the batch) is not a class of an output with "
                      f"{classes} units (0..{classes - 1}); {int(bad.sum())} of the batch's {len(y)} labels are "
                      "out of that range")


@functools.lru_cache(maxsize=16)
def _identity(n: int, dtype: np.dtype) -> np.ndarray:
    """The n×n identity, made once per size and dtype and never written to (read-only)."""
    eye = np.eye(n, dtype=dtype)
    eye.flags.writeable = False
    return eye


def _scale(batch: int, reduction: str) -> float:
    if reduction == "mean":
        return 1.0 / batch if batch else 0.0
    if reduction == "sum":
        return 1.0
    raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")


def quadratic_cost(a: Tensor, targets, reduction: str = "mean") -> Tensor:
    """Nielsen's quadratic cost C = ½ ‖a − y‖² per example.

    vjp: ∂C/∂a = (a − y), times 1/m for the batch mean. Followed by σ's vjp this is BP1,
    δᴸ = (a − y) ⊙ σ'(zᴸ), the slow-learning term cross-entropy removes.
    """
    diff = a.data - _dense_targets(targets, a.data, "quadratic_cost")
    scale = _scale(len(a.data) if a.ndim else 1, reduction)
    cost = np.asarray(0.5 * scale * np.vdot(diff, diff), dtype=a.dtype)
    return Tensor.from_op(cost, (a,), lambda g: (diff * (float(g) * scale),), "quadratic_cost")


def sigmoid_cross_entropy(z: Tensor, targets, reduction: str = "mean") -> Tensor:
    """Cross-entropy of sigmoid outputs, from the logits z (Nielsen ch. 3).

    C = −Σⱼ [yⱼ ln aⱼ + (1 − yⱼ) ln(1 − aⱼ)],  a = σ(z), computed stably as
    Σⱼ softplus(zⱼ) − zⱼ yⱼ, softplus(z) = max(z, 0) + ln(1 + e^(−|z|)) = ln(1 + eᶻ).
    vjp: ∂C/∂z = σ(z) − y: the σ'(z) of the quadratic cost cancels, so saturated neurons still learn.
    """
    y = _dense_targets(targets, z.data, "sigmoid_cross_entropy")
    x = z.data
    scale = _scale(len(x) if z.ndim else 1, reduction)
    per_unit = softplus_array(x) - x * y
    cost = np.asarray(scale * per_unit.sum(), dtype=z.dtype)

    def vjp(g):
        return ((sigmoid_array(x) - y) * (float(g) * scale),)

    return Tensor.from_op(cost, (z,), vjp, "sigmoid_cross_entropy")


def softmax_cross_entropy(z: Tensor, targets, reduction: str = "mean") -> Tensor:
    """Log-likelihood cost of a softmax output layer, from the logits z (Nielsen ch. 3).

    C = −ln a_y with a = softmax(z) (for one-hot or soft targets, −Σⱼ yⱼ ln aⱼ).
    vjp: ∂C/∂z = a − y, again free of the slowdown from σ'.
    """
    x = z.data
    if z.ndim != 2:
        raise ShapeError(f"softmax_cross_entropy expects logits of shape (batch, classes), got {x.shape}")
    log_a = log_softmax_array(x, axis=1)
    scale = _scale(len(x), reduction)
    y = _target_array(targets)
    if y.ndim == 1 and y.dtype.kind in "iu" and len(y) == len(x):
        rows = np.arange(len(x))
        try:
            cost = -scale * log_a[rows, _checked_labels(y, x.shape[1], "softmax_cross_entropy")].sum()
        except IndexError:
            raise _labels_out_of_range(y, x.shape[1], "softmax_cross_entropy") from None

        def vjp(g):
            grad = np.exp(log_a)
            grad[rows, y] -= 1
            grad *= float(g) * scale
            return (grad,)

    else:
        y = _dense_targets(y, x, "softmax_cross_entropy")
        cost = -scale * (y * log_a).sum()

        def vjp(g):
            return ((np.exp(log_a) * y.sum(axis=1, keepdims=True) - y) * (float(g) * scale),)

    return Tensor.from_op(np.asarray(cost, dtype=z.dtype), (z,), vjp, "softmax_cross_entropy")
