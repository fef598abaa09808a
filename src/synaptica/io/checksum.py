"""Checksums that a model file carries of everything it says, so damage is found when it is loaded.

safetensors has no checksum of its own: a flipped bit in a weight loads silently and the model
predicts a little (or very) wrong. :func:`checksums` records a CRC-32 (``zlib.crc32``) of each tensor
(its little-endian dtype, shape and bytes) and of each metadata entry (key and value: the
architecture, the cost, anything the caller stored) under the metadata key :data:`CHECKSUM_KEY`;
:func:`verify_checksums` recomputes them on load and names the first item that differs.

What they do not cover is how the JSON header is written: the order of its keys, its spaces and the
padding before the data. Those carry no meaning, so a file differing only there loads the same model.
A file without the key (written by another tool, or by synaptica before checksums) is not checked.

CRC-32 detects every change of up to 32 consecutive bits and misses a random change with probability
2**-32; it guards against damage (a bad disk, a truncated copy, an edit by mistake), not against an
attacker, who could recompute it.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping

import numpy as np

from synaptica.errors import FormatError
from synaptica.io.json_depth import check_json_depth

__all__ = ["CHECKSUM_KEY", "checksums", "verify_checksums"]

CHECKSUM_KEY = "synaptica.crc32"


def _tensor_crc(array: np.ndarray) -> str:
    little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    crc = zlib.crc32(f"{little.dtype.str} {list(little.shape)}\n".encode())
    return f"{zlib.crc32(memoryview(little.reshape(-1).view(np.uint8)), crc):08x}"


def _text_crc(key: str, value: str) -> str:
    return format(zlib.crc32("\n".join((key, value)).encode("utf-8", "surrogatepass")), "08x")


def checksums(tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> str:
    """The JSON text to store under :data:`CHECKSUM_KEY`: one CRC-32 per tensor and per metadata entry."""
    return json.dumps({
        "tensors": {name: _tensor_crc(array) for name, array in sorted(tensors.items())},
        "metadata": {key: _text_crc(key, value) for key, value in sorted(metadata.items()) if key != CHECKSUM_KEY},
    }, separators=(",", ":"))


def verify_checksums(tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str], path: str) -> bool:
    """Check a loaded file against its stored checksums; False when it has none.

    Raises:
        FormatError: naming ``path`` and the first tensor or metadata entry that was added, lost or
            changed since the file was saved, or saying that the stored checksums are unreadable.
    """
    text = metadata.get(CHECKSUM_KEY)
    if text is None:
        return False
    stored = _parse(text, path)
    computed = json.loads(checksums(tensors, metadata))
    for part, what in (("tensors", "tensor"), ("metadata", "metadata entry")):
        lost = sorted(set(stored[part]) - set(computed[part]))
        added = sorted(set(computed[part]) - set(stored[part]))
        if lost or added:
            raise FormatError(f"{path}: the file has lost the {what} {lost[0]!r} it was saved with" if lost else
                              f"{path}: the file has a {what} {added[0]!r} it was not saved with")
        for name, crc in computed[part].items():
            if stored[part][name] != crc:
                raise FormatError(f"{path}: {what} {name!r} does not match its CRC-32 checksum (saved "
                                  f"{stored[part][name]}, now {crc}): it changed after the file was saved, so the "
                                  f"file is damaged; use a good copy")
    return True


def _parse(text: str, path: str) -> dict[str, dict[str, str]]:
    """The stored checksums, or a FormatError saying why they cannot be read."""
    where = f"{path}: the checksums ('{CHECKSUM_KEY}')"
    check_json_depth(text, where)
    try:
        stored = json.loads(text)
    except ValueError as error:
        raise FormatError(f"{where} are not valid JSON: {error}") from None
    if (not isinstance(stored, dict) or set(stored) != {"tensors", "metadata"}
            or not all(isinstance(part, dict) and all(isinstance(v, str) for v in part.values())
                       for part in stored.values())):
        raise FormatError(f"{where} are not an object of 'tensors' and 'metadata' mapping names to CRC-32 strings")
    return stored
