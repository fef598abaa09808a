"""Reading exactly one gzip member, as much as the caller asks for and no more.

``gzip.GzipFile`` is made for trusted files: it reads every member of a concatenation, skips zero
bytes after the last one, and hands out whatever a ``read()`` asks for. A reader of untrusted files
needs the opposite: :class:`GzipMember` decompresses on demand, never more than the ``read(n)``
asked for (so a "gzip bomb" is met one chunk at a time, at the caller's pace), and
:meth:`GzipMember.finish` refuses any byte after the first member. The CRC-32 and length in the
member's trailer are checked by zlib when the member ends.

Every fault is a :class:`~synaptica.errors.FormatError` naming the file.
"""

from __future__ import annotations

import os
import zlib
from typing import BinaryIO

from synaptica.errors import FormatError

__all__ = ["GzipMember", "GZIP_MAGIC"]

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20  # compressed bytes read from the file at a time
_TRAILER_FAULTS = {"incorrect data check": "the CRC-32 in its trailer does not match the data",
                   "incorrect length check": "the length in its trailer does not match the data"}


class GzipMember:
    """The decompressed bytes of the gzip member at the start of ``raw``, read on demand."""

    def __init__(self, raw: BinaryIO, name: str):
        raw.seek(0)
        self.raw, self.name = raw, name
        self.inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # one gzip member, trailer checked
        self.tail = b""  # compressed bytes read from the file but not yet decompressed

    def read(self, n: int) -> bytes:
        """Up to ``n`` decompressed bytes; fewer only where the member ends."""
        parts = []
        while n > 0 and not self.inflater.eof:
            if not self.tail:
                self.tail = self.raw.read(_CHUNK)
            data = self._inflate(self.tail, n)
            if not data and not self.tail and not self.inflater.eof:
                raise FormatError(f"{self.name}: corrupt gzip stream (compressed data ends early)")
            self.tail = self.inflater.unconsumed_tail
            parts.append(data)
            n -= len(data)
        return b"".join(parts)

    def skip(self, limit: int) -> int:
        """Decompress and drop up to ``limit`` bytes, keeping none; return how many there were."""
        count = 0
        while count < limit and (chunk := self.read(min(_CHUNK, limit - count))):
            count += len(chunk)
        return count

    def finish(self) -> None:
        """Refuse any byte in the file after the member's trailer; called once :meth:`read` has
        returned fewer bytes than asked for (the caller checks the decompressed data's length)."""
        if self.read(1):
            raise FormatError(f"{self.name}: the gzip stream holds more data than its reader expected")
        end = self.raw.tell() - len(self.inflater.unused_data)
        size = os.fstat(self.raw.fileno()).st_size
        if size > end:
            raise FormatError(f"{self.name}: {size - end} bytes after the end of the gzip stream, from file "
                              f"byte {end}; a gzip file holds one stream")

    def _inflate(self, data: bytes, n: int) -> bytes:
        try:
            return self.inflater.decompress(data, n)
        except zlib.error as error:  # a bad header, block, CRC-32 or length: zlib names which
            reason = next((text for key, text in _TRAILER_FAULTS.items() if key in str(error)), str(error))
            raise FormatError(f"{self.name}: corrupt gzip stream ({reason})") from None
