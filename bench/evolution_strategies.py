"""Evolution strategies' generations per second on each executor, and what Ray costs beside a process pool.

    PYTHONPATH=src python bench/evolution_strategies.py                     # the default run
    PYTHONPATH=src python bench/evolution_strategies.py --generations 40 --population 100

One configuration, the command line's recipe: [784, 100, 10] tanh on Fashion-MNIST mini-batches of
500, 100 networks per generation (50 antithetic pairs), σ = 0.02, Adam. For each executor it builds
the same network from the same seed, runs a few generations to warm up (worker start-up, the shared
noise table, the first imports), then times ``--generations`` generations and reports generations
per second. The rows:

    in-process   the rule scores the population itself (no executor, no payload encoding)
    serial       the serial executor (the payload makes the round trip through its bytes)
    process 1    one spawned worker process
    process 2    two spawned worker processes, two slices of the population per generation
    ray 2        a local Ray cluster of two CPUs (with the ray extra)

and the ratios a user would ask for: process 2 / process 1 (how the pool scales on this machine's two
cores) and ray 2 / process 2 (Ray's overhead against the pool). The weights after the timed
generations are compared too: every executor must give the bitwise same ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402,F401  (puts src/ on the path when needed)

from synaptica import LogLikelihoodCost  # noqa: E402
from synaptica.data import load_dataset  # noqa: E402
from synaptica.nn import mlp  # noqa: E402
from synaptica.optim import Adam  # noqa: E402
from synaptica.parallel import make_executor  # noqa: E402
from synaptica.rules import EvolutionStrategies  # noqa: E402

ROWS = [("in-process", None, 1), ("serial", "serial", 1), ("process 1", "process", 1), ("process 2", "process", 2),
        ("ray 2", "ray", 2)]


def measure(executor, x, y, args) -> tuple[float, np.ndarray]:
    """Generations per second after the warm-up, and the weights at the end."""
    model = mlp([784, 100, 10], "tanh", init="xavier", rng=0)
    rule = EvolutionStrategies(LogLikelihoodCost(), Adam(model.parameters(), 0.01), population=args.population,
                               sigma=0.02, executor=executor)
    rule.bind(model, np.random.default_rng(1))
    batches = [(x[i * args.batch:(i + 1) * args.batch], y[i * args.batch:(i + 1) * args.batch])
               for i in range(args.warmup + args.generations)]
    for batch in batches[:args.warmup]:
        rule.step(model, batch)
    started = time.perf_counter()
    for batch in batches[args.warmup:]:
        rule.step(model, batch)
    seconds = time.perf_counter() - started
    return args.generations / seconds, np.concatenate([p.data.ravel() for p in model.parameters()])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generations", type=int, default=20, help="timed generations per executor")
    parser.add_argument("--warmup", type=int, default=3, help="generations run before timing")
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rows", default=",".join(name for name, *_ in ROWS),
                        help="which rows to run, comma-separated")
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    args = parser.parse_args(argv)

    train = load_dataset("fashion-mnist").train
    x, y = train.x, train.y
    wanted = args.rows.split(",")
    rates, weights = {}, {}
    for name, kind, workers in ROWS:
        if name not in wanted:
            continue
        if kind is None:
            rates[name], weights[name] = measure(None, x, y, args)
        else:
            with make_executor(kind, workers) as executor:
                rates[name], weights[name] = measure(executor, x, y, args)
        print(f"{name:<12} {rates[name]:6.2f} generations/s", flush=True)
    first = next(iter(weights.values()))
    same = all(np.array_equal(w, first) for w in weights.values())
    print(f"the same weights after {args.warmup + args.generations} generations on every executor: {same}")
    if "process 1" in rates and "process 2" in rates:
        print(f"process 2 / process 1: {rates['process 2'] / rates['process 1']:.2f}x generations/s")
    if "process 2" in rates and "ray 2" in rates:
        print(f"ray 2 / process 2:     {rates['ray 2'] / rates['process 2']:.2f}x generations/s")
    figures = {"generations_per_second": rates, "same_weights": same, "args": vars(args) | {"json": None}}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
