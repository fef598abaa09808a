"""Linear predictors fitted by exponentially weighted (recursive) least squares instead of a gradient step.

A linear synthetic-gradient predictor M(h) = A h̃, with h̃ = [h; 1], has a best A for the examples it
has seen in closed form. Over batches k = 1, 2, … with features H̃ₖ (one row h̃ per example) and
targets Tₖ (one row per example), the forgetting factor β ∈ [0, 1] weighs batch k by β^(K−k) after
K batches, and the ridge λ ≥ 0 keeps the solve well posed before enough examples have come:

    S ← β S + H̃ₖᵀ H̃ₖ,    R ← β R + Tₖᵀ H̃ₖ,    A = R (S + λ I)⁻¹

which minimises Σₖ β^(K−k) ‖H̃ₖ Aᵀ − Tₖ‖² + λ ‖A‖² (the bias column included). With β = 1 and
λ = 0 it is the batch least-squares solution over every example seen, A = (H̃⁺ T)ᵀ (H̃⁺ the
pseudo-inverse: with λ = 0 the solve is a least-squares one, so a rank-deficient S gives the
minimum-norm solution). S and R are kept in float64 whatever the predictors' dtype.

This is the classical recursive least-squares filter with exponential forgetting (S. Haykin,
"Adaptive filter theory", ch. 10), solved afresh each step rather than by the rank-k update of S⁻¹,
which λ and a 257 × 257 S make cheap and numerically safer.
"""

from __future__ import annotations

import numpy as np

from synaptica.checks import in_unit_interval, non_negative_float
from synaptica.nn.linear import Linear
from synaptica.rules.base import State


class RecursiveLeastSquares:
    """Fits each ``Linear`` in ``layers`` (``{name: layer}``, weight A[:, :-1], bias A[:, -1]) to the
    (features, targets) pairs it is shown, by the running sums above; in the place of the predictors'
    optimizer: ``observe`` a batch per layer, then ``step`` folds it in and writes A into the layer.

    Args:
        layers: the linear maps to fit, each starting wherever it is (A = 0 for DNI's predictors) and
            set to R (S + λI)⁻¹ at every step after its first batch.
        forgetting: β, the weight of the sums so far against the new batch (1: remember everything).
        ridge: λ, added to the diagonal of S before the solve.
    """

    def __init__(self, layers: dict[str, Linear], forgetting: float = 0.9, ridge: float = 1.0):
        owner = type(self).__name__
        self.layers = dict(layers)
        self.forgetting = in_unit_interval(owner, "forgetting", forgetting)
        self.ridge = non_negative_float(owner, "ridge", ridge)
        self.sums = {name: (np.zeros((layer.in_features + 1,) * 2), np.zeros((layer.out_features, layer.in_features + 1)))
                     for name, layer in self.layers.items()}
        self._pending: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def params(self) -> list:
        return [p for layer in self.layers.values() for p in layer.parameters()]

    def zero_grad(self) -> None:
        """Forget the batches observed and not yet stepped (and any gradient a loss left on the layers)."""
        self._pending = {}
        for p in self.params:
            p.grad = None

    def observe(self, name: str, features: np.ndarray, targets: np.ndarray) -> None:
        """This step's batch for the layer ``name``: features (n, in_features), targets (n, out_features)."""
        features, targets = np.asarray(features, np.float64), np.asarray(targets, np.float64)
        self._pending[name] = (np.c_[features, np.ones(len(features))], targets.reshape(len(features), -1))

    def step(self) -> None:
        """S and R take in the observed batches, and each layer observed becomes A = R (S + λI)⁻¹."""
        for name, (augmented, targets) in self._pending.items():
            s, r = self.sums[name]
            s *= self.forgetting
            s += augmented.T @ augmented
            r *= self.forgetting
            r += targets.T @ augmented
            self._write(name, self.solution(name))
        self._pending = {}

    def solution(self, name: str) -> np.ndarray:
        """A = R (S + λI)⁻¹ for the layer ``name`` (its weight and bias side by side), in float64."""
        s, r = self.sums[name]
        if self.ridge == 0:
            return np.linalg.lstsq(s, r.T, rcond=None)[0].T  # S symmetric: (S⁺ Rᵀ)ᵀ
        return np.linalg.solve(s + self.ridge * np.eye(len(s)), r.T).T

    def _write(self, name: str, a: np.ndarray) -> None:
        layer = self.layers[name]
        layer.weight.data[...] = a[:, :-1]
        layer.bias.data[...] = a[:, -1]

    # ------------------------------------------------------------------ state
    def state_dict(self) -> State:
        return {f"{kind}.{name}": value.copy() for name, sums in self.sums.items() for kind, value in zip("SR", sums)}

    def load_state_dict(self, state: State) -> None:
        for name, (s, r) in self.sums.items():
            for kind, array in (("S", s), ("R", r)):
                key = f"{kind}.{name}"
                if key not in state or np.shape(state[key]) != array.shape:
                    raise ValueError(f"{type(self).__name__} state: {key} missing or not of shape {array.shape}")
                array[...] = state[key]

    def __repr__(self) -> str:
        return f"RecursiveLeastSquares(β={self.forgetting}, λ={self.ridge})"
