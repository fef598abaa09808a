"""The executor that runs tasks in worker processes on this machine, re-running those of a worker that dies."""

from __future__ import annotations

import json
import multiprocessing
import signal
import struct
import threading
from collections import deque
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_for_any
from typing import Sequence

from synaptica.errors import WorkerError
from synaptica.parallel.tasks import decode, describe_failure, encode, rebuild_failure, run_task


@dataclass
class _Job:
    task: str
    data: bytes | bytearray  # the message: the task's name (length first), then the encoded payload
    label: str
    future: Future = field(default_factory=Future)
    attempts: int = 0


@dataclass
class _Worker:
    process: multiprocessing.Process
    connection: Connection
    job: _Job | None = None
    ready: bool = False  # it has started and said so; only then does it get tasks


#: said when workers die before they are ready
_START_HINT = ("the worker processes exit before running anything: a script that starts an executor must keep "
               "its own work under `if __name__ == \"__main__\":`, since each spawned worker imports the main module")


class ProcessExecutor:
    """``workers`` processes (started with ``spawn``: fresh interpreters sharing no locks or BLAS threads
    with this one), each computing with one BLAS thread, kept for the executor's lifetime so that
    evolution strategies pay the start-up once, not every generation.

    A dispatching thread hands each queued task to an idle worker as bytes (the task's name and its
    encoded payload, :mod:`synaptica.parallel.tasks`) and reads the result back as bytes; nothing is
    pickled. It watches each worker process too: when one dies (killed, out of memory), a fresh one
    takes its place and the task it held is queued again, so the results are those an undisturbed
    run gives; only that task is charged an attempt. A task whose worker has died ``max_attempts``
    times fails with a :class:`~synaptica.errors.WorkerError` naming it. An exception raised *inside*
    a task is not a crash: it comes back at once, as the same library or built-in exception type
    (with the worker's traceback in a note), or as a :class:`~synaptica.errors.TaskError`.

    Attributes:
        restarts: how many worker processes have been started again after dying.
    """

    name = "process"

    def __init__(self, workers: int, max_attempts: int = 3):
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"ProcessExecutor: workers must be an integer >= 1, got {workers!r}")
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(f"ProcessExecutor: max_attempts must be an integer >= 1, got {max_attempts!r}")
        self.workers, self.max_attempts, self.restarts = workers, max_attempts, 0
        self._failed_starts = 0  # workers in a row that died before they were ready
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._wake_read, self._wake_write = self._context.Pipe(duplex=False)
        self._pool = [self._start_worker() for _ in range(workers)]
        self._closed = False
        self._thread = threading.Thread(target=self._dispatch, name="synaptica-process-executor", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ the caller's side
    def submit(self, task: str, payload: dict, label: str | None = None) -> Future:
        if self._closed:
            raise RuntimeError("ProcessExecutor: submit after close")
        name = task.encode("utf-8")
        job = _Job(task, encode(payload, prefix=struct.pack("<I", len(name)) + name), label or task)
        with self._lock:
            self._queue.append(job)
        self._hand_out()  # at once, when a worker is idle: no detour through the dispatching thread
        self._wake_write.send_bytes(b"!")
        return job.future

    def map(self, task: str, payloads: Sequence[dict]) -> list[dict]:
        return collect([self.submit(task, payload, f"{task} #{index}") for index, payload in enumerate(payloads)])

    def worker_pids(self) -> list[int]:
        """The process ids of the current workers."""
        return [worker.process.pid for worker in self._pool]

    def close(self) -> None:
        """Stop the workers; tasks not yet finished fail with RuntimeError."""
        if self._closed:
            return
        self._closed = True
        self._wake_write.send_bytes(b"!")
        self._thread.join()
        for worker in self._pool:
            worker.connection.close()  # the worker's loop ends at end-of-file
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        for job in [*self._queue, *(worker.job for worker in self._pool if worker.job)]:
            job.future.set_exception(RuntimeError(f"the executor was closed before {job.label} finished"))
        self._queue.clear()

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ProcessExecutor(workers={self.workers})"

    # ------------------------------------------------------------------ the dispatching thread
    def _start_worker(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=serve, args=(theirs,), daemon=True, name="synaptica-worker")
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def _dispatch(self) -> None:
        try:
            while not self._closed:
                self._hand_out()
                watched = [self._wake_read, *(w.connection for w in self._pool), *(w.process.sentinel for w in self._pool)]
                for ready in wait_for_any(watched):
                    if ready is self._wake_read:
                        while self._wake_read.poll():
                            self._wake_read.recv_bytes()
                        continue
                    worker = next((w for w in self._pool if ready in (w.connection, w.process.sentinel)), None)
                    if worker is None:  # a worker replaced earlier in this round
                        continue
                    if ready is worker.connection:
                        self._receive(worker)
                    elif ready == worker.process.sentinel:
                        self._replace(worker)
        except BaseException as error:  # never leave a caller waiting for ever
            for job in [*self._queue, *(w.job for w in self._pool if w.job)]:
                if not job.future.done():
                    job.future.set_exception(RuntimeError(f"the process executor failed: {error!r}"))
            raise

    def _hand_out(self) -> None:
        with self._lock:
            for worker in self._pool:
                if worker.ready and worker.job is None and self._queue:
                    job = self._queue.popleft()
                    worker.job = job
                    # the task's name, then its payload: sent from a thread of its own, so that every
                    # worker receives its megabytes at the same time instead of one after another
                    threading.Thread(target=_send, args=(worker.connection, job.data), daemon=True).start()

    def _receive(self, worker: _Worker) -> None:
        try:
            message = worker.connection.recv_bytes()
        except (EOFError, OSError):  # the worker died while answering: its sentinel says so next
            return
        if message == b"R":  # started: it may have tasks now
            worker.ready, self._failed_starts = True, 0
            return
        with self._lock:
            job, worker.job = worker.job, None
        if message[:1] == b"0":
            job.future.set_result(decode(memoryview(message)[1:], f"the result of {job.label}"))
        else:
            job.future.set_exception(rebuild_failure(job.label, json.loads(message[1:])))

    def _replace(self, worker: _Worker) -> None:
        """A worker process ended: start another in its place and queue its task again (or give up)."""
        worker.process.join()
        worker.connection.close()
        if not worker.ready:
            self._failed_starts += 1
        if self._failed_starts >= self.max_attempts * self.workers:  # they cannot even start: stop trying
            self._pool.remove(worker)
            for job in [*self._queue, *([worker.job] if worker.job else [])]:
                job.future.set_exception(WorkerError(f"{job.label}: {_START_HINT}"))
            self._queue.clear()
            return
        replacement = self._start_worker()
        with self._lock:
            self._pool[self._pool.index(worker)] = replacement
        self.restarts += 1
        job = worker.job
        if job is None:
            return
        job.attempts += 1
        if job.attempts >= self.max_attempts:
            job.future.set_exception(WorkerError(
                f"{job.label}: its worker process died {job.attempts} times (last exit code "
                f"{worker.process.exitcode}); giving up on it"))
            return
        with self._lock:
            self._queue.appendleft(job)


def _send(connection: Connection, message) -> None:
    try:
        connection.send_bytes(message)
    except OSError:  # the worker died meanwhile: the dispatcher sees it and queues the task again
        pass


def serve(connection: Connection) -> None:
    """A worker's loop: say it is ready, then read a task, run it with one BLAS thread, send the result;
    it ends when the executor closes its end of the pipe.

    A worker ignores SIGINT: Ctrl-C in a terminal reaches the whole process group, and it is the
    caller's to decide (finish the step, save a checkpoint, then close the executor)."""
    from synaptica.parallel.blas import blas_threads

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    with blas_threads(1):
        try:
            connection.send_bytes(b"R")
            while True:
                message = connection.recv_bytes()
                length = struct.unpack("<I", message[:4])[0]
                task, data = message[4:4 + length].decode("utf-8"), memoryview(message)[4 + length:]
                try:
                    reply = run_task(task, data, prefix=b"0")
                except Exception as error:
                    reply = b"1" + json.dumps(describe_failure(error)).encode("utf-8")
                connection.send_bytes(reply)
        except (EOFError, OSError):  # the executor closed (or went away): nothing more to do
            return


def collect(futures: list[Future]) -> list[dict]:
    """The results of ``futures`` in order; when a worker gave up on some, a WorkerError that keeps the
    results that did finish (``error.completed``, by index). Another task error is raised as it is."""
    wait(futures)
    failed = [index for index, future in enumerate(futures) if isinstance(future.exception(), WorkerError)]
    if failed:
        completed = {index: future.result() for index, future in enumerate(futures) if future.exception() is None}
        first = futures[failed[0]].exception()
        raise WorkerError(f"{first} ({len(failed)} of {len(futures)} tasks lost; the {len(completed)} finished "
                          "are in error.completed)", completed)
    return [future.result() for future in futures]
