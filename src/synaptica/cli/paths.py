"""The files a command reads and writes, checked when it starts, and its outputs written one by one.

A run that can only fail when it saves should fail before it trains: each command calls
:func:`check_output_file` and :func:`check_output_directory` on every path it will write, and
:func:`check_input_file` on every file it will read, before loading data or building a model. They
only look (``os.stat``, ``os.access``); nothing is created until the command writes. What they
refuse, each with a message that names the option and the path:

- an empty name;
- an output file whose directory is missing or not writable, or whose name is a directory or an
  existing file that is not a regular one (``--out /dev/null`` would replace the device);
- an output directory that is a file, or that cannot be created because its nearest existing
  parent is a file or not writable;
- an input that is missing, a broken symbolic link, a directory, not readable, or not a regular
  file (reading a FIFO waits for ever).

What can still fail later (a full disk) is written by :func:`write_all`, which tries every output
even when one before it failed, so a bad ``--history`` never costs the ``--out`` model.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable


class PathError(ValueError):
    """A path given to a command cannot be read or written as the command needs."""


def check_output_file(path: str | os.PathLike[str] | None, option: str) -> Path | None:
    """``path`` as a Path if the command can write a file there (None is passed through: not asked for)."""
    if path is None:
        return None
    name = _named(path, option, "file")
    target = Path(name)
    if target.is_dir():
        raise PathError(f"{option} {name!r} is a directory; give a file name")
    if target.exists() and not target.is_file():
        raise PathError(f"{option} {name!r} exists and is not a regular file; give another name")
    parent = Path(os.path.dirname(os.path.abspath(name)))
    if not parent.is_dir():
        state = "is not a directory" if parent.exists() else "does not exist"
        raise PathError(f"{option} {name!r}: the directory {str(parent)!r} {state}")
    _writable(parent, option, name)
    return target


def check_output_directory(path: str | os.PathLike[str] | None, option: str) -> Path | None:
    """``path`` as a Path if it is a writable directory, or one the command can create (with its
    missing parents); None is passed through."""
    if path is None:
        return None
    name = _named(path, option, "directory")
    target = Path(name)
    if target.exists():
        if not target.is_dir():
            raise PathError(f"{option} {name!r} is a file, not a directory; give a directory")
        _writable(target, option, name)
        return target
    if target.is_symlink():
        raise PathError(f"{option} {name!r} is a symbolic link to {os.readlink(target)!r}, which does not exist")
    ancestor = Path(os.path.abspath(name)).parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise PathError(f"{option} {name!r} cannot be created: {str(ancestor)!r} is a file, not a directory")
    _writable(ancestor, option, name)
    return target


def check_input_file(path: str | os.PathLike[str], what: str, hint: str = "") -> Path:
    """``path`` as a Path if it is a readable regular file; ``what`` names it in the message (``MODEL``,
    ``--results``) and ``hint`` (if any) ends the message for a missing file (how to make one)."""
    name = _named(path, what, "file")
    target = Path(name)
    if not target.exists():
        if target.is_symlink():
            raise PathError(f"{what} {name!r} is a symbolic link to {os.readlink(target)!r}, which does not exist")
        raise PathError(f"{what} {name!r}: no such file" + (f" ({hint})" if hint else ""))
    if target.is_dir():
        raise PathError(f"{what} {name!r} is a directory, not a file")
    if not target.is_file():
        raise PathError(f"{what} {name!r} is not a regular file (a pipe, a socket or a device); give a file")
    if not os.access(target, os.R_OK):
        raise PathError(f"{what} {name!r} is not readable (permission denied)")
    return target


def write_all(writes: list[tuple[str, Callable[[], object]]]) -> list[str]:
    """Call every ``(what, write)`` in order, also after one fails with an OSError; return a message
    naming ``what`` and the reason for each that failed ([] when all were written)."""
    failures = []
    for what, write in writes:
        try:
            write()
        except OSError as error:
            failures.append(f"could not write {what}: {os_error_message(error)}")
    return failures


def os_error_message(error: OSError) -> str:
    """An OSError in words: ``'/x/m.safetensors': No such file or directory`` rather than ``[Errno 2] ...``."""
    if error.strerror and error.filename is not None:
        message = f"{str(error.filename)!r}: {error.strerror}"
        return message + (f" ({str(error.filename2)!r})" if error.filename2 is not None else "")
    return str(error) or type(error).__name__


def _named(path: str | os.PathLike[str], option: str, kind: str) -> str:
    name = os.fspath(path)
    if not name:
        raise PathError(f"{option} is empty: give a {kind} name")
    return name


def _writable(directory: Path, option: str, name: str) -> None:
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PathError(f"{option} {name!r}: the directory {str(directory)!r} is not writable (permission denied)")
