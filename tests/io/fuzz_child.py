"""The child process of the fuzz test: loads every file of a manifest, reports what happened.

Run as ``python -m tests.io.fuzz_child MANIFEST RESULTS``. Each file gets at most
:data:`LIMIT_S` seconds (``SIGALRM`` interrupts a reader that hangs); its outcome is ``loaded``
(with the digest of what was loaded), ``refused`` (a library error: its class is defined in
``synaptica.errors``), ``crashed`` (any other exception, with its traceback) or ``hung``. The
results end with this process's peak resident memory (:func:`peak_mb`).
"""

from __future__ import annotations

import json
import resource
import signal
import sys
import time
import traceback
from pathlib import Path

from synaptica.data import read_idx
from synaptica.io import load_model
from tests.io.fuzz_files import array_digest, model_digest

LIMIT_S = 60  # a reader that hangs never ends; a slow, loaded machine must not look like one


class Hung(BaseException):
    """Raised by the alarm; a BaseException, so no ``except Exception`` in a reader swallows it."""


def _alarm(signum, frame):
    raise Hung


def load(kind: str, path: Path) -> str:
    """The digest of what the file loads as."""
    if kind == "model":
        return model_digest(*load_model(path))
    return array_digest(read_idx(path))


def main(manifest: Path, results: Path) -> None:
    directory = manifest.parent
    signal.signal(signal.SIGALRM, _alarm)
    outcomes = []
    for case in json.loads(manifest.read_text()):
        outcome = {"file": case["file"]}
        start = time.perf_counter()
        signal.alarm(LIMIT_S)
        try:
            outcome.update(outcome="loaded", digest=load(case["kind"], directory / case["file"]))
        except Hung:
            outcome.update(outcome="hung")
        except Exception as error:  # noqa: BLE001 - the point is to see every kind
            library = type(error).__module__ == "synaptica.errors"
            outcome.update(outcome="refused" if library else "crashed", error=type(error).__name__,
                           message=str(error)[:300], traceback="" if library else traceback.format_exc()[-2000:])
        finally:
            signal.alarm(0)
        outcome["seconds"] = time.perf_counter() - start
        outcomes.append(outcome)
    results.write_text(json.dumps({"outcomes": outcomes, "peak_mb": peak_mb()}))


def peak_mb() -> float:
    """This process's peak resident memory in MiB: ``VmHWM`` where Linux has it, else ``ru_maxrss``.

    On Linux ``ru_maxrss`` survives ``execve``: a child started by a large pytest process reports
    the parent's peak as its own (seen: 811 MB for a child that used 50). ``VmHWM`` belongs to the
    address space the child got at ``execve``, so it counts this process's own memory only.
    """
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
