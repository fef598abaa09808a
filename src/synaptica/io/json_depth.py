"""A limit on how deeply JSON text nests, checked before ``json.loads`` sees it.

``json.loads`` recurses once per nested array or object, so a file holding ``[[[[...]]]]`` a
thousand deep ends in a ``RecursionError`` (and whether it does depends on how deep the caller's
stack already is). Every reader that parses JSON from a file (the safetensors header, a model's
architecture and checksums) first measures the nesting with :func:`json_depth` and refuses text
nested deeper than :data:`MAX_JSON_DEPTH` with a :class:`~synaptica.errors.FormatError` naming
the file; what passes is parsed with ample stack to spare.

The measure skips string literals (brackets inside a string do not nest) the way a JSON reader
does: scanning left to right, a ``"`` outside a string opens one, and the next ``"`` not escaped by
a backslash closes it. It runs in time and memory linear in the text (a megabyte at a time).
"""

from __future__ import annotations

import re

import numpy as np

from synaptica.errors import FormatError

__all__ = ["MAX_JSON_DEPTH", "json_depth", "check_json_depth"]

MAX_JSON_DEPTH = 256
"""Nesting deeper than this is refused: room for 64 nested modules (two levels each, see
:data:`synaptica.nn.registry.MAX_NESTING`) and their arguments, far below the recursion limit."""

# A string literal; an unterminated one runs to the end of the text. The possessive ``*+`` never
# gives back what it took, so every quote starts exactly one match and the scan stays linear.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_STEP = np.zeros(256, np.int8)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1
_CHUNK = 1 << 20


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (0 for a bare number or string)."""
    data = _STRING.sub("", text).encode("utf-8", "replace")
    deepest = level = 0
    for start in range(0, len(data), _CHUNK):
        steps = _STEP[np.frombuffer(data, np.uint8, min(_CHUNK, len(data) - start), start)]
        running = level + np.cumsum(steps, dtype=np.int64)
        deepest, level = max(deepest, int(running.max())), int(running[-1])
    return deepest


def check_json_depth(text: str, where: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`FormatError` naming ``where`` (the file and the part of it) if ``text`` nests
    deeper than ``limit``."""
    depth = json_depth(text)
    if depth > limit:
        raise FormatError(f"{where} nests arrays and objects {depth} deep; at most {limit} is accepted")
