"""How far a rule's update is from backprop's: the angle between the two, layer by layer.

Feedback alignment works because the forward weights come to *align* with the fixed feedback
weights, so that the signal each hidden layer receives points, within 90°, the same way as the true
gradient (Lillicrap et al. 2016, Fig. 2; Nøkland 2016 for direct feedback). This evaluator measures
that angle after every epoch, on a fixed batch:

    θₗ = arccos( ⟨Δₗ, ∇ₗ⟩ / (‖Δₗ‖ ‖∇ₗ‖) )

where Δₗ is the update direction the rule gives weight matrix l (its ``.grad``) and ∇ₗ the exact
gradient ∂C/∂Wₗ that backprop gives on the same batch with the same weights. 0° is backprop itself;
below 90° the rule still descends the cost.

Synthetic gradients (Jaderberg et al. 2017) are measured one step earlier, where the signal enters
each block: :class:`SyntheticGradientAlignment` gives the angle between the predicted gradient
δ̂ˡ = Mₗ(hˡ) at each hidden block's output and the true ∂C/∂hˡ, and how far the prediction is from it.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator

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
        with _gradients_kept(model):
            self.rule.gradients(model, self.batch)
            updates = {name: np.array(parameters[name].grad, dtype=np.float64) for name in names}
            backprop_gradients(model, self.batch, self.rule.cost, self.rule.optimizer)
            return {f"angle_{name}": angle(updates[name], parameters[name].grad) for name in names}

    def __repr__(self) -> str:
        return f"UpdateAlignment({type(self.rule).__name__}, {len(self.batch[0])} examples)"


class SyntheticGradientAlignment:
    """An evaluator of synthetic gradients: per hidden block output ``name``, on a fixed batch,

        ``synthetic_angle_<name>``  the angle in degrees between δ̂ˡ = Mₗ(hˡ) and the true ∂C/∂hˡ
        ``synthetic_error_<name>``  ‖δ̂ˡ − ∂C/∂hˡ‖² / ‖∂C/∂hˡ‖², the prediction's relative squared error

    (0° and 0 for an oracle; 90° and 1 for a predictor that returns zeros, where the angle is NaN).

    Args:
        rule: a :class:`~synaptica.rules.SyntheticGradients` bound to the model by ``fit``.
        x, y: the fixed batch.

    Neither the weights nor the rule change: only ``.grad``, which is put back after.
    """

    def __init__(self, rule, x: np.ndarray, y: np.ndarray):
        if not hasattr(rule, "block_gradients"):
            raise TypeError(f"SyntheticGradientAlignment: {rule!r} has no block_gradients(model, batch)")
        self.rule, self.batch = rule, (x, y)

    def __call__(self, model: Module) -> dict[str, float]:
        with _gradients_kept(model):
            found = self.rule.block_gradients(model, self.batch)
        metrics = {}
        for name, (synthetic, true) in found.items():
            true = np.asarray(true, dtype=np.float64)
            metrics[f"synthetic_angle_{name}"] = angle(synthetic, true)
            metrics[f"synthetic_error_{name}"] = float(np.sum((synthetic - true) ** 2) / max(np.sum(true ** 2), 1e-300))
        return metrics

    def __repr__(self) -> str:
        return f"SyntheticGradientAlignment({len(self.batch[0])} examples)"


@contextmanager
def _gradients_kept(model: Module) -> Iterator[None]:
    """Evaluation mode (no dropout masks) for the block, and every parameter's ``.grad`` as it was after."""
    saved = {name: p.grad for name, p in model.named_parameters()}
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        for name, p in model.named_parameters():
            p.grad = saved[name]
        model.train(was_training)


def angle(a: np.ndarray, b: np.ndarray) -> float:
    """The angle between two arrays seen as vectors, in degrees (NaN when either is zero)."""
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms == 0:
        return float("nan")
    return math.degrees(math.acos(max(-1.0, min(1.0, float(a @ b) / norms))))
