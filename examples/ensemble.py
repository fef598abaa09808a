"""An ensemble of networks trained from different seeds, combined by averaging their probabilities
and by a vote (Nielsen ch. 6, "using an ensemble of networks").

Each member is a [784, 100, 10] ReLU network (He initialisation, log-likelihood cost, SGD η = 0.1,
λ = 0.5, mini-batches of 32), trained by ``train_ensemble`` with its own seed for the weights and the
shuffling, keeping the epoch with the best validation accuracy.

    python examples/ensemble.py                        # 3 members, 10 epochs each
    python examples/ensemble.py --seeds 0 1 2 3 4 --epochs 5 --out ensemble.safetensors
"""

import argparse

import numpy as np

from synaptica import Backprop, LogLikelihoodCost, SGD
from synaptica.data import load_dataset
from synaptica.io import save_model
from synaptica.nn import Ensemble, mlp
from synaptica.train import evaluate, train_ensemble


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="one seed per member")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", default=None, help="save the averaging ensemble here (.safetensors)")
    args = parser.parse_args(argv)
    splits = load_dataset(args.data)
    train, validation, test = splits.train, splits.validation, splits.test

    def build(seed):
        net = mlp([train.x.shape[1], 100, train.n_classes], "relu", init="he", rng=seed)
        optimizer = SGD(net.parameters(), learning_rate=0.1, lmbda=0.5, n_examples=len(train.x))
        return net, Backprop(LogLikelihoodCost(), optimizer)

    ensemble, _ = train_ensemble(build, (train.x, train.y), seeds=args.seeds, epochs=args.epochs, batch_size=32,
                                 validation=(validation.x, validation.y), restore_best=True, verbose=False)
    results = {f"member seed {seed}": evaluate(member, test.x, test.y).accuracy
               for seed, member in zip(args.seeds, ensemble.members)}
    results["mean member"] = float(np.mean(list(results.values())))
    results["average"] = evaluate(ensemble, test.x, test.y).accuracy
    results["vote"] = evaluate(Ensemble(ensemble.members, combine="vote"), test.x, test.y).accuracy
    for name, accuracy in results.items():
        print(f"{name:>16}: test accuracy {accuracy:.4f}")
    if args.out:
        save_model(args.out, ensemble)
        print(f"Saved {args.out}")
    return results


if __name__ == "__main__":
    main()
