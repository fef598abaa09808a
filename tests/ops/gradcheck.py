"""Finite-difference gradient check for synaptica ops (test helper, float64 only).

``gradcheck(fn, inputs)`` compares the gradient that backpropagation gives with central finite
differences, (f(x + h v) − f(x − h v)) / 2h with h = 1e-6:

- when all inputs together have fewer than ``full_limit`` (500) elements, v runs over every unit
  vector, so every entry of the gradient is checked (the full Jacobian of the scalar function);
- otherwise v is ``n_directions`` (20) random unit directions spread over all inputs at once and
  the directional derivative ⟨∇f, v⟩ is checked (the approach of ``jax.test_util.check_grads``).

Pass criterion per checked number: |g_analytic − g_fd| ≤ tol · max(1, |g_fd|), tol = 1e-6.

``fn`` maps Tensors to a scalar Tensor (make one with ``(out * weights).sum()``); it is called once
with inputs that require grad and then, under ``no_grad``, on perturbed copies.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from synaptica.tensor import Tensor, no_grad

H = 1e-6
TOL = 1e-6
FULL_LIMIT = 500
N_DIRECTIONS = 20


def analytic_gradients(fn: Callable[..., Tensor], inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Backpropagate through ``fn`` once; return each input's gradient (zeros where none arrived).

    Checks that the output is a scalar and that every gradient that arrived has exactly its input's
    shape and dtype."""
    tensors = [Tensor(np.array(x, copy=True), requires_grad=True) for x in inputs]
    out = fn(*tensors)
    assert isinstance(out, Tensor), f"fn must return a Tensor, got {type(out).__name__}"
    assert out.size == 1, f"fn must return a scalar, got shape {out.shape}"
    if out.requires_grad:
        out.backward()
    grads = []
    for i, (t, x) in enumerate(zip(tensors, inputs)):
        if t.grad is None:
            grads.append(np.zeros_like(x))
            continue
        # a 0-d gradient may come back as a NumPy scalar (np.float64 / np.float32): same shape and dtype
        assert isinstance(t.grad, (np.ndarray, np.generic)), f"input {i}: grad is {type(t.grad).__name__}"
        assert t.grad.shape == x.shape, f"input {i}: grad shape {t.grad.shape} != input shape {x.shape}"
        assert t.grad.dtype == x.dtype, f"input {i}: grad dtype {t.grad.dtype} != input dtype {x.dtype}"
        grads.append(t.grad)
    return grads


def _evaluate(fn: Callable[..., Tensor], arrays: Sequence[np.ndarray]) -> float:
    with no_grad():
        return float(fn(*[Tensor(a) for a in arrays]).data)


def _central_difference(fn, inputs, direction, h) -> float:
    plus = [x + h * d for x, d in zip(inputs, direction)]
    minus = [x - h * d for x, d in zip(inputs, direction)]
    return (_evaluate(fn, plus) - _evaluate(fn, minus)) / (2 * h)


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[np.ndarray],
    *,
    h: float = H,
    tol: float = TOL,
    full_limit: int = FULL_LIMIT,
    n_directions: int = N_DIRECTIONS,
    rng: np.random.Generator | int | None = 0,
) -> list[np.ndarray]:
    """Assert that backprop through ``fn`` matches central finite differences; return the gradients.

    Args:
        fn: Tensors -> scalar Tensor.
        inputs: float64 arrays, one per argument of ``fn``.
        h, tol: step and per-number tolerance (see the module docstring).
        full_limit: check every entry when the inputs have fewer elements than this in total.
        n_directions, rng: otherwise, how many random directions and their generator (or seed).
    """
    inputs = [np.asarray(x) for x in inputs]
    for i, x in enumerate(inputs):
        if x.dtype != np.float64:
            raise TypeError(f"gradcheck works in float64; input {i} is {x.dtype}")
    grads = analytic_gradients(fn, inputs)
    total = sum(x.size for x in inputs)
    failures = []

    def check(label: str, g_analytic: float, g_fd: float) -> None:
        if not abs(g_analytic - g_fd) <= tol * max(1.0, abs(g_fd)):  # `not <=` also catches NaN
            failures.append(f"{label}: analytic {g_analytic!r}, finite difference {g_fd!r}")

    if total < full_limit:
        for i, x in enumerate(inputs):
            for flat in range(x.size):
                direction = [np.zeros_like(y) for y in inputs]
                direction[i].flat[flat] = 1.0
                g_fd = _central_difference(fn, inputs, direction, h)
                check(f"input {i} index {np.unravel_index(flat, x.shape)}", float(grads[i].flat[flat]), g_fd)
    elif total:
        generator = np.random.default_rng(rng)
        for k in range(n_directions):
            direction = [generator.standard_normal(x.shape) for x in inputs]
            norm = np.sqrt(sum(float(np.vdot(d, d)) for d in direction))
            direction = [d / norm for d in direction]
            g_analytic = sum(float(np.vdot(g, d)) for g, d in zip(grads, direction))
            check(f"direction {k}", g_analytic, _central_difference(fn, inputs, direction, h))

    if failures:
        shapes = [x.shape for x in inputs]
        shown = "\n  ".join(failures[:10])
        more = f"\n  ... and {len(failures) - 10} more" if len(failures) > 10 else ""
        raise AssertionError(
            f"gradient check failed for inputs of shapes {shapes} ({len(failures)} mismatches):\n  {shown}{more}"
        )
    return grads
