"""Combine saved networks into an ensemble and report its test accuracy beside each member's.

Nielsen's last step in ch. 6, applied to any networks already trained and saved, for instance three
runs of the default convolutional network:

    synaptica train --model cnn --seed 0 --out cnn0.safetensors      # (and seeds 1, 2)
    python examples/ensemble_files.py cnn0.safetensors cnn1.safetensors cnn2.safetensors --out cnn3.safetensors

The ensemble averages the members' softmax probabilities (``Ensemble(..., combine="average")``); the
saved ensemble is one model file that ``synaptica evaluate`` reads like any other.
"""

import argparse

import numpy as np

from synaptica.data import load_dataset
from synaptica.io import load_model, save_model
from synaptica.nn import Ensemble
from synaptica.train import evaluate


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="model files written by 'synaptica train --out'")
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--combine", choices=["average", "vote"], default="average")
    parser.add_argument("--out", default=None, help="save the ensemble here (.safetensors)")
    args = parser.parse_args(argv)
    test = load_dataset(args.data).test
    members = [load_model(path)[0] for path in args.models]
    results = {path: evaluate(member, test.x, test.y).accuracy for path, member in zip(args.models, members)}
    for path, accuracy in results.items():
        print(f"{path}: test accuracy {accuracy:.4f}")
    results["mean member"] = float(np.mean(list(results.values())))
    ensemble = Ensemble(members, combine=args.combine)
    results["ensemble"] = evaluate(ensemble, test.x, test.y).accuracy
    print(f"mean member: {results['mean member']:.4f}; ensemble of {len(members)} ({args.combine}): "
          f"test accuracy {results['ensemble']:.4f}")
    if args.out:
        save_model(args.out, ensemble)
        print(f"Saved {args.out}")
    return results


if __name__ == "__main__":
    main()
