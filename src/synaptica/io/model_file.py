"""Saving and loading whole models: safetensors weights with the architecture as JSON inside.

One file holds everything, so one atomic rename makes a save complete or absent, never half done:

    <8-byte header length> <JSON header: tensors + "__metadata__"> <raw weights>
    __metadata__ = {"synaptica.format": "2",
                    "synaptica.architecture": "<JSON of model.config()>",
                    "synaptica.cost": "cross-entropy", ... any user strings ...,
                    "synaptica.crc32": "<a CRC-32 of every tensor and metadata entry>"}

Loading trusts nothing in the file. In order, it refuses (each time naming the file):

1. a path that is not a regular file, and any fault of the safetensors layout
   (:func:`~synaptica.io.safetensors_format.load_tensors`); pickles before anything is parsed;
2. a file without an architecture, or with a missing or unknown ``synaptica.format`` version
   (version 2 carries checksums; version 1, written before them, still loads);
3. an architecture JSON nested deeper than :data:`~synaptica.io.json_depth.MAX_JSON_DEPTH`;
4. a tensor that is not float32 or float64, or whose dtype differs from the others' (a float32
   tensor relabelled int32 has the same size, so only its dtype gives it away);
5. a tensor or metadata entry that no longer matches its checksum (:mod:`synaptica.io.checksum`),
   and a version 2 file without checksums (a damaged key would otherwise switch the check off);
   files of version 1, and from other tools, have none and are not checked;
6. NaN or infinite weights, unless ``allow_non_finite=True``;
7. an architecture that names anything outside the closed layer registry, nests containers too
   deeply, or whose layers would hold far more numbers than the file's tensors do (twice as many
   and a million more), checked layer by layer before each is built (:mod:`synaptica.nn.registry`,
   :mod:`synaptica.nn.budget`);
8. a tensor whose name or shape disagrees with the architecture.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import numpy as np

from synaptica.errors import FormatError, ShapeError
from synaptica.io.checksum import CHECKSUM_KEY, checksums, verify_checksums
from synaptica.io.json_depth import check_json_depth
from synaptica.io.safetensors_format import load_tensors, save_tensors
from synaptica.nn.module import Module
from synaptica.nn.registry import model_from_config, module_from_config

FORMAT_VERSION = "2"
_READABLE_VERSIONS = ("1", "2")  # 1: written before checksums
FORMAT_KEY = "synaptica.format"
ARCHITECTURE_KEY = "synaptica.architecture"
_RESERVED = (FORMAT_KEY, ARCHITECTURE_KEY, CHECKSUM_KEY)
_MODEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
#: An architecture may need at most twice the values its file holds, plus this many, before it is
#: refused unbuilt: more can never match the weights, and building it would only cost memory. A
#: smaller mismatch is built (cheaply) and reported tensor by tensor, with both shapes.
_SLACK = 2**20


def save_model(path: str | os.PathLike, model: Module, metadata: dict[str, str] | None = None) -> None:
    """Write ``model`` (weights, architecture and their checksums) to ``path`` atomically.

    Args:
        metadata: extra strings to store (e.g. the cost, the dataset, the command that trained it);
            the keys ``synaptica.format``, ``synaptica.architecture`` and ``synaptica.crc32`` are the
            file's own.
    """
    header = {FORMAT_KEY: FORMAT_VERSION, ARCHITECTURE_KEY: json.dumps(model.config())}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"save_model: metadata must map str to str, got {key!r}: {value!r}")
        if key in _RESERVED:
            raise ValueError(f"save_model: the metadata key {key!r} is the file's own; use another name")
        header[key] = value
    state = model.state_dict()
    header[CHECKSUM_KEY] = checksums(state, header)
    save_tensors(path, state, header)


def load_model(path: str | os.PathLike, *, allow_non_finite: bool = False,
               model_class: type[Module] | None = None) -> tuple[Module, dict[str, str]]:
    """Read a model saved by :func:`save_model`; returns (model, metadata).

    Every parameter and buffer keeps the dtype it was saved in (float32 or float64), bit for bit.
    The checks, in the order they run, are listed in the module docstring.

    Args:
        allow_non_finite: load weights that are NaN or infinite (to inspect a diverged run) instead
            of refusing them.
        model_class: a model kept outside the layer registry, such as
            :class:`~synaptica.models.seq2seq.Seq2Seq`: the file must hold one, and its arguments get the
            registry's checks (:func:`~synaptica.nn.registry.model_from_config`).

    Raises:
        MissingFileError: no file at ``path`` (a ``FileNotFoundError``; also an empty path or a
            dangling link).
        NotRegularFileError: ``path`` is a directory, FIFO or device (a :class:`FormatError`).
        UnsafeFileError: the file is a pickle (or torch.save zip); nothing was executed.
        FormatError: the file is truncated, corrupt or damaged, or its architecture is refused.
        ShapeError: a tensor's shape disagrees with the architecture (names the tensor and both shapes).
    """
    name = os.fspath(path)
    config, tensors, metadata = read_model_file(path, allow_non_finite=allow_non_finite)
    held = sum(t.size for t in tensors.values())
    if model_class is None:
        model = module_from_config(config, source=name, max_parameters=2 * held + _SLACK)
    else:
        model = model_from_config(model_class, config, source=name, max_parameters=2 * held + _SLACK)
    try:
        model.load_state_dict(tensors, source=name, keep_dtypes=True)
    except ShapeError as error:
        raise ShapeError(str(error)) from None
    return model, metadata


def read_model_file(path: str | os.PathLike, *, allow_non_finite: bool = False
                    ) -> tuple[object, dict[str, np.ndarray], dict[str, str]]:
    """The parsed architecture, the tensors and the metadata of a file written by :func:`save_model`,
    after checks 1 to 6 of the module docstring (everything but building the model): for models that
    are built outside the layer registry, such as :class:`~synaptica.models.SpikingNetwork`."""
    name = os.fspath(path)
    tensors, metadata = load_tensors(path)
    config = _architecture(metadata, name)
    _check_dtypes(tensors, name)
    verify_checksums(tensors, metadata, name)
    if not allow_non_finite:
        _check_finite(tensors, name)
    return config, tensors, metadata


def _architecture(metadata: dict[str, str], name: str) -> object:
    """The parsed architecture, once the metadata shows a synaptica model file of a known version."""
    text = metadata.get(ARCHITECTURE_KEY)
    if text is None:
        raise FormatError(f"{name}: no '{ARCHITECTURE_KEY}' in the metadata; not a synaptica model file")
    version = metadata.get(FORMAT_KEY)
    if version is None:
        raise FormatError(f"{name}: no '{FORMAT_KEY}' version in the metadata; a synaptica model file has "
                          f"one (this version of synaptica writes version {FORMAT_VERSION})")
    if version not in _READABLE_VERSIONS:
        raise FormatError(f"{name}: format version {version!r} ('{FORMAT_KEY}') is unknown; this version of "
                          f"synaptica reads versions {' and '.join(_READABLE_VERSIONS)} (was the file written by a "
                          f"newer one?)")
    if version == FORMAT_VERSION and CHECKSUM_KEY not in metadata:
        raise FormatError(f"{name}: a version {version} model file carries checksums ('{CHECKSUM_KEY}'), but this "
                          f"one has none: its metadata is damaged")
    check_json_depth(text, f"{name}: the architecture ('{ARCHITECTURE_KEY}')")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise FormatError(f"{name}: the architecture JSON is invalid: {error}") from None


def _check_dtypes(tensors: dict[str, np.ndarray], name: str) -> None:
    """Every tensor float32, or every tensor float64: what :func:`save_model` writes. The model's
    dtype is the one most of its tensors have; the first tensor of another dtype is named."""
    counts = Counter(t.dtype for t in tensors.values() if t.dtype in _MODEL_DTYPES)
    model_dtype = counts.most_common(1)[0][0] if counts else None
    for key, tensor in tensors.items():
        if tensor.dtype != model_dtype:
            theirs = (f"the model's other tensors are {model_dtype}" if counts
                      else "a model's tensors are float32 or float64")
            raise FormatError(f"{name}: tensor {key!r} is {tensor.dtype} in the file, but {theirs}; "
                              f"the file was altered or not written by save_model")


def _check_finite(tensors: dict[str, np.ndarray], name: str) -> None:
    """Refuse NaN and infinite weights, naming the first tensor that holds any, its count and where."""
    for key, tensor in tensors.items():
        bad = ~np.isfinite(tensor)
        if bad.any():
            where = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), tensor.shape))
            others = [k for k, t in tensors.items() if k != key and not np.isfinite(t).all()]
            also = f" (and {len(others)} more tensor(s), e.g. {others[0]!r})" if others else ""
            raise FormatError(f"{name}: tensor {key!r} holds {int(bad.sum()):,} non-finite value(s) (NaN or "
                              f"infinite), the first at index {where}{also}; such a model outputs NaN. Pass "
                              f"allow_non_finite=True to load it anyway")
