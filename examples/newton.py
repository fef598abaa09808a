"""Seed 003's Hessian technique against gradient descent: how many steps to reach a target cost.

Two full-batch races, each rule starting from the same float64 weights:

(a) XOR: seed 000's 3-4-1 sigmoid network (no biases, its exact starting weights) on the summed
    quadratic cost ½ Σₓ ‖a − y‖² over the four examples. The damped Newton rule forms the 16×16
    Hessian densely. Against it: SGD with the seed's rate η = 1, and the best rates of a scan
    (plain η = 1, 2, 4, …, 128 and momentum μ = 0.9 with η = 0.5, 1, 2, 4, 8, 16; larger rates fail).
(b) The 8×8 handwritten digits (1,197 training images): a [64, 16, 10] sigmoid network with the
    log-likelihood cost, 1,210 parameters, so the Newton steps are solved by conjugate gradient from
    Hessian-vector products (Martens's Hessian-free method). Against it: gradient descent with the
    best rates of a scan (plain η = 0.5, 2, 4, 8, 16, 32; momentum 0.9 with η = 0.5, 1, 2, 4, 8).

A "step" is one call of the rule on the whole training set: one gradient for gradient descent,
one gradient plus Hessian-vector products (2 gradients each) and a forward pass per try for
damped Newton. So the table gives the steps to each target cost, and also the gradient evaluations
and the seconds spent until the last target was reached: fewer steps are not less work. BLAS is
held at one thread, so the numbers repeat exactly from run to run.

    python examples/newton.py                  # both races
    python examples/newton.py --problem xor    # only XOR (under a second)
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synaptica import Backprop, LogLikelihoodCost, QuadraticCost, SGD
from synaptica.data import load_dataset
from synaptica.nn import mlp
from synaptica.optim.hessian import hessian
from synaptica.rules import DampedNewton
from synaptica.train import evaluate
from synaptica.parallel.blas import blas_threads

sys.path.insert(0, str(Path(__file__).resolve().parent))
from xor import build_network  # noqa: E402  (seed 000's network and weights)

XOR_TARGETS = (1e-2, 1e-3)
DIGITS_TARGETS = (1e-1, 1e-2, 1e-3)


@dataclass
class Race:
    """What one rule needed: steps to each target (None if not reached), and the work until the last one."""

    rule: str
    steps: dict[float, int | None]
    gradients: int
    seconds: float
    final_cost: float
    test_accuracy: float | None = None


def race(name: str, model, rule, batch, targets, max_steps: int) -> Race:
    """Step ``rule`` on the full ``batch`` until the cost is below every target or ``max_steps`` pass.

    ``rule.step`` reports the cost before its update, so when step s reports C < target, s steps were
    enough; the gradients and seconds are counted over those s steps.
    """
    rule.bind(model, np.random.default_rng(0))
    steps: dict[float, int | None] = {target: None for target in targets}
    gradients, started, seconds, cost = 0, time.perf_counter(), 0.0, float("nan")
    for step in range(max_steps + 1):
        elapsed = time.perf_counter() - started
        metrics = rule.step(model, batch)
        cost = metrics["loss"]
        for target in targets:
            if steps[target] is None and cost < target:
                steps[target] = step
        if all(s is not None for s in steps.values()):
            seconds = elapsed
            break
        gradients += metrics.get("gradients", 1)
    else:
        seconds = time.perf_counter() - started
    return Race(name, steps, gradients, seconds, cost)


def print_table(races: list[Race], targets) -> None:
    accuracy = any(r.test_accuracy is not None for r in races)
    header = "".join(f"{f'C<{t:g} steps':>16}" for t in targets)
    print(f"  {'rule':<40}{header}{'gradients':>11}{'seconds':>9}" + (f"{'test acc.':>11}" if accuracy else ""))
    for r in races:
        cells = "".join(f"{'-' if r.steps[t] is None else r.steps[t]:>16}" for t in targets)
        line = f"  {r.rule:<40}{cells}{r.gradients:>11}{r.seconds:>9.2f}"
        print(line + (f"{r.test_accuracy:>11.3f}" if accuracy else ""))


def xor_race(max_steps: int = 5000) -> list[Race]:
    data = load_dataset("xor").train
    batch = (data.x.astype(np.float64), data.y.astype(np.float64))
    cost = QuadraticCost(reduction="sum")
    eigenvalues = np.linalg.eigvalsh(hessian(build_network(), cost, *batch))
    print("XOR: seed 000's 3-4-1 sigmoid network, ½ Σ (a − y)² over the 4 examples, full batch")
    print(f"  the Hessian at the start: 16×16, eigenvalues {eigenvalues[0]:.3g} … {eigenvalues[-1]:.3g} "
          f"({np.count_nonzero(eigenvalues < 0)} negative)")
    contenders = [
        ("damped Newton (dense H, λ₀ = 1)", lambda m: DampedNewton(cost, damping=1.0)),
        ("SGD η = 1 (seed 000's rate)", lambda m: Backprop(cost, SGD(m.parameters(), learning_rate=1.0))),
        ("SGD η = 16 (best of the scan)", lambda m: Backprop(cost, SGD(m.parameters(), learning_rate=16.0))),
        ("SGD η = 4, momentum 0.9 (best)", lambda m: Backprop(cost, SGD(m.parameters(), learning_rate=4.0,
                                                                        momentum=0.9))),
    ]
    races = []
    for name, make_rule in contenders:
        model = build_network()
        races.append(race(name, model, make_rule(model), batch, XOR_TARGETS, max_steps))
    print_table(races, XOR_TARGETS)
    return races


def digits_race(hidden: int = 16, max_steps: int = 6000) -> list[Race]:
    splits = load_dataset("digits")
    batch = (splits.train.x.astype(np.float64), splits.train.y)
    cost = LogLikelihoodCost()
    sizes = [64, hidden, 10]
    contenders = [
        ("damped Newton (CG on Hv, λ₀ = 1)", lambda m: DampedNewton(cost, damping=1.0)),
        ("gradient descent η = 8 (best)", lambda m: Backprop(cost, SGD(m.parameters(), learning_rate=8.0))),
        ("gradient descent η = 2, momentum 0.9", lambda m: Backprop(cost, SGD(m.parameters(), learning_rate=2.0,
                                                                              momentum=0.9))),
    ]
    n = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    print(f"8×8 digits: {sizes} sigmoid network ({n} parameters), log-likelihood cost, "
          f"full batch of {len(batch[0])} training images")
    races = []
    for name, make_rule in contenders:
        model = mlp(sizes, "sigmoid", output_activation=None, init="nielsen", rng=0, dtype=np.float64)
        result = race(name, model, make_rule(model), batch, DIGITS_TARGETS, max_steps)
        # accuracy on the 300 test images with the weights the race stopped at
        result.test_accuracy = evaluate(model, splits.test.x.astype(np.float64), splits.test.y).accuracy
        races.append(result)
    print_table(races, DIGITS_TARGETS)
    return races


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problem", choices=["xor", "digits", "both"], default="both")
    parser.add_argument("--hidden", type=int, default=16, help="hidden neurons of the digits network")
    args = parser.parse_args(argv)
    with blas_threads(1):
        if args.problem in ("xor", "both"):
            xor_race()
        if args.problem in ("digits", "both"):
            if args.problem == "both":
                print()
            digits_race(args.hidden)


if __name__ == "__main__":
    main()
