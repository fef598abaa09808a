"""Damped Newton steps (seed 003's Hessian technique) with Levenberg–Marquardt damping, as a learning rule."""

from __future__ import annotations

import math
import numbers

import numpy as np

from synaptica.errors import NonFiniteError
from synaptica.losses import Cost
from synaptica.nn.module import Module
from synaptica.optim.hessian import (forward_backward, hessian, hessian_vector_product, parameter_vector,
                                     set_parameter_vector)
from synaptica.rules.base import batch_metrics, inputs_and_targets

SOLVERS = ("auto", "dense", "cg")


class DampedNewton:
    """Δw = −(H + λI)⁻¹ ∇C on each batch, with the damping λ adapted from step to step.

    Seed 003 minimises the quadratic model C(w + Δw) ≈ C(w) + ∇C·Δw + ½ ΔwᵀHΔw with the Newton step
    Δw = −H⁻¹∇C. Far from a minimum that model is poor, and H may not even be positive definite
    (a network's cost is not convex), so the step can go uphill or be huge. Levenberg (1944) and
    Marquardt (1963) add λI: small λ gives the Newton step, large λ gives a short gradient step
    −∇C/λ, and λ is adapted by how well the model predicted the cost:

        ρ = (C(w + Δw) − C(w)) / (q(Δw) − q(0)),      q(Δw) − q(0) = ∇C·Δw + ½ ΔwᵀHΔw

    - the cost went up (or is not finite): the step is refused, λ ← λ·``increase``, and the solve is
      tried again from the same w (up to ``max_tries`` times in one :meth:`step`);
    - the cost went down: the step is kept, and λ ← λ·``decrease`` if ρ > ¾ (the model is good, trust
      it more), λ ← λ·``increase`` if ρ < ¼, otherwise λ stays (Martens 2010, section 4.1).

    Two solvers for (H + λI) Δw = −∇C, both from :mod:`synaptica.optim.hessian`:

    - ``dense`` (tiny nets): H from n Hessian-vector products, then its eigendecomposition
      H = Q diag(μ) Qᵀ once per step, so each try is Δw = −Q (Qᵀ∇C / (μ + λ)). When H + λI is not
      positive definite (λ ≤ −min μ) the step would not be a minimum of the model, so λ is raised to
      ``increase``·(−min μ) first.
    - ``cg`` (larger nets): conjugate gradient on (H + λI) Δw = −∇C using only Hessian-vector
      products, never forming H: Martens's "Hessian-free" optimisation (2010). CG stops when the
      residual is below ``cg_tolerance``·‖∇C‖, at ``cg_iterations``, when the quadratic's value stops
      improving (Martens's relative-progress test), or on a direction of negative curvature
      (pᵀ(H + λI)p ≤ 0, Steihaug 1983), keeping the iterate reached so far, which still goes
      downhill. Martens uses the Gauss–Newton matrix in place of H; the seed's H is kept here,
      and damping plus the negative-curvature stop handle its indefiniteness.

    ``auto`` picks ``dense`` for n ≤ ``dense_limit`` parameters and ``cg`` above.

    All the arithmetic is float64 (the model's parameters are written back in their own dtype, so a
    float64 model is best). One :meth:`step` uses one gradient, then 2 gradients per Hessian-vector
    product (2n for the dense H) and one forward pass per try; the metrics report ``gradients``
    (gradient evaluations, the fair unit of work against gradient descent) beside ``damping``,
    ``tries``, ``accepted`` and, for CG, ``cg_iterations``. The batch should be the whole (small)
    training set, or large: the quadratic model of a tiny noisy batch is not worth a Newton step.

    References: K. Levenberg, "A method for the solution of certain non-linear problems in least
    squares", Quarterly of Applied Mathematics 2, 1944; D. W. Marquardt, "An algorithm for
    least-squares estimation of nonlinear parameters", SIAM J. Appl. Math. 11, 1963; J. Martens,
    "Deep learning via Hessian-free optimization", ICML 2010; T. Steihaug, "The conjugate gradient
    method and trust regions in large scale optimization", SIAM J. Numer. Anal. 20, 1983; Nielsen,
    Neural Networks and Deep Learning, ch. 3 (the Hessian technique).

    Args:
        cost: the cost to minimise (as for :class:`~synaptica.rules.Backprop`).
        damping: λ at the start (≥ 0), reset by :meth:`bind`.
        solver: ``auto``, ``dense`` or ``cg``.
        dense_limit: the largest n for which ``auto`` forms H densely.
        increase, decrease: the factors (> 1 and < 1) that raise and lower λ.
        max_tries: refused steps allowed in one :meth:`step` before it gives up and leaves w as it was.
        cg_iterations: the most CG iterations per solve; cg_tolerance: the relative residual that
            ends CG.
        min_damping: λ never falls below this (keeps H + λI away from singular).
    """

    name = "damped-newton"
    arguments = ("cost",)  # its steps come from the Hessian, not from an optimizer

    def __init__(self, cost: Cost, damping: float = 1.0, solver: str = "auto", dense_limit: int = 100,
                 increase: float = 1.5, decrease: float = 2.0 / 3.0, max_tries: int = 30,
                 cg_iterations: int = 250, cg_tolerance: float = 1e-6, min_damping: float = 1e-8):
        if solver not in SOLVERS:
            raise ValueError(f"DampedNewton: unknown solver {solver!r}; choose from {list(SOLVERS)}")
        if not isinstance(damping, numbers.Real) or isinstance(damping, bool):
            raise TypeError(f"DampedNewton: damping must be a number, got {damping!r}; the rule computes its "
                            "own step and takes no optimizer: DampedNewton(cost, damping=1.0)")
        if not (damping >= 0 and math.isfinite(damping)):
            raise ValueError(f"DampedNewton: damping must be a finite number >= 0, got {damping}")
        if not increase > 1 or not 0 < decrease < 1:
            raise ValueError(f"DampedNewton: need increase > 1 and 0 < decrease < 1, "
                             f"got {increase} and {decrease}")
        if max_tries < 1 or cg_iterations < 1 or dense_limit < 0:
            raise ValueError("DampedNewton: max_tries and cg_iterations must be >= 1 and dense_limit >= 0, "
                             f"got {max_tries}, {cg_iterations} and {dense_limit}")
        if not (cg_tolerance > 0 and min_damping > 0):
            raise ValueError(f"DampedNewton: cg_tolerance and min_damping must be > 0, "
                             f"got {cg_tolerance} and {min_damping}")
        self.cost = cost
        self.initial_damping = float(damping)
        self.damping = max(float(damping), min_damping)
        self.solver = solver
        self.dense_limit = dense_limit
        self.increase = float(increase)
        self.decrease = float(decrease)
        self.max_tries = max_tries
        self.cg_iterations = cg_iterations
        self.cg_tolerance = float(cg_tolerance)
        self.min_damping = float(min_damping)

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        """λ back at its starting value."""
        self.damping = max(self.initial_damping, self.min_damping)

    def unbind(self, model: Module) -> None:
        """Nothing to undo."""

    def state_dict(self) -> dict[str, np.ndarray]:
        """The damping λ reached, the rule's only state."""
        return {"damping": np.array(self.damping, dtype=np.float64)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.damping = float(state["damping"])

    def step(self, model: Module, batch) -> dict:
        """One damped Newton step on ``batch``; ``loss`` is the cost before the step (as for Backprop)."""
        x, y = inputs_and_targets(batch)
        w = parameter_vector(model)
        value, gradient, output = forward_backward(model, self.cost, x, y, w)
        if not math.isfinite(value):
            raise NonFiniteError(f"the cost is {value}")
        metrics = batch_metrics(value, output, np.asarray(y))
        dense = self.solver == "dense" or (self.solver == "auto" and w.size <= self.dense_limit)
        counts = {"gradients": 1, "cg_iterations": 0}
        if dense:
            eigenvalues, eigenvectors = np.linalg.eigh(hessian(model, self.cost, x, y, w))
            counts["gradients"] += 2 * w.size
            projected = eigenvectors.T @ gradient

        accepted, tries = False, 0
        while tries < self.max_tries and not accepted:
            tries += 1
            if dense:
                if self.damping + eigenvalues[0] <= 0:
                    self.damping = self.increase * -float(eigenvalues[0])
                delta = -eigenvectors @ (projected / (eigenvalues + self.damping))
                curvature = float(np.sum(projected ** 2 * eigenvalues / (eigenvalues + self.damping) ** 2))  # ΔᵀHΔ
            else:
                delta, curvature = self._conjugate_gradient(model, x, y, w, gradient, counts)
                if delta is None:  # negative curvature along −∇C itself: damp more and solve again
                    self.damping *= self.increase
                    continue
            predicted = float(gradient @ delta) + 0.5 * curvature
            new_value = forward_backward(model, self.cost, x, y, w + delta, gradient=False)[0]
            if math.isfinite(new_value) and new_value < value and predicted < 0:
                accepted = True
                ratio = (new_value - value) / predicted
                if ratio > 0.75:
                    self.damping = max(self.damping * self.decrease, self.min_damping)
                elif ratio < 0.25:
                    self.damping *= self.increase
                set_parameter_vector(model, w + delta)
            else:
                self.damping *= self.increase
        metrics.update(damping=self.damping, accepted=accepted, tries=tries, **counts)
        return metrics

    def _conjugate_gradient(self, model: Module, x, y, w: np.ndarray, gradient: np.ndarray,
                            counts: dict) -> tuple[np.ndarray | None, float]:
        """Solve (H + λI) Δ = −∇C by CG from Δ = 0 with Hessian-vector products only.

        Returns Δ and ΔᵀHΔ (for the predicted reduction), or ``(None, 0)`` when the very first
        direction, −∇C, has non-positive curvature. The quadratic being minimised is
        φ(Δ) = ½ Δᵀ(H + λI)Δ + ∇C·Δ; with the residual r = −∇C − (H + λI)Δ it is φ = ½(∇C − r)·Δ,
        so its value costs nothing extra. Martens's stop: after i > k iterations, with k = max(10, i/10),
        stop when φ has fallen by less than a fraction 5·10⁻⁴·k of its value over the last k iterations.
        """
        damping = self.damping
        delta = np.zeros_like(gradient)
        residual = -gradient
        direction = residual.copy()
        residual_sq = float(residual @ residual)
        stop_at = self.cg_tolerance * math.sqrt(residual_sq)
        values = [0.0]
        for i in range(self.cg_iterations):
            product = hessian_vector_product(model, self.cost, x, y, direction, w) + damping * direction
            counts["gradients"] += 2
            counts["cg_iterations"] += 1
            curvature = float(direction @ product)
            if curvature <= 0:
                if i == 0:
                    return None, 0.0
                break
            alpha = residual_sq / curvature
            delta += alpha * direction
            residual -= alpha * product
            new_residual_sq = float(residual @ residual)
            values.append(0.5 * float((gradient - residual) @ delta))
            if math.sqrt(new_residual_sq) <= stop_at:
                break
            k = max(10, (i + 1) // 10)
            if i + 1 > k and values[-1] < 0 and (values[-1] - values[-1 - k]) / values[-1] < 5e-4 * k:
                break
            direction = residual + (new_residual_sq / residual_sq) * direction
            residual_sq = new_residual_sq
        # ΔᵀHΔ = Δᵀ(H + λI)Δ − λ‖Δ‖², and (H + λI)Δ = −∇C − r
        damped_curvature = float(delta @ (-gradient - residual))
        return delta, damped_curvature - damping * float(delta @ delta)
