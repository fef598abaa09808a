"""Speed of recurrent classifiers in synaptica against the same networks in PyTorch (CPU).

Fashion-MNIST read row by row (28 steps of 28 pixels), one recurrent layer of 128 units whose last
state feeds a Linear(128 → 10), softmax log-likelihood on the logits, Adam η = 0.001, mini-batches
of 64 (``synaptica train --model lstm``'s network). One process, the same images, the same initial
weights (copied from synaptica into ``nn.LSTM`` / ``nn.GRU``, gate blocks permuted as
tests/nn/test_recurrent.py states), shuffling orders differ.

    PYTHONPATH=src python bench/recurrent.py                          # LSTM and GRU, 12,800 images × 2 epochs
    PYTHONPATH=src python bench/recurrent.py --limit 50000 --epochs 1  # whole epochs
    PYTHONPATH=src python bench/recurrent.py --cell lstm --threads 1 --clock cpu   # on a loaded machine

Prints seconds per training epoch on the images used (median over --epochs, taking turns), the same
scaled to 50,000 images, inference images/s (the 10,000 test images in batches of 1000) and the
ratios synaptica / PyTorch.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common  # noqa: E402  (also puts src/ on the path when needed)
import torch  # noqa: E402
from torch import nn  # noqa: E402

from synaptica import Backprop  # noqa: E402
from synaptica.optim import Adam  # noqa: E402
from synaptica.losses import get_cost  # noqa: E402
from synaptica.nn.sequence_models import sequence_classifier  # noqa: E402
from synaptica.ops.lstm import TORCH_ORDER  # noqa: E402
from synaptica.train import fit, predict  # noqa: E402

BATCH = 64
ETA = 0.001
HIDDEN = 128
FULL_EPOCH = 50_000


class TorchClassifier(nn.Module):
    """(batch, 784) -> 28 steps of 28 -> nn.LSTM / nn.GRU -> last state -> Linear."""

    def __init__(self, cell: str, net):
        super().__init__()
        layer, linear = net.layers[1], net.layers[2]
        kind = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.recurrent = kind(layer.input_size, layer.hidden_size, batch_first=True)
        self.linear = nn.Linear(linear.in_features, linear.out_features)
        self.steps = net.layers[0].shape
        with torch.no_grad():
            for name, value in self.recurrent.named_parameters():
                if cell == "lstm":
                    if name == "bias_hh_l0":
                        value.zero_()
                        continue
                    ours = getattr(layer, name.replace("bias_ih", "bias")).data
                    blocks = np.split(ours, 4)
                    ours = np.concatenate([blocks[TORCH_ORDER.index(k)] for k in range(4)])
                else:
                    ours = getattr(layer, name).data
                value.copy_(torch.from_numpy(np.ascontiguousarray(ours)))
            self.linear.weight.copy_(torch.from_numpy(linear.weight.data))
            self.linear.bias.copy_(torch.from_numpy(linear.bias.data))

    def forward(self, x):
        _, final = self.recurrent(x.view(len(x), *self.steps))
        h = final[0] if isinstance(final, tuple) else final
        return self.linear(h[-1])


class SynapticaTrainer:
    """synaptica.fit as a user calls it, one epoch per call (no validation: pure training time)."""

    def __init__(self, net, x, y, *, blas, seed):
        self.net, self.x, self.y, self.blas = net, x, y, blas
        self.rule = Backprop(get_cost("log-likelihood"), Adam(net.parameters(), learning_rate=ETA))
        self.generator = np.random.default_rng(seed)

    def epoch(self) -> float:
        history = fit(self.net, self.rule, (self.x, self.y), epochs=1, batch_size=BATCH, rng=self.generator,
                      verbose=False, blas=self.blas)
        return history.seconds[0]


def bench_cell(cell: str, args, splits) -> dict:
    x, y = splits.train.x[:args.limit], splits.train.y[:args.limit]
    x_test = splits.test.x
    net = sequence_classifier(cell, (1, 28, 28), 10, hidden=HIDDEN, rng=args.seed)
    twin = TorchClassifier(cell, net)
    with torch.no_grad():
        agree = float(np.abs(twin(torch.from_numpy(x_test[:256])).numpy() - predict(net, x_test[:256])).max())
    blas = args.threads if args.threads is not None else "auto"
    trainers = {
        "synaptica": SynapticaTrainer(net, x, y, blas=blas, seed=args.seed),
        "pytorch": common.TorchTrainer(twin, common.torch_adam(twin, ETA), "log-likelihood", x, y, batch_size=BATCH,
                                       threads=common.torch_training_threads(BATCH, args.threads), seed=args.seed),
    }
    seconds = {name: [] for name in trainers}
    for round_ in range(args.epochs):  # taking turns, so that load from other processes hits both alike
        for name, trainer in trainers.items():
            time.sleep(args.settle)
            started = time.process_time()
            wall = trainer.epoch()
            seconds[name].append(wall if args.clock == "wall" else time.process_time() - started)
        print(f"{cell} epoch {round_}: " + ", ".join(f"{n} {s[-1]:.2f} s" for n, s in seconds.items()), flush=True)

    x_test_t = torch.from_numpy(x_test)
    twin.eval()
    # a forced thread count holds for predict's batches in parallel too (one batch at a time for 1)
    workers = args.threads if args.threads is not None else "auto"
    runs = {"synaptica": lambda: predict(net, x_test, batch_size=1000, workers=workers),
            "pytorch": lambda: common.torch_predict(twin, x_test_t, batch_size=1000)}
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    times = common.time_inference(runs, args.threads, args.repeats, args.settle, clock)
    result = {"cell": cell, "n_train": len(x), "outputs_agree_to": agree}
    for name in trainers:
        per_epoch = common.median(seconds[name])
        result[name] = {"seconds": seconds[name], "s_per_epoch": per_epoch,
                        "s_per_full_epoch": per_epoch * FULL_EPOCH / len(x),
                        "images_per_s": len(x_test) / common.median(times[name]), "infer_times": times[name]}
    result["ratio_s_per_epoch"] = result["synaptica"]["s_per_epoch"] / result["pytorch"]["s_per_epoch"]
    result["ratio_images_per_s"] = result["synaptica"]["images_per_s"] / result["pytorch"]["images_per_s"]
    return result


def print_table(results: list[dict], env: dict, args) -> None:
    print()
    print(f"Fashion-MNIST row by row (28 × 28), {HIDDEN} units, batch {BATCH}, Adam η={ETA}; train "
          f"{results[0]['n_train']} images, median over {args.epochs} epoch(s), {args.repeats} inference repeats; "
          f"torch {env['torch']}, numpy {env['numpy']}, {env['cpu_count']} CPU(s); clock {args.clock}; "
          f"threads {'forced to ' + str(args.threads) if args.threads else 'fit policy / torch default'}")
    header = f"{'cell':<6}{'implementation':<15}{'s/epoch':>9}{'s/50k':>9}{'images/s':>11}"
    print(header)
    print("-" * len(header))
    for r in results:
        for name in ("synaptica", "pytorch"):
            part = r[name]
            print(f"{r['cell']:<6}{name:<15}{part['s_per_epoch']:>9.2f}{part['s_per_full_epoch']:>9.1f}"
                  f"{part['images_per_s']:>11,.0f}")
        print(f"{r['cell']}: synaptica/PyTorch s/epoch {r['ratio_s_per_epoch']:.2f}x (target <= 1.0), images/s "
              f"{r['ratio_images_per_s']:.2f}x (target >= 1.0); outputs agree to {r['outputs_agree_to']:.1e}")


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--cell", choices=["lstm", "gru", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs timed per side (median reported)")
    parser.add_argument("--limit", type=int, default=12_800, help="train on the first N training images")
    parser.add_argument("--repeats", type=int, default=3, help="inference repeats (median reported)")
    parser.add_argument("--threads", type=int, default=None, help="force BLAS and torch to N threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--settle", type=float, default=0.2, help="untimed pause before each timed run")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall-clock seconds, or this process's CPU seconds (needs --threads 1)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    args = parser.parse_args(argv)
    if args.clock == "cpu" and args.threads != 1:
        parser.error("--clock cpu needs --threads 1")
    if args.epochs < 1 or args.repeats < 1 or args.limit < BATCH:
        parser.error(f"--epochs and --repeats must be >= 1 and --limit >= {BATCH}")
    env = common.environment()
    splits = common.load(args.data)
    cells = ["lstm", "gru"] if args.cell == "both" else [args.cell]
    results = [bench_cell(cell, args, splits) for cell in cells]
    print_table(results, env, args)
    if args.json is not None:
        arguments = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
        args.json.write_text(json.dumps({"benchmark": "recurrent", "args": arguments, "environment": env,
                                         "results": results}, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return results


if __name__ == "__main__":
    main()
