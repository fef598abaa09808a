"""Which layers a rule can train: the walk over a model's modules that rules with their own
backward signals (feedback alignment, direct feedback alignment) share.

Such a rule replaces the weights that carry the error backward (W in δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(zˡ))
by fixed random ones. It therefore has to know every layer with weights on the error's path, and
must refuse a layer it has no replacement for rather than silently backpropagate through it.
Layers whose parameters only scale their own unit's signal (batch normalisation's γ, PReLU's slope)
need no replacement: the error does not cross from one unit to another through them.
"""

from __future__ import annotations

from typing import Iterator

from synaptica.nn.batch_norm import BatchNorm1d, BatchNorm2d
from synaptica.nn.module import Module, Parameter
from synaptica.nn.prelu import PReLU

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
