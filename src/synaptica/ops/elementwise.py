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


#: The cap on z in :func:`sigmoid_array`: σ(40) already rounds to 1 in float64 (and from z ≈ 17 on in
#: float32), and e⁴⁰ ≈ 2.4e17 is far from overflow in either precision.
SIGMOID_CAP = 40.0


def sigmoid_array(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)), computed as eᶻ / (1 + eᶻ) with z capped at 40.

    Accurate to a few units in the last place along the whole line, in both tails. For z → −∞, eᶻ
    and the quotient shrink together (σ(−20) = 2.06e-9 in float32, on into the subnormals), where
    ½(1 + tanh(z/2)) loses every digit to the cancellation in 1 + tanh (7 % wrong at z = −15 in
    float32, 0 below −17) and 1 / (1 + e^(−z)) overflows e^(−z). For z ≥ 40 the cap changes
    nothing, since σ(z) rounds to 1 there. No step can overflow, so no warning is raised or has to be
    silenced, and it takes four NumPy calls, as the tanh form did. Every σ in the ops is this one:
    the sigmoid, softplus's derivative and the sigmoid cross-entropy's δ.
    """
    e = np.asarray(np.minimum(z, SIGMOID_CAP))  # asarray: a 0-d input gives a scalar
    np.exp(e, out=e)
    e /= e + 1
    return e


def softplus_array(z: np.ndarray) -> np.ndarray:
    """ln(1 + eᶻ) computed as max(z, 0) + ln(1 + e^(−|z|)): e^(−|z|) ≤ 1 never overflows, and each
    tail is exact (z for large z, eᶻ for very negative z). Shared by softplus and the sigmoid
    cross-entropy, whose per-unit cost is softplus(z) − z·y."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^(−x)). vjp: g ⊙ σ(x)(1 − σ(x)), Nielsen's σ'."""
    out = sigmoid_array(x.data)
    return Tensor.from_op(out, (x,), lambda g: (g * out * (1 - out),), "sigmoid")


def tanh(x: Tensor) -> Tensor:
    """tanh x. vjp: g ⊙ (1 − tanh² x)."""
    out = np.tanh(x.data)
    return Tensor.from_op(out, (x,), lambda g: (g * (1 - out * out),), "tanh")


def relu(x: Tensor) -> Tensor:
    """max(0, x), so relu(−∞) = 0 and NaN stays NaN, as in PyTorch (x·[x > 0] gave −∞·0 = NaN).
    vjp: g where the output is > 0, else 0 (the subgradient 0 at x = 0, as PyTorch; 0 at NaN too,
    where PyTorch passes g on)."""
    out = np.maximum(x.data, x.dtype.type(0))
    return Tensor.from_op(out, (x,), lambda g: (g * (out > 0),), "relu")


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, a·x otherwise (Maas et al. 2013): negative inputs keep a small gradient a.
    vjp: g where x > 0, a·g elsewhere."""
    slope = np.where(x.data > 0, 1.0, negative_slope).astype(x.dtype)
    return Tensor.from_op(x.data * slope, (x,), lambda g: (g * slope,), "leaky_relu")


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, α(eˣ − 1) otherwise (Clevert et al. 2016): smooth, and saturates at −α.
    vjp: g where x > 0, g·α eˣ elsewhere. (α eˣ equals out + α, but that sum cancels to 0 in the
    negative tail, where α eˣ keeps its relative accuracy, as in PyTorch.)"""
    positive = x.data > 0
    negative_part = np.minimum(x.data, 0)
    out = np.where(positive, x.data, alpha * np.expm1(negative_part)).astype(x.dtype)
    derivative = np.where(positive, 1.0, alpha * np.exp(negative_part)).astype(x.dtype)
    return Tensor.from_op(out, (x,), lambda g: (g * derivative,), "elu")


def softplus(x: Tensor) -> Tensor:
    """ln(1 + eˣ), a smooth ReLU (:func:`softplus_array`, which never overflows). vjp: g·σ(x)."""
    out = softplus_array(x.data).astype(x.dtype, copy=False)
    return Tensor.from_op(out, (x,), lambda g: (g * sigmoid_array(x.data),), "softplus")
