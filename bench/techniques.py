"""What each technique adds to Nielsen's network2, one at a time, in synaptica and in PyTorch.

The baseline is examples/network2.py: [784, 100, 10] sigmoid, the cross-entropy cost, L2 λ = 5,
η = 0.5, mini-batches of 10, weights N(0, 1/n_in), the last epoch's weights tested. Every other row
changes one thing (ROWS below says what and, where a rate had to change with it, why). Each run
trains for a fixed number of epochs (default 10) and prints one line:

    row=momentum seed=0 library=synaptica epochs=10 test=0.8612 seconds=95.1

    OPENBLAS_NUM_THREADS=1 python bench/techniques.py --row baseline --seed 0
    OPENBLAS_NUM_THREADS=1 python bench/techniques.py --row dropout --seed 1 --torch --out results.txt
    python bench/techniques.py --list

The PyTorch twin starts from the same initial weights (copied), draws its mini-batches in its own
order, and uses the same one-pixel shifts (synaptica's Augment on the NumPy batch) where a row asks
for them. PyTorch is a benchmark dependency only.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import torch_loss  # noqa: E402  (also puts src/ on the path when run from a checkout)

from synaptica import Backprop, CrossEntropyCost  # noqa: E402
from synaptica.data import load_dataset  # noqa: E402
from synaptica.data.augment import Augment, Shift  # noqa: E402
from synaptica.nn import BatchNorm1d, Dropout, Ensemble, Linear, mlp  # noqa: E402
from synaptica.optim import L1, L2, SGD, Adam, MaxNorm  # noqa: E402
from synaptica.train import evaluate, fit  # noqa: E402
from synaptica.train.callbacks import HalveOnPlateau  # noqa: E402

BASELINE = {"activation": "sigmoid", "init": "nielsen", "optimizer": "sgd", "eta": 0.5, "momentum": 0.0,
            "lmbda": 5.0, "l1": 0.0, "max_norm": None, "dropout": 0.0, "batch_norm": False, "halve_patience": None,
            "early_stop_patience": None, "shift": 0, "members": 1, "batch_size": 10}

#: row name -> (what changes from the baseline, and why where a value had to be chosen)
ROWS = {
    "baseline": ({}, "network2.py as it is"),
    "momentum": ({"momentum": 0.9, "eta": 0.05},
                 "heavy-ball momentum μ = 0.9; η = 0.05 keeps the step size η/(1 − μ) = 0.5"),
    "adam": ({"optimizer": "adam", "eta": 1e-3}, "Adam η = 0.001 in place of SGD, L2 λ = 5 kept as a penalty"),
    "relu": ({"activation": "relu", "init": "he", "eta": 0.1},
             "ReLU hidden units with He's N(0, 2/n_in), η = 0.1 (the rate of synaptica's ReLU defaults)"),
    "dropout": ({"dropout": 0.2}, "dropout p = 0.2 after the hidden layer"),
    "l1": ({"l1": 5.0, "lmbda": 0.0}, "L1 λ = 5 in place of L2 λ = 5"),
    "max-norm": ({"max_norm": 2.0}, "each hidden unit's incoming weights capped at norm 2"),
    "batch-norm": ({"batch_norm": True}, "BatchNorm1d between the hidden Linear and its sigmoid"),
    "halving": ({"halve_patience": 2},
                "Nielsen's schedule: halve η after 2 epochs without a better validation accuracy "
                "(his n = 10 scaled to the 10-epoch budget)"),
    "early-stopping": ({"early_stop_patience": 3},
                       "stop after 3 epochs without a better validation accuracy, restore the best epoch"),
    "shift": ({"shift": 1}, "every training image shifted by −1, 0 or +1 pixel each way as drawn"),
    "ensemble": ({"members": 3}, "average of 3 baseline networks' probabilities (seeds s, s+100, s+200)"),
}


def settings(row: str) -> dict:
    return {**BASELINE, **ROWS[row][0]}


def build(spec: dict, seed: int):
    """The baseline network [784, 100, 10] with the row's change (logits out: the cost applies σ)."""
    return mlp([784, 100, 10], spec["activation"], init=spec["init"], rng=seed, dropout=spec["dropout"],
               batch_norm=spec["batch_norm"])


