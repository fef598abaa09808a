"""Instructions per training step, counted by valgrind's callgrind: synaptica against the NumPy floor.

On a shared virtual machine the wall time of one step scatters by ±30 % from hour to hour, so a
change of a few per cent to the engine cannot be seen in seconds. The number of machine instructions
a step executes hardly scatters (repeated runs agree to about 0.5k instructions, unless a garbage
collection falls into only one of the two runs, which adds some 15k to the Python row: run twice
when a row looks off): this script counts them, and splits them by where they run.

    PYTHONPATH=src python bench/step_instructions.py --config a
    PYTHONPATH=src python bench/step_instructions.py --config b --steps 100,600 --data DIR

For each implementation (synaptica's ``fit`` with ``Backprop`` and ``SGD``; the hand-written loop of
bench/numpy_floor.py) it runs a fresh Python under ``valgrind --tool=callgrind`` twice, training one
epoch over the first 10·k₁ and then 10·k₂ training images (k₁ < k₂ steps of batch 10), and reads the
counts with ``callgrind_annotate``. Start-up, imports and loading the data are the same in both runs,
so (count₂ − count₁) / (k₂ − k₁) is what one step costs, shuffling and gathering included. Each
count is split by the library it runs in:

    Python    the interpreter (libpython): the engine's modules, op records, backward walk, optimizer loop
    NumPy     NumPy's C code: dispatching each call, allocating arrays, the element-wise loops
    BLAS      OpenBLAS: the matrix products, and zeroing their outputs
    C library malloc, memset, libm
    other     the rest: C modules such as heapq and math, the random-number generator

Needs valgrind (``apt-get install valgrind``; ``scripts/setup.sh dev`` installs it). Valgrind does
not know AVX-512 instructions, so when ``OPENBLAS_CORETYPE`` asks for an AVX-512 kernel (SkylakeX,
Cooperlake, SapphireRapids) the counted runs use OpenBLAS's Haswell (AVX2) kernels instead. It takes a few
minutes: callgrind runs Python about 50 times slower.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

CONFIGS = {"a": [784, 30, 10], "b": [784, 100, 10]}
IMPLEMENTATIONS = ("synaptica", "numpy floor")
PARTS = ("Python", "NumPy", "BLAS", "C library", "other")
ETA, BATCH, SEED = 3.0, 10, 0


#: OpenBLAS kernels that use AVX-512, which valgrind cannot run
AVX512_KERNELS = ("skylakex", "cooperlake", "sapphirerapids")


def library_of(object_path: str) -> str:
    """The part of :data:`PARTS` that a shared object (as callgrind names it) belongs to."""
    name = object_path.rsplit("/", 1)[-1]
    if name.startswith("libpython") or name == "python" or name.startswith("python3"):
        return "Python"
    if "openblas" in name:
        return "BLAS"
    if "/numpy/_core/" in object_path or "/numpy/core/" in object_path:
        return "NumPy"
    if name.startswith(("libc.", "libc-", "libm.", "libm-", "ld-linux")):
        return "C library"
    return "other"


def instructions_by_library(callgrind_file: Path) -> Counter:
    """Instructions (Ir) per part, summed over every function of a callgrind output file."""
    listing = subprocess.run(["callgrind_annotate", "--inclusive=no", "--auto=no", "--threshold=100",
                              str(callgrind_file)], capture_output=True, text=True, check=True).stdout
    parts: Counter = Counter()
    for line in listing.splitlines():
        match = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*\S)\s*$", line)
        if not match or match.group(2).startswith("PROGRAM TOTALS"):
            continue
        where = re.search(r"\[(.*)\]$", match.group(2))
        parts[library_of(where.group(1) if where else "")] += int(match.group(1).replace(",", ""))
    return parts


def count_run(implementation: str, config: str, steps: int, data: str, workdir: Path) -> Counter:
    """Run one worker under callgrind and return its instructions per part."""
    out = workdir / f"callgrind.{implementation.replace(' ', '_')}.{steps}"
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
               "--worker", implementation, "--config", config, "--steps", str(steps), "--data", data]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    if env.get("OPENBLAS_CORETYPE", "").lower() in AVX512_KERNELS:  # valgrind cannot run them (SIGILL)
        env["OPENBLAS_CORETYPE"] = "Haswell"
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise SystemExit(f"step_instructions: the {implementation} worker failed under valgrind:\n{result.stderr[-3000:]}")
    return instructions_by_library(out)


def per_step(implementation: str, config: str, steps: tuple[int, int], data: str, workdir: Path) -> dict[str, float]:
    """Instructions per step and part: the difference of two runs of k₁ and k₂ steps over k₂ − k₁."""
    short, long = (count_run(implementation, config, k, data, workdir) for k in steps)
    return {part: (long[part] - short[part]) / (steps[1] - steps[0]) for part in PARTS}


def worker(implementation: str, config: str, steps: int, data: str) -> None:
    """One epoch of ``steps`` mini-batches of 10, as bench/mlp.py trains them."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from numpy_floor import NumpyTrainer

    from synaptica import SGD, Backprop, fit
    from synaptica.data import load_dataset
    from synaptica.losses import get_cost
    from synaptica.nn import Linear, mlp

    train = load_dataset(data).train
    x, y = train.x[:steps * BATCH], train.y[:steps * BATCH]
    if len(x) < steps * BATCH:
        raise SystemExit(f"step_instructions: {data} has {len(train.x)} training images, fewer than {steps} batches of {BATCH}")
    net = mlp(CONFIGS[config], "sigmoid", output_activation="sigmoid", init="large", rng=SEED)
    if implementation == "synaptica":
        rule = Backprop(get_cost("quadratic"), SGD(net.parameters(), learning_rate=ETA))
        fit(net, rule, (x, y), epochs=1, batch_size=BATCH, rng=SEED, verbose=False, progress=False, blas=1)
    else:
        layers = [layer for layer in net.layers if isinstance(layer, Linear)]
        NumpyTrainer([layer.weight.data for layer in layers], [layer.bias.data for layer in layers], x, y,
                     batch_size=BATCH, eta=ETA, seed=SEED, threads=1).epoch()


