"""Activation layers: thin modules over the elementwise ops (the math is in :mod:`synaptica.ops`)."""

from __future__ import annotations

from synaptica import ops
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
