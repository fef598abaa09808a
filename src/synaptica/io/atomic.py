"""Writing files so that a reader, or a crash at any moment, finds the old file or the whole new one.

One way to write a file whole (:func:`atomic_write`) and one way to add to a log (:func:`appending`),
used by every writer in the library: model files, IDX files and downloads, PNG figures, run logs and
search results.

A whole file is written the way the usual fix for ``torch.save``'s torn checkpoints does it (see the
project's reliability notes, section 5):

1. write to a fresh temporary file in the target's own directory (a rename across file systems
   would be a copy, and not atomic);
2. flush Python's buffer and ``fsync`` the file, so its bytes are on the disk;
3. ``os.replace`` it over the target: on POSIX and Windows the name then points at the old file or
   at the new one, never at a mix;
4. ``fsync`` the directory, so the rename itself survives a power cut.

On any error (also Ctrl-C) the temporary file is removed and the target is left as it was. The
temporary file is created with ``os.open(..., 0o666)``, so the new file's permissions follow the
umask as for any file the user creates (``tempfile.mkstemp`` would make it 0600, and
``NamedTemporaryFile`` likewise).

A log that grows line by line is not rewritten: :func:`appending` opens it for appending and, when
the block ends, flushes and fsyncs, so every line written is on the disk before training goes on.
"""

from __future__ import annotations

import os
import re
import secrets
from contextlib import contextmanager
from typing import IO, Callable, Iterator

__all__ = ["atomic_write", "appending", "remove_temporaries"]


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb", *, encoding: str | None = None,
                 newline: str | None = None, check: Callable[[str], None] | None = None) -> Iterator[IO]:
    """Write ``path`` whole or not at all: ``with atomic_write(path) as f: f.write(data)``.

    Args:
        mode: ``"wb"`` (bytes) or ``"w"`` (text, with ``encoding`` and ``newline`` as for ``open``).
        check: called with the temporary file's path after it is complete and synced, before it
            replaces ``path`` (a download checks that it parses); an error it raises aborts the write.

    Raises:
        FileNotFoundError: the directory of ``path`` does not exist (named in the message).
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path}: the directory {directory} does not exist")
    temporary, fd = _create_temporary(directory, os.path.basename(path))
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if check is not None:
            check(temporary)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


@contextmanager
def appending(path: str | os.PathLike[str], *, encoding: str = "utf-8", newline: str | None = None) -> Iterator[IO]:
    """Append text to ``path`` (created if missing); on leaving the block, flush and fsync it (and
    its directory when the file is new), so what was written is on the disk."""
    path = os.fspath(path)
    new = not os.path.exists(path)
    with open(path, "a", encoding=encoding, newline=newline) as f:
        yield f
        f.flush()
        os.fsync(f.fileno())
    if new:
        _fsync_directory(os.path.dirname(os.path.abspath(path)))


def _create_temporary(directory: str, base: str) -> tuple[str, int]:
    """Create a fresh hidden temporary file next to the target; ``os.open``'s mode honours the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            return temporary, os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue


def _fsync_directory(directory: str) -> None:
    """Make a rename or a new directory entry durable; a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_temporaries(directory: str | os.PathLike[str], target: str | None = None) -> list[str]:
    """Remove the temporary files that :func:`atomic_write` left in ``directory`` when a kill stopped it
    before its rename (only those of ``target``'s name, when given); returns their names.

    Call it when a run starts, before it writes: a write under way in another process would lose its
    temporary file too."""
    pattern = re.compile(r"^\.(.+)\.[0-9a-f]{12}\.tmp$")
    removed = []
    for entry in os.scandir(directory):
        match = pattern.match(entry.name)
        if match and entry.is_file(follow_symlinks=False) and (target is None or match[1] == target):
            try:
                os.unlink(entry.path)
                removed.append(entry.name)
            except FileNotFoundError:
                pass
    return removed
