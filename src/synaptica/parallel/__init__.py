"""Where work runs: one executor interface for evolution strategies' populations and the search's trials.

    with make_executor("process", workers=2) as executor:
        results = executor.map("synaptica.rules.evolution_strategies:evaluate_members", payloads)

Every executor has ``submit(task, payload) -> Future``, ``map(task, payloads) -> results`` in order,
``workers`` and ``close()``: :class:`SerialExecutor` (this process), :class:`ProcessExecutor` (spawned
worker processes on this machine) and ``RayExecutor`` (a Ray cluster, optional extra ``ray``). A task
is a function marked :func:`worker_task`; payloads and results are JSON values and NumPy arrays,
sent as safetensors bytes (:mod:`synaptica.parallel.tasks`), never pickles. Tasks compute with one
BLAS thread wherever they run, so the same payloads give bitwise the same results on every executor.
"""

from synaptica.parallel.process_pool import ProcessExecutor as ProcessExecutor
from synaptica.parallel.serial import SerialExecutor as SerialExecutor
from synaptica.parallel.tasks import task_name as task_name
from synaptica.parallel.tasks import worker_task as worker_task

#: the executors by name (``ray`` is imported only when chosen)
EXECUTORS = ("serial", "process", "ray")


def make_executor(name: str, workers: int = 1, address: str | None = None):
    """The executor called ``name`` with ``workers`` workers (``address``: a Ray cluster to join)."""
    if name == "serial":
        return SerialExecutor(workers)
    if name == "process":
        return ProcessExecutor(workers)
    if name == "ray":
        from synaptica.parallel.ray_executor import RayExecutor

        return RayExecutor(workers, address)
    raise ValueError(f"unknown executor {name!r}; choose from {list(EXECUTORS)}")
