"""The BLAS thread policy used while training.

Measured on 2-core machines (docs/performance.md): for the small matrix products of mini-batch
SGD (e.g. (10, 784) × (784, 100)), a second OpenBLAS thread buys nothing when the machine is idle
and collapses throughput when the other core is busy, since the two threads wait on each other at
every product. On a machine with at most ``FEW_CORES`` cores the same collapse hits large batches
too (batch 128 MLPs 2.3× slower, batch-64 CNNs up to 20× slower when the other core is busy), while
an idle machine gains little from the second thread. Training therefore runs with one BLAS thread
when the batch is small (below ``SMALL_BATCH``) or the machine has few cores, and leaves BLAS alone
otherwise. Fixing the thread count also keeps results
bitwise reproducible (a GEMM's summation order can depend on it).

Inference (:func:`synaptica.train.predict`) parallelises the other way: whole batches run side by
side in threads of their own, one per core, each with one BLAS thread (:func:`inference_workers`).
A batch of 1000 images through a small CNN spends much of its time outside BLAS (im2col, pooling,
activations), which BLAS threads cannot share but batch-level threads can: on 2 cores, 8,834
images/s against 5,464 with two BLAS threads (docs/performance.md).

Thread control needs the optional ``threadpoolctl`` package (extra ``speed``); without it the
policy is skipped and BLAS uses its own default.
"""

from __future__ import annotations

import os
from contextlib import contextmanager, nullcontext
from typing import Iterator

SMALL_BATCH = 64
FEW_CORES = 2


def _threadpool_limits():
    """threadpoolctl's ``threadpool_limits``, or None when the optional package is missing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits


@contextmanager
def blas_threads(threads: int | None) -> Iterator[None]:
    """Limit BLAS to ``threads`` threads inside the block (None: leave it as it is)."""
    if threads is None:
        yield
        return
    threadpool_limits = _threadpool_limits()
    context = nullcontext() if threadpool_limits is None else threadpool_limits(limits=threads, user_api="blas")
    with context:
        yield


def usable_cores() -> int:
    """How many cores this process may run on (its CPU affinity where the system reports it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def training_threads(batch_size: int, requested: int | str | None = "auto") -> int | None:
    """The thread count :func:`~synaptica.train.fit` uses: 'auto' gives 1 below SMALL_BATCH or on a
    machine with at most FEW_CORES cores, else None (BLAS's own default)."""
    if requested == "auto":
        return 1 if batch_size < SMALL_BATCH or usable_cores() <= FEW_CORES else None
    return requested


def inference_workers(n_batches: int, requested: int | str = "auto") -> int:
    """How many batches :func:`~synaptica.train.predict` runs at once: 'auto' gives one per usable
    core (at most one per batch), or 1 when ``threadpoolctl`` is missing, since without it each
    thread's BLAS would start threads of its own and oversubscribe the cores; a number is taken as given."""
    if requested == "auto":
        return max(1, min(usable_cores(), n_batches)) if _threadpool_limits() is not None else 1
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
        raise ValueError(f"workers must be 'auto' or an integer >= 1, got {requested!r}")
    return requested
