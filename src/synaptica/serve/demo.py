"""``synaptica serve --demo``: a small Fashion-MNIST classifier, trained once and kept in the user cache.

A newcomer gets a page at once: the first call trains a fully connected network 784 → 128 → 10
(ReLU, He initialisation, softmax log-likelihood, SGD η = 0.1, mini-batches of 32, L2 λ = 0.5) for
:data:`EPOCHS` epochs on the 50,000 training images (about 0.87 test accuracy, well under a
minute), and writes it atomically to ``<cache>/demo/<DEMO_NAME>`` (``<cache>``: ``$SYNAPTICA_CACHE_DIR``
or ``~/.cache/synaptica``, as for the datasets). Later calls load that file. A file that does not load
(damaged, or from an incompatible version) is trained again and replaced.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


from synaptica.data import load_dataset
from synaptica.errors import FormatError
from synaptica.io import load_model, save_model
from synaptica.losses import get_cost
from synaptica.nn import mlp
from synaptica.optim import make_optimizer
from synaptica.random import stream
from synaptica.rules import make_rule
from synaptica.train import evaluate, fit

DEMO_NAME = "fashion-mnist-mlp-128.safetensors"
EPOCHS = 10
SEED = 0


def demo_path(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the demo model is kept."""
    root = cache_dir or os.environ.get("SYNAPTICA_CACHE_DIR") or "~/.cache/synaptica"
    return Path(root).expanduser() / "demo" / DEMO_NAME


def demo_model(cache_dir: str | os.PathLike[str] | None = None, out=None) -> Path:
    """The demo model's path, training and saving it first when it is not in the cache (see the module)."""
    out = sys.stdout if out is None else out
    path = demo_path(cache_dir)
    if path.is_file():
        try:
            load_model(path)
            return path
        except (FormatError, OSError, ValueError) as error:
            print(f"the cached demo model {path} does not load ({error}); training it again", file=out)
    splits = load_dataset("fashion-mnist")
    started = time.perf_counter()
    print(f"Training the demo model (784 → 128 → 10 on Fashion-MNIST, {EPOCHS} epochs) ...", file=out, flush=True)
    cost = get_cost("log-likelihood")
    model = mlp([784, 128, 10], "relu", init="he", rng=stream(SEED, "weights"))
    optimizer = make_optimizer("sgd", model.parameters(), 0.1, lmbda=0.5, n_examples=len(splits.train.x))
    fit(model, make_rule("backprop", cost, optimizer), (splits.train.x, splits.train.y), epochs=EPOCHS,
        batch_size=32, rng=stream(SEED, "shuffle"), verbose=False, progress=False)
    accuracy = evaluate(model, splits.test.x, splits.test.y).accuracy
    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(path, model, {"synaptica.cost": cost.name, "synaptica.dataset": "fashion-mnist",
                             "synaptica.test_accuracy": f"{accuracy:.4f}"})
    print(f"test accuracy {accuracy:.4f}, trained in {time.perf_counter() - started:.0f} s; saved {path}",
          file=out, flush=True)
    return path


__all__ = ["demo_model", "demo_path"]
