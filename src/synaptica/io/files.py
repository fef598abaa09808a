"""Opening a file to read, refusing anything that is not a regular file.

Every reader of the library (model files, safetensors, IDX, search spaces) opens its input with
:func:`open_regular`, so a mistaken path gets one clear message naming it:

- an empty path, a missing path and a dangling symbolic link raise
  :class:`~synaptica.errors.MissingFileError` (a ``FileNotFoundError``);
- a directory, a FIFO, a socket or a device raises :class:`~synaptica.errors.NotRegularFileError`
  (a :class:`~synaptica.errors.FormatError`).

A FIFO must never be read: ``open`` on a FIFO waits for a writer, forever if none comes. The path is
first checked with ``os.stat``; it is then opened with ``O_NONBLOCK`` (which makes opening a FIFO
return at once) and checked again with ``fstat`` on the open descriptor, so a path swapped for a
FIFO between the two steps is refused too. ``O_NONBLOCK`` changes nothing for a regular file.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from synaptica.errors import MissingFileError, NotRegularFileError

__all__ = ["open_regular", "check_regular"]

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def check_regular(path: str | os.PathLike[str], what: str = "file") -> str:
    """``path`` as a string, once ``os.stat`` shows a regular file there (following links); ``what``
    names the expected kind of file in the message (``"model file"``)."""
    name = os.fspath(path)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    if not name:
        raise MissingFileError(f"an empty path was given where a {what} was expected")
    try:
        status = os.stat(name)
    except (FileNotFoundError, NotADirectoryError):
        if os.path.islink(name):
            raise MissingFileError(f"{name}: a symbolic link to {os.readlink(name)}, which does not exist; "
                                   f"expected a {what}") from None
        raise MissingFileError(f"{name}: no such file; expected a {what}") from None
    _refuse_other_kinds(name, status.st_mode, what)
    return name


def open_regular(path: str | os.PathLike[str], what: str = "file") -> BinaryIO:
    """Open ``path`` for reading in binary mode if it is a regular file (see the module docstring).

    Raises:
        MissingFileError: an empty path, no such file, or a dangling symbolic link.
        NotRegularFileError: a directory, FIFO, socket or device.
        PermissionError: the file cannot be read (as ``open`` would raise it).
    """
    name = check_regular(path, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(name, flags)
    except FileNotFoundError:  # removed since the check
        raise MissingFileError(f"{name}: no such file; expected a {what}") from None
    try:
        _refuse_other_kinds(name, os.fstat(fd).st_mode, what)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _refuse_other_kinds(name: str, mode: int, what: str) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((text for test, text in _KINDS if test(mode)), "of another kind")
    raise NotRegularFileError(f"{name}: is {kind}, not a regular file; expected a {what}")
