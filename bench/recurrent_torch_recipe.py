"""The recipe of ``synaptica train --model gru`` (or lstm) trained in PyTorch, for the accuracy beside it.

Same network (28 steps of 28 pixels, one nn.GRU / nn.LSTM layer of 128 units, its last state into
Linear(128 → 10)), the same initial weights (copied from synaptica's, gate blocks permuted), Adam
η = 0.001 falling along half a cosine to η/100 by the last epoch, batch 64, 15 epochs, the weights
of the epoch with the best validation accuracy; prints the test accuracy.

    PYTHONPATH=src python bench/recurrent_torch_recipe.py --cell gru
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common  # noqa: E402
import torch  # noqa: E402
from recurrent import HIDDEN, TorchClassifier  # noqa: E402

from synaptica.nn.sequence_models import sequence_classifier  # noqa: E402


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cell", choices=["lstm", "gru"], default="gru")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    splits = common.load("fashion-mnist")
    model = TorchClassifier(args.cell, sequence_classifier(args.cell, (1, 28, 28), 10, hidden=HIDDEN, rng=args.seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.from_numpy(splits.train.x), torch.from_numpy(splits.train.y)
    best, best_state = -1.0, None
    for epoch in range(args.epochs):
        fraction = epoch / max(args.epochs - 1, 1)
        for group in optimizer.param_groups:  # η from 1e-3 to 1e-5 along half a cosine, as --schedule cosine
            group["lr"] = 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + math.cos(math.pi * fraction))
        model.train()
        order = torch.randperm(len(x))
        for start in range(0, len(x), 64):
            index = order[start:start + 64]
            loss = torch.nn.functional.cross_entropy(model(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        accuracy = common.torch_accuracy(model, splits.validation.x, splits.validation.y)
        print(f"Epoch {epoch}: validation accuracy {accuracy:.4f}", flush=True)
        if accuracy > best:
            best, best_state = accuracy, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    test = common.torch_accuracy(model, splits.test.x, splits.test.y)
    print(f"Test accuracy: {test:.4f} (PyTorch {args.cell}, the weights of the best validation epoch {best:.4f})")
    return test


if __name__ == "__main__":
    main()
