"""Read and write the safetensors format natively (no ``safetensors`` package needed).

The format (specified at https://github.com/huggingface/safetensors) is::

    [8 bytes]  N, an unsigned 64-bit little-endian integer: the header's length
    [N bytes]  the header, UTF-8 JSON: one object mapping each tensor's name to
               {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
               plus an optional "__metadata__" entry holding a str -> str object
    [rest]     the byte buffer: every tensor's raw little-endian, C-order bytes

``data_offsets`` count from the start of the byte buffer, not of the file. The tensors
tile the buffer exactly: no gaps, no overlaps and nothing after the last one.

Writing matches the official writer byte for byte: compact JSON with ``__metadata__``
first, tensors laid out by dtype (widest first, in the official writer's dtype order)
and then by name, and the header padded with spaces so that the buffer starts at a
multiple of 8. (With two or more metadata keys the official writer's order is random;
we keep the caller's.) Saves are atomic: a crash leaves the old file or the new one.

Reading trusts nothing in the file: every field is checked against the file's real size
before anything is allocated, and each failure raises :class:`FormatError` naming the
file, the fault and, where it helps, the byte offset. Files that look like Python
pickles or ``torch.save`` zips raise :class:`UnsafeFileError`; they are never unpickled.
``BF16`` tensors, which NumPy cannot hold, load exactly as ``float32``.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
from collections.abc import Mapping
from typing import Any

import numpy as np

from synaptica.errors import FormatError, UnsafeFileError
from synaptica.io.atomic import atomic_write
from synaptica.io.files import open_regular
from synaptica.io.json_depth import check_json_depth

__all__ = ["save_tensors", "load_tensors", "read_metadata", "MAX_HEADER_BYTES"]

MAX_HEADER_BYTES = 100_000_000
"""Headers longer than this are refused (the official reader uses the same limit)."""

# safetensors dtype -> little-endian NumPy dtype. BF16 is read as raw 16-bit words.
_DTYPES: Mapping[str, np.dtype] = {
    "BOOL": np.dtype("?"),
    "U8": np.dtype("u1"),
    "I8": np.dtype("i1"),
    "I16": np.dtype("<i2"),
    "U16": np.dtype("<u2"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"),
    "F32": np.dtype("<f4"),
    "C64": np.dtype("<c8"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "U64": np.dtype("<u8"),
}

# The official writer sorts tensors by this order, last first, then by name.
_WRITE_ORDER = ("BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32",
                "C64", "F64", "I64", "U64")

_PICKLE_MESSAGE = ("{path}: looks like a Python pickle (or a torch.save zip); refusing to "
                   "load it, since unpickling can run code. Save weights as safetensors.")

# How pickles (protocol 2+ header, or common first opcodes of protocols 0-1) and zip
# archives (torch.save since PyTorch 1.6) begin.
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_OLD_PICKLE_FIRST_BYTES = b"(])}cN"


def _code_for(dtype: np.dtype) -> str | None:
    """The safetensors dtype code for a NumPy dtype, or None if it has none."""
    for code, candidate in _DTYPES.items():
        if code != "BF16" and dtype.kind == candidate.kind and dtype.itemsize == candidate.itemsize:
            return code
    return None


# ----------------------------------------------------------------------------- writing


def save_tensors(path: str | os.PathLike[str], tensors: Mapping[str, np.ndarray],
                 metadata: Mapping[str, str] | None = None) -> None:
    """Write ``tensors`` (and optional str -> str ``metadata``) to ``path`` atomically.

    The file is written by :func:`synaptica.io.atomic.atomic_write`: readers (and a crash at any
    moment) see either the previous file or the complete new one, and the new file's permissions
    follow the umask, as for any newly created file.
    """
    path = os.fspath(path)
    header, arrays = _build_header(path, tensors, metadata)
    with atomic_write(path) as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        for array in arrays:
            if array.size:
                f.write(memoryview(array.reshape(-1).view(np.uint8)))


def _build_header(path: str, tensors: Mapping[str, np.ndarray],
                  metadata: Mapping[str, str] | None) -> tuple[bytes, list[np.ndarray]]:
    """Check the inputs; return the padded header and the little-endian arrays in file order."""
    if not isinstance(tensors, Mapping):
        raise TypeError(f"{path}: tensors must be a dict of name -> numpy array, "
                        f"got {type(tensors).__name__}")
    entries = []
    for name, array in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"{path}: tensor names must be str, got {name!r}")
        if name == "__metadata__":
            raise ValueError(f"{path}: '__metadata__' is reserved and cannot name a tensor")
        if not isinstance(array, np.ndarray):
            raise TypeError(f"{path}: tensor {name!r} must be a numpy array, "
                            f"got {type(array).__name__}")
        code = _code_for(array.dtype)
        if code is None:
            raise TypeError(f"{path}: tensor {name!r} has dtype {array.dtype}, which "
                            f"safetensors cannot store; supported: bool, uint8-64, "
                            f"int8-64, float16/32/64, complex64")
        little = np.asarray(array, dtype=_DTYPES[code], order="C")  # keeps 0-d shapes
        entries.append((-_WRITE_ORDER.index(code), name, code, little))
    entries.sort(key=lambda entry: (entry[0], entry[1]))

    header: dict[str, Any] = {}
    if metadata is not None:
        header["__metadata__"] = _checked_metadata(metadata, path, TypeError)
    offset = 0
    for _, name, code, little in entries:
        header[name] = {"dtype": code, "shape": list(little.shape),
                        "data_offsets": [offset, offset + little.nbytes]}
        offset += little.nbytes
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return text, [entry[3] for entry in entries]


# ----------------------------------------------------------------------------- reading


def load_tensors(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Load every tensor and the metadata from a safetensors file.

    Returns ``(tensors, metadata)``: independent, writable, native-endian arrays keyed by
    name (in header order), and the ``__metadata__`` dict (empty when absent). Raises
    :class:`FormatError` for a corrupt or truncated file, :class:`UnsafeFileError`
    for a pickle, :class:`~synaptica.errors.MissingFileError` (a ``FileNotFoundError``)
    for a missing path and :class:`~synaptica.errors.NotRegularFileError` for a
    directory, FIFO or device (see :mod:`synaptica.io.files`).
    """
    path = os.fspath(path)
    with open_regular(path, "safetensors file") as f:
        return _read_tensors(f, path)


