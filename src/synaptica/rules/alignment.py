"""How far a rule's update is from backprop's: the angle between the two, layer by layer.

Feedback alignment works because the forward weights come to *align* with the fixed feedback
weights, so that the signal each hidden layer receives points, within 90°, the same way as the true
gradient (Lillicrap et al. 2016, Fig. 2; Nøkland 2016 for direct feedback). This evaluator measures
that angle after every epoch, on a fixed batch:

    θₗ = arccos( ⟨Δₗ, ∇ₗ⟩ / (‖Δₗ‖ ‖∇ₗ‖) )

where Δₗ is the update direction the rule gives weight matrix l (its ``.grad``) and ∇ₗ the exact
gradient ∂C/∂Wₗ that backprop gives on the same batch with the same weights. 0° is backprop itself;
below 90° the rule still descends the cost.
"""

from __future__ import annotations

import math

import numpy as np

from synaptica.nn.module import Module
from synaptica.rules.base import backprop_gradients


class UpdateAlignment:
    """An evaluator: ``angle_<parameter>`` in degrees for every weight matrix the rule trains.

    Args:
        rule: a rule with ``gradients(model, batch)`` (feedback alignment, direct feedback
            alignment), bound to the model by ``fit``.
        x, y: the fixed batch (e.g. 1,000 training examples).
        layers: which weights to report (names as in ``model.named_parameters()``); default every
            parameter with ``regularized=True`` (the weights, not the biases).

    Neither the weights nor the optimizer change: only ``.grad`` is computed, and put back after.
    """

    def __init__(self, rule, x: np.ndarray, y: np.ndarray, layers: list[str] | None = None):
        if not hasattr(rule, "gradients"):
            raise TypeError(f"UpdateAlignment: {rule!r} has no gradients(model, batch) to compare with backprop")
        self.rule, self.batch, self.layers = rule, (x, y), layers

    def __call__(self, model: Module) -> dict[str, float]:
        parameters = dict(model.named_parameters())
        names = self.layers or [name for name, p in parameters.items() if p.regularized]
        saved = {name: p.grad for name, p in parameters.items()}
        was_training = model.training
        model.eval()  # the same forward pass (no dropout masks) for both gradients
        try:
            self.rule.gradients(model, self.batch)
            updates = {name: np.array(parameters[name].grad, dtype=np.float64) for name in names}
            backprop_gradients(model, self.batch, self.rule.cost, self.rule.optimizer)
            return {f"angle_{name}": angle(updates[name], parameters[name].grad) for name in names}
        finally:
            for name, p in parameters.items():
                p.grad = saved[name]
            model.train(was_training)

    def __repr__(self) -> str:
        return f"UpdateAlignment({type(self.rule).__name__}, {len(self.batch[0])} examples)"


def angle(a: np.ndarray, b: np.ndarray) -> float:
    """The angle between two arrays seen as vectors, in degrees (NaN when either is zero)."""
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms == 0:
        return float("nan")
    return math.degrees(math.acos(max(-1.0, min(1.0, float(a @ b) / norms))))
