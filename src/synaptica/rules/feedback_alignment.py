"""Feedback alignment (Lillicrap et al. 2016): errors travel back through fixed random matrices."""

from __future__ import annotations

import numpy as np

from synaptica.nn.linear import Linear
from synaptica.nn.module import Module
from synaptica.rules.backprop import Backprop


class FeedbackAlignment(Backprop):
    """Backprop with each layer's backward weights replaced by a fixed random matrix B.

    Backprop sends the error down with the transposed forward weights, δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(zˡ),
    which needs each synapse to know the weight of another ("weight transport"). Feedback alignment
    uses δˡ = (δˡ⁺¹ Bˡ⁺¹) ⊙ σ'(zˡ) with B fixed and random. The weight updates keep their local form
    ∂C/∂Wˡ ≈ (δˡ)ᵀ aˡ⁻¹; during training W comes to align with B, so the signals become useful.

    :meth:`bind` draws each Linear layer's B from N(0, 1/n_out)-scaled normals (the scale of a
    transposed Nielsen-initialised W), seeded by the training Generator, and sets ``layer.feedback``.
    The first layer's B is never used (no error is sent to the input). With B = W this rule is
    backprop exactly (tested). Everything but :meth:`bind` is backprop's, since the difference
    lives in the linear op's backward.

    Reference: Lillicrap, Cownden, Tweed and Akerman, "Random synaptic feedback weights support
    error backpropagation for deep learning", Nature Communications 7:13276, 2016.
    """

    name = "feedback-alignment"

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        for layer in model.modules():
            if isinstance(layer, Linear) and layer.feedback is None:
                shape = layer.weight.shape
                b = rng.standard_normal(shape) / np.sqrt(shape[1])
                layer.feedback = b.astype(layer.weight.dtype)
