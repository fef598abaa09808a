"""Elementwise ops, each forward beside its vector-Jacobian product.

For y = f(x) applied elementwise, the Jacobian is diagonal, so the vjp is a product:
∂C/∂x = ∂C/∂y ⊙ f'(x). Binary ops broadcast like NumPy and sum their gradients back to each
operand's shape (:func:`unbroadcast`). Derivatives are written in terms of the output where that is
cheaper, as Nielsen writes σ'(z) = σ(z)(1 − σ(z)).
"""

from __future__ import annotations

import numpy as np

from synaptica.ops._broadcast import operand_pair, unbroadcast
from synaptica.tensor import Tensor


def add(a, b) -> Tensor:
    """a + b. vjp: (g, g), each reduced to its operand's shape."""
    a, b = operand_pair(a, b)

    def vjp(g):
        return unbroadcast(g, a.shape), unbroadcast(g, b.shape)

    return Tensor.from_op(a.data + b.data, (a, b), vjp, "add")


def sub(a, b) -> Tensor:
    """a − b. vjp: (g, −g)."""
    a, b = operand_pair(a, b)

    def vjp(g):
        return unbroadcast(g, a.shape), unbroadcast(-g, b.shape)

    return Tensor.from_op(a.data - b.data, (a, b), vjp, "sub")


def mul(a, b) -> Tensor:
    """a ⊙ b. vjp: (g ⊙ b, g ⊙ a)."""
    a, b = operand_pair(a, b)

    def vjp(g):
        grad_a = unbroadcast(g * b.data, a.shape) if a.requires_grad else None
        grad_b = unbroadcast(g * a.data, b.shape) if b.requires_grad else None
        return grad_a, grad_b

    return Tensor.from_op(a.data * b.data, (a, b), vjp, "mul")


def div(a, b) -> Tensor:
    """a / b. vjp: (g / b, −g a / b²)."""
    a, b = operand_pair(a, b)
    out = a.data / b.data

    def vjp(g):
        grad_a = unbroadcast(g / b.data, a.shape) if a.requires_grad else None
        grad_b = unbroadcast(-g * out / b.data, b.shape) if b.requires_grad else None
        return grad_a, grad_b

    return Tensor.from_op(out, (a, b), vjp, "div")


def neg(x: Tensor) -> Tensor:
    """−x. vjp: −g."""
    return Tensor.from_op(-x.data, (x,), lambda g: (-g,), "neg")


def pow(x: Tensor, exponent: float) -> Tensor:
    """x ** p for a constant number p. vjp: g · p · x^(p−1)."""
    if isinstance(exponent, Tensor) or not np.isscalar(exponent):
        raise TypeError(f"pow: the exponent must be a plain number, got {type(exponent).__name__}")
    p = exponent.item() if isinstance(exponent, np.generic) else exponent  # keep x's dtype
    out = x.data**p

    def vjp(g):
        return (g * (p * x.data ** (p - 1)),)

    return Tensor.from_op(out, (x,), vjp, "pow")


def exp(x: Tensor) -> Tensor:
    """eˣ. vjp: g ⊙ eˣ (the output itself)."""
    out = np.exp(x.data)
    return Tensor.from_op(out, (x,), lambda g: (g * out,), "exp")


def log(x: Tensor) -> Tensor:
    """ln x. vjp: g / x."""
    return Tensor.from_op(np.log(x.data), (x,), lambda g: (g / x.data,), "log")


def sqrt(x: Tensor) -> Tensor:
    """√x. vjp: g / (2√x)."""
    out = np.sqrt(x.data)
    return Tensor.from_op(out, (x,), lambda g: (g / (2 * out),), "sqrt")


def sigmoid_array(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)), computed as ½(1 + tanh(z/2)): the same function, but tanh never
    overflows, so large negative z needs no special case (and it is faster than exp at small sizes)."""
    out = np.asarray(np.tanh(z * 0.5))  # asarray: a 0-d input gives a scalar, which cannot be updated in place
    out *= 0.5
    out += 0.5
    return out


def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^(−x)). vjp: g ⊙ σ(x)(1 − σ(x)), Nielsen's σ'."""
    out = sigmoid_array(x.data)
    return Tensor.from_op(out, (x,), lambda g: (g * out * (1 - out),), "sigmoid")


def tanh(x: Tensor) -> Tensor:
    """tanh x. vjp: g ⊙ (1 − tanh² x)."""
    out = np.tanh(x.data)
    return Tensor.from_op(out, (x,), lambda g: (g * (1 - out * out),), "tanh")


def relu(x: Tensor) -> Tensor:
    """max(0, x). vjp: g where x > 0, else 0 (the subgradient 0 at x = 0, as PyTorch)."""
    positive = x.data > 0
    out = x.data * positive
    return Tensor.from_op(out, (x,), lambda g: (g * positive,), "relu")


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, a·x otherwise (Maas et al. 2013): negative inputs keep a small gradient a.
    vjp: g where x > 0, a·g elsewhere."""
    slope = np.where(x.data > 0, 1.0, negative_slope).astype(x.dtype)
    return Tensor.from_op(x.data * slope, (x,), lambda g: (g * slope,), "leaky_relu")


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, α(eˣ − 1) otherwise (Clevert et al. 2016): smooth, and saturates at −α.
    vjp: g where x > 0, g·(out + α) elsewhere (since d/dx α(eˣ − 1) = α eˣ = out + α)."""
    positive = x.data > 0
    out = np.where(positive, x.data, alpha * np.expm1(np.minimum(x.data, 0))).astype(x.dtype)
    derivative = np.where(positive, 1.0, out + alpha).astype(x.dtype)
    return Tensor.from_op(out, (x,), lambda g: (g * derivative,), "elu")


def softplus(x: Tensor) -> Tensor:
    """ln(1 + eˣ), a smooth ReLU, computed as max(x, 0) + ln(1 + e^(−|x|)) so it never overflows.
    vjp: g·σ(x)."""
    out = (np.maximum(x.data, 0) + np.log1p(np.exp(-np.abs(x.data)))).astype(x.dtype)
    return Tensor.from_op(out, (x,), lambda g: (g * sigmoid_array(x.data),), "softplus")