def synaptica_member(spec: dict, seed: int, splits, epochs: int):
    train, validation = splits.train, splits.validation
    net = build(spec, seed)
    n = len(train.x)
    regularizers = [L2(spec["lmbda"], n)] * bool(spec["lmbda"]) + [L1(spec["l1"], n)] * bool(spec["l1"])
    if spec["max_norm"]:
        regularizers.append(MaxNorm(spec["max_norm"]))
    if spec["optimizer"] == "adam":
        optimizer = Adam(net.parameters(), spec["eta"], regularizers=regularizers)
    else:
        optimizer = SGD(net.parameters(), spec["eta"], momentum=spec["momentum"], regularizers=regularizers)
    callbacks = [HalveOnPlateau(optimizer, patience=spec["halve_patience"])] if spec["halve_patience"] else []
    keep_best = bool(spec["early_stop_patience"])
    augment = Augment([Shift(spec["shift"])], image_shape=(28, 28)) if spec["shift"] else None
    fit(net, Backprop(CrossEntropyCost(), optimizer), (train.x, train.y), epochs=epochs,
        batch_size=spec["batch_size"], rng=seed, validation=(validation.x, validation.y),
        patience=spec["early_stop_patience"], restore_best=keep_best, callbacks=callbacks, augment=augment,
        verbose=False)
    return net


def run_synaptica(spec: dict, seed: int, splits, epochs: int) -> float:
    members = [synaptica_member(spec, seed + 100 * k, splits, epochs) for k in range(spec["members"])]
    model = members[0] if len(members) == 1 else Ensemble(members)
    return evaluate(model, splits.test.x, splits.test.y).accuracy


# ------------------------------------------------------------------------------------------ PyTorch
def torch_member(spec: dict, seed: int, splits, epochs: int):
    import torch
    from torch import nn

    torch.set_num_threads(1)  # as NumPy's BLAS under fit's policy at batch 10 (synaptica.parallel.blas)
    torch.manual_seed(seed)
    start = build(spec, seed)  # the same initial weights
    layers = []
    for layer in start.layers:
        if isinstance(layer, Linear):
            twin = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None)
            with torch.no_grad():
                twin.weight.copy_(torch.from_numpy(layer.weight.data))
                if layer.bias is not None:
                    twin.bias.copy_(torch.from_numpy(layer.bias.data))
            layers.append(twin)
        elif isinstance(layer, BatchNorm1d):
            layers.append(nn.BatchNorm1d(layer.features, eps=layer.eps, momentum=layer.momentum))
        elif isinstance(layer, Dropout):
            layers.append(nn.Dropout(layer.p))
        else:
            layers.append({"sigmoid": nn.Sigmoid, "relu": nn.ReLU}[spec["activation"]]())
    model = nn.Sequential(*layers)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight") and p.ndim == 2]
    others = [p for name, p in model.named_parameters() if not (name.endswith("weight") and p.ndim == 2)]
    n = len(splits.train.x)
    groups = [{"params": weights, "weight_decay": spec["lmbda"] / n}, {"params": others, "weight_decay": 0.0}]
    if spec["optimizer"] == "adam":
        optimizer = torch.optim.Adam(groups, lr=spec["eta"])
    else:
        optimizer = torch.optim.SGD(groups, lr=spec["eta"], momentum=spec["momentum"])
    # synaptica waits `patience` epochs without gain and then halves; PyTorch halves after more than `patience`
    halve = (torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.5, threshold=0.0,
                                                        patience=spec["halve_patience"] - 1)
             if spec["halve_patience"] else None)
    loss_fn, _ = torch_loss("cross-entropy")
    augment = Augment([Shift(spec["shift"])], image_shape=(28, 28)) if spec["shift"] else None
    rng = np.random.default_rng(seed)
    x, y = splits.train.x, splits.train.y
    targets = np.eye(10, dtype=np.float32)[y]
    keep_best = bool(spec["early_stop_patience"])
    best, best_state, waited = -1.0, None, 0
    for _ in range(epochs):
        model.train()
        order = rng.permutation(n)
        for begin in range(0, n, spec["batch_size"]):
            rows = order[begin:begin + spec["batch_size"]]
            xb = augment(x[rows], rng) if augment else x[rows]
            loss = loss_fn(model(torch.from_numpy(xb)), torch.from_numpy(targets[rows]))
            if spec["l1"]:
                loss = loss + spec["l1"] / n * sum(w.abs().sum() for w in weights)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if spec["max_norm"]:
                with torch.no_grad():
                    for w in weights:
                        w.copy_(torch.renorm(w, p=2, dim=0, maxnorm=spec["max_norm"]))
        accuracy = torch_accuracy(model, splits.validation.x, splits.validation.y)
        if halve is not None:
            halve.step(accuracy)
        if accuracy > best:
            best, waited = accuracy, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
            if spec["early_stop_patience"] and waited >= spec["early_stop_patience"]:
                break
    if keep_best:
        model.load_state_dict(best_state)
    return model


