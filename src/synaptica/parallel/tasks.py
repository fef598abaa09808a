"""Worker tasks and their payloads: what may run in another process, and how its data travels.

A *task* is a module-level function marked with :func:`worker_task`, taking one payload dict and
returning one dict, named by its import path ``"package.module:function"``. A worker looks the name
up in a closed registry, :func:`known_tasks`, derived from the library's task functions (evolution
strategies' fitness, a search trial, the diagnostics); nothing is imported or called by a name that
is not there, whatever a payload says.

Payloads and results hold JSON values (str, int, float, bool, None, lists, dicts) and NumPy arrays
at their top level. They travel as bytes in the safetensors format: the arrays as tensors, the rest
as JSON in the header's metadata. Decoding them never executes code (no pickle), whatever process
or machine the bytes came from, so a worker receives architecture JSON, flat parameter vectors,
seeds and mini-batches, never a pickled model.
"""

from __future__ import annotations

import json
import traceback
from typing import Any, Callable

import numpy as np

from synaptica.io.safetensors_format import tensors_from_bytes, tensors_to_bytes

#: the metadata key that holds a payload's JSON part
JSON_KEY = "synaptica.payload"
_MARK = "__synaptica_worker_task__"

#: exception types a failed task is raised as again in the caller's process (by name, from this closed
#: list); any other becomes a :class:`synaptica.errors.TaskError` carrying the worker's traceback
_REBUILT = ("DataError", "FormatError", "ShapeError", "NonFiniteError", "UnsafeFileError", "ValueError",
            "TypeError", "KeyError", "IndexError", "RuntimeError", "MemoryError", "FloatingPointError",
            "ZeroDivisionError", "FileNotFoundError", "NotImplementedError")


def worker_task(function: Callable[[dict], dict]) -> Callable[[dict], dict]:
    """Mark ``function`` (a module-level ``payload -> result`` function) as runnable by executors."""
    setattr(function, _MARK, True)
    return function


def task_name(function: Callable) -> str:
    """The ``"module:function"`` path that names a marked function."""
    if not getattr(function, _MARK, False):
        raise ValueError(f"{function!r} is not a worker task: mark it with @worker_task")
    return f"{function.__module__}:{function.__qualname__}"


def known_tasks() -> dict[str, Callable[[dict], dict]]:
    """The closed registry of tasks a worker may run, by name: built from the functions themselves."""
    from synaptica.parallel import diagnostics
    from synaptica.rules.evolution_strategies import evaluate_members
    from synaptica.search.trial import trial_task

    return {task_name(function): function for function in (evaluate_members, trial_task, *diagnostics.TASKS)}


def resolve(task: str) -> Callable[[dict], dict]:
    """The task called ``task``; ValueError naming the known ones for anything else."""
    tasks = known_tasks()
    if task not in tasks:
        raise ValueError(f"{task!r} is not a known worker task; the tasks are {sorted(tasks)}")
    return tasks[task]


def encode(payload: dict[str, Any], prefix: bytes = b"") -> bytearray:
    """A payload (or result) as safetensors bytes: arrays as tensors, the rest as JSON metadata, after
    ``prefix`` (the process executor's message header)."""
    if not isinstance(payload, dict):
        raise TypeError(f"a task's payload and result must be dicts, got {type(payload).__name__}")
    arrays = {key: value for key, value in payload.items() if isinstance(value, np.ndarray)}
    rest = {key: _plain(key, value) for key, value in payload.items() if key not in arrays}
    return tensors_to_bytes(arrays, {JSON_KEY: json.dumps(rest, allow_nan=True)}, prefix)


def decode(data: bytes, source: str = "a task's payload") -> dict[str, Any]:
    """The dict :func:`encode` made."""
    arrays, metadata = tensors_from_bytes(data, source)
    rest = json.loads(metadata.get(JSON_KEY, "{}"))
    return {**rest, **arrays}


def run_task(task: str, data: bytes, prefix: bytes = b"") -> bytearray:
    """Decode a payload, run the task on it, encode its result (after ``prefix``): what every worker does.

    NumPy's floating-point warnings are off inside a task: an overflow shows in the result (a member
    of a population whose cost is infinite is ranked last), and a worker's stderr would otherwise
    print warnings to a user in place of the caller's own message."""
    with np.errstate(all="ignore"):
        return encode(resolve(task)(decode(data)), prefix)


def describe_failure(error: BaseException) -> dict:
    """What travels back when a task raised: its type's name, message and the traceback text."""
    return {"type": type(error).__name__, "message": str(error),
            "traceback": "".join(traceback.format_exception(error))}


def rebuild_failure(task: str, failure: dict) -> BaseException:
    """The exception to raise in the caller for a task that failed in a worker (see :data:`_REBUILT`)."""
    import builtins

    from synaptica import errors

    kind = failure.get("type", "")
    message = failure.get("message", "")
    if kind in _REBUILT:
        error = (getattr(errors, kind, None) or getattr(builtins, kind))(message)
    else:
        error = errors.TaskError(f"{task} raised {kind}: {message}")
    error.add_note(f"(raised by the task {task} in a worker; its traceback:)\n{failure.get('traceback', '')}")
    return error


def _plain(key: str, value: Any) -> Any:
    """``value`` as JSON-ready Python (NumPy scalars become numbers), or TypeError naming ``key``."""
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(key, item) for item in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _plain(key, v) for k, v in value.items()}
    raise TypeError(f"a task's payload holds JSON values and NumPy arrays; {key!r} is {type(value).__name__}")