def tensors_to_bytes(tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str] | None = None,
                     prefix: bytes = b"") -> bytearray:
    """The bytes :func:`save_tensors` would write, in memory (to send tensors to another process), after
    ``prefix`` (a message header of the caller's). Each array is copied once, straight into place."""
    header, arrays = _build_header("tensors", tensors, metadata)
    out = bytearray(len(prefix) + 8 + len(header) + sum(array.nbytes for array in arrays))
    view, at = memoryview(out), len(prefix) + 8 + len(header)
    view[:at] = prefix + struct.pack("<Q", len(header)) + header
    for array in arrays:
        view[at:at + array.nbytes] = array.reshape(-1).view(np.uint8)
        at += array.nbytes
    return out


def tensors_from_bytes(data: bytes, source: str = "bytes") -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """What :func:`load_tensors` returns, from bytes in memory; ``source`` names them in errors."""
    return _read_tensors(io.BytesIO(data), source)


def _read_tensors(f: Any, path: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    entries, metadata, data_start = _read_header(f, path)
    tensors: dict[str, np.ndarray] = {}
    for name, code, shape, begin, _ in sorted(entries, key=lambda e: (e[3], e[4])):
        array = np.empty(shape, dtype=_DTYPES[code])
        if array.size:
            view = memoryview(array.reshape(-1).view(np.uint8))
            got = f.readinto(view)
            if got != len(view):
                raise FormatError(f"{path}: file ended at byte {data_start + begin + (got or 0)} "
                                  f"inside tensor {name!r} (was it truncated while reading?)")
        tensors[name] = _to_native(array, code, name, path, data_start + begin)
    return {name: tensors[name] for name, *_ in entries}, metadata


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """Return a file's ``__metadata__`` (empty dict when absent), reading only its header.

    The header is validated in full against the file's size, as by :func:`load_tensors`.
    """
    path = os.fspath(path)
    with open_regular(path, "safetensors file") as f:
        return _read_header(f, path)[1]


def _to_native(array: np.ndarray, code: str, name: str, path: str, offset: int) -> np.ndarray:
    """Turn freshly read little-endian data into a native array, checking BOOL bytes."""
    if code == "BOOL":
        raw = array.view(np.uint8)
        if raw.size and raw.max() > 1:
            bad = int(np.argmax(raw.reshape(-1) > 1))
            raise FormatError(f"{path}: BOOL tensor {name!r} holds byte {int(raw.reshape(-1)[bad])} "
                              f"at byte {offset + bad}; only 0 and 1 are valid")
        return array
    if code == "BF16":
        return (array.astype(np.uint32) << 16).view(np.float32)
    if not array.dtype.isnative:
        return array.astype(array.dtype.newbyteorder("="))
    return array


def _read_header(f: Any, path: str) -> tuple[list[tuple[str, str, tuple[int, ...], int, int]],
                                               dict[str, str], int]:
    """Parse and fully validate the header; leave ``f`` at the start of the byte buffer.

    Returns the entries ``(name, dtype, shape, begin, end)`` in header order, the metadata
    and the file offset of the byte buffer.
    """
    size = len(f.getbuffer()) if isinstance(f, io.BytesIO) else os.fstat(f.fileno()).st_size
    head = f.read(9)
    if not head:
        raise FormatError(f"{path}: file is empty; expected a safetensors file")
    length = int.from_bytes(head[:8].ljust(8, b"\0"), "little")
    if head[8:9] != b"{" and _looks_like_pickle(head, length):
        raise UnsafeFileError(_PICKLE_MESSAGE.format(path=path))
    if size < 8:
        raise FormatError(f"{path}: file is {size} bytes long, too short for the 8-byte "
                          f"header length of a safetensors file")
    if length > MAX_HEADER_BYTES:
        raise FormatError(f"{path}: header length {length} (bytes 0-7) exceeds the "
                          f"{MAX_HEADER_BYTES}-byte limit; not a safetensors file or corrupt")
    if 8 + length > size:
        raise FormatError(f"{path}: header length {length} (bytes 0-7) runs past the end "
                          f"of the {size}-byte file; truncated or corrupt")
    if length < 2:
        raise FormatError(f"{path}: header length {length} (bytes 0-7) is too short to "
                          f"hold a JSON object")
    f.seek(8)
    raw = f.read(length)
    if len(raw) != length:
        raise FormatError(f"{path}: file ended at byte {8 + len(raw)} inside the header")
    header = _parse_json(raw, path)

    metadata: dict[str, str] = {}
    if "__metadata__" in header:
        metadata = _checked_metadata(header.pop("__metadata__"), path, FormatError)
    entries = [_checked_entry(name, info, path) for name, info in header.items()]

    data_start = 8 + length
    buffer_size = size - data_start
    cursor = 0
    for name, _, _, begin, end in sorted(entries, key=lambda e: (e[3], e[4])):
        if end > buffer_size:
            raise FormatError(f"{path}: tensor {name!r} has data_offsets [{begin}, {end}], "
                              f"past the end of the {buffer_size}-byte data buffer (file "
                              f"bytes {data_start + begin}-{data_start + end} of {size}); "
                              f"truncated or corrupt")
        if begin < cursor:
            raise FormatError(f"{path}: tensor {name!r} at data_offsets [{begin}, {end}] "
                              f"overlaps the previous tensor, which ends at {cursor} "
                              f"(file byte {data_start + cursor})")
        if begin > cursor:
            raise FormatError(f"{path}: data buffer has a hole at offsets [{cursor}, {begin}] "
                              f"(file byte {data_start + cursor}) before tensor {name!r}")
        cursor = end
    if cursor != buffer_size:
        raise FormatError(f"{path}: {buffer_size - cursor} trailing bytes after the last "
                          f"tensor, from file byte {data_start + cursor}")
    return entries, metadata, data_start


def _looks_like_pickle(head: bytes, length: int) -> bool:
    """True for the first bytes of a pickle or a zip archive (not followed by a JSON header).

    Protocol 2+ pickles start with 0x80 and the protocol number. Protocol 0-1 pickles
    start with an opcode such as ``(`` or ``c`` followed by text, which read as a header
    length is far too large (at least 2**32) for a real safetensors file.
    """
    if head[0] == 0x80 and len(head) >= 2 and 2 <= head[1] <= 5:
        return True
    return head.startswith(_ZIP_MAGICS) or (head[0] in _OLD_PICKLE_FIRST_BYTES
                                            and length >= 2**32)


def _parse_json(raw: bytes, path: str) -> dict[str, Any]:
    """Decode the header bytes into a dict, refusing duplicate keys and NaN/Infinity."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: header is not valid UTF-8 at file byte "
                          f"{8 + exc.start}") from None

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            dup = next(key for key, _ in pairs if key in seen or seen.add(key))
            raise FormatError(f"{path}: header repeats the key {dup!r}")
        return result

    def no_constant(token: str) -> None:
        raise FormatError(f"{path}: header contains {token}, which is not valid JSON")

    if not text.startswith("{"):  # the spec: the header MUST begin with "{" (0x7B)
        raise FormatError(f"{path}: header (file byte 8) is not a JSON object: it starts with "
                          f"{text[:1]!r}, where the safetensors format requires '{{'")
    check_json_depth(text, f"{path}: header")
    try:
        header = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant)
    except FormatError:
        raise
    except json.JSONDecodeError as exc:
        byte = 8 + len(text[:exc.pos].encode("utf-8"))
        raise FormatError(f"{path}: header is not valid JSON ({exc.msg}) at file byte "
                          f"{byte}") from None
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"{path}: header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise FormatError(f"{path}: header is not a JSON object")
    return header


def _checked_metadata(metadata: Any, path: str, error: type[Exception]) -> dict[str, str]:
    """``metadata`` as a str -> str dict, or ``error`` naming the bad item."""
    if not isinstance(metadata, Mapping):
        raise error(f"{path}: __metadata__ must map str to str, got {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise error(f"{path}: __metadata__ must map str to str; entry {key!r}: {value!r} "
                        f"is {type(key).__name__} -> {type(value).__name__}")
    return dict(metadata)


def _checked_entry(name: str, info: Any, path: str) -> tuple[str, str, tuple[int, ...], int, int]:
    """Validate one tensor's header entry; return ``(name, dtype, shape, begin, end)``."""
    where = f"{path}: tensor {name!r}"
    if not isinstance(info, dict):
        raise FormatError(f"{where}: entry must be an object with dtype, shape and "
                          f"data_offsets, got {type(info).__name__}")
    missing = [key for key in ("dtype", "shape", "data_offsets") if key not in info]
    if missing:
        raise FormatError(f"{where}: entry lacks {', '.join(missing)}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(code, str) or code not in _DTYPES:
        raise FormatError(f"{where}: unknown or unsupported dtype {code!r}; supported: "
                          f"{', '.join(_DTYPES)}")
    if not isinstance(shape, list) or not all(_is_count(n) for n in shape):
        raise FormatError(f"{where}: shape must be a list of non-negative integers, "
                          f"got {shape!r}")
    if (not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_count, offsets))
            or offsets[0] > offsets[1]):
        raise FormatError(f"{where}: data_offsets must be [begin, end] with "
                          f"0 <= begin <= end, got {offsets!r}")
    begin, end = offsets
    nbytes = math.prod(shape) * _DTYPES[code].itemsize
    if end - begin != nbytes:
        raise FormatError(f"{where}: data_offsets [{begin}, {end}] span {end - begin} bytes "
                          f"but dtype {code} x shape {shape} needs {nbytes}")
    return name, code, tuple(shape), begin, end


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