def torch_accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(torch_probabilities(model, x).argmax(axis=1) == y))


def torch_probabilities(model, x: np.ndarray) -> np.ndarray:
    import torch

    model.eval()
    with torch.no_grad():
        return torch.softmax(model(torch.from_numpy(x)), dim=1).numpy()


def run_torch(spec: dict, seed: int, splits, epochs: int) -> float:
    members = [torch_member(spec, seed + 100 * k, splits, epochs) for k in range(spec["members"])]
    mean = np.mean([torch_probabilities(m, splits.test.x) for m in members], axis=0)
    return float(np.mean(mean.argmax(axis=1) == splits.test.y))


# ------------------------------------------------------------------------------------------ the final row
def run_regularised(seed: int, epochs: int, use_torch: bool) -> float:
    """examples/regularised_mlp.py with its recipe, for the table's last row."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
    import regularised_mlp

    argv = ["--seed", str(seed), "--epochs", str(epochs)] + ["--torch"] * use_torch
    return regularised_mlp.main(argv)


def table(path: str) -> str:
    """The result lines in ``path`` as a Markdown table: one row per technique, the mean test accuracy
    of each library over the seeds measured (and how many), and the change from the baseline."""
    results: dict[tuple[str, str], dict[int, float]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        fields = dict(part.split("=", 1) for part in line.split())
        results.setdefault((fields["row"], fields["library"]), {})[int(fields["seed"])] = float(fields["test"])

    def cell(row: str, library: str) -> str:
        found = results.get((row, library))
        if not found:
            return "not measured"
        mean = float(np.mean(list(found.values())))
        base = results.get(("baseline", library))
        change = f" ({100 * (mean - float(np.mean(list(base.values())))):+.1f})" if base and row != "baseline" else ""
        return f"{mean:.4f}{change} [{len(found)}]"

    lines = ["| row | what changes | synaptica | PyTorch |", "|---|---|---|---|"]
    for row in [*ROWS, "regularised-mlp"]:
        why = ROWS[row][1] if row in ROWS else "examples/regularised_mlp.py"
        lines.append(f"| {row} | {why} | {cell(row, 'synaptica')} | {cell(row, 'pytorch')} |")
    return "\n".join(lines)


@lru_cache(maxsize=1)
def _fashion_mnist():
    """Read once per process (the test runs every row in one process)."""
    return load_dataset("fashion-mnist")


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--row", choices=[*ROWS, "regularised-mlp"], default="baseline")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--torch", action="store_true", help="train the row in PyTorch")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N training images only")
    parser.add_argument("--out", default=None, help="also append the result line to this file")
    parser.add_argument("--list", action="store_true", help="print the rows and what each changes")
    parser.add_argument("--table", metavar="FILE", help="print the result lines in FILE as a Markdown table")
    args = parser.parse_args(argv)
    if args.table:
        text = table(args.table)
        print(text)
        return text
    if args.list:
        for name, (change, why) in ROWS.items():
            print(f"{name:>15}: {why}  {change}")
        return ""
    started = time.perf_counter()
    if args.row == "regularised-mlp":
        accuracy = run_regularised(args.seed, args.epochs, args.torch)
    else:
        splits = _fashion_mnist()
        if args.limit:
            train = replace(splits.train, x=splits.train.x[:args.limit], y=splits.train.y[:args.limit])
            splits = replace(splits, train=train)
        run = run_torch if args.torch else run_synaptica
        accuracy = run(settings(args.row), args.seed, splits, args.epochs)
    line = (f"row={args.row} seed={args.seed} library={'pytorch' if args.torch else 'synaptica'} "
            f"epochs={args.epochs}{f' limit={args.limit}' if args.limit else ''} test={accuracy:.4f} seconds={time.perf_counter() - started:.1f}")
    print(line, flush=True)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    return line


if __name__ == "__main__":
    main()
