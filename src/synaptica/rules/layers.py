"""Which layers a rule can train, and where it cuts a model into blocks: the walks over a model's
modules that rules with their own backward signals (feedback alignment, direct feedback alignment,
synthetic gradients) share.

Such a rule replaces the weights that carry the error backward (W in δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(zˡ))
by fixed random ones. It therefore has to know every layer with weights on the error's path, and
must refuse a layer it has no replacement for rather than silently backpropagate through it.
Layers whose parameters only scale their own unit's signal (batch normalisation's γ, PReLU's slope)
need no replacement: the error does not cross from one unit to another through them.
"""

from __future__ import annotations

from typing import Iterator

from synaptica.nn.batch_norm import BatchNorm1d, BatchNorm2d
from synaptica.nn.containers import Sequential
from synaptica.nn.module import Module, Parameter
from synaptica.nn.prelu import PReLU
from synaptica.tensor import Tensor

#: layers whose parameters act unit by unit, so the error needs no other weights to pass them
ELEMENTWISE = (BatchNorm1d, BatchNorm2d, PReLU)


def named_modules(model: Module, prefix: str = "") -> Iterator[tuple[str, Module]]:
    """Every module below ``model`` (itself first, named ``""``) with its dotted attribute path."""
    yield prefix.rstrip("."), model
    for name, child in model.named_children():
        yield from named_modules(child, f"{prefix}{name}.")


def has_own_parameters(module: Module) -> bool:
    return any(isinstance(value, Parameter) for value in vars(module).values())


def weight_layers(model: Module, rule: str, supported: tuple[type, ...]) -> list[tuple[str, Module]]:
    """The layers of ``model`` of the ``supported`` types, by name, in forward order.

    Raises ValueError naming the first layer that has parameters on the error's path but is neither
    supported nor element-wise.
    """
    found = []
    for name, module in named_modules(model):
        if isinstance(module, supported):
            found.append((name, module))
        elif has_own_parameters(module) and not isinstance(module, ELEMENTWISE):
            kinds = ", ".join(kind.__name__ for kind in supported)
            raise ValueError(f"{rule} cannot train {name or 'the model'} {module!r}: its weights carry the "
                             f"error backward and the rule has no feedback weights for them (it handles "
                             f"{kinds}, and parameter-free or element-wise layers)")
    if not found:
        raise ValueError(f"{rule}: the model {model!r} has no layer it can train (it handles "
                         f"{', '.join(kind.__name__ for kind in supported)})")
    return found


#: A block: its layers in forward order, each with its dotted name.
Block = list[tuple[str, Module]]


def cut_into_blocks(model: Module, rule: str, starts_at: tuple[type, ...], layers_per_block: int = 1) -> list[Block]:
    """``model`` (a Sequential, nested ones opened up) cut into blocks that each start at a layer of the
    ``starts_at`` types and hold ``layers_per_block`` of them, with whatever follows them (activation,
    pooling, dropout, normalisation); whatever comes before the first weight layer (a Flatten) joins
    the first block, and the last block holds the output layer.

    Raises ValueError when the model is not a Sequential, or would make a single block (no hidden
    layer below the output layer), naming its weight layers.
    """
    if not isinstance(model, Sequential):
        raise ValueError(f"{rule} cuts a Sequential model into blocks at its weight layers; got {model!r}")
    layers = list(flat_layers(model))
    weights = [i for i, (_, layer) in enumerate(layers) if isinstance(layer, starts_at)]
    starts = weights[::layers_per_block]
    if len(starts) < 2:
        found = ", ".join(f"{name} {layer!r}" for name, layer in (layers[i] for i in weights)) or "none"
        raise ValueError(f"{rule}: the model makes {len(starts)} block(s) of {layers_per_block} weight layer(s) "
                         f"(weight layers: {found}); the rule needs a hidden layer below the output layer "
                         "(with none, it is plain backprop)")
    starts[0] = 0
    return [layers[start:end] for start, end in zip(starts, starts[1:] + [len(layers)])]


def flat_layers(model: Sequential, prefix: str = "layers.") -> Iterator[tuple[str, Module]]:
    """(dotted name, layer) for every layer of a Sequential, nested Sequentials opened up."""
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Sequential):
            yield from flat_layers(layer, f"{prefix}{i}.layers.")
        else:
            yield f"{prefix}{i}", layer


def run_layers(layers: list[Module], x: Tensor) -> Tensor:
    """``x`` through ``layers`` in order."""
    for layer in layers:
        x = layer(x)
    return x
