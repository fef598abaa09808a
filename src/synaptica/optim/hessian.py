"""Hessian-vector products and the dense Hessian of a small network's cost, from gradients alone.

Seed 003's "Hessian technique" expands the cost around the weights w by Taylor's theorem,

    C(w + Δw) ≈ C(w) + ∇C·Δw + ½ Δwᵀ H Δw,        H_jk = ∂²C / ∂w_j ∂w_k,

and minimises the right-hand side with the Newton step Δw = −H⁻¹∇C. This module supplies H, or
its product with a vector, for a model and a cost on one batch; :mod:`synaptica.rules.newton`
takes the steps.

**Why central differences of gradients.** The engine's vector-Jacobian products are NumPy
functions that record nothing, so a backward pass cannot itself be differentiated ("double
backward", the usual way to get Pearlmutter's exact R-operator Hv in an autograd system). Gradients,
though, are exact (backprop). A Hessian-vector product is the derivative of the gradient along v,

    Hv = d/dε ∇C(w + εv) |ε=0  ≈  (∇C(w + εv) − ∇C(w − εv)) / (2ε),

which needs two gradients and nothing else (Pearlmutter 1994, section 2, gives this approximation
before the exact method).

**The error, and the choice of ε.** By Taylor's theorem for the gradient,
∇C(w ± εv) = ∇C ± εHv + (ε²/2) ∇³C[v, v] ± (ε³/6) ∇⁴C[v, v, v] + …; the even terms cancel in the
difference, so the truncation error is (ε²/6) ∇⁴C[v, v, v] = O(ε²). Rounding adds about
u‖∇C‖/ε, where u = 2⁻⁵² ≈ 2.2·10⁻¹⁶ is float64's unit roundoff (each gradient is exact only to
its last bits). The sum of the two is smallest for ε ∝ u^(1/3), where both are O(u^(2/3)) ≈ 4·10⁻¹¹
relative to the size of the terms (Nocedal and Wright, section 8.1). The step actually taken in
weight space is εv, and it should be small compared with the weights themselves, so

    ε = u^(1/3) · max(1, ‖w‖) / ‖v‖,      i.e.  ‖εv‖ = u^(1/3) · max(1, ‖w‖) ≈ 6·10⁻⁶ · max(1, ‖w‖).

Measured on small sigmoid, tanh and softmax networks against PyTorch's exact Hessian (double
backward, float64), the relative error of Hv is 10⁻¹¹ to 10⁻⁹ (tests/optim/test_hessian.py). The
difference quotient assumes the cost is a deterministic function of w: a layer that draws random
numbers in training mode (dropout) would make it meaningless, and one that keeps running statistics
(batch normalisation) would update them at every gradient evaluated here. Everything here runs
in float64, whatever the model's own dtype: the parameters are swapped for float64 copies during
the computation and put back afterwards, so the model is left exactly as it was found (weights and
``.grad``).

References: B. A. Pearlmutter, "Fast exact multiplication by the Hessian", Neural Computation 6(1),
1994; J. Nocedal and S. J. Wright, Numerical Optimization, 2nd ed., Springer 2006, ch. 8;
Nielsen, Neural Networks and Deep Learning, ch. 3 ("Variations on stochastic gradient descent").
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np

from synaptica.errors import ShapeError
from synaptica.losses import Cost
from synaptica.nn.module import Module
from synaptica.tensor import Tensor, no_grad

#: float64's unit roundoff u = 2⁻⁵²; ε ∝ u^(1/3) balances the O(ε²) truncation and O(u/ε) rounding errors.
UNIT_ROUNDOFF = float(np.finfo(np.float64).eps)
CUBE_ROOT_ROUNDOFF = UNIT_ROUNDOFF ** (1.0 / 3.0)

#: ``hessian`` refuses larger models: a dense H holds n² numbers and costs 2n gradients.
DEFAULT_MAX_PARAMETERS = 5000


# ------------------------------------------------------------------ weights as one vector
def parameter_count(model: Module) -> int:
    """n, the number of weights and biases in ``model``: the length of its parameter vector."""
    return sum(p.data.size for p in model.parameters())


def parameter_vector(model: Module, dtype=np.float64) -> np.ndarray:
    """All of ``model``'s parameters flattened into one vector w (a copy, float64 unless ``dtype`` says
    otherwise), in the order of ``model.parameters()``, each parameter in row-major (C) order."""
    parameters = model.parameters()
    if not parameters:
        raise ValueError(f"{type(model).__name__} has no parameters")
    return np.concatenate([p.data.ravel() for p in parameters]).astype(dtype)


def set_parameter_vector(model: Module, vector: np.ndarray) -> None:
    """Write the vector w back into ``model``'s parameters, each in its own dtype (the inverse of
    :func:`parameter_vector`)."""
    for p, piece in zip(model.parameters(), vector_pieces(model, vector, "set_parameter_vector")):
        p.data = piece.astype(p.dtype, copy=True)


def vector_pieces(model: Module, vector: np.ndarray, where: str = "vector_pieces") -> list[np.ndarray]:
    """The vector cut into pieces shaped like ``model``'s parameters (views, no copies)."""
    vector = np.asarray(vector)
    named = list(model.named_parameters())
    n = sum(p.data.size for _, p in named)
    if vector.shape != (n,):
        layout = ", ".join(f"{name} {tuple(p.shape)}" for name, p in named)
        raise ShapeError(f"{where}: got a vector of shape {vector.shape}; expected ({n},), one entry per "
                         f"parameter of the model ({layout})")
    pieces, start = [], 0
    for _, p in named:
        pieces.append(vector[start:start + p.data.size].reshape(p.shape))
        start += p.data.size
    return pieces


