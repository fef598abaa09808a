"""The BLAS thread policy used while training.

Measured on 2-core machines (docs/performance.md): for the small matrix products of mini-batch
SGD (e.g. (10, 784) × (784, 100)), a second OpenBLAS thread buys nothing when the machine is idle
and collapses throughput when the other core is busy, since the two threads wait on each other at
every product. Training therefore runs with one BLAS thread when the batch is small (below
``SMALL_BATCH``), and leaves BLAS alone otherwise. Fixing the thread count also keeps results
bitwise reproducible (a GEMM's summation order can depend on it).

Thread control needs the optional ``threadpoolctl`` package (extra ``speed``); without it the
policy is skipped and BLAS uses its own default.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import Iterator

SMALL_BATCH = 64


@contextmanager
def blas_threads(threads: int | None) -> Iterator[None]:
    """Limit BLAS to ``threads`` threads inside the block (None: leave it as it is)."""
    if threads is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional dependency
        context = nullcontext()
    else:
        context = threadpool_limits(limits=threads, user_api="blas")
    with context:
        yield


def training_threads(batch_size: int, requested: int | str | None = "auto") -> int | None:
    """The thread count :func:`~synaptica.train.fit` uses: 'auto' gives 1 below SMALL_BATCH, else None."""
    if requested == "auto":
        return 1 if batch_size < SMALL_BATCH else None
    return requested
