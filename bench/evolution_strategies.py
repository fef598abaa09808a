"""Evolution strategies' generations per second on each executor, and what Ray costs beside a process pool.

    PYTHONPATH=src python bench/evolution_strategies.py                     # the default run
    PYTHONPATH=src python bench/evolution_strategies.py --generations 40 --population 100

One configuration, the command line's recipe: [784, 100, 10] tanh on Fashion-MNIST mini-batches of
500, 100 networks per generation (50 antithetic pairs), σ = 0.02, Adam. For each executor it builds
the same network from the same seed and runs a few generations to warm up (worker start-up, the
shared noise table, the first imports); then it times blocks of ``--generations`` generations, one
block per executor in turn for ``--rounds`` rounds (so that the machine's drift hits every row
alike), and reports the median generations per second, with BLAS threads as ``fit`` sets them (one thread on a 2-core machine: a second
OpenBLAS thread in this process spins after each product and takes a core from the workers). The
rows:

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
from contextlib import ExitStack
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
from synaptica.parallel.blas import blas_threads, training_threads  # noqa: E402

ROWS = [("in-process", None, 1), ("serial", "serial", 1), ("process 1", "process", 1), ("process 2", "process", 2),
        ("ray 2", "ray", 2)]


class Run:
    """One network trained by one executor, generation after generation, timed in blocks."""

    def __init__(self, executor, x, y, args):
        self.model = mlp([784, 100, 10], "tanh", init="xavier", rng=0)
        self.rule = EvolutionStrategies(LogLikelihoodCost(), Adam(self.model.parameters(), 0.01),
                                        population=args.population, sigma=0.02, executor=executor)
        self.rule.bind(self.model, np.random.default_rng(1))
        self.x, self.y, self.batch, self.done = x, y, args.batch, 0

    def generations(self, count: int) -> float:
        """Run ``count`` generations; their wall time in seconds."""
        started = time.perf_counter()
        with blas_threads(training_threads(self.batch)):  # as fit runs the rule (one thread on two cores)
            for _ in range(count):
                rows = slice(self.done * self.batch, (self.done + 1) * self.batch)
                self.rule.step(self.model, (self.x[rows], self.y[rows]))
                self.done += 1
        return time.perf_counter() - started

    def weights(self) -> np.ndarray:
        return np.concatenate([p.data.ravel() for p in self.model.parameters()])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generations", type=int, default=10, help="generations per timed block")
    parser.add_argument("--rounds", type=int, default=5, help="timed blocks per executor, taken in turn")
    parser.add_argument("--warmup", type=int, default=3, help="generations run before timing")
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rows", default=",".join(name for name, *_ in ROWS),
                        help="which rows to run, comma-separated")
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    args = parser.parse_args(argv)

    train = load_dataset("fashion-mnist").train
    wanted = [row for row in ROWS if row[0] in args.rows.split(",")]
    with ExitStack() as stack:
        runs = {name: Run(stack.enter_context(make_executor(kind, workers)) if kind else None, train.x, train.y, args)
                for name, kind, workers in wanted}
        for run in runs.values():
            run.generations(args.warmup)  # worker start-up, the noise table, first imports
        seconds = {name: [] for name in runs}
        for _ in range(args.rounds):  # in turn, so that a drift of the machine's speed hits every row alike
            for name, run in runs.items():
                seconds[name].append(run.generations(args.generations))
        rates = {name: args.generations / float(np.median(times)) for name, times in seconds.items()}
        ratios = {}
        for top, bottom in [("process 2", "process 1"), ("ray 2", "process 2")]:
            if top in seconds and bottom in seconds:  # round by round, then the median
                ratios[f"{top} / {bottom}"] = float(np.median(np.array(seconds[bottom]) / np.array(seconds[top])))
        weights = {name: run.weights() for name, run in runs.items()}
    for name, rate in rates.items():
        print(f"{name:<12} {rate:6.2f} generations/s  (blocks: {', '.join(f'{args.generations / t:.2f}' for t in seconds[name])})")
    first = next(iter(weights.values()))
    same = all(np.array_equal(w, first) for w in weights.values())
    print(f"the same weights after {args.warmup + args.rounds * args.generations} generations on every executor: {same}")
    for name, ratio in ratios.items():
        print(f"{name}: {ratio:.2f}x generations/s (median of the rounds' ratios)")
    figures = {"generations_per_second": rates, "ratios": ratios, "same_weights": same,
               "args": {k: v for k, v in vars(args).items() if k != "json"}}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