@contextmanager
def _weights_at(model: Module, w: np.ndarray, where: str) -> Iterator[None]:
    """Give ``model`` the float64 weights w for the duration of the block, then put back the
    original arrays and gradients."""
    for module in model.modules():
        if getattr(module, "feedback", None) is not None:
            raise ValueError(f"{where}: {module!r} has a feedback matrix, so backward would not give the "
                             "true gradient; set its feedback to None (the Backprop and DampedNewton "
                             "rules do this in bind)")
    parameters = model.parameters()
    saved = [(p.data, p.grad) for p in parameters]
    pieces = vector_pieces(model, np.array(w, dtype=np.float64), where)  # a copy: nothing outside can change it
    try:
        for p, piece in zip(parameters, pieces):
            p.data, p.grad = piece, None
        yield
    finally:
        for p, (data, grad) in zip(parameters, saved):
            p.data, p.grad = data, grad


def _float64_batch(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Inputs in float64, and real-valued targets too (class labels stay integers)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    if y.dtype.kind == "f":
        y = y.astype(np.float64)
    return x, y


# ------------------------------------------------------------------ cost and gradient
def forward_backward(model: Module, cost: Cost, x, y, w: np.ndarray | None = None,
                     gradient: bool = True) -> tuple[float, np.ndarray | None, np.ndarray]:
    """C at weights w (default: the model's own) on the batch (x, y), in float64.

    Returns ``(cost, gradient, output)``: the cost as a float, ∇C as a flat float64 vector in the
    order of :func:`parameter_vector` (None when ``gradient`` is False, which runs the forward pass
    only), and the network's output array (for accuracy).
    """
    if w is None:
        w = parameter_vector(model)
    x, y = _float64_batch(x, y)
    with _weights_at(model, w, "forward_backward"):
        parameters = model.parameters()
        if not gradient:
            with no_grad():
                output = model(Tensor(x))
                return float(cost(output, y).data), None, output.data
        output = model(Tensor(x))
        loss = cost(output, y)
        loss.backward()
        flat = np.concatenate([np.zeros(p.data.size) if p.grad is None else np.ravel(p.grad)
                               for p in parameters])
        return float(loss.data), flat, output.data


def cost_and_gradient(model: Module, cost: Cost, x, y, w: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """C(w) and ∇C(w) on the batch (x, y), in float64, ∇C as one flat vector (see :func:`forward_backward`)."""
    value, grad, _ = forward_backward(model, cost, x, y, w)
    return value, grad


def finite_difference_step(w: np.ndarray, v: np.ndarray) -> float:
    """ε = u^(1/3) · max(1, ‖w‖) / ‖v‖: the step along v for the central difference (module docstring)."""
    norm_v = float(np.linalg.norm(v))
    if norm_v == 0.0 or not np.isfinite(norm_v):
        raise ValueError(f"the direction v must be finite and non-zero, got ‖v‖ = {norm_v}")
    return CUBE_ROOT_ROUNDOFF * max(1.0, float(np.linalg.norm(w))) / norm_v


# ------------------------------------------------------------------ the Hessian
def hessian_vector_product(model: Module, cost: Cost, x, y, v: np.ndarray, w: np.ndarray | None = None,
                           epsilon: float | None = None) -> np.ndarray:
    """Hv ≈ (∇C(w + εv) − ∇C(w − εv)) / (2ε), H the Hessian of the cost on the batch (x, y) at w.

    Args:
        model, cost: the network and the cost it is trained on.
        x, y: the batch (the cost is the batch's, as training sees it).
        v: a vector of length n (:func:`parameter_count`), laid out as :func:`parameter_vector`.
        w: the weights to differentiate at (default: the model's own, as float64).
        epsilon: the step; default :func:`finite_difference_step` (error O(ε²), module docstring).

    Two gradient evaluations; returns a float64 vector of length n. A zero v gives a zero Hv.
    """
    if w is None:
        w = parameter_vector(model)
    v = np.asarray(v, dtype=np.float64)
    if v.shape != w.shape:
        vector_pieces(model, v, "hessian_vector_product")  # raises the ShapeError that names the layout
    if not np.any(v):
        return np.zeros_like(w)
    step = finite_difference_step(w, v) if epsilon is None else float(epsilon)
    _, g_plus = cost_and_gradient(model, cost, x, y, w + step * v)
    _, g_minus = cost_and_gradient(model, cost, x, y, w - step * v)
    return (g_plus - g_minus) / (2.0 * step)


def hessian(model: Module, cost: Cost, x, y, w: np.ndarray | None = None,
            max_parameters: int = DEFAULT_MAX_PARAMETERS) -> np.ndarray:
    """The dense n×n Hessian of the cost on the batch (x, y), for tiny networks.

    Column j is H e_j, a Hessian-vector product with the j-th unit vector (2n gradients in all).
    The true H is symmetric (the second partial derivatives commute); the columns carry independent
    O(ε²) errors, so the result is symmetrised, ½(H + Hᵀ), which keeps the symmetric part (the
    better estimate) and makes H exactly symmetric for the eigensolvers that use it.

    Raises ValueError for models with more than ``max_parameters`` parameters: use
    :func:`hessian_vector_product` with an iterative solver there.
    """
    if w is None:
        w = parameter_vector(model)
    n = w.size
    if n > max_parameters:
        raise ValueError(f"hessian: the model has {n} parameters; a dense Hessian holds {n}² numbers "
                         f"and costs {2 * n} gradients, over the limit of {max_parameters} parameters. "
                         "Use hessian_vector_product (e.g. with conjugate gradient), or raise max_parameters.")
    columns = np.empty((n, n))
    unit = np.zeros(n)
    for j in range(n):
        unit[j] = 1.0
        columns[:, j] = hessian_vector_product(model, cost, x, y, unit, w)
        unit[j] = 0.0
    return 0.5 * (columns + columns.T)
