"""The closed registry of layer types that a saved architecture may name.

Loading a model never imports or calls anything a file names: the ``type`` field is looked up in
:data:`LAYERS`, a dict of this library's own classes, and each class's arguments are checked against
the names it accepts. An unknown type or argument is refused (see the Keras CVE-2025-1550 lesson in
the project's reliability notes).
"""

from __future__ import annotations

from typing import Any

from synaptica.errors import FormatError
from synaptica.nn.activation import ELU, LeakyReLU, ReLU, Sigmoid, Softmax, Softplus, Tanh
from synaptica.nn.containers import Sequential
from synaptica.nn.linear import Linear
from synaptica.nn.module import Module

#: type name -> (class, allowed argument names and their JSON types)
LAYERS: dict[str, tuple[type[Module], dict[str, type]]] = {
    "Linear": (Linear, {"in_features": int, "out_features": int, "bias": bool}),
    "Sigmoid": (Sigmoid, {}),
    "Tanh": (Tanh, {}),
    "ReLU": (ReLU, {}),
    "Softmax": (Softmax, {}),
    "LeakyReLU": (LeakyReLU, {"negative_slope": float}),
    "ELU": (ELU, {"alpha": float}),
    "Softplus": (Softplus, {}),
}


def module_from_config(config: Any, source: str = "architecture", path: str = "model") -> Module:
    """Build a module from its ``config()`` dict; ``source`` and ``path`` name the place in errors."""
    if not isinstance(config, dict) or not isinstance(config.get("type"), str):
        raise FormatError(f"{source}: {path} must be an object with a string 'type', got {config!r:.80}")
    kind = config["type"]
    if kind == "Sequential":
        layers = config.get("layers")
        if not isinstance(layers, list) or set(config) != {"type", "layers"}:
            raise FormatError(f"{source}: {path} (Sequential) needs exactly a 'layers' list")
        return Sequential([module_from_config(c, source, f"{path}.layers.{i}") for i, c in enumerate(layers)])
    if kind not in LAYERS:
        raise FormatError(
            f"{source}: {path} names unknown layer type {kind!r}; known types: {sorted(LAYERS) + ['Sequential']}"
        )
    cls, allowed = LAYERS[kind]
    arguments = {k: v for k, v in config.items() if k != "type"}
    for name, value in arguments.items():
        expected = allowed.get(name)
        if expected is None:
            raise FormatError(f"{source}: {path} ({kind}) has unknown argument {name!r}")
        if type(value) is not expected:
            raise FormatError(f"{source}: {path} ({kind}) argument {name!r} must be {expected.__name__}, got {value!r}")
    if cls is Linear:
        arguments["init"] = "zeros"  # the weights come from the file
    return cls(**arguments)
