"""Shared pieces of the benchmarks: data, the thread policy, and PyTorch twins of synaptica networks.

Nothing here is part of the library. PyTorch is a benchmark dependency only.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
from pathlib import Path

import numpy as np

try:
    import synaptica  # noqa: F401
except ImportError:  # run from a checkout without PYTHONPATH=src
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import synaptica  # noqa: F401

import torch
import torch.nn.functional as F
from torch import nn

from synaptica.data import load_dataset
from synaptica.nn import Linear, ReLU, Sigmoid, Tanh
from synaptica.parallel.blas import SMALL_BATCH, blas_threads, training_threads

#: torch's own default thread count, read before anything changes it
TORCH_DEFAULT_THREADS = torch.get_num_threads()


def median(values) -> float:
    return float(statistics.median(values)) if len(values) else float("nan")


def load(name: str = "fashion-mnist"):
    """The dataset's Splits (train 50000, validation 10000, test 10000 for the IDX datasets)."""
    return load_dataset(name)


# ---------------------------------------------------------------------------- threads
def blas_threads_now() -> int | None:
    """The thread count NumPy's BLAS would use right now (inside any threadpool_limits block, the
    limit; outside, its default)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"]
    return max(counts) if counts else None


def torch_training_threads(batch_size: int, forced: int | None) -> int:
    """PyTorch's thread count under the same policy fit uses (synaptica.parallel.blas.training_threads:
    one thread for small batches or few cores), else PyTorch's own default."""
    if forced is not None:
        return forced
    chosen = training_threads(batch_size, "auto")
    return TORCH_DEFAULT_THREADS if chosen is None else chosen


def inference_threads(forced: int | None) -> tuple[int | None, int]:
    """(NumPy BLAS, torch) thread counts for inference: the defaults unless forced."""
    if forced is not None:
        return forced, forced
    return blas_threads_now(), TORCH_DEFAULT_THREADS


def environment() -> dict:
    """Versions and machine facts for the JSON record."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "synaptica": getattr(synaptica, "__version__", "?"),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "blas_default_threads": blas_threads_now(),
        "torch_default_threads": TORCH_DEFAULT_THREADS,
        "small_batch": SMALL_BATCH,
        "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


# ---------------------------------------------------------------------------- torch twins
_TORCH_ACTIVATIONS = {Sigmoid: nn.Sigmoid, ReLU: nn.ReLU, Tanh: nn.Tanh}


def torch_twin(net) -> nn.Sequential:
    """A torch.nn.Sequential with the same layers and a copy of ``net``'s current weights."""
    layers = []
    for layer in net.layers:
        if isinstance(layer, Linear):
            twin = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None)
            with torch.no_grad():
                twin.weight.copy_(torch.from_numpy(np.array(layer.weight.data, dtype=np.float32)))
                if layer.bias is not None:
                    twin.bias.copy_(torch.from_numpy(np.array(layer.bias.data, dtype=np.float32)))
            layers.append(twin)
        elif type(layer) in _TORCH_ACTIVATIONS:
            layers.append(_TORCH_ACTIVATIONS[type(layer)]())
        else:
            raise TypeError(f"no torch twin for {layer!r}")
    return nn.Sequential(*layers)


def torch_loss(cost: str):
    """(loss_fn(output, target), needs_one_hot) matching synaptica's cost of that name (batch mean)."""
    if cost == "quadratic":  # ½‖a − y‖² per example, mean over the batch; a is the sigmoid output
        return (lambda a, t: 0.5 * ((a - t) ** 2).sum() / a.shape[0]), True
    if cost == "cross-entropy":  # sigmoid cross-entropy from logits, summed over units, batch mean
        return (lambda z, t: F.binary_cross_entropy_with_logits(z, t, reduction="sum") / z.shape[0]), True
    if cost == "log-likelihood":  # softmax log-likelihood from logits, batch mean
        return (lambda z, y: F.cross_entropy(z, y)), False
    raise ValueError(f"unknown cost {cost!r}")


def torch_sgd(model: nn.Module, eta: float, lmbda: float = 0.0, n_examples: int | None = None):
    """Plain SGD; with lmbda > 0 Nielsen's shrink w ← (1 − ηλ/n) w − η∇ on weights only, written as
    weight_decay = λ/n on a weights-only parameter group (w − η(∇ + (λ/n) w) is the same update)."""
    if not lmbda:
        return torch.optim.SGD(model.parameters(), lr=eta)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if not name.endswith("weight")]
    return torch.optim.SGD([
        {"params": weights, "weight_decay": lmbda / n_examples},
        {"params": biases, "weight_decay": 0.0},
    ], lr=eta)


