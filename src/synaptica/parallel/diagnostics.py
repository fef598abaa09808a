"""Tasks for checking an executor: a known computation, one that waits for a signal, one that crashes.

Run them to see that a cluster gives the numbers this process gives and survives a worker dying:

    with make_executor("ray", 2) as executor:
        results = executor.map(task_name(product), [{"seed": s} for s in range(4)])

The library's tests run them on every executor.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np

from synaptica.parallel.tasks import worker_task


@worker_task
def product(payload: dict) -> dict:
    """tanh(A W) for a (64, 300) A drawn from ``seed`` and W given as ``weights`` (else drawn too):
    real float work through BLAS, the same bits wherever it runs with one BLAS thread."""
    rng = np.random.default_rng(payload["seed"])
    a = rng.standard_normal((64, 300)).astype(np.float32)
    w = payload["weights"] if "weights" in payload else rng.standard_normal((300, 50)).astype(np.float32)
    return {"out": np.tanh(a @ w), "seed": payload["seed"]}


@worker_task
def hold_then_product(payload: dict) -> dict:
    """Write ``<seed>.<pid>.pid`` into ``directory``, wait (up to a minute) until a file ``go`` appears
    there, then compute :func:`product`: a task that is certainly running when a test kills its worker."""
    directory = Path(payload["directory"])
    (directory / f"{payload['seed']}.{os.getpid()}.pid").write_text(str(os.getpid()))
    deadline = time.monotonic() + 60
    while not (directory / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return product(payload)


@worker_task
def die_if_asked(payload: dict) -> dict:
    """Kill this worker process outright (SIGKILL) when ``die`` is true, every time; else :func:`product`."""
    if payload.get("die"):
        os.kill(os.getpid(), signal.SIGKILL)
    return product(payload)


@worker_task
def fail(payload: dict) -> dict:
    """Raise ValueError: an error inside a task, which is not a crash of its worker."""
    raise ValueError(f"bad value {payload['value']}")


#: the diagnostic tasks, for the registry of :func:`synaptica.parallel.tasks.known_tasks`
TASKS = (product, hold_then_product, die_if_asked, fail)
