"""Read and write IDX files, the format MNIST and Fashion-MNIST ship in.

An IDX file is a tiny header followed by one array's raw values::

    byte 0-1   two zero bytes
    byte 2     type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
               0x0D float32, 0x0E float64
    byte 3     number of dimensions, ``ndim``
    then       ``ndim`` sizes, each a big-endian unsigned 32-bit integer
    then       the values, C order, big-endian for multi-byte types

So the MNIST training images start ``00 00 08 03`` (uint8, three dimensions) and
then ``60000 28 28``; the labels start ``00 00 08 01`` and then ``60000``. The whole
file is often gzip-compressed; :func:`read_idx` recognises that by the gzip magic
bytes ``1f 8b``, whatever the file is called.

:func:`read_idx` checks the header, and checks that exactly the declared number of
data bytes follows it, before it trusts any size: a header that claims more data
than the file holds is reported, never allocated.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from typing import BinaryIO

import numpy as np

from synaptica.errors import FormatError
from synaptica.io.atomic import atomic_write

__all__ = ["read_idx", "write_idx"]

# Type code (byte 2 of the magic number) -> the dtype of the stored values.
_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES: dict[str, int] = {dtype.str[1:]: code for code, dtype in _DTYPES.items()}
_MAX_DIMS = 4
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20  # bytes read from a gzip stream at a time
_EXPECTED_MAGIC = (
    "expected 0x00000801 or 0x00000803 for uint8 labels or images; in general two zero "
    "bytes, a type code 08/09/0B/0C/0D/0E and a dimension count 1..4"
)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a native-endian array.

    Returns a writable array of the shape the header declares. Raises
    :class:`~synaptica.errors.FormatError`, with the file name and what is wrong, for a
    bad magic number, a truncated header or body, trailing bytes after the data, or a
    corrupt gzip stream. A missing file raises ``FileNotFoundError``.
    """
    name = os.fspath(path)
    with open(name, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            return _read_raw(raw, name)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _read_stream(stream, name)
        except (OSError, EOFError, zlib.error) as exc:
            # gzip.BadGzipFile is an OSError; EOFError means the stream stops early.
            reason = "compressed data ends early" if isinstance(exc, EOFError) else str(exc)
            raise FormatError(f"{name}: corrupt gzip stream ({reason})") from exc


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, gzip-compressed if ``path`` ends with ``.gz``.

    The array must have 1 to 4 dimensions and one of the IDX dtypes (uint8, int8,
    int16, int32, float32, float64). The file is written atomically
    (:func:`synaptica.io.atomic.atomic_write`), so readers never see half a file, and its
    permissions follow the umask.
    """
    array = np.asarray(array)
    code = _CODES.get(array.dtype.str[1:])
    if code is None:
        supported = ", ".join(str(d.newbyteorder("=")) for d in _DTYPES.values())
        raise TypeError(f"IDX cannot store dtype {array.dtype}; convert to one of: {supported}")
    if not 1 <= array.ndim <= _MAX_DIMS:
        raise ValueError(f"IDX stores 1 to {_MAX_DIMS} dimensions, got shape {array.shape}")
    if any(size >= 2**32 for size in array.shape):
        raise ValueError(f"IDX dimension sizes must fit in 32 bits, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes()

    with atomic_write(path) as out:
        if os.fspath(path).endswith(".gz"):
            with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as stream:
                stream.write(header)
                stream.write(body)
        else:
            out.write(header)
            out.write(body)


def _read_header(stream: BinaryIO, name: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """Parse and check the header; return (dtype, shape, header length in bytes)."""
    magic = stream.read(4)
    if len(magic) < 4:
        raise FormatError(
            f"{name}: truncated: an IDX header needs at least 4 bytes, found {len(magic)}"
        )
    value = int.from_bytes(magic, "big")
    code, ndim = magic[2], magic[3]
    problem = None
    if magic[:2] != b"\0\0":
        problem = "the first two bytes are not zero"
    elif code not in _DTYPES:
        problem = f"unknown type code 0x{code:02X} in byte 2"
    elif not 1 <= ndim <= _MAX_DIMS:
        problem = f"dimension count {ndim} in byte 3"
    if problem:
        raise FormatError(
            f"{name}: bad magic number 0x{value:08X} at byte 0 ({problem}; {_EXPECTED_MAGIC})"
        )
    header_len = 4 + 4 * ndim
    sizes = stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise FormatError(
            f"{name}: truncated: the header declares {ndim} dimensions and so needs "
            f"{header_len} bytes, found {4 + len(sizes)}"
        )
    shape = struct.unpack(f">{ndim}I", sizes)
    return _DTYPES[code], shape, header_len


def _size_problem(name: str, dtype: np.dtype, shape: tuple[int, ...], header_len: int,
                  found: int) -> FormatError:
    """The error for a body of ``found`` bytes where the header declares another size."""
    expected = math.prod(shape) * dtype.itemsize
    dims = "x".join(map(str, shape))
    what = f"{dims} {dtype.newbyteorder('=').name} values" if dtype.itemsize > 1 else dims
    declared = f"the header declares {what} = {expected} data bytes after the {header_len}-byte header"
    if found < expected:
        return FormatError(f"{name}: truncated: {declared}, found {found}")
    return FormatError(f"{name}: {found - expected} extra trailing bytes: {declared}, found {found}")


def _to_native(flat: np.ndarray, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """View raw bytes as ``dtype`` values in ``shape``, converted to native byte order."""
    values = flat.view(dtype).reshape(shape)
    if dtype.itemsize > 1:
        values = values.astype(dtype.newbyteorder("="))
    return values


def _read_raw(stream: BinaryIO, name: str) -> np.ndarray:
    """Read an uncompressed IDX file, checking its size before allocating anything."""
    dtype, shape, header_len = _read_header(stream, name)
    found = os.fstat(stream.fileno()).st_size - header_len
    expected = math.prod(shape) * dtype.itemsize
    if found != expected:
        raise _size_problem(name, dtype, shape, header_len, found)
    flat = np.empty(expected, dtype=np.uint8)
    got = stream.readinto(memoryview(flat)) if expected else 0
    if got != expected:  # the file shrank while we read it
        raise _size_problem(name, dtype, shape, header_len, got)
    return _to_native(flat, dtype, shape)


def _read_stream(stream: BinaryIO, name: str) -> np.ndarray:
    """Read IDX data from a stream of unknown length (a gzip stream).

    The body buffer grows by doubling as data actually arrives, capped at the declared
    size, so a lying header costs at most twice what the stream really holds.
    """
    dtype, shape, header_len = _read_header(stream, name)
    expected = math.prod(shape) * dtype.itemsize
    flat = np.empty(min(expected, _CHUNK), dtype=np.uint8)
    filled = 0
    while filled < expected:
        if filled == flat.size:
            grown = np.empty(min(2 * flat.size, expected), dtype=np.uint8)
            grown[:filled] = flat
            flat = grown
        got = stream.readinto(memoryview(flat[filled:]))
        if not got:
            raise _size_problem(name, dtype, shape, header_len, filled)
        filled += got
    extra = 0
    while chunk := stream.read(_CHUNK):  # count, never keep, anything after the data
        extra += len(chunk)
    if extra:
        raise _size_problem(name, dtype, shape, header_len, expected + extra)
    return _to_native(flat, dtype, shape)