def torch_adam(model: nn.Module, eta: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
               eps: float = 1e-8):
    """torch.optim.Adam (amsgrad=False, no weight decay), as synaptica.optim.Adam."""
    return torch.optim.Adam(model.parameters(), lr=eta, betas=betas, eps=eps)


class TorchTrainer:
    """The idiomatic PyTorch loop, one epoch per call: shuffle once (a pre-shuffled tensor), slice
    mini-batches, forward, loss, ``zero_grad``, ``backward``, ``step``.

    ``epoch()`` returns the epoch's wall seconds, shuffle included (as in synaptica's fit). The torch
    thread count is set to ``threads`` for the epoch and restored afterwards (outside the timing).
    """

    def __init__(self, model: nn.Module, optimizer, cost: str, x: np.ndarray, y: np.ndarray, *,
                 batch_size: int, threads: int, seed: int, n_classes: int = 10, track_loss: bool = False,
                 numpy_order: np.random.Generator | None = None):
        self.model, self.optimizer = model, optimizer
        self.loss_fn, self.one_hot = torch_loss(cost)
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.batch_size, self.threads, self.n_classes = batch_size, threads, n_classes
        self.generator = torch.Generator().manual_seed(seed)
        # numpy_order: draw each epoch's order from this NumPy Generator instead (np.random.default_rng(seed)
        # reproduces the order synaptica's fit(rng=seed) uses under backprop)
        self.numpy_order = numpy_order
        self.track_loss = track_loss
        self.last_loss = float("nan")
        self.mean_loss = float("nan")  # the epoch's mean mini-batch cost, when track_loss

    def epoch(self) -> float:
        import time

        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            model, optimizer, loss_fn, batch_size = self.model, self.optimizer, self.loss_fn, self.batch_size
            model.train()
            started = time.perf_counter()
            if self.numpy_order is None:
                order = torch.randperm(len(self.x), generator=self.generator)
            else:
                order = torch.from_numpy(self.numpy_order.permutation(len(self.x)))
            xs, ys = self.x[order], self.y[order]
            ts = F.one_hot(ys, self.n_classes).to(xs.dtype) if self.one_hot else ys
            total, track = 0.0, self.track_loss
            for start in range(0, len(xs), batch_size):
                xb, tb = xs[start:start + batch_size], ts[start:start + batch_size]
                loss = loss_fn(model(xb), tb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if track:
                    total += loss.item()
            seconds = time.perf_counter() - started
        finally:
            torch.set_num_threads(previous)
        self.last_loss = loss.item()
        if self.track_loss:
            self.mean_loss = total / -(-len(self.x) // self.batch_size)
        return seconds


    def epochs(self, k: int) -> list[float]:
        return [self.epoch() for _ in range(k)]


def time_inference(runs: dict, threads: int | None, repeats: int, settle: float, clock=None) -> dict[str, list[float]]:
    """Seconds per call of each inference function in ``runs`` (name -> callable), taking turns.

    Torch runs with ``inference_threads(threads)``'s count, BLAS under ``blas_threads(threads)``; each
    function is called once to warm up, then ``repeats`` times, with ``settle`` seconds of sleep
    before every call so the other library's idle threads go to sleep. ``clock``: time.perf_counter
    by default (wall time), or time.process_time (CPU seconds, for a shared machine).
    """
    import time

    clock = clock or time.perf_counter
    _, torch_threads = inference_threads(threads)
    times: dict[str, list[float]] = {name: [] for name in runs}
    previous = torch.get_num_threads()
    torch.set_num_threads(torch_threads)
    try:
        with blas_threads(threads):
            for run in runs.values():
                run()  # warm-up
            for _ in range(repeats):
                for name, run in runs.items():
                    time.sleep(settle)
                    started = clock()
                    run()
                    times[name].append(clock() - started)
    finally:
        torch.set_num_threads(previous)
    return times


def torch_predict(model: nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    model.eval()
    with torch.inference_mode():
        out = torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    model.train()
    return out


def torch_accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    out = torch_predict(model, torch.from_numpy(x))
    return float((out.argmax(dim=1).numpy() == y).mean())
