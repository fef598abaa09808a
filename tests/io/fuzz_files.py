"""The files of the fuzz test (tests/io/test_fuzz.py): valid model and IDX files, mutated.

Each case is written to a directory and described in the manifest: its file, its kind (``model``
or ``idx``), the mutation, and ``expected``: the digest of what it may load as, or None when it
must be refused. What may load:

- a model file only as the very model it was saved as (same architecture, the same weights bit
  for bit, the same metadata apart from the version and checksums): a reformatted JSON header
  (spaces, key order, padding) is the one mutation meant to load; any other must be refused, or be
  one that changes nothing (a dtype "relabelled" to the dtype it had);
- an IDX file only as exactly what its bytes declare (checked here by an independent parser). The
  IDX format has no checksum, so a changed data byte (or a type code changed to another of the same
  size) in a raw file, or in the content of a sound gzip stream, loads as the changed array; a gzip
  stream itself is protected by its CRC-32, so a damaged one may load only as the original array
  (for example after a change to the stream header's time stamp). Gzip bombs, huge declared sizes,
  truncations and trailing bytes are all refused.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from synaptica.io import load_model, save_model
from synaptica.io.checksum import checksums
from synaptica.nn import (BatchNorm1d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential, Sigmoid,
                          Unflatten, mlp)
from tests.gzip_streams import gzip_with_zeros, idx_header

IDX_CODES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


# ----------------------------------------------------------------------------- digests


def array_digest(array: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and values (byte order made little-endian)."""
    little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return hashlib.sha256(f"{little.dtype.str}{little.shape}".encode() + little.tobytes()).hexdigest()


def model_digest(model, metadata: dict) -> str:
    """SHA-256 of a model's architecture, every tensor and the file's metadata, apart from the file's
    own bookkeeping (its format version and checksums), which some mutations rewrite on purpose."""
    described = sorted((k, v) for k, v in metadata.items() if k not in ("synaptica.format", "synaptica.crc32"))
    digest = hashlib.sha256(json.dumps([model.config(), described], sort_keys=True).encode())
    for name, array in sorted(model.state_dict().items()):
        digest.update(name.encode() + array_digest(array).encode())
    return digest.hexdigest()


def idx_reference(content: bytes) -> np.ndarray | None:
    """What an IDX file's (decompressed) bytes declare, or None if they are not exactly an IDX file."""
    if len(content) < 4 or content[:2] != b"\0\0" or content[2] not in IDX_CODES or not 1 <= content[3] <= 4:
        return None
    ndim = content[3]
    start = 4 + 4 * ndim
    if len(content) < start:
        return None
    shape = struct.unpack(f">{ndim}I", content[4:start])
    dtype = np.dtype(IDX_CODES[content[2]])
    if len(content) - start != math.prod(shape) * dtype.itemsize:
        return None
    return np.frombuffer(content[start:], dtype).reshape(shape)


# ----------------------------------------------------------------------------- model files


def _seed_models() -> list[tuple[object, dict[str, str]]]:
    cnn = Sequential([Unflatten((1, 6, 6)), Conv2d(1, 2, 3, padding=1, rng=1, dtype=np.float64), ReLU(),
                      MaxPool2d(2), Flatten(), Linear(18, 3, rng=2, dtype=np.float64)])
    dense = Sequential([Linear(5, 4, rng=3), BatchNorm1d(4), Sigmoid(), Dropout(0.2), Linear(4, 2, rng=4)])
    return [(mlp([6, 5, 3], rng=0), {"synaptica.cost": "cross-entropy"}), (cnn, {}), (dense, {"note": "ünï"})]


def _split(data: bytes) -> tuple[dict, bytes]:
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length]), data[8 + length:]


def _join(header: dict | str, buffer: bytes) -> bytes:
    text = (header if isinstance(header, str) else json.dumps(header, ensure_ascii=False)).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + buffer


def _resign(header: dict, buffer: bytes, rng: np.random.Generator) -> dict:
    """After a change of meaning: keep the now stale checksums, recompute them as a forger would, or
    drop them and claim version 1 (before checksums), so that the checks behind them are reached."""
    how = rng.integers(3)
    metadata = header["__metadata__"]
    if how == 1:
        tensors = {}
        for name, info in header.items():
            dtype, (begin, end) = np.dtype(_NUMPY[info.get("dtype", "U8")]), info.get("data_offsets", (0, 0))
            if name != "__metadata__" and end - begin == math.prod(info["shape"]) * dtype.itemsize:
                tensors[name] = np.frombuffer(buffer[begin:end], dtype).reshape(info["shape"])
        metadata["synaptica.crc32"] = checksums(tensors, metadata)
    elif how == 2:
        metadata.pop("synaptica.crc32")
        metadata["synaptica.format"] = "1"
    return header


