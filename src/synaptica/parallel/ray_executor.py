"""The executor that runs tasks on a Ray cluster: the only module that imports Ray (optional extra ``ray``)."""

from __future__ import annotations

import json
import os
from concurrent.futures import Future
from typing import Sequence

from synaptica.errors import WorkerError
from synaptica.parallel.process_pool import collect
from synaptica.parallel.tasks import decode, describe_failure, encode, rebuild_failure, run_task


def _ray(local: bool):
    """Import Ray; for a local cluster, first tell it to keep every server on the loopback address.

    On Linux Ray treats a machine as a possible cluster node and binds its servers to the node's
    network address even when asked for 127.0.0.1; ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` is Ray's
    own switch for a one-machine cluster on the loopback address. Ray reads it when first imported,
    so it is set before that import (unless the user set it); when Ray was imported earlier, the
    constant Ray derived from it is set instead.
    """
    if local:
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError:
        raise ModuleNotFoundError("the ray executor needs Ray: pip install 'synaptica[ray]'") from None
    if local and os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] == "0":
        from ray._private import ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = False
    return ray


class RayExecutor:
    """Tasks as Ray remote calls, each taking one CPU and computing with one BLAS thread.

    Without ``address`` it starts a local cluster of ``workers`` CPUs with every server on 127.0.0.1
    and no dashboard (a Ray cluster runs what it is sent, so nothing should listen beyond this
    machine; see :func:`_ray`) and shuts it down on :meth:`close`; with an address (``"auto"``, ``"ray://host:10001"``) it joins that cluster and
    leaves it running. Only the task's name and its payload bytes cross to the workers. When a
    worker process dies Ray runs its task again, up to ``max_attempts`` times in all, after which the
    task fails with a :class:`~synaptica.errors.WorkerError` naming it; an exception inside a task
    comes back as for the process executor, without a retry.
    """

    name = "ray"

    def __init__(self, workers: int, address: str | None = None, max_attempts: int = 3):
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"RayExecutor: workers must be an integer >= 1, got {workers!r}")
        ray = _ray(local=address is None)
        self.workers, self.max_attempts = workers, max_attempts
        self._started_cluster = False
        if not ray.is_initialized():
            if address is None:
                ray.init(num_cpus=workers, include_dashboard=False, _node_ip_address="127.0.0.1",
                         log_to_driver=False, configure_logging=False)
            else:
                ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
            self._started_cluster = True
        self._remote = ray.remote(num_cpus=1, max_retries=max_attempts - 1)(ray_task)
        self._ray = ray

    def submit(self, task: str, payload: dict, label: str | None = None) -> Future:
        label = label or task
        reference = self._remote.remote(task, encode(payload))
        future: Future = Future()

        def finished(raw: Future) -> None:
            error = raw.exception()
            if error is None:
                message = raw.result()
                if message[:1] == b"0":
                    future.set_result(decode(message[1:], f"the result of {label}"))
                else:
                    future.set_exception(rebuild_failure(label, json.loads(message[1:])))
            elif isinstance(error, (self._ray.exceptions.WorkerCrashedError, self._ray.exceptions.NodeDiedError)):
                future.set_exception(WorkerError(f"{label}: its Ray worker died {self.max_attempts} times; "
                                                 f"giving up on it ({type(error).__name__})"))
            else:
                future.set_exception(error)

        reference.future().add_done_callback(finished)
        return future

    def map(self, task: str, payloads: Sequence[dict]) -> list[dict]:
        return collect([self.submit(task, payload, f"{task} #{index}") for index, payload in enumerate(payloads)])

    def close(self) -> None:
        if self._started_cluster and self._ray.is_initialized():
            self._ray.shutdown()
        self._started_cluster = False

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RayExecutor(workers={self.workers})"


def ray_task(task: str, data: bytes) -> bytes:
    """What a Ray worker runs: the task with one BLAS thread; a failure travels back as data."""
    from synaptica.parallel.blas import blas_threads

    try:
        with blas_threads(1):
            return bytes(run_task(task, data, prefix=b"0"))
    except Exception as error:
        return b"1" + json.dumps(describe_failure(error)).encode("utf-8")
