"""Backpropagation (Rumelhart, Hinton and Williams 1986): the exact gradient of the cost."""

from __future__ import annotations

import numpy as np

from synaptica.losses import Cost
from synaptica.nn.linear import Linear
from synaptica.nn.module import Module
from synaptica.optim.base import Optimizer
from synaptica.rules.base import gradient_step


class Backprop:
    """Forward, cost, backward through the exact transposed weights, optimizer step.

    Every layer receives δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(zˡ) (Nielsen's BP2): the reference the other rules are
    measured against.

    References: Rumelhart, Hinton and Williams, "Learning representations by back-propagating
    errors", Nature 323, 1986; Nielsen, Neural Networks and Deep Learning, ch. 2.
    """

    name = "backprop"

    def __init__(self, cost: Cost, optimizer: Optimizer):
        self.cost = cost
        self.optimizer = optimizer

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        for layer in model.modules():
            if isinstance(layer, Linear):
                layer.feedback = None  # exact W in the backward pass

    def step(self, model: Module, batch) -> dict:
        return gradient_step(model, batch, self.cost, self.optimizer)
