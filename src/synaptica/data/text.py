"""Text corpora for character-level language models: reading, the King James Bible, the split.

A character model reads a text as one long stream of characters. This module turns a file into
that stream and back:

- :func:`read_text` reads a UTF-8 file strictly: a byte sequence that is not UTF-8 stops it with
  the file's name and the byte offset of the first bad byte (``errors="replace"`` would hide a
  Latin-1 file behind a page of � signs that a model then learns).
- :func:`kjv_text` gives the King James Bible, the default corpus. Debian's ``bible-kjv`` package
  ships it in its own compressed format with a ``bible`` program that prints it; the printed text,
  one verse per line under a heading per chapter, is cached once as UTF-8 in the user cache
  (``$SYNAPTICA_CACHE_DIR`` or ``~/.cache/synaptica``), written atomically.
- :class:`CharVocabulary` maps characters to integer ids and back. Its alphabet is every character
  of the *whole* file, sorted: the set of symbols is known before any counting, like the 256 values
  of a byte, so a character that occurs only in the held-out part still has an id (and a model a
  small probability for it). Counts and weights come from the training part alone.
- :func:`split_text` holds out the last fraction of the text (10 % by default) as one contiguous
  block: the model is scored on text that follows the text it learnt from, never on scattered lines
  whose neighbours it has seen.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synaptica.errors import DataError, FormatError
from synaptica.io.atomic import atomic_write

__all__ = ["read_text", "kjv_text", "load_corpus", "CharVocabulary", "TextSplit", "split_text"]

KJV_NAME = "kjv"
_KJV_RANGE = "gen1:1-rev22:21"
_KJV_CACHE = "kjv.txt"


def read_text(path: str | os.PathLike[str]) -> str:
    """The contents of a UTF-8 text file; any other bytes are refused with the file and byte offset.

    Raises:
        FileNotFoundError: the file does not exist (named).
        FormatError: the file is not valid UTF-8 (names the file, the byte offset and the bytes),
            or it is empty.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FormatError(f"{path}: is a directory, not a text file") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = data[error.start:error.end].hex(" ")
        raise FormatError(f"{path}: not UTF-8 text: byte offset {error.start} holds 0x{bad} "
                          f"({error.reason}); convert the file to UTF-8 first, e.g. "
                          f"iconv -f latin1 -t utf-8") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text:
        raise FormatError(f"{path}: the file is empty")
    return text


def kjv_text(cache_dir: str | os.PathLike[str] | None = None) -> str:
    """The King James Bible as printed by Debian's ``bible`` program, cached as UTF-8.

    The text is produced once with ``bible -l0 gen1:1-rev22:21`` (``-l0``: each verse on one line,
    unwrapped) and kept in ``<cache>/kjv.txt``; later calls read the cached file.

    Raises:
        DataError: neither the cached file nor the ``bible`` program is there (says which package
            to install).
    """
    root = Path(cache_dir or os.environ.get("SYNAPTICA_CACHE_DIR") or "~/.cache/synaptica").expanduser()
    cached = root / _KJV_CACHE
    if cached.is_file():
        return read_text(cached)
    program = shutil.which("bible")
    if program is None:
        raise DataError("kjv: the King James Bible comes from Debian's bible-kjv package "
                        "(apt-get install bible-kjv), whose `bible` program is not on PATH; "
                        "or name a UTF-8 text file instead")
    printed = subprocess.run([program, "-l0", _KJV_RANGE], capture_output=True, check=False,
                             stdin=subprocess.DEVNULL, timeout=120)
    if printed.returncode != 0 or len(printed.stdout) < 1_000_000:
        raise DataError(f"kjv: `bible -l0 {_KJV_RANGE}` failed (exit status {printed.returncode}, "
                        f"{len(printed.stdout)} bytes): {printed.stderr.decode(errors='replace')[:200]}")
    text = printed.stdout.decode("utf-8").lstrip("\n")
    root.mkdir(parents=True, exist_ok=True)
    with atomic_write(cached, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return text


def load_corpus(name_or_path: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None) -> str:
    """``"kjv"`` for the King James Bible, else the UTF-8 file at that path."""
    if os.fspath(name_or_path) == KJV_NAME:
        return kjv_text(cache_dir)
    return read_text(name_or_path)


class CharVocabulary:
    """Characters ↔ integer ids, over a fixed sorted alphabet.

    >>> vocab = CharVocabulary.of("abca")
    >>> vocab.encode("cab").tolist()
    [2, 0, 1]
    >>> vocab.decode([1, 2])
    'bc'
    """

    def __init__(self, alphabet: str):
        if not alphabet:
            raise ValueError("a vocabulary needs at least one character")
        if len(set(alphabet)) != len(alphabet):
            raise ValueError("the alphabet repeats a character")
        self.alphabet = alphabet
        self._ids = {ch: i for i, ch in enumerate(alphabet)}

    @classmethod
    def of(cls, text: str) -> CharVocabulary:
        """The vocabulary of every character in ``text``, sorted by code point."""
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.alphabet)

    def encode(self, text: str) -> np.ndarray:
        """Ids (int64) of the characters of ``text``; a character outside the alphabet is an error."""
        try:
            return np.fromiter((self._ids[ch] for ch in text), dtype=np.int64, count=len(text))
        except KeyError as error:
            ch = error.args[0]
            raise DataError(f"character {ch!r} (U+{ord(ch):04X}) at position {text.index(ch)} is not "
                            f"in the vocabulary of {len(self)} characters") from None

    def decode(self, ids) -> str:
        """The characters of a sequence of ids."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise DataError(f"ids must lie in [0, {len(self)}), got {ids.min()}..{ids.max()}")
        return "".join(self.alphabet[i] for i in ids)


@dataclass(frozen=True, eq=False)
class TextSplit:
    """A text cut into a training part and the held-out part that follows it, both as ids."""

    vocabulary: CharVocabulary
    train: np.ndarray
    held_out: np.ndarray


def split_text(text: str, held_out: float = 0.1) -> TextSplit:
    """The first ``1 − held_out`` of ``text`` to learn from, the rest (contiguous) to score on."""
    if not 0.0 < held_out < 1.0:
        raise ValueError(f"held_out must lie strictly between 0 and 1, got {held_out}")
    cut = int(round(len(text) * (1.0 - held_out)))
    if cut < 1 or cut >= len(text):
        raise DataError(f"a text of {len(text)} characters is too short to hold out {held_out:.0%}")
    vocabulary = CharVocabulary.of(text)
    ids = vocabulary.encode(text)
    return TextSplit(vocabulary, ids[:cut], ids[cut:])
