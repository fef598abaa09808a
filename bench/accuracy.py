"""Test accuracy of the example networks in synaptica and in PyTorch, over several seeds.

    PYTHONPATH=src python bench/accuracy.py                          # all, 30 epochs, seeds 0,1,2
    PYTHONPATH=src python bench/accuracy.py --configs network2 --epochs 5 --seeds 0
    PYTHONPATH=src python bench/accuracy.py --json accuracy.json

Configurations (Fashion-MNIST, trained on the 50,000 training images, measured on the 10,000 test
images after the last epoch; no validation, no early stopping):
  network   network.py: [784,30,10] sigmoid, quadratic cost, SGD η=3, batch 10, N(0,1) init
  network2  network2.py: [784,100,10] sigmoid, sigmoid cross-entropy from logits, η=0.5, batch 10,
            L2 λ=5 (w ← (1 − ηλ/n) w − η∇, weights only, n = 50,000), weights N(0,1/n_in), biases N(0,1)
  fa        feedback alignment on the network2 configuration (synaptica only; target ≥ 0.84)

For each seed, both libraries start from the same initial weights (drawn by synaptica, copied into
torch); the shuffling orders differ. Printed: mean test accuracy per library, and the difference
synaptica − PyTorch in percentage points.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common  # noqa: E402  (also puts src/ on the path when needed)

from synaptica import SGD  # noqa: E402
from synaptica.losses import get_cost  # noqa: E402
from synaptica.nn import mlp  # noqa: E402
from synaptica.rules import RULES  # noqa: E402
from synaptica.train import evaluate, fit  # noqa: E402

NETWORK = dict(sizes=[784, 30, 10], activation="sigmoid", output_activation="sigmoid", init="large",
               cost="quadratic", eta=3.0, batch=10, lmbda=0.0, epochs=30)
NETWORK2 = dict(sizes=[784, 100, 10], activation="sigmoid", output_activation=None, init="nielsen",
                cost="cross-entropy", eta=0.5, batch=10, lmbda=5.0, epochs=30)

CONFIGS = {
    "network": dict(NETWORK, title="network.py [784,30,10] quadratic, η=3", rule="backprop", torch=True),
    "network2": dict(NETWORK2, title="network2.py [784,100,10] cross-entropy, L2 λ=5, η=0.5", rule="backprop",
                     torch=True),
    "fa": dict(NETWORK2, title="feedback alignment, network2 configuration", rule="feedback-alignment",
               torch=False, target=0.84),
}


def run_synaptica(cfg: dict, splits, seed: int, epochs: int, threads: int | None) -> dict:
    x, y = splits.train.x, splits.train.y
    net = mlp(cfg["sizes"], cfg["activation"], output_activation=cfg["output_activation"], init=cfg["init"],
              rng=seed)
    optimizer = SGD(net.parameters(), learning_rate=cfg["eta"], lmbda=cfg["lmbda"], n_examples=len(x))
    rule = RULES[cfg["rule"]](get_cost(cfg["cost"]), optimizer)
    history = fit(net, rule, (x, y), epochs=epochs, batch_size=cfg["batch"], rng=seed, verbose=True,
                  blas=threads if threads is not None else "auto")
    accuracy = evaluate(net, splits.test.x, splits.test.y).accuracy
    return {"test_accuracy": accuracy, "seconds": list(history.seconds), "train_cost": list(history.train_cost)}


def run_torch(cfg: dict, splits, seed: int, epochs: int, threads: int | None, same_order: bool = False) -> dict:
    x, y = splits.train.x, splits.train.y
    # the same initial weights as the synaptica run of this seed
    net = mlp(cfg["sizes"], cfg["activation"], output_activation=cfg["output_activation"], init=cfg["init"],
              rng=seed)
    model = common.torch_twin(net)
    optimizer = common.torch_sgd(model, cfg["eta"], lmbda=cfg["lmbda"], n_examples=len(x))
    torch_threads = common.torch_training_threads(cfg["batch"], threads)
    trainer = common.TorchTrainer(model, optimizer, cfg["cost"], x, y, batch_size=cfg["batch"],
                                  threads=torch_threads, seed=seed, track_loss=True,
                                  numpy_order=np.random.default_rng(seed) if same_order else None)
    seconds, train_cost = [], []
    for epoch in range(epochs):
        seconds.append(trainer.epoch())
        train_cost.append(trainer.mean_loss)
        print(f"Epoch {epoch} complete: train cost {trainer.mean_loss:.4f} ({seconds[-1]:.2f} s)", flush=True)
    accuracy = common.torch_accuracy(model, splits.test.x, splits.test.y)
    return {"test_accuracy": accuracy, "seconds": seconds, "train_cost": train_cost, "threads": torch_threads}


def summarise(values: list[float]) -> tuple[float, float]:
    mean = statistics.fmean(values) if values else float("nan")
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, sd


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--configs", default="network,network2,fa",
                        help=f"comma-separated, from {', '.join(CONFIGS)} (default: all)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs for every configuration (default 30)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    parser.add_argument("--threads", type=int, default=None,
                        help="force BLAS and torch threads (default: fit's policy, 1 thread for batch < 64)")
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--same-order", action="store_true",
                        help="give torch the same shuffling order as synaptica (a check: the two runs then "
                             "differ only by floating-point rounding)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    args = parser.parse_args(argv)
    keys = [k.strip() for k in args.configs.split(",") if k.strip()]
    unknown = [k for k in keys if k not in CONFIGS]
    if unknown or not keys:
        parser.error(f"unknown configs {unknown}; choose from {', '.join(CONFIGS)}")
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--seeds must be comma-separated integers, got {args.seeds!r}")
    if not seeds:
        parser.error("--seeds is empty")
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be >= 1")

    splits = common.load(args.data)
    runs, summary = [], {}
    started_all = time.perf_counter()
    for key in keys:
        cfg = CONFIGS[key]
        epochs = args.epochs if args.epochs is not None else cfg["epochs"]
        per_impl = {"synaptica": [], "pytorch": []}
        for seed in seeds:
            impls = ["synaptica", "pytorch"] if cfg["torch"] else ["synaptica"]
            for impl in impls:
                print(f"\n== {key} ({cfg['title']}), {impl} ({cfg['rule'] if impl == 'synaptica' else 'backprop'}), "
                      f"seed {seed}, {epochs} epochs", flush=True)
                started = time.perf_counter()
                if impl == "synaptica":
                    run = run_synaptica(cfg, splits, seed, epochs, args.threads)
                else:
                    run = run_torch(cfg, splits, seed, epochs, args.threads, args.same_order)
                run.update(config=key, impl=impl, seed=seed, epochs=epochs, wall_s=time.perf_counter() - started)
                print(f"   {key} {impl} seed {seed}: test accuracy {run['test_accuracy']:.4f} "
                      f"({run['wall_s']:.0f} s)", flush=True)
                runs.append(run)
                per_impl[impl].append(run["test_accuracy"])
        entry = {"title": cfg["title"], "rule": cfg["rule"], "epochs": epochs, "seeds": seeds}
        for impl, values in per_impl.items():
            if values:
                mean, sd = summarise(values)
                entry[impl] = {"accuracies": values, "mean": mean, "sd": sd}
        if per_impl["pytorch"]:
            entry["difference_pp"] = 100 * (entry["synaptica"]["mean"] - entry["pytorch"]["mean"])
        if "target" in cfg:
            entry["target"] = cfg["target"]
            entry["meets_target"] = entry["synaptica"]["mean"] >= cfg["target"]
        summary[key] = entry

    print(f"\nFashion-MNIST test accuracy, mean ± sd over seeds {seeds} "
          f"(total {time.perf_counter() - started_all:.0f} s)")
    header = f"{'config':<10}{'rule':<20}{'epochs':>7}{'synaptica':>18}{'pytorch':>18}{'diff (pp)':>11}"
    print(header)
    print("-" * len(header))
    for key, entry in summary.items():
        syn = entry["synaptica"]
        torch_cell = f"{entry['pytorch']['mean']:.4f} ± {entry['pytorch']['sd']:.4f}" if "pytorch" in entry else "—"
        diff = f"{entry['difference_pp']:+.2f}" if "difference_pp" in entry else "—"
        line = (f"{key:<10}{entry['rule']:<20}{entry['epochs']:>7}{syn['mean']:>10.4f} ± {syn['sd']:.4f}"
                f"{torch_cell:>18}{diff:>11}")
        if "target" in entry:
            line += f"   target ≥ {entry['target']}: {'met' if entry['meets_target'] else 'NOT met'}"
        print(line)
    print("diff = synaptica − PyTorch mean test accuracy, in percentage points")

    if args.json is not None:
        record = {"benchmark": "accuracy",
                  "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                  "environment": common.environment(), "summary": summary, "runs": runs}
        args.json.write_text(json.dumps(record, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return summary


if __name__ == "__main__":
    main()
