"""Direct feedback alignment (Nøkland 2016): the output error reaches every hidden layer directly."""

from __future__ import annotations

import numpy as np

from synaptica.nn.module import Module
from synaptica.rules.base import (GradientRule, State, batch_metrics, checked_cost, inputs_and_targets, model_input,
                                  prefixed, unprefixed)
from synaptica.rules.feedback_alignment import FEEDBACK_LAYERS
from synaptica.rules.layers import cut_into_blocks, run_layers, weight_layers
from synaptica.tensor import Tensor


class DirectFeedbackAlignment(GradientRule):
    """Every hidden layer learns from the output error sent to it through its own fixed random matrix.

    Backprop carries the error down layer by layer, δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ f'(zˡ); feedback alignment
    replaces each Wˡ⁺¹ by a random Bˡ⁺¹ but keeps the chain. Direct feedback alignment cuts the
    chain: with e = ∂C/∂zᴸ the error at the output layer's pre-activations (ŷ − y for softmax with
    the log-likelihood cost),

        δˡ = (e Bˡ) ⊙ f'(zˡ)        for every hidden layer l, with Bˡ fixed and random,

    so no layer waits for the error of the layer above, and no weights are transported. The weight
    updates keep their local form ∂C/∂Wˡ ≈ (δˡ)ᵀ aˡ⁻¹.

    How it runs here: the model (a :class:`~synaptica.nn.Sequential`, nested ones flattened) is cut
    into blocks, each starting at a layer with weights (Linear, Conv2d, Maxout) and running up to
    the next one: hidden block l computes aˡ = f(Wˡ aˡ⁻¹ + bˡ) (with whatever pooling, dropout or
    normalisation follows), the last block the output. Each block takes its input ``detach``-ed
    from the block below, so its backward stops at its own input. The output block is run and its
    cost back-propagated to give e and the output layer's gradients; then each hidden block's
    ``backward`` is called with its own signal e Bˡ, reshaped to aˡ's shape. Inside a block the
    backward is exact, so f'(zˡ) (and batch normalisation's or pooling's Jacobian) is applied as
    backprop would.

    Bˡ has shape (n_out, size of aˡ) and is drawn from N(0, 1/size of aˡ) (the scale of a
    Nielsen-initialised weight matrix from aˡ to the output), from the rule's own random stream, the
    first time the rule sees the hidden layers' sizes. With one hidden layer and B¹ = W², the
    output layer's own weights, this is backprop exactly (tested).

    Reference: A. Nøkland, "Direct feedback alignment provides learning in deep neural networks",
    NeurIPS 2016 (arXiv:1609.01596).

    Attributes:
        matrices: ``{name of the block output: Bˡ}`` (named after the layer whose input aˡ is).
    """

    name = "direct-feedback-alignment"

    def __init__(self, cost, optimizer):
        super().__init__(cost, optimizer)
        self.matrices: dict[str, np.ndarray] = {}
        self._blocks: list[tuple[str, list[Module]]] = []
        self._rng: np.random.Generator | None = None

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        weight_layers(model, type(self).__name__, FEEDBACK_LAYERS)  # refuses a layer it cannot train, by name
        blocks = cut_into_blocks(model, type(self).__name__, FEEDBACK_LAYERS)
        self._blocks = [(block[0][0], [layer for _, layer in block]) for block in blocks]
        self._rng = rng

    def unbind(self, model: Module) -> None:
        self._blocks = []

    def gradients(self, model: Module, batch: tuple) -> dict:
        if not self._blocks:
            raise RuntimeError("DirectFeedbackAlignment: call bind(model, rng) before step (fit does it)")
        x, y = inputs_and_targets(batch)
        hidden, signal_to = [], model_input(x, self.optimizer.params[0].dtype)
        for (_, layers), (next_layer, _) in zip(self._blocks[:-1], self._blocks[1:]):
            a = run_layers(layers, signal_to)
            hidden.append((next_layer, a))  # aˡ, named after the layer it feeds
            signal_to = a.detach()  # the next block's backward stops here
        output_layers = self._blocks[-1][1]
        z = output_layers[0](signal_to)  # the output layer's pre-activations zᴸ
        z_leaf = z.detach().requires_grad_()  # the cut at which e = ∂C/∂zᴸ arrives
        output = run_layers(output_layers[1:], z_leaf)
        loss = self.cost(output, y)
        value = checked_cost(loss)
        self.optimizer.zero_grad()
        loss.backward()
        error = z_leaf.grad  # e = ∂C/∂zᴸ, one row per example
        z.backward(error)
        for name, a in hidden:
            b = self._matrix(name, error.shape[1], a)
            a.backward((error @ b).reshape(a.shape))  # δ enters block l as e Bˡ; f'(zˡ) is applied inside
        return batch_metrics(value, output.data, y)

    def _matrix(self, name: str, n_out: int, a: Tensor) -> np.ndarray:
        size = int(np.prod(a.shape[1:]))
        if name not in self.matrices:
            self.matrices[name] = (self._rng.standard_normal((n_out, size)) / np.sqrt(size)).astype(a.dtype)
        b = self.matrices[name]
        if b.shape != (n_out, size):
            raise ValueError(f"{type(self).__name__}: the feedback matrix for {name} is {b.shape}, but the error "
                             f"has {n_out} components and the layer's input {size} values")
        return b

    def state_dict(self) -> State:
        return {**super().state_dict(), **prefixed("feedback.", self.matrices)}

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        self.matrices = {name: np.array(b) for name, b in unprefixed("feedback.", state).items()}

