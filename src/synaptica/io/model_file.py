"""Saving and loading whole models: safetensors weights with the architecture as JSON inside.

One file holds everything, so one atomic rename makes a save complete or absent, never half done:

    <8-byte header length> <JSON header: tensors + "__metadata__"> <raw weights>
    __metadata__ = {"synaptica.format": "1",
                    "synaptica.architecture": "<JSON of model.config()>",
                    "synaptica.cost": "cross-entropy", ... any user strings ...}

Loading reads the architecture, builds the model from the closed layer registry
(:mod:`synaptica.nn.registry`: nothing named in a file is imported or called), and copies in the
weights after checking every name and shape. Pickles are refused before anything is parsed.
"""

from __future__ import annotations

import json
import os

from synaptica.errors import FormatError, ShapeError
from synaptica.io.safetensors_format import load_tensors, save_tensors
from synaptica.nn.module import Module
from synaptica.nn.registry import module_from_config

FORMAT_VERSION = "1"
ARCHITECTURE_KEY = "synaptica.architecture"


def save_model(path: str | os.PathLike, model: Module, metadata: dict[str, str] | None = None) -> None:
    """Write ``model`` (weights and architecture) to ``path`` atomically.

    Args:
        metadata: extra strings to store (e.g. the cost, the dataset, the command that trained it).
    """
    header = {"synaptica.format": FORMAT_VERSION, ARCHITECTURE_KEY: json.dumps(model.config())}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"save_model: metadata must map str to str, got {key!r}: {value!r}")
        header[key] = value
    save_tensors(path, model.state_dict(), header)


def load_model(path: str | os.PathLike) -> tuple[Module, dict[str, str]]:
    """Read a model saved by :func:`save_model`; returns (model, metadata).

    Every parameter and buffer keeps the dtype it was saved in (float32 or float64), bit for bit.

    Raises:
        UnsafeFileError: the file is a pickle (or torch.save zip); nothing was executed.
        FormatError: the file is truncated or corrupt, or its architecture names an unknown layer.
        ShapeError: a tensor's shape disagrees with the architecture (names the tensor and both shapes).
    """
    name = os.fspath(path)
    tensors, metadata = load_tensors(path)
    text = metadata.get(ARCHITECTURE_KEY)
    if text is None:
        raise FormatError(f"{name}: no '{ARCHITECTURE_KEY}' in the metadata; not a synaptica model file")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise FormatError(f"{name}: the architecture JSON is invalid: {error}") from None
    model = module_from_config(config, source=name)
    try:
        model.load_state_dict(tensors, source=name, keep_dtypes=True)
    except ShapeError as error:
        raise ShapeError(str(error)) from None
    return model, metadata
