"""Sequential: layers applied one after another, the shape of every network in Nielsen's book."""

from __future__ import annotations

import numpy as np

from synaptica.errors import DtypeError, ShapeError
from synaptica.nn.module import Module, input_tensor
from synaptica.tensor import Tensor, no_grad


class Sequential(Module):
    """Apply ``layers`` in order: a⁰ = x, aˡ = layerˡ(aˡ⁻¹)."""

    def __init__(self, *layers: Module):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self.layers = list(layers)

    def forward(self, x: Tensor) -> Tensor:
        for i, layer in enumerate(self.layers):
            try:
                x = layer(x)
            except (ShapeError, DtypeError) as error:
                raise type(error)(f"layers.{i}: {error}") from None
        return x

    def trace(self, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """Each layer's output for input ``x`` (no recording), named ``layers.i Layer(...)``; ``x`` is
        cast to the model's dtype (:func:`~synaptica.nn.module.input_tensor`).

        Used to find the first layer whose output went non-finite."""
        outputs = []
        a = input_tensor(self, x, "Sequential.trace")
        with no_grad():
            for i, layer in enumerate(self.layers):
                a = layer(a)
                outputs.append((f"layers.{i} {layer!r}", a.data))
        return outputs

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def config(self) -> dict:
        return {"type": "Sequential", "layers": [layer.config() for layer in self.layers]}

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"