def print_table(config: str, counts: dict[str, dict[str, float]]) -> None:
    print(f"({config}) {CONFIGS[config]} sigmoid, quadratic cost, SGD η={ETA}, batch {BATCH}: "
          "thousands of instructions per step")
    print(f"{'part':<12}" + "".join(f"{name:>14}" for name in IMPLEMENTATIONS) + f"{'difference':>14}")
    totals = [sum(c.values()) for c in counts.values()]
    for part in (*PARTS, "total"):
        values = totals if part == "total" else [c[part] for c in counts.values()]
        print(f"{part:<12}" + "".join(f"{v / 1000:>14.1f}" for v in values) + f"{(values[0] - values[1]) / 1000:>+14.1f}")
    print(f"synaptica / floor: {totals[0] / totals[1]:.2f}x the instructions")


def main(argv=None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--config", choices=list(CONFIGS), default="a")
    parser.add_argument("--steps", default="100,600", help="k₁,k₂: the two run lengths in steps (default 100,600)")
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--worker", choices=IMPLEMENTATIONS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        steps = tuple(int(k) for k in args.steps.split(","))
    except ValueError:
        parser.error(f"--steps must be two integers k1,k2, got {args.steps!r}")
    if args.worker:
        worker(args.worker, args.config, steps[0], args.data)
        return {}
    if len(steps) != 2 or not 0 < steps[0] < steps[1]:
        parser.error(f"--steps must be two integers 0 < k1 < k2, got {args.steps!r}")
    for tool in ("valgrind", "callgrind_annotate"):
        if shutil.which(tool) is None:
            raise SystemExit(f"step_instructions: {tool} is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as workdir:
        counts = {name: per_step(name, args.config, steps, args.data, Path(workdir)) for name in IMPLEMENTATIONS}
    print_table(args.config, counts)
    return counts


if __name__ == "__main__":
    main()
