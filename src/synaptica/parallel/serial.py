"""The executor that runs every task at once, in this process."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Sequence

from synaptica.parallel.blas import blas_threads
from synaptica.parallel.tasks import decode, encode, resolve


class SerialExecutor:
    """Runs each task when it is submitted, in this process: no start-up, no copies to other processes.

    The payload still makes the round trip through its byte encoding, and the task computes with one
    BLAS thread, so it sees exactly what it would see in a worker (arrays as fresh copies, tuples as
    lists) and gives the same bits (a product split over two BLAS threads can round differently). An
    exception inside a task is raised again by the future as it is.
    """

    name = "serial"

    def __init__(self, workers: int = 1):
        if workers != 1:
            raise ValueError(f"the serial executor runs one task at a time (workers=1), got workers={workers}")
        self.workers = 1

    def submit(self, task: str, payload: dict, label: str | None = None) -> Future:
        future: Future = Future()
        try:
            with blas_threads(1):
                future.set_result(decode(encode(resolve(task)(decode(encode(payload))))))
        except Exception as error:  # handed back through the future, as the process executor does
            error.add_note(f"(raised by {label or task})")
            future.set_exception(error)
        return future

    def map(self, task: str, payloads: Sequence[dict]) -> list[dict]:
        return [self.submit(task, payload, f"{task} #{index}").result() for index, payload in enumerate(payloads)]

    def close(self) -> None:
        """Nothing to stop."""

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return "SerialExecutor()"
