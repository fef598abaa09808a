"""Activation layers: thin modules over the elementwise ops (the math is in :mod:`synaptica.ops`)."""

from __future__ import annotations

from synaptica import ops
from synaptica.checks import in_unit_interval, positive_float
from synaptica.nn.module import Module
from synaptica.tensor import Tensor


class Sigmoid(Module):
    """σ(z) = 1 / (1 + e^(−z)), Nielsen's sigmoid neuron."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.sigmoid(x)


class Tanh(Module):
    """tanh(z) = 2σ(2z) − 1: a sigmoid rescaled to (−1, 1)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.tanh(x)


class ReLU(Module):
    """max(0, z): rectified linear unit; does not saturate for z > 0."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.relu(x)


class Softmax(Module):
    """softmax along the last axis: outputs are positive and sum to 1 (a probability distribution).

    Train with the log-likelihood cost on the logits before this layer; use it for probabilities.
    """

    def forward(self, x: Tensor) -> Tensor:
        return ops.softmax(x, axis=-1)


class LeakyReLU(Module):
    """x for x > 0, ``negative_slope``·x otherwise: a ReLU whose negative side still learns."""

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = in_unit_interval("LeakyReLU", "negative_slope", negative_slope, one=False)

    def forward(self, x: Tensor) -> Tensor:
        return ops.leaky_relu(x, self.negative_slope)

    def config(self) -> dict:
        return {"type": "LeakyReLU", "negative_slope": self.negative_slope}


class ELU(Module):
    """Exponential linear unit: x for x > 0, α(eˣ − 1) otherwise."""

    def __init__(self, alpha: float = 1.0):
        self.alpha = positive_float("ELU", "alpha", alpha)

    def forward(self, x: Tensor) -> Tensor:
        return ops.elu(x, self.alpha)

    def config(self) -> dict:
        return {"type": "ELU", "alpha": self.alpha}


class Softplus(Module):
    """ln(1 + eˣ): a smooth ReLU whose derivative is the sigmoid."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.softplus(x)
