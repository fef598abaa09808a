"""``synaptica compare``: several learning rules on one architecture, the same data, seeds and epochs.

    synaptica compare --rules backprop,fa,dfa,dni,es --data fashion-mnist --epochs 5 --seeds 0,1,2
    synaptica compare --rules bp,dni --hidden 256,256 --optimizer adam --eta 0.001 --out dni-vs-bp

Every rule trains the network that ``synaptica train`` would build from the same options, from the
same initial weights (one per seed), on the same mini-batches, for the same number of epochs; the
settings not given (η, batch size, optimizer, schedule) are each rule's recipe (evolution
strategies' differ), and the table says which were used. The runs go one after another. After each
run's epochs, the epoch with the best validation accuracy is measured once on the test set.

For every rule but backprop, the angle between the rule's update of each weight matrix and
backprop's on the same batch is measured after every epoch on fixed training examples
(:class:`~synaptica.rules.alignment.UpdateAlignment`; the rule's state is put back after, so the
measurement changes no run). Written atomically into ``--out``: ``results.md`` and ``results.csv``
(test accuracy mean ± sd over the seeds, seconds and steps per second per run, the angles after the
last epoch, averaged over seeds) and ``curves.png`` (validation accuracy and angles per epoch).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from synaptica.cli.arguments import add_architecture_arguments, add_data_argument, comma_integers, count, path_text
from synaptica.cli.paths import check_output_directory
from synaptica.cli.train import RULE_ALIASES, build_model, recipe_defaults, rule_name, rule_options, schedules
from synaptica.data import load_dataset
from synaptica.io.atomic import atomic_write
from synaptica.losses import get_cost
from synaptica.recipes import DEFAULTS
from synaptica.rules import make_rule
from synaptica.rules.alignment import UpdateAlignment
from synaptica.train import evaluate, fit


def rule_list(text: str) -> list[str]:
    """Comma-separated rule names or aliases (``backprop,fa,dni``), each a known rule, none twice."""
    names = [rule_name(part.strip()) for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected rule names such as backprop,fa,dni, got {text!r}")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"a rule is named twice in {text!r}")
    return names


def seed_list(text: str) -> list[int]:
    """Comma-separated distinct seeds ≥ 0, e.g. ``0,1,2``."""
    seeds = comma_integers(text, "seeds such as 0,1,2", "seed such as 0")
    if any(seed < 0 for seed in seeds) or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"expected distinct seeds >= 0 such as 0,1,2, got {text!r}")
    return seeds


def add_compare_command(commands) -> None:
    """Register ``compare`` on the ``synaptica`` command's sub-parsers."""
    compare = commands.add_parser(
        "compare", help="train one network with several learning rules and tabulate them",
        description="Train the same architecture on the same data, seeds and epoch budget with each rule "
                    "named; write a table (Markdown and CSV) and learning curves (PNG) into --out.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_data_argument(compare)
    compare.add_argument("--rules", type=rule_list, default=rule_list("backprop,fa,dfa,dni,es"), metavar="RULES",
                         help="comma-separated learning rules (names or the aliases "
                              f"{', '.join(RULE_ALIASES)})")
    compare.add_argument("--seeds", type=seed_list, default=[0], metavar="SEEDS",
                         help="comma-separated seeds: each rule trains once per seed")
    add_architecture_arguments(compare)
    compare.add_argument("--conditional", action="store_true",
                         help="synthetic gradients as cDNI (the predictors also see the one-hot label)")
    compare.add_argument("--angle-examples", type=count, default=1000, metavar="N",
                         help="training examples on which each rule's update is compared with backprop's")
    compare.add_argument("--out", type=path_text, default="compare", metavar="DIR",
                         help="the directory for results.md, results.csv and curves.png (made if missing)")


def compare_command(args: argparse.Namespace) -> int:
    check_output_directory(args.out, "--out")
    splits = load_dataset(args.data)
    epochs = args.epochs or DEFAULTS["epochs"]
    runs = [(rule, seed) for rule in args.rules for seed in args.seeds]
    print(f"{args.data}: {len(splits.train.x)} training examples; {len(args.rules)} rules × {len(args.seeds)} "
          f"seeds, {epochs} epochs each", flush=True)
    records = []
    for number, (rule, seed) in enumerate(runs, start=1):
        print(f"[{number}/{len(runs)}] {rule}, seed {seed} ...", flush=True)
        record = _run(args, rule, seed, epochs, splits)
        angles = "".join(f", {name} {values[-1]:.0f}°" for name, values in record["angles"].items())
        print(f"[{number}/{len(runs)}] {rule}, seed {seed}: test accuracy {record['test_accuracy']:.4f} in "
              f"{record['seconds']:.1f} s ({record['steps_per_second']:.3g} steps/s){angles}", flush=True)
        records.append(record)
    rows = summary_rows(records)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    title = (f"{args.data}, {args.model} [{','.join(map(str, args.hidden))}] {args.activation}, {epochs} epochs, "
             f"seeds {','.join(map(str, args.seeds))}")
    with atomic_write(out / "results.md", "w", encoding="utf-8") as f:
        f.write(markdown_table(rows, title))
    with atomic_write(out / "results.csv", "w", encoding="utf-8", newline="") as f:
        f.write(csv_table(rows))
    from synaptica.viz.compare import draw_comparison

    draw_comparison(records, out / "curves.png", title)
    print(markdown_table(rows, title), end="")
    print(f"Wrote {out / 'results.md'}, {out / 'results.csv'}, {out / 'curves.png'}")
    return 0


def _run(args: argparse.Namespace, rule_name_: str, seed: int, epochs: int, splits) -> dict:
    """Train one rule with one seed; its record (test accuracy, time, curves, angles)."""
    settings = argparse.Namespace(**{**vars(args), "rule": rule_name_, "seed": seed, "epochs": epochs,
                                     "population": None, "sigma": None, "executor": None, "workers": None})
    settings.conditional = args.conditional and rule_name_ == "synthetic-gradients"
    recipe_defaults(settings)
    train, validation, test = splits.train, splits.validation, splits.test
    held_out = validation if validation is not None else test
    cost = get_cost(settings.cost)
    rng = np.random.default_rng(seed)
    model, optimizer = build_model(settings, train, cost, rng)
    with ExitStack() as stack:
        rule = make_rule(settings.rule, cost, optimizer, **rule_options(settings, stack))
        n = min(args.angle_examples, len(train.x))
        evaluators = [] if rule_name_ == "backprop" else [_Kept(UpdateAlignment(rule, train.x[:n], train.y[:n]))]
        started = time.perf_counter()
        history = fit(model, rule, (train.x, train.y), epochs=epochs, batch_size=settings.batch_size, rng=rng,
                      validation=(held_out.x, held_out.y), restore_best=validation is not None, verbose=False,
                      evaluators=evaluators, callbacks=schedules(settings, optimizer))
        seconds = time.perf_counter() - started
    steps = epochs * math.ceil(len(train.x) / settings.batch_size)
    angles = {name[len("angle_"):]: values for name, values in history.metrics.items() if name.startswith("angle_")}
    return {"rule": rule_name_, "seed": seed, "test_accuracy": evaluate(model, test.x, test.y, cost).accuracy,
            "seconds": seconds, "steps_per_second": steps / seconds, "validation_accuracy": history.validation_accuracy,
            "angles": angles, "settings": f"{settings.optimizer} η={settings.eta} batch {settings.batch_size}"
                        + ("" if settings.schedule == "constant" else f" {settings.schedule}")}


class _Kept:
    """An evaluator run with the rule's state put back after it (evolution strategies count generations
    in ``gradients``), so measuring a run never changes it."""

    def __init__(self, evaluator):
        self.evaluator = evaluator

    def __call__(self, model):
        state = {name: np.array(value) for name, value in self.evaluator.rule.state_dict().items()}
        try:
            return self.evaluator(model)
        finally:
            self.evaluator.rule.load_state_dict(state)


def summary_rows(records: list[dict]) -> list[dict]:
    """One row per rule: accuracy mean and sd over seeds, mean seconds and steps/s, last angles' means."""
    rows = []
    for rule in dict.fromkeys(record["rule"] for record in records):
        runs = [record for record in records if record["rule"] == rule]
        accuracies = [record["test_accuracy"] for record in runs]
        row = {"rule": rule, "settings": runs[0]["settings"], "seeds": len(runs),
               "test_accuracy_mean": float(np.mean(accuracies)), "test_accuracy_sd": float(np.std(accuracies)),
               "seconds": float(np.mean([record["seconds"] for record in runs])),
               "steps_per_second": float(np.mean([record["steps_per_second"] for record in runs]))}
        for name in runs[0]["angles"]:
            row[f"angle_{name}"] = float(np.mean([record["angles"][name][-1] for record in runs]))
        rows.append(row)
    return rows


def _layers(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row if key.startswith("angle_")))


def markdown_table(rows: list[dict], title: str) -> str:
    layers = _layers(rows)
    head = ["rule", "settings", "test accuracy (mean ± sd)", "seconds", "steps/s",
            *[f"angle to backprop, {name[len('angle_'):]}" for name in layers]]
    lines = [f"{title}\n", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["rule"], row["settings"], f"{row['test_accuracy_mean']:.4f} ± {row['test_accuracy_sd']:.4f}",
                 f"{row['seconds']:.1f}", f"{row['steps_per_second']:.3g}",
                 *[f"{row[name]:.1f}°" if name in row else "–" for name in layers]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def csv_table(rows: list[dict]) -> str:
    fields = ["rule", "settings", "seeds", "test_accuracy_mean", "test_accuracy_sd", "seconds", "steps_per_second",
              *_layers(rows)]
    text = io.StringIO()
    writer = csv.DictWriter(text, fields, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()
