"""Worker tasks for the executor tests (importable by spawned and Ray workers, as the library's own are)."""

import os
import signal
import time
from pathlib import Path

import numpy as np

from synaptica.parallel import worker_task


@worker_task
def product(payload: dict) -> dict:
    """Real float work with BLAS: tanh of a product of matrices drawn from the payload's seed."""
    rng = np.random.default_rng(payload["seed"])
    a = rng.standard_normal((64, 300)).astype(np.float32)
    w = payload["weights"] if "weights" in payload else rng.standard_normal((300, 50)).astype(np.float32)
    return {"out": np.tanh(a @ w), "seed": payload["seed"]}


@worker_task
def hold_then_product(payload: dict) -> dict:
    """Announce this process (a file named by its pid), wait for the test's go-ahead file, then compute."""
    directory = Path(payload["directory"])
    (directory / f"{payload['seed']}.{os.getpid()}.pid").write_text(str(os.getpid()))
    deadline = time.monotonic() + 60
    while not (directory / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return product(payload)


@worker_task
def die(payload: dict) -> dict:
    """Kill this worker process outright, every time."""
    os.kill(os.getpid(), signal.SIGKILL)
    return {}


@worker_task
def fail(payload: dict) -> dict:
    raise ValueError(f"bad value {payload['value']}")


def not_a_task(payload: dict) -> dict:
    return payload


@worker_task
def die_if_asked(payload: dict) -> dict:
    """Kill this worker when the payload says so, every time; compute otherwise."""
    if payload.get("die"):
        os.kill(os.getpid(), signal.SIGKILL)
    return product(payload)
