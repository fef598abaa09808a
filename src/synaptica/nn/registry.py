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
from synaptica.nn.batch_norm import BatchNorm1d, BatchNorm2d
from synaptica.nn.containers import Sequential
from synaptica.nn.conv import AvgPool2d, Conv2d, Flatten, L2Pool2d, MaxPool2d
from synaptica.nn.dropout import Dropout
from synaptica.nn.ensemble import Ensemble
from synaptica.nn.linear import Linear
from synaptica.nn.maxout import Maxout
from synaptica.nn.module import Module
from synaptica.nn.prelu import PReLU
from synaptica.nn.unflatten import Unflatten

#: an argument that is one size for both axes or a [rows, columns] pair (checked by the layer)
SIZE = (int, list)

#: type name -> (class, allowed argument names and their JSON types, or a tuple of accepted types)
LAYERS: dict[str, tuple[type[Module], dict[str, type | tuple[type, ...]]]] = {
    "Linear": (Linear, {"in_features": int, "out_features": int, "bias": bool}),
    "Sigmoid": (Sigmoid, {}),
    "Tanh": (Tanh, {}),
    "ReLU": (ReLU, {}),
    "Softmax": (Softmax, {}),
    "LeakyReLU": (LeakyReLU, {"negative_slope": float}),
    "ELU": (ELU, {"alpha": float}),
    "Softplus": (Softplus, {}),
    "Conv2d": (Conv2d, {"in_channels": int, "out_channels": int, "kernel_size": SIZE, "stride": SIZE,
                        "padding": SIZE, "bias": bool}),
    "MaxPool2d": (MaxPool2d, {"kernel_size": SIZE, "stride": SIZE, "padding": SIZE}),
    "AvgPool2d": (AvgPool2d, {"kernel_size": SIZE, "stride": SIZE, "padding": SIZE}),
    "L2Pool2d": (L2Pool2d, {"kernel_size": SIZE, "stride": SIZE}),
    "Flatten": (Flatten, {}),
    "Unflatten": (Unflatten, {"shape": list}),
    "Dropout": (Dropout, {"p": float}),
    "BatchNorm1d": (BatchNorm1d, {"features": int, "eps": float, "momentum": float}),
    "BatchNorm2d": (BatchNorm2d, {"channels": int, "eps": float, "momentum": float}),
    "PReLU": (PReLU, {"num_parameters": int, "init": float}),
    "Maxout": (Maxout, {"in_features": int, "out_features": int, "pieces": int}),
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
    if kind == "Ensemble":
        members, combine = config.get("members"), config.get("combine")
        if (not isinstance(members, list) or not isinstance(combine, str)
                or set(config) != {"type", "members", "combine"}):
            raise FormatError(f"{source}: {path} (Ensemble) needs exactly a 'members' list and a 'combine' string")
        built = [module_from_config(c, source, f"{path}.members.{i}") for i, c in enumerate(members)]
        try:
            return Ensemble(built, combine)
        except ValueError as error:
            raise FormatError(f"{source}: {path}: {error}") from None
    if kind not in LAYERS:
        raise FormatError(
            f"{source}: {path} names unknown layer type {kind!r}; "
            f"known types: {sorted(LAYERS) + ['Ensemble', 'Sequential']}"
        )
    cls, allowed = LAYERS[kind]
    arguments = {k: v for k, v in config.items() if k != "type"}
    for name, value in arguments.items():
        expected = allowed.get(name)
        if expected is None:
            raise FormatError(f"{source}: {path} ({kind}) has unknown argument {name!r}")
        accepted = expected if isinstance(expected, tuple) else (expected,)
        if type(value) not in accepted:
            names = " or ".join(t.__name__ for t in accepted)
            raise FormatError(f"{source}: {path} ({kind}) argument {name!r} must be {names}, got {value!r}")
    if cls is Linear or cls is Conv2d or cls is Maxout:
        arguments["init"] = "zeros"  # the weights come from the file
    try:
        return cls(**arguments)
    except ValueError as error:  # a value of the right type the layer refuses (a size of 0, a list of 3)
        raise FormatError(f"{source}: {path} ({kind}): {error}") from None
