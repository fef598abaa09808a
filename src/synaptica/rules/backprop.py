"""Backpropagation (Rumelhart, Hinton and Williams 1986): the exact gradient of the cost."""

from __future__ import annotations

from synaptica.nn.module import Module
from synaptica.rules.base import GradientRule, backprop_gradients


class Backprop(GradientRule):
    """Forward, cost, backward through the exact transposed weights, optimizer step.

    Every layer receives δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(zˡ) (Nielsen's BP2): the reference the other rules are
    measured against.

    References: Rumelhart, Hinton and Williams, "Learning representations by back-propagating
    errors", Nature 323, 1986; Nielsen, Neural Networks and Deep Learning, ch. 2.
    """

    name = "backprop"

    def gradients(self, model: Module, batch: tuple) -> dict:
        return backprop_gradients(model, batch, self.cost, self.optimizer)
