"""Saving and loading a :class:`~synaptica.models.SpikingNetwork` as a synaptica model file.

The file is the one :func:`synaptica.io.save_model` writes (safetensors weights, the architecture as
JSON, checksums), so every check of :func:`synaptica.io.model_file.read_model_file` applies when it
is read. A spiking network is not in the layer registry (it has no ONNX form: its output is a count
of random spikes over 700 time steps), so :func:`load_spiking_network` builds it itself from the
closed set of arguments below, each checked by the network's constructor; nothing a file says is
imported or called.
"""

from __future__ import annotations

import os

from synaptica.errors import FormatError, ShapeError
from synaptica.io.model_file import read_model_file, save_model
from synaptica.models.snn import Neurons, SpikingNetwork

_ARGUMENTS = {"inputs", "neurons", "image_shape", "dt", "presentation", "max_rate", "min_spikes", "max_retries",
              "rest", "weight_sum", "w_max", "neuron", "seed"}
_OPTIONAL = {"rest"}  # files written before θ decayed over the rest between images lack it: the default


def save_spiking_network(path: str | os.PathLike, model: SpikingNetwork, metadata: dict[str, str] | None = None) -> None:
    """Write the network (W, θ, the neurons' labels and every setting) to ``path`` atomically."""
    if not isinstance(model, SpikingNetwork):
        raise TypeError(f"save_spiking_network: expected a SpikingNetwork, got {type(model).__name__}")
    save_model(path, model, metadata)


def load_spiking_network(path: str | os.PathLike) -> tuple[SpikingNetwork, dict[str, str]]:
    """Read a network written by :func:`save_spiking_network`; returns (network, metadata).

    Raises FormatError (naming the file) for any fault :func:`read_model_file` finds, an architecture
    that is not a SpikingNetwork's or holds an unknown, missing or refused setting, and ShapeError for
    tensors that disagree with it."""
    name = os.fspath(path)
    config, tensors, metadata = read_model_file(path)
    if not isinstance(config, dict) or config.get("type") != "SpikingNetwork":
        kind = config.get("type") if isinstance(config, dict) else type(config).__name__
        raise FormatError(f"{name}: the file holds a {kind!r}, not a SpikingNetwork (load it with synaptica.io.load_model)")
    arguments = {key: value for key, value in config.items() if key != "type"}
    if not _ARGUMENTS - _OPTIONAL <= set(arguments) <= _ARGUMENTS:
        raise FormatError(f"{name}: a SpikingNetwork's architecture has the settings {sorted(_ARGUMENTS)}; this one "
                          f"lacks {sorted(_ARGUMENTS - _OPTIONAL - set(arguments))} and adds {sorted(set(arguments) - _ARGUMENTS)}")
    weight = tensors.get("weight")
    if weight is None or weight.shape != (arguments["inputs"], arguments["neurons"]):
        raise ShapeError(f"{name}: the architecture says {arguments['inputs']} inputs × {arguments['neurons']} neurons "
                         f"but the tensor 'weight' is {None if weight is None else weight.shape}")
    try:
        if not isinstance(arguments["neuron"], dict):
            raise TypeError(f"neuron must be a JSON object, got {arguments['neuron']!r}")
        image_shape = arguments["image_shape"]
        model = SpikingNetwork(**{**arguments, "neuron": Neurons(**arguments["neuron"]),
                                  "image_shape": tuple(image_shape) if isinstance(image_shape, list) else image_shape})
    except (TypeError, ValueError) as error:
        raise FormatError(f"{name}: the SpikingNetwork's architecture is refused: {error}") from None
    model.load_state_dict(tensors, source=name)
    return model, metadata
