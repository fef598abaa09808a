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

A gzip file is decompressed one member only, and never beyond what the header declares
(:class:`~synaptica.io.gzip_member.GzipMember`), so a "gzip bomb" costs little memory:

- up to :data:`ONE_PASS_BYTES` of declared data are read in one pass into a buffer that
  grows as data arrives, so a lying header costs at most twice what the stream holds;
- for a larger declared size the stream is first decompressed without keeping anything,
  to check that it holds exactly the declared bytes, before the array is allocated and
  filled in a second pass; that first pass stops, and the file is refused as a gzip
  bomb, once the data has expanded more than :data:`MAX_EXPANSION` times the file's
  size (no image or label data compresses that well);
- bytes after the declared data, and bytes after the gzip stream, are refused.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
from typing import BinaryIO

import numpy as np

from synaptica.errors import FormatError
from synaptica.io.atomic import atomic_write
from synaptica.io.files import open_regular
from synaptica.io.gzip_member import GZIP_MAGIC, GzipMember

__all__ = ["read_idx", "write_idx", "ONE_PASS_BYTES", "MAX_EXPANSION"]

ONE_PASS_BYTES = 64 << 20
"""Gzip files declaring up to this many data bytes are read in one pass (MNIST's largest: 47 MB)."""

MAX_EXPANSION = 200
"""Gzip files declaring more than :data:`ONE_PASS_BYTES` must not expand more than this many times:
MNIST's images expand 4.7 times, its labels 2 times; 1,000 times is what zeros do."""

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
_CHUNK = 1 << 20  # bytes read from a gzip stream at a time
_EXPECTED_MAGIC = (
    "expected 0x00000801 or 0x00000803 for uint8 labels or images; in general two zero "
    "bytes, a type code 08/09/0B/0C/0D/0E and a dimension count 1..4"
)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a native-endian array.

    Returns a writable array of the shape the header declares. Raises
    :class:`~synaptica.errors.FormatError`, with the file name and what is wrong, for a
    bad magic number, a truncated header or body, trailing bytes after the data or after
    the gzip stream, a corrupt gzip stream, or a gzip bomb (see the module docstring).
    A missing file (or empty path, or dangling link) raises
    :class:`~synaptica.errors.MissingFileError`, a ``FileNotFoundError``; a directory, FIFO
    or device :class:`~synaptica.errors.NotRegularFileError`.
    """
    name = os.fspath(path)
    with open_regular(name, "IDX file") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            return _read_raw(raw, name)
        return _read_gzip(raw, name)


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
                  found: int, at_least: bool = False) -> FormatError:
    """The error for a body of ``found`` bytes (``at_least`` that many) where the header declares another size."""
    expected = math.prod(shape) * dtype.itemsize
    dims = "x".join(map(str, shape))
    what = f"{dims} {dtype.newbyteorder('=').name} values" if dtype.itemsize > 1 else dims
    declared = f"the header declares {what} = {expected} data bytes after the {header_len}-byte header"
    if found < expected:
        return FormatError(f"{name}: truncated: {declared}, found {found}")
    more = "more than " if at_least else ""
    return FormatError(f"{name}: {more}{found - expected} extra trailing bytes: {declared}, found {more}{found}")


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


def _read_gzip(raw: BinaryIO, name: str) -> np.ndarray:
    """Read a gzip-compressed IDX file, decompressing no more than the header declares."""
    stream = GzipMember(raw, name)
    dtype, shape, header_len = _read_header(stream, name)
    expected = math.prod(shape) * dtype.itemsize
    if expected > ONE_PASS_BYTES:  # first count what is there, keeping nothing
        plausible = MAX_EXPANSION * os.fstat(raw.fileno()).st_size
        got = stream.skip(min(expected, plausible + 1))
        if plausible < got < expected:
            raise FormatError(f"{name}: the header declares {expected:,} data bytes and the gzip stream holds "
                              f"more than {plausible:,}, {MAX_EXPANSION} times the file's size; no image or label "
                              f"data compresses that well, so this is refused as a gzip bomb (decompress it with "
                              f"gunzip if it is real)")
        _check_body_size(stream, name, dtype, shape, header_len, got)
        stream = GzipMember(raw, name)
        stream.read(header_len)
    flat = np.empty(min(expected, _CHUNK), dtype=np.uint8)
    filled = 0
    while filled < expected:  # the buffer doubles as data arrives, up to the declared size
        if filled == flat.size:
            grown = np.empty(min(2 * flat.size, expected), dtype=np.uint8)
            grown[:filled] = flat
            flat = grown
        chunk = stream.read(min(flat.size - filled, _CHUNK))
        if not chunk:
            break
        flat[filled:filled + len(chunk)] = np.frombuffer(chunk, np.uint8)
        filled += len(chunk)
    _check_body_size(stream, name, dtype, shape, header_len, filled)
    return _to_native(flat, dtype, shape)


def _check_body_size(stream: GzipMember, name: str, dtype: np.dtype, shape: tuple[int, ...],
                     header_len: int, got: int) -> None:
    """After ``got`` data bytes were read: refuse fewer than declared, or any more data (counted up to
    :data:`ONE_PASS_BYTES` beyond, never kept), or any byte after the gzip stream."""
    expected = math.prod(shape) * dtype.itemsize
    extra = 0 if got < expected else stream.skip(ONE_PASS_BYTES + 1)
    if got < expected or extra:
        raise _size_problem(name, dtype, shape, header_len, got + min(extra, ONE_PASS_BYTES), extra > ONE_PASS_BYTES)
    stream.finish()
