"""Feedback alignment (Lillicrap et al. 2016): errors travel back through fixed random matrices."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np

from synaptica.nn.conv import Conv2d
from synaptica.nn.linear import Linear
from synaptica.nn.maxout import Maxout
from synaptica.nn.module import Module
from synaptica.rules.base import GradientRule, State, backprop_gradients, prefixed, unprefixed
from synaptica.rules.layers import weight_layers

#: the layers whose backward weights feedback alignment replaces
FEEDBACK_LAYERS = (Linear, Conv2d, Maxout)


class FeedbackAlignment(GradientRule):
    """Backprop with each layer's backward weights replaced by a fixed random matrix B.

    Backprop sends the error down with the transposed forward weights, δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(zˡ),
    which needs each synapse to know the weight of another ("weight transport"). Feedback alignment
    uses δˡ = (δˡ⁺¹ Bˡ⁺¹) ⊙ σ'(zˡ) with B fixed and random. The weight updates keep their local form
    ∂C/∂Wˡ ≈ (δˡ)ᵀ aˡ⁻¹; during training W comes to align with B, so the signals become useful.

    :meth:`bind` draws one B per Linear, Conv2d and Maxout layer, of the weight's shape, from
    N(0, 1/n_in) with n_in the weight's fan-in (the scale of a Nielsen-initialised W), from the
    rule's own random stream (so B is independent of the initial weights even when both come from
    the same seed). The matrices belong to the rule (:attr:`matrices`, by layer name, saved by
    :meth:`state_dict`); they are lent to the layers only for the backward pass of each step. The
    first layer's B is never used (no error is sent to the input). A layer with other weights on
    the error's path is refused with its name. With B = W this rule is backprop exactly (tested).

    Reference: Lillicrap, Cownden, Tweed and Akerman, "Random synaptic feedback weights support
    error backpropagation for deep learning", Nature Communications 7:13276, 2016.

    Attributes:
        matrices: ``{layer name: B}``, filled by :meth:`bind` (kept for layers that already have one
            of the right shape, so a second ``fit`` continues with the same B).
    """

    name = "feedback-alignment"

    def __init__(self, cost, optimizer):
        super().__init__(cost, optimizer)
        self.matrices: dict[str, np.ndarray] = {}
        self._layers: list[tuple[str, Module]] = []

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        self._layers = weight_layers(model, type(self).__name__, FEEDBACK_LAYERS)
        for name, layer in self._layers:
            weight = layer.weight
            if name not in self.matrices or self.matrices[name].shape != weight.shape:
                fan_in = int(np.prod(weight.shape[1:]))
                self.matrices[name] = (rng.standard_normal(weight.shape) / np.sqrt(fan_in)).astype(weight.dtype)

    def unbind(self, model: Module) -> None:
        self._layers = []

    def gradients(self, model: Module, batch: tuple) -> dict:
        if not self._layers:
            raise RuntimeError("FeedbackAlignment: call bind(model, rng) before step (fit does it)")
        with self._feedback_lent():
            return backprop_gradients(model, batch, self.cost, self.optimizer)

    @contextmanager
    def _feedback_lent(self) -> Iterator[None]:
        """Each layer's backward uses its B for the duration of the block, and W again after it."""
        for name, layer in self._layers:
            layer.feedback = self.matrices[name]
        try:
            yield
        finally:
            for _, layer in self._layers:
                del layer.feedback  # the class's None again

    def state_dict(self) -> State:
        return {**super().state_dict(), **prefixed("feedback.", self.matrices)}

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        self.matrices = {name: np.array(b) for name, b in unprefixed("feedback.", state).items()}
