"""Gzip streams for tests, made fast: a GiB of zeros (a gzip bomb) in well under a second, and one
large content compressed once and reused behind different IDX headers."""

from __future__ import annotations

import functools
import struct
import zlib

_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


@functools.lru_cache(maxsize=4)
def _deflated(content: bytes, level: int) -> bytes:
    """Raw deflate of ``content``, ended by a full flush: byte-aligned, with the compressor's memory
    cleared, so that pieces made apart can follow each other in one stream, any number of times."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(content) + compressor.flush(zlib.Z_FULL_FLUSH)


def gzip_of(*parts: tuple[bytes, int], level: int = 9) -> bytes:
    """A sound gzip stream of each ``(content, times)`` in turn, each content compressed once: a GiB
    of zeros takes well under a second, and one large content can be reused behind other headers."""
    crc = size = 0
    for content, times in parts:
        for _ in range(times):
            crc = zlib.crc32(content, crc)
        size += len(content) * times
    body = b"".join(_deflated(content, level) * times for content, times in parts)
    end = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # an empty last block
    return _GZIP_HEADER + body + end + struct.pack("<II", crc, size & 0xFFFFFFFF)


def gzip_with_zeros(prefix: bytes, zeros: int) -> bytes:
    """A gzip stream of ``prefix`` and then ``zeros`` zero bytes (a gzip bomb, zeros compress 1,000-fold)."""
    chunk = bytes(1 << 24)
    full, rest = divmod(zeros, len(chunk))
    return gzip_of((prefix, 1), (chunk, full), (bytes(rest), 1))


def idx_header(code: int, shape: tuple[int, ...]) -> bytes:
    """The header of an IDX file: two zero bytes, the type code, the dimension count, the sizes."""
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
