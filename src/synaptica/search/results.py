"""The results file: one JSON line per finished trial, appended the moment the trial ends.

Each line is a trial's record (see :func:`synaptica.search.trial.run_trial`), for example::

    {"trial": 3, "status": "ok", "params": {"eta": 0.3}, "validation_accuracy": 0.8125, ...}
    {"trial": 4, "status": "failed", "params": {"eta": 100.0}, "reason": "diverged: non-finite cost ...", ...}

A line is written whole, flushed and synced before the next trial's result is taken, so a search
stopped at any moment (Ctrl-C, a crash, a full machine) keeps every trial that finished. Reading
the file back gives the search's report again, or lets the search resume where it stopped. A last
line cut short by a crash mid-write (it has no newline) is not a record: reading skips it and
:meth:`ResultsFile.repair` removes it before new lines are appended.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from synaptica.errors import FormatError
from synaptica.io.atomic import appending

_REQUIRED = ("trial", "status", "params")


class ResultsFile:
    """A JSON-lines file of trial records at ``path`` (created on the first append)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def read(self) -> list[dict]:
        """Every complete record, in file order ([] when the file does not exist yet).

        Raises:
            FormatError: a complete line is not a JSON object with ``trial``, ``status`` and
                ``params``; the message names the file and the line.
        """
        if not self.path.exists():
            return []
        records = []
        text = self.path.read_text(encoding="utf-8")
        lines = text.split("\n")
        complete = lines[:-1]  # the part after the last newline is empty, or a torn line
        for number, line in enumerate(complete, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise FormatError(f"{self.path}, line {number}: not a JSON record ({error.msg})") from None
            if not isinstance(record, dict) or any(key not in record for key in _REQUIRED):
                raise FormatError(f"{self.path}, line {number}: a trial record needs the keys "
                                  f"{', '.join(_REQUIRED)}")
            records.append(record)
        return records

    def repair(self) -> bool:
        """Cut off a last line left without its newline by an interrupted write; True if one was."""
        if not self.path.exists():
            return False
        data = self.path.read_bytes()
        if not data or data.endswith(b"\n"):
            return False
        with open(self.path, "r+b") as f:
            f.truncate(data.rfind(b"\n") + 1)
        return True

    def append(self, record: dict) -> None:
        """Write one record as one line, and push it to the disk before returning."""
        line = json.dumps(record, allow_nan=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with appending(self.path) as f:
            f.write(line)
