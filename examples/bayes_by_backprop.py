"""What Bayesian deep learning is for: a network that knows what it has not seen (Blundell et al. 2015).

    python examples/bayes_by_backprop.py                          # [784, 400, 400, 5], 10 epochs, seeds 0,1,2
    python examples/bayes_by_backprop.py --seeds 0 --epochs 3 --hidden 200 --train-size 10000   # a quick look

Both networks see Fashion-MNIST classes 0–4 only (T-shirt, trouser, pullover, dress, coat); the
classes 5–9 (sandal, shirt, sneaker, bag, ankle boot) are held out. The same architecture, initial
means, mini-batches, optimizer (Adam) and number of epochs train:

- backprop: a plain network (``mlp``), cost −ln p(y | x, w);
- Bayes by backprop: ``bayes_mlp`` with the paper's scale-mixture prior, cost −ln p(y | x, w) + KL/N
  (:func:`synaptica.nn.variational_cost`), trained by the same ``Backprop`` rule; predictions
  average 10 sampled networks.

Measured on the test images: accuracy and expected calibration error (15 bins) on classes 0–4, and
the mean predictive entropy on classes 0–4, on classes 5–9 and on uniform-noise images. Writes
docs/figures/bayes_reliability.png and docs/figures/bayes_entropy.png (seed 0), and prints a
Markdown table of means ± sd over the seeds (docs/bayes.md).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

from synaptica.data import load_dataset
from synaptica.losses import LogLikelihoodCost
from synaptica.nn import bayes_mlp, mlp, variational_cost
from synaptica.optim import make_optimizer
from synaptica.rules import make_rule
from synaptica.train import fit, predictive_entropy, predictive_probabilities
from synaptica.train.calibration import expected_calibration_error, reliability

KNOWN = 5  # classes 0..4 are trained on, 5..9 held out


def split(data, known: bool):
    rows = (data.y < KNOWN) if known else (data.y >= KNOWN)
    return data.x[rows], data.y[rows]


def train(kind: str, seed: int, x, y, args):
    sizes = [x.shape[1], *[args.hidden] * args.layers, KNOWN]
    if kind == "bayes":
        model = bayes_mlp(sizes, rng=seed, rho_init=args.rho_init)
        cost = variational_cost(LogLikelihoodCost(), model, math.ceil(len(x) / args.batch_size))
    else:
        model = mlp(sizes, "relu", init="he", rng=seed)
        cost = LogLikelihoodCost()
    rule = make_rule("backprop", cost, make_optimizer("adam", model.parameters(), args.eta))
    started = time.perf_counter()
    fit(model, rule, (x, y), epochs=args.epochs, batch_size=args.batch_size, rng=seed, verbose=False)
    return model, time.perf_counter() - started


def measure(kind: str, model, sets: dict, samples: int) -> dict:
    k = samples if kind == "bayes" else None
    probabilities = {name: predictive_probabilities(model, x, k, rng=0) for name, (x, _) in sets.items()}
    x_in, y_in = sets["test"]
    entropy = {name: predictive_entropy(p) for name, p in probabilities.items()}
    return {"accuracy": float(np.mean(probabilities["test"].argmax(axis=1) == y_in)),
            "ece": expected_calibration_error(probabilities["test"], y_in),
            **{f"entropy_{name}": float(h.mean()) for name, h in entropy.items()},
            "_probabilities": probabilities["test"], "_labels": y_in, "_entropy": entropy}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=400)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--eta", type=float, default=1e-3)
    parser.add_argument("--rho-init", type=float, default=-5.0)
    parser.add_argument("--samples", type=int, default=10, help="sampled networks averaged per prediction")
    parser.add_argument("--train-size", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--figures", default="docs/figures", help="folder for the PNGs ('' for none)")
    parser.add_argument("--json", default=None, help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    splits = load_dataset("fashion-mnist")
    x, y = split(splits.train, known=True)
    x, y = x[:args.train_size], y[:args.train_size]
    noise = np.random.default_rng(12345).random((2000, x.shape[1]), dtype=np.float32)  # uniform pixels
    sets = {"test": split(splits.test, True), "held-out classes": split(splits.test, False), "noise": (noise, None)}
    records = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        for kind in ("backprop", "bayes"):
            model, seconds = train(kind, seed, x, y, args)
            record = {"kind": kind, "seed": seed, "seconds": seconds, **measure(kind, model, sets, args.samples)}
            records.append(record)
            print(f"{kind:<9} seed {seed}: accuracy {record['accuracy']:.4f}  ECE {record['ece']:.4f}  entropy "
                  + "  ".join(f"{name} {record[f'entropy_{name}']:.3f}" for name in sets) + f"  ({seconds:.0f} s)",
                  flush=True)
    summary = report(records, list(sets))
    if args.figures:
        draw(records, args.figures)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"arguments": vars(args), "summary": summary,
                       "runs": [{k: v for k, v in r.items() if not k.startswith("_")} for r in records]}, f, indent=1)
    return summary


def report(records: list[dict], names: list[str]) -> dict:
    """Mean ± sd over seeds per network, printed as a Markdown table, and the two entropy ratios."""
    summary = {}
    print("\n| network | test accuracy | ECE (15 bins) | " + " | ".join(f"entropy: {n}" for n in names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    for kind, label in (("backprop", "backprop"), ("bayes", "Bayes by backprop")):
        runs = [r for r in records if r["kind"] == kind]
        keys = ["accuracy", "ece", *[f"entropy_{n}" for n in names]]
        stats = {key: (float(np.mean([r[key] for r in runs])), float(np.std([r[key] for r in runs]))) for key in keys}
        summary[kind] = stats
        print(f"| {label} | " + " | ".join(f"{m:.4f} ± {s:.4f}" for m, s in stats.values()) + " |")
    bayes = summary["bayes"]
    for name in names[1:]:
        ratio = bayes[f"entropy_{name}"][0] / bayes["entropy_test"][0]
        summary[f"ratio_{name}"] = ratio
        print(f"Bayes by backprop: mean entropy on {name} / on test = {ratio:.2f}")
    print(f"accuracy gap (backprop − Bayes): {100 * (summary['backprop']['accuracy'][0] - bayes['accuracy'][0]):.2f} "
          "points")
    return summary


def draw(records: list[dict], folder: str) -> None:
    from synaptica.viz.calibration import plot_entropy, plot_reliability

    first = {r["kind"]: r for r in records if r["seed"] == records[0]["seed"]}
    labels = {"backprop": "backprop", "bayes": "Bayes by backprop"}
    plot_reliability({labels[k]: reliability(r["_probabilities"], r["_labels"]) for k, r in first.items()},
                     f"{folder}/bayes_reliability.png", title="Fashion-MNIST classes 0–4, test images")
    plot_entropy({labels[k]: r["_entropy"] for k, r in first.items()}, f"{folder}/bayes_entropy.png",
                 classes=KNOWN, title="Predictive entropy (trained on classes 0–4)")


if __name__ == "__main__":
    main()
