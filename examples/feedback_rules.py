"""Backprop, feedback alignment and direct feedback alignment on the same network, data and budget.

    python examples/feedback_rules.py                    # [784, 256, 256, 10] tanh, Adam, 3 seeds
    python examples/feedback_rules.py --rules backprop,feedback-alignment --hidden 100 --activation sigmoid \\
        --init nielsen --cost cross-entropy --optimizer sgd --eta 0.1 --lmbda 1 --batch-size 10 --epochs 6

Every rule trains the same architecture from the same initial weights (one per seed) on the same
mini-batches, with the same optimizer and number of epochs; the epoch with the best validation
accuracy is kept and measured once on the test set. For the rules that do not send the true error
backward, the angle between their update of each hidden weight matrix and backprop's (on 1,000
fixed training images, after every epoch) shows how far the random feedback has brought the
forward weights into alignment (:mod:`synaptica.rules.alignment`). The figure draws the mean
validation accuracy per epoch and those angles.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from synaptica.data import load_dataset
from synaptica.losses import get_cost
from synaptica.nn import mlp
from synaptica.optim import make_optimizer
from synaptica.rules import make_rule
from synaptica.rules.alignment import UpdateAlignment
from synaptica.train import evaluate, fit
from synaptica.viz.compare import draw_comparison


def run(rule_name: str, seed: int, splits, args) -> dict:
    cost = get_cost(args.cost)
    train = splits.train
    sizes = [train.x.shape[1], *[int(h) for h in args.hidden.split(",")], train.n_classes]
    model = mlp(sizes, args.activation, output_activation=None if cost.takes_logits else "sigmoid", init=args.init,
                rng=seed)
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.eta, lmbda=args.lmbda,
                               n_examples=len(train.x))
    rule = make_rule(rule_name, cost, optimizer)
    hidden_weights = [name for name, p in model.named_parameters() if p.regularized][:-1]  # the output layer's
    evaluators = ([] if rule_name == "backprop" else  # update is backprop's under every rule here
                  [UpdateAlignment(rule, train.x[:1000], train.y[:1000], layers=hidden_weights)])
    started = time.perf_counter()
    history = fit(model, rule, (train.x, train.y), epochs=args.epochs, batch_size=args.batch_size, rng=seed,
                  validation=(splits.validation.x, splits.validation.y), restore_best=True, verbose=False,
                  evaluators=evaluators)
    seconds = time.perf_counter() - started
    accuracy = evaluate(model, splits.test.x, splits.test.y).accuracy
    angles = {name[len("angle_"):]: values for name, values in history.metrics.items() if name.startswith("angle_")}
    print(f"{rule_name:<26} seed {seed}: test accuracy {accuracy:.4f} (best epoch {int(np.argmax(history.validation_accuracy))}, "
          f"{seconds:.0f} s)" + "".join(f", last angle {name} {values[-1]:.1f}°" for name, values in angles.items()),
          flush=True)
    return {"rule": rule_name, "seed": seed, "test_accuracy": accuracy, "seconds": seconds,
            "validation_accuracy": history.validation_accuracy, "angles": angles}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--rules", default="backprop,feedback-alignment,direct-feedback-alignment")
    parser.add_argument("--hidden", default="256,256")
    parser.add_argument("--activation", default="tanh")
    parser.add_argument("--init", default="xavier")
    parser.add_argument("--cost", default="log-likelihood")
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--eta", type=float, default=0.001)
    parser.add_argument("--lmbda", type=float, default=0.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default="feedback_rules.png", help="the PNG figure")
    parser.add_argument("--json", default=None, help="also write every run's record here (JSON lines)")
    args = parser.parse_args(argv)

    splits = load_dataset(args.data)
    records = [run(rule, seed, splits, args) for rule in args.rules.split(",") for seed in args.seeds]
    print(f"\n{'rule':<26} test accuracy over seeds {args.seeds}")
    for rule in args.rules.split(","):
        accuracies = [r["test_accuracy"] for r in records if r["rule"] == rule]
        print(f"{rule:<26} {np.mean(accuracies):.4f} ± {np.std(accuracies):.4f}")
    draw_comparison(records, args.out, f"{args.data}, [{args.hidden}] {args.activation}, {args.optimizer} η = {args.eta}, "
                            f"batch {args.batch_size}, {args.epochs} epochs")
    print(f"Wrote {args.out}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(record) + "\n" for record in records)
    return records


if __name__ == "__main__":
    main()
