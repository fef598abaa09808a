"""Synthetic gradients (DNI and cDNI) against backprop on the same network, data and budget.

    python examples/synthetic_gradients.py                    # [784, 256, 256, 10] ReLU + batch norm, 3 seeds
    python examples/synthetic_gradients.py --seeds 0 --epochs 3 --limit 10000 --out quick.png
    python examples/synthetic_gradients.py --rules dni --hidden-optimizer sgd --hidden-eta 0.001 --hidden-momentum 0.9

Every rule trains the same architecture from the same initial weights (one per seed) on the same
mini-batches with Adam; the epoch with the best validation accuracy is kept and measured once on the
test set. For DNI and cDNI, the angle between each hidden block's synthetic gradient Mₗ(hˡ) and the
true ∂C/∂hˡ is measured after every epoch on 1,000 fixed training images
(:class:`synaptica.rules.alignment.SyntheticGradientAlignment`). The figure draws the mean
validation accuracy per epoch and those angles; ``--json`` keeps every run's record.
``--hidden-optimizer`` gives the hidden blocks an optimizer of their own (the output layer keeps
Adam): SGD's steps follow the size of the gradient a block is given, Adam's do not.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from synaptica.data import load_dataset
from synaptica.losses import LogLikelihoodCost
from synaptica.nn import mlp
from synaptica.optim import Adam
from synaptica.optim.base import Optimizer
from synaptica.optim.by_name import make_optimizer
from synaptica.rules import Backprop, SyntheticGradients
from synaptica.rules.alignment import SyntheticGradientAlignment
from synaptica.train import evaluate, fit
from synaptica.viz.compare import draw_comparison

RULES = ("backprop", "dni", "cdni")


class SplitOptimizer(Optimizer):
    """The hidden blocks' parameters stepped by one optimizer, the output layer's by another."""

    def __init__(self, hidden: Optimizer, output: Optimizer):
        super().__init__(hidden.params + output.params, output.learning_rate)
        self.parts = (hidden, output)

    def step(self) -> None:
        for part in self.parts:
            part.step()
        self.steps += 1


def network_optimizer(model, args) -> Optimizer:
    """Adam η for every parameter, or with ``--hidden-optimizer`` that optimizer for all but the output layer's."""
    if not args.hidden_optimizer:
        return Adam(model.parameters(), args.eta)
    *hidden_layers, output_layer = model.layers
    hidden = [p for layer in hidden_layers for p in layer.parameters()]
    return SplitOptimizer(make_optimizer(args.hidden_optimizer, hidden, args.hidden_eta, momentum=args.hidden_momentum),
                          Adam(output_layer.parameters(), args.eta))


