"""How well can any predictor of a hidden block's gradient do, with the label and without it?

    python examples/synthetic_gradient_ceiling.py --rule dni --epochs 3
    python examples/synthetic_gradient_ceiling.py --rule backprop --epochs 3 --mlp 1024 --mlp 1024,1024

Trains [784, 256, 256, 10] ReLU + batch norm (He initialisation, Adam η = 0.001, batch 64, as
examples/synthetic_gradients.py does) for ``--epochs`` with backprop or DNI, then collects, on the
training images, the top hidden block's output hᵢ and its true gradient tᵢ = m ∂C/∂hᵢ (one example's
cost: what the rule's top predictor is regressed on). Predictors are fitted offline on ``--fit``
pairs and their angle to t is measured on ``--held-out`` other pairs:

    linear M(h)      least squares on [h, 1]: DNI's predictor at its optimum
    linear M(h, y)   least squares on [h, one-hot y, 1]: cDNI's predictor at its optimum
    MLP M(h)         ReLU hidden layers of ``--mlp`` sizes, zero output layer, Adam η = 0.001,
                     ``--mlp-epochs`` passes (the nonlinear DNI predictors the paper allows)
    the rule's M(h)  with ``--rule dni``: the predictor the rule itself learnt online

The least-squares linear M(h) is m Wᵀ [∂C/∂W ∂C/∂b] (H̃ᵀH̃)⁻¹, the output layer's own gradient
(tests/rules/test_synthetic_gradients.py), so it vanishes where the output layer has stopped learning;
a label-free predictor has to know the label better than the output layer does to say anything.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from synaptica.data import load_dataset
from synaptica.losses import LogLikelihoodCost, QuadraticCost
from synaptica.nn import Sequential, mlp
from synaptica.optim import Adam
from synaptica.rules import Backprop, SyntheticGradients
from synaptica.rules.alignment import angle
from synaptica.tensor import Tensor
from synaptica.train import evaluate, fit


def gradient_pairs(model: Sequential, x: np.ndarray, y: np.ndarray, cost, rule: SyntheticGradients | None):
    """(h, t, the rule's own predictions or None) for the top hidden block, in evaluation mode."""
    probe = SyntheticGradients(cost, Adam(model.parameters(), 1e-3))
    probe.bind(model, np.random.default_rng(0))
    model.eval()
    h, t, own = [], [], []
    for start in range(0, len(x), 1000):
        batch = (x[start:start + 1000], y[start:start + 1000])
        name, (_, true) = list(probe.block_gradients(model, batch).items())[0]  # the top block comes first
        below = Sequential(model.layers[:int(name.rsplit(".", 1)[1]) + 1])
        h.append(below(Tensor(batch[0])).data.astype(np.float64))
        t.append(true.astype(np.float64) * len(batch[0]))
        if rule is not None:
            own.append(rule.predictors[name](Tensor(h[-1].astype(np.float32))).data)
    return np.concatenate(h), np.concatenate(t), np.concatenate(own) if own else None


def linear_angle(features: np.ndarray, t: np.ndarray, fitted: slice, held_out: slice) -> float:
    augmented = np.c_[features, np.ones(len(features))]
    weights, *_ = np.linalg.lstsq(augmented[fitted], t[fitted], rcond=None)
    return angle(augmented[held_out] @ weights, t[held_out])


def mlp_angle(hidden: list[int], h: np.ndarray, t: np.ndarray, fitted: slice, held_out: slice, epochs: int,
              seed: int) -> float:
    net = mlp([h.shape[1], *hidden, t.shape[1]], "relu", init="he", rng=seed, dtype=np.float64)
    net.layers[-1].weight.data[...] = 0
    net.layers[-1].bias.data[...] = 0
    fit(net, Backprop(QuadraticCost(), Adam(net.parameters(), 1e-3)), (h[fitted], t[fitted]), epochs=epochs,
        batch_size=256, rng=seed, verbose=False)
    return angle(net(Tensor(h[held_out])).data, t[held_out])


def main(argv=None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--rule", choices=("backprop", "dni"), default="dni")
    parser.add_argument("--epochs", type=int, default=3, help="train the network first (0: at initialisation)")
    parser.add_argument("--hidden", default="256,256")
    parser.add_argument("--fit", type=int, default=40000, help="pairs the predictors are fitted on")
    parser.add_argument("--held-out", type=int, default=10000, help="further pairs they are measured on")
    parser.add_argument("--mlp", action="append", default=[], metavar="SIZES",
                        help="also fit an MLP predictor with these hidden sizes (repeatable), e.g. 1024,1024")
    parser.add_argument("--mlp-epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    splits = load_dataset(args.data)
    x, y = splits.train.x, splits.train.y
    sizes = [x.shape[1], *[int(v) for v in args.hidden.split(",")], splits.train.n_classes]
    model = mlp(sizes, "relu", init="he", rng=args.seed, batch_norm=True)
    cost, optimizer = LogLikelihoodCost(), Adam(model.parameters(), 1e-3)
    rule = Backprop(cost, optimizer) if args.rule == "backprop" else SyntheticGradients(cost, optimizer)
    if args.epochs:
        fit(model, rule, (x, y), epochs=args.epochs, batch_size=64, rng=args.seed, verbose=False)
    print(f"{args.rule}, {args.epochs} epochs: test accuracy {evaluate(model, splits.test.x, splits.test.y).accuracy:.4f}")
    n = min(len(x), args.fit + args.held_out)
    fitted, held_out = slice(0, n - args.held_out), slice(n - args.held_out, n)
    learnt = rule if args.rule == "dni" and args.epochs else None
    h, t, own = gradient_pairs(model, x[:n], y[:n], cost, learnt)
    found = {"linear M(h)": linear_angle(h, t, fitted, held_out),
             "linear M(h, y)": linear_angle(np.c_[h, np.eye(splits.train.n_classes)[y[:n]]], t, fitted, held_out)}
    if own is not None:
        found["the rule's M(h)"] = angle(own[held_out], t[held_out])
    for spec in args.mlp:
        started = time.perf_counter()
        found[f"MLP [{spec}] M(h)"] = mlp_angle([int(v) for v in spec.split(",")], h, t, fitted, held_out,
                                                args.mlp_epochs, args.seed)
        print(f"  (MLP [{spec}]: {time.perf_counter() - started:.0f} s)", flush=True)
    print(f"angle to the true m ∂C/∂h of the top hidden block on {args.held_out} held-out training images "
          f"(fitted on {n - args.held_out}):")
    for name, value in found.items():
        print(f"  {name:<22} {value:5.1f}°")
    return found


if __name__ == "__main__":
    main()
