"""Operands of broadcasting ops, and reducing a gradient back to the shape of its operand.

When an op broadcast an operand of shape (3,) against (10, 3), every one of the 10 rows used the
same 3 numbers, so their gradients add up: sum over the axes that broadcasting created or stretched.
"""

from __future__ import annotations

import numpy as np

from synaptica.tensor import Tensor, as_tensor


def operand_pair(a, b) -> tuple[Tensor, Tensor]:
    """Make both operands tensors; a plain number or array takes the other operand's dtype."""
    if isinstance(a, Tensor):
        return a, as_tensor(b, like=a)
    return as_tensor(a, like=b), b


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over broadcast axes so that it has ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)