def run(rule_name: str, seed: int, splits, args) -> dict:
    train = splits.train
    x, y = train.x[:args.limit], train.y[:args.limit]
    sizes = [x.shape[1], *[int(h) for h in args.hidden.split(",")], train.n_classes]
    model = mlp(sizes, "relu", init="he", rng=seed, batch_norm=True)
    optimizer, cost = network_optimizer(model, args), LogLikelihoodCost()
    if rule_name == "backprop":
        rule, evaluators = Backprop(cost, optimizer), []
    else:
        rule = SyntheticGradients(cost, optimizer, conditional=rule_name == "cdni",
                                  predictor_learning_rate=args.predictor_eta, predictor_optimizer=args.predictor_optimizer,
                                  predictor_forgetting=args.predictor_forgetting, predictor_ridge=args.predictor_ridge,
                                  predictor_hidden=tuple(int(v) for v in args.predictor_hidden.split(",") if v),
                                  layers_per_block=args.layers_per_block)
        evaluators = [SyntheticGradientAlignment(rule, x[:1000], y[:1000])]
    started = time.perf_counter()
    history = fit(model, rule, (x, y), epochs=args.epochs, batch_size=args.batch_size, rng=seed,
                  validation=(splits.validation.x, splits.validation.y), restore_best=True, verbose=False,
                  evaluators=evaluators)
    seconds = time.perf_counter() - started
    accuracy = evaluate(model, splits.test.x, splits.test.y).accuracy
    angles = {name[len("synthetic_angle_"):]: values for name, values in history.metrics.items()
              if name.startswith("synthetic_angle_")}
    losses = {name[len("train_predictor_loss_"):]: values for name, values in history.metrics.items()
              if name.startswith("train_predictor_loss_")}
    rule_name = f"{rule_name} {args.tag}" if args.tag else rule_name
    print(f"{rule_name:<9} seed {seed}: test accuracy {accuracy:.4f} ({seconds:.0f} s)"
          + "".join(f", {name}: angle {values[-1]:.1f}°, predictor loss {losses[name][-1]:.4f}"
                    for name, values in angles.items()), flush=True)
    return {"rule": rule_name, "seed": seed, "test_accuracy": accuracy, "seconds": seconds,
            "validation_accuracy": history.validation_accuracy, "angles": angles, "predictor_losses": losses}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--rules", default=",".join(RULES), help=f"some of {', '.join(RULES)}")
    parser.add_argument("--hidden", default="256,256")
    parser.add_argument("--eta", type=float, default=0.001, help="Adam's η for the network")
    parser.add_argument("--hidden-optimizer", default="",
                        help="an optimizer of their own for the hidden blocks (sgd, adam, …; none: Adam η for all)")
    parser.add_argument("--hidden-eta", type=float, default=0.001, help="η of --hidden-optimizer")
    parser.add_argument("--hidden-momentum", type=float, default=0.0, help="momentum of --hidden-optimizer sgd")
    parser.add_argument("--predictor-eta", type=float, default=0.001, help="Adam's η for the predictors")
    parser.add_argument("--predictor-optimizer", default="adam",
                        help="how the predictors learn: an optimizer (adam, sgd, …) or least-squares")
    parser.add_argument("--predictor-forgetting", type=float, default=0.9,
                        help="least-squares: β, the weight of the running sums against each new batch")
    parser.add_argument("--predictor-ridge", type=float, default=1.0, help="least-squares: λ, the ridge")
    parser.add_argument("--predictor-hidden", default="", help="hidden sizes of every predictor (none: linear)")
    parser.add_argument("--layers-per-block", type=int, default=1,
                        help="weight layers per block: a predictor at every block's output (1: at every hidden layer)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N training images")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tag", default="", help="added to each rule's name in the records and figure (a variant)")
    parser.add_argument("--out", default="synthetic_gradients.png", help="the PNG figure")
    parser.add_argument("--json", default=None, help="also write every run's record here (JSON lines)")
    parser.add_argument("--from-json", nargs="+", default=None, metavar="FILE",
                        help="train nothing: tabulate and draw the records in these files (runs made apart)")
    args = parser.parse_args(argv)

    if args.from_json:
        records = [json.loads(line) for path in args.from_json for line in open(path, encoding="utf-8") if line.strip()]
        args.seeds = sorted({r["seed"] for r in records})
        args.epochs = len(records[0]["validation_accuracy"])
    else:
        splits = load_dataset(args.data)
        records = [run(rule, seed, splits, args) for rule in args.rules.split(",") for seed in args.seeds]
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                f.writelines(json.dumps(record) + "\n" for record in records)
    print(f"\n{'rule':<9} test accuracy over seeds {args.seeds}")
    for rule in dict.fromkeys(r["rule"] for r in records):
        accuracies = [r["test_accuracy"] for r in records if r["rule"] == rule]
        print(f"{rule:<9} {np.mean(accuracies):.4f} ± {np.std(accuracies):.4f}")
    draw_comparison(records, args.out, f"{args.data}, [{args.hidden}] ReLU + batch norm, Adam η = {args.eta}, "
                                       f"batch {args.batch_size}, {args.epochs} epochs",
                    angle_title="Angle between synthetic and true gradient")
    print(f"Wrote {args.out}")
    return records


if __name__ == "__main__":
    main()