_NUMPY = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "U32": "<u4", "I64": "<i8", "U64": "<u8", "F16": "<f2",
          "I16": "<i2", "U16": "<u2", "BF16": "<u2", "I8": "i1", "U8": "u1", "BOOL": "?"}
_HUGE = [10**7, 10**9, 2**31, 2**40, 2**62]
#: the arguments whose size the loader must refuse whatever the checksums say: they set how many
#: parameters a layer holds (or, for padding, how many outputs a convolution has)
_SIZE_KEYS = {"Linear": ("in_features", "out_features"), "BatchNorm1d": ("features",),
              "Conv2d": ("in_channels", "out_channels", "kernel_size", "padding")}


def _truncated_or_flipped(data: bytes, rng: np.random.Generator, truncate: bool) -> tuple[str, bytes]:
    """``data`` cut at a random length, or with one to three random bits flipped."""
    if truncate:
        return "truncate", data[:rng.integers(len(data))]
    out = bytearray(data)
    for _ in range(rng.integers(1, 4)):
        out[rng.integers(len(out))] ^= 1 << int(rng.integers(8))
    return "bit flips", bytes(out)


def _mutate_model(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """One mutation of a model file; returns its name and the new bytes."""
    header, buffer = _split(data)
    length = len(data) - len(buffer) - 8
    kind = int(rng.integers(12))
    out = bytearray(data)
    if kind < 2:
        return _truncated_or_flipped(data, rng, kind == 0)
    if kind == 2:
        out[8 + rng.integers(length)] = int(rng.choice(list(b'0123456789[]{}",: -.eEFIU\\')))
        return "header byte", bytes(out)
    if kind == 3:
        out[8 + length + rng.integers(len(buffer))] ^= 1 << int(rng.integers(8))
        return "weight bit flip", bytes(out)
    if kind == 4:
        lengths = [0, 1, len(data), 2**27, 2**40, 2**64 - 1, int(rng.integers(2 * len(data)))]
        out[:8] = struct.pack("<Q", lengths[rng.integers(len(lengths))])
        return "header length", bytes(out)
    if kind == 5:
        at = int(rng.integers(len(out)))
        if rng.integers(2):
            out[at:at] = rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8).tobytes()
        else:
            del out[at:at + int(rng.integers(1, 9))]
        return "insert or delete", bytes(out)
    names = [name for name in header if name != "__metadata__"]
    if kind == 6:
        header[str(rng.choice(names))]["dtype"] = str(rng.choice(["I32", "U32", "F16", "BF16", "I64", "F64", "F32", "U8"]))
        return "dtype relabel", _join(_resign(header, buffer, rng), buffer)
    if kind == 7:
        architecture = json.loads(header["__metadata__"]["synaptica.architecture"])
        sized = [layer for layer in architecture["layers"] if layer["type"] in _SIZE_KEYS]
        layer = sized[rng.integers(len(sized))]
        layer[str(rng.choice(_SIZE_KEYS[layer["type"]]))] = _HUGE[rng.integers(len(_HUGE))]
        header["__metadata__"]["synaptica.architecture"] = json.dumps(architecture)
        return "huge size", _join(_resign(header, buffer, rng), buffer)
    if kind == 8:
        depth = int(rng.choice([65, 129, 500, 5000]))
        text = ('{"type": "Sequential", "layers": [' * depth + "]}" * depth if rng.integers(2)
                else "[" * depth + "]" * depth)
        header["__metadata__"]["synaptica.architecture"] = text
        return "nesting", _join(_resign(header, buffer, rng), buffer)
    if kind == 9:
        name = str(rng.choice(names))
        header[name]["shape"] = [_HUGE[rng.integers(len(_HUGE))], *header[name]["shape"][1:]]
        return "huge shape", _join(header, buffer)
    if kind == 10:
        name = str(rng.choice(names))
        begin, end = header[name]["data_offsets"]
        if end > begin:
            nan = np.array(np.nan if rng.integers(2) else np.inf, _NUMPY[header[name]["dtype"]]).tobytes()
            at = begin + int(rng.integers((end - begin) // len(nan))) * len(nan)
            buffer = buffer[:at] + nan + buffer[at + len(nan):]
        return "non-finite weight", _join(_resign(header, buffer, rng), buffer)
    items = list(header.items())
    rng.shuffle(items)
    text = json.dumps(dict(items), ensure_ascii=bool(rng.integers(2)), indent=int(rng.integers(0, 4)) or None)
    return "reformatted header (may load)", _join(text + " " * int(rng.integers(0, 20)), buffer)


def model_cases(directory: Path, rng: np.random.Generator, count: int) -> list[dict]:
    """Write ``count`` mutated model files; return their manifest entries."""
    seeds = []
    for i, (model, metadata) in enumerate(_seed_models()):
        path = directory / f"seed-{i}.safetensors"
        save_model(path, model, metadata)
        seeds.append((path.read_bytes(), model_digest(*load_model(path))))
    cases = []
    for i in range(count):
        data, digest = seeds[i % len(seeds)]
        mutation, mutated = _mutate_model(data, rng)
        name = f"model-{i:04d}.safetensors"
        (directory / name).write_bytes(mutated)
        cases.append({"file": name, "kind": "model", "mutation": mutation, "expected": digest})
    return cases


# ----------------------------------------------------------------------------- IDX files


def _seed_arrays(rng: np.random.Generator) -> list[tuple[int, np.ndarray]]:
    return [(0x08, rng.integers(0, 256, (5, 6, 6), dtype=np.uint8)), (0x08, rng.integers(0, 10, 9, dtype=np.uint8)),
            (0x0B, rng.integers(-999, 999, (4, 3)).astype(">i2")), (0x0E, rng.standard_normal(6).astype(">f8"))]


def _mutate_raw(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """One mutation of a raw IDX file (or of the content of a gzip one)."""
    out = bytearray(data)
    ndim = data[3]
    kind = int(rng.integers(5))
    if kind == 0:
        return _truncated_or_flipped(data, rng, True)
    if kind == 1:
        out[rng.integers(4 + 4 * ndim)] ^= 1 << int(rng.integers(8))
        return "header bit flip", bytes(out)
    if kind == 2:
        out[4 + 4 * ndim + rng.integers(len(data) - 4 - 4 * ndim)] ^= 1 << int(rng.integers(8))
        return "data bit flip (may load)", bytes(out)
    if kind == 3:
        word = 4 + 4 * int(rng.integers(ndim))
        out[word:word + 4] = struct.pack(">I", int(rng.choice([0, 1, 2, 7, 60000, 2**30, 2**31, 2**32 - 1])))
        return "declared size", bytes(out)
    return "bytes appended", data + rng.integers(0, 256, int(rng.integers(1, 20)), dtype=np.uint8).tobytes()


def _damage(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Truncate a gzip stream, flip bits in it, or overwrite one of its bytes."""
    kind = int(rng.integers(3))
    if kind < 2:
        return _truncated_or_flipped(data, rng, kind == 0)
    out = bytearray(data)
    out[rng.integers(len(out))] = int(rng.integers(256))
    return "byte overwritten", bytes(out)


def _bomb(rng: np.random.Generator) -> tuple[str, bytes]:
    """A gzip bomb: a small compressed file that declares or holds far more than it should."""
    kind = int(rng.integers(4))
    if kind == 0:  # declares 1 GiB and holds it: zeros compress 1,000-fold
        return "gzip bomb holding what it declares", gzip_with_zeros(idx_header(0x08, (1 << 30,)), 1 << 30)
    if kind == 1:  # declares 1 GiB, holds 96 MiB
        return "gzip bomb holding less", gzip_with_zeros(idx_header(0x08, (2**14, 2**8, 2**8)), 96 << 20)
    if kind == 2:  # declares 10 values, then 256 MiB of zeros
        return "gzip bomb after the data", gzip_with_zeros(idx_header(0x08, (10,)), 10 + (256 << 20))
    return "huge declared size", gzip_with_zeros(idx_header(0x0E, (2**32 - 1,) * 4), int(rng.integers(0, 4096)))


def idx_cases(directory: Path, rng: np.random.Generator, count: int) -> list[dict]:
    """Write ``count`` mutated IDX files (raw, content of a sound gzip, damaged gzip, gzip bombs)."""
    seeds = [idx_header(code, array.shape) + array.tobytes() for code, array in _seed_arrays(rng)]
    cases = []
    for i in range(count):
        seed = seeds[i % len(seeds)]
        layer = int(rng.integers(4)) if i % 25 else 4
        if layer == 0:  # a raw file
            mutation, data = _mutate_raw(seed, rng)
            expected = idx_reference(data)
        elif layer == 1:  # damaged content in a sound gzip stream
            mutation, content = _mutate_raw(seed, rng)
            data, expected = zlib.compress(content, 6, 31), idx_reference(content)
            mutation = f"gzip of {mutation}"
        elif layer == 2:  # a damaged gzip stream: may load only as the original
            mutation, data = _damage(zlib.compress(seed, 6, 31), rng)
            mutation, expected = f"damaged gzip: {mutation}", idx_reference(seed)
        elif layer == 3:  # bytes after a sound gzip stream
            tail = bytes(int(rng.integers(1, 9))) if rng.integers(2) else zlib.compress(b"more", 6, 31)
            mutation, data, expected = "bytes after the gzip stream", zlib.compress(seed, 6, 31) + tail, None
        else:
            (mutation, data), expected = _bomb(rng), None
        name = f"idx-{i:04d}" + (".gz" if data[:2] == b"\x1f\x8b" else "")
        (directory / name).write_bytes(data)
        cases.append({"file": name, "kind": "idx", "mutation": mutation,
                      "expected": None if expected is None else array_digest(expected)})
    return cases
