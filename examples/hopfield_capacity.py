"""The capacity of a Hopfield network: how recall breaks down as more random patterns are stored.

    python examples/hopfield_capacity.py                           # N = 100, 200, 500, 1000
    python examples/hopfield_capacity.py --sizes 100 --loads 0.05,0.1,0.15,0.2 --out capacity.png

For each network size N and load α = p/N, p random ±1 patterns are stored by the Hebbian rule
(:class:`synaptica.models.Hopfield`) and each is recalled asynchronously from itself. Two errors are
measured over at least ``--recalls`` recalled patterns per point: the mean fraction of bits wrong in
the state recall ends in, and the fraction of patterns *not* recalled within 2 % wrong bits.

The theory (Amit, Gutfreund and Sompolinsky 1985, N → ∞) says the retrieval states exist up to
α_c ≈ 0.138, where they still carry (1 − m)/2 ≈ 1.6 % wrong bits (overlap m ≈ 0.967), and vanish
above it: the error jumps. The example reports as the *measured capacity* the load at which the mean
fraction of wrong bits crosses that 1.6 % (linear interpolation between the loads measured), and
compares it with 0.138. At finite N the jump is smeared, more so for small N.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from synaptica.models import Hopfield
from synaptica.random import stream

THEORY = 0.138
WRONG_BITS_AT_CAPACITY = 0.016  # (1 − m)/2 with m = 0.967, the retrieval state's overlap at α_c
TOLERANCE = 0.02  # a pattern counts as recalled with at most this fraction of its bits wrong


def measure(n: int, load: float, recalls: int, seed: int) -> dict:
    """Store p = round(load·N) random patterns in fresh networks until ``recalls`` patterns were recalled."""
    p = max(1, round(load * n))
    patterns_rng, order_rng = stream(seed, f"patterns N={n} p={p}"), stream(seed, f"order N={n} p={p}")
    wrong = []
    for _ in range(math.ceil(recalls / p)):
        patterns = np.where(patterns_rng.random((p, n)) < 0.5, -1.0, 1.0)
        states = Hopfield(rng=order_rng).store(patterns).recall(patterns).states
        wrong.extend((states != patterns).mean(axis=1))
    wrong = np.array(wrong)
    return {"n": n, "p": p, "load": p / n, "bits_wrong": float(wrong.mean()),
            "not_recalled": float(np.mean(wrong > TOLERANCE))}


def capacity(rows: list[dict]) -> float:
    """The load where the mean fraction of wrong bits first crosses 1.6 % (NaN if it never does)."""
    for before, after in zip(rows, rows[1:]):
        if before["bits_wrong"] <= WRONG_BITS_AT_CAPACITY < after["bits_wrong"]:
            share = (WRONG_BITS_AT_CAPACITY - before["bits_wrong"]) / (after["bits_wrong"] - before["bits_wrong"])
            return before["load"] + share * (after["load"] - before["load"])
    return float("nan")


def draw(results: dict[int, list[dict]], path: str) -> None:
    from synaptica.viz.figure import new_figure, save_png

    figure = new_figure(11.0, 4.2)
    bits_axes, patterns_axes = figure.subplots(1, 2)
    for n, rows in results.items():
        loads = [r["load"] for r in rows]
        bits_axes.plot(loads, [r["bits_wrong"] for r in rows], marker=".", label=f"N = {n}")
        patterns_axes.plot(loads, [r["not_recalled"] for r in rows], marker=".", label=f"N = {n}")
    bits_axes.axhline(WRONG_BITS_AT_CAPACITY, color="grey", linewidth=0.8, linestyle=":")
    bits_axes.set(title="Mean fraction of bits wrong after recall", xlabel="stored patterns p / N", ylabel="fraction")
    patterns_axes.set(title=f"Patterns not recalled within {TOLERANCE:.0%} wrong bits", xlabel="stored patterns p / N",
                      ylabel="fraction")
    for axes in (bits_axes, patterns_axes):
        axes.axvline(THEORY, color="black", linewidth=0.8, linestyle="--", label="0.138 (theory)")
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=7)
    figure.suptitle("Hopfield network capacity: random ±1 patterns, Hebbian storage, asynchronous recall",
                    fontsize=10)
    save_png(figure, path)


def main(argv=None) -> dict[int, list[dict]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,200,500,1000", help="network sizes N, comma-separated")
    parser.add_argument("--loads", default=",".join(f"{a:.2f}" for a in np.arange(0.04, 0.301, 0.02)),
                        help="loads p/N, comma-separated, increasing")
    parser.add_argument("--recalls", type=int, default=400, help="recalled patterns per point, at least")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="hopfield_capacity.png", help="the PNG figure")
    args = parser.parse_args(argv)

    results = {}
    for n in (int(size) for size in args.sizes.split(",")):
        started = time.perf_counter()
        results[n] = [measure(n, float(load), args.recalls, args.seed) for load in args.loads.split(",")]
        for row in results[n]:
            print(f"N = {n:5d}  p = {row['p']:4d}  p/N = {row['load']:.3f}  bits wrong {row['bits_wrong']:.4f}  "
                  f"not recalled {row['not_recalled']:.3f}")
        measured = capacity(results[n])
        print(f"N = {n}: capacity (mean wrong bits cross {WRONG_BITS_AT_CAPACITY:.1%}) p/N = {measured:.3f}, "
              f"{measured / THEORY - 1:+.0%} from {THEORY} ({time.perf_counter() - started:.0f} s)\n")
    draw(results, args.out)
    print(f"Wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
