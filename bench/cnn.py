"""Speed of a LeNet-like convolutional network in synaptica against the same network in PyTorch (CPU).

One process, the same Fashion-MNIST images, the same initial weights (copied from the synaptica
network into torch) and the same hyper-parameters; shuffling orders differ.

    PYTHONPATH=src python bench/cnn.py                         # 50,000 training images, 2 epochs
    PYTHONPATH=src python bench/cnn.py --limit 10000 --epochs 3 --json cnn.json
    PYTHONPATH=src python bench/cnn.py --threads 1             # force 1 thread on both sides

The network (channels-first, 1×28×28 in):
    Conv2d(1→20, 5×5), ReLU, MaxPool2d(2×2)     -> 20 × 12 × 12
    Conv2d(20→40, 5×5), ReLU, MaxPool2d(2×2)    -> 40 × 4 × 4
    Flatten, Linear(640→100), ReLU, Linear(100→10)
trained with the softmax log-likelihood cost on the logits (``F.cross_entropy``), plain SGD η=0.1,
mini-batches of 64, He initialisation.

It prints seconds per training epoch (median over --epochs), inference images/s (forward over the
10,000 test images in batches of 1000, median of --repeats), test accuracy after training, and the
ratios synaptica / PyTorch. See bench/README.md.
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

from synaptica import Backprop, SGD  # noqa: E402
from synaptica.losses import get_cost  # noqa: E402
from synaptica.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential  # noqa: E402
from synaptica.train import evaluate, fit, predict  # noqa: E402

BATCH = 64
ETA = 0.1
TITLE = "conv 5×5 20 maps, max 2, conv 5×5 40 maps, max 2, FC 100, ReLU, log-likelihood, SGD η=0.1, batch 64, He"


def lenet(seed: int) -> Sequential:
    """The benchmark's network, its initial weights drawn from one Generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2d(1, 20, 5, init="he", rng=rng), ReLU(), MaxPool2d(2),
        Conv2d(20, 40, 5, init="he", rng=rng), ReLU(), MaxPool2d(2),
        Flatten(), Linear(640, 100, init="he", rng=rng), ReLU(), Linear(100, 10, init="he", rng=rng),
    )


def torch_twin(net: Sequential) -> nn.Sequential:
    """The same network in torch.nn with a copy of ``net``'s current weights."""
    layers = []
    for layer in net.layers:
        if isinstance(layer, Conv2d):
            twin = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding)
        elif isinstance(layer, Linear):
            twin = nn.Linear(layer.in_features, layer.out_features)
        elif isinstance(layer, MaxPool2d):
            layers.append(nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding))
            continue
        elif isinstance(layer, ReLU):
            layers.append(nn.ReLU())
            continue
        elif isinstance(layer, Flatten):
            layers.append(nn.Flatten())
            continue
        else:
            raise TypeError(f"no torch twin for {layer!r}")
        with torch.no_grad():
            twin.weight.copy_(torch.from_numpy(np.array(layer.weight.data, dtype=np.float32)))
            twin.bias.copy_(torch.from_numpy(np.array(layer.bias.data, dtype=np.float32)))
        layers.append(twin)
    return nn.Sequential(*layers)


def one_step_difference(seed: int, x: np.ndarray, y: np.ndarray) -> float:
    """Largest difference between the two libraries' weights after one SGD step from the same
    weights on the same batch: shows that both compute the same update."""
    net = lenet(seed)
    twin = torch_twin(net)
    Backprop(get_cost("log-likelihood"), SGD(net.parameters(), learning_rate=ETA)).step(net, (x, y))
    optimizer = torch.optim.SGD(twin.parameters(), lr=ETA)
    loss = torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(y))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    ours = [p.data for p in net.parameters()]
    theirs = [p.detach().numpy() for p in twin.parameters()]
    return max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs))


class SynapticaTrainer:
    """synaptica.fit as a user calls it, one epoch per call, with one shared Generator (the shuffles
    continue one stream). No validation set, so History.seconds is pure training time."""

    def __init__(self, net, x, y, *, blas, seed):
        self.net, self.x, self.y, self.blas = net, x, y, blas
        self.rule = Backprop(get_cost("log-likelihood"), SGD(net.parameters(), learning_rate=ETA))
        self.generator = np.random.default_rng(seed)
        self.threads_seen: list = []

    def _record_threads(self, epoch, history, model):
        self.threads_seen.append(common.blas_threads_now())  # runs inside fit's BLAS limit

    def epochs(self, k: int) -> list[float]:
        history = fit(self.net, self.rule, (self.x, self.y), epochs=k, batch_size=BATCH, rng=self.generator,
                      verbose=False, blas=self.blas, callbacks=[self._record_threads])
        return list(history.seconds)

    def epoch(self) -> float:
        return self.epochs(1)[0]


def images(x: np.ndarray) -> np.ndarray:
    """Flat Fashion-MNIST rows (n, 784) as channels-first images (n, 1, 28, 28); a view, no copy."""
    return x.reshape(len(x), 1, 28, 28)


def run(args) -> dict:
    splits = common.load(args.data)
    x, y = images(splits.train.x), splits.train.y
    if args.limit is not None:
        x, y = x[:args.limit], y[:args.limit]
    x_test, y_test = images(splits.test.x), splits.test.y
    net = lenet(args.seed)
    twin = torch_twin(net)
    result = {"title": TITLE, "epochs": args.epochs, "batch": BATCH, "n_train": len(x), "n_test": len(x_test),
              "one_step_max_weight_difference": one_step_difference(args.seed, x[:BATCH], y[:BATCH])}

    blas = args.threads if args.threads is not None else "auto"
    t_threads = common.torch_training_threads(BATCH, args.threads)
    trainers = {
        "synaptica": SynapticaTrainer(net, x, y, blas=blas, seed=args.seed),
        "pytorch": common.TorchTrainer(twin, torch.optim.SGD(twin.parameters(), lr=ETA), "log-likelihood", x, y,
                                       batch_size=BATCH, threads=t_threads, seed=args.seed),
    }
    seconds = {name: [] for name in trainers}

    def timed_epoch(trainer) -> float:
        if args.clock == "wall":
            return trainer.epoch()  # each trainer's own wall-clock timing of the epoch
        started = time.process_time()
        trainer.epoch()
        return time.process_time() - started

    if args.interleave:  # one epoch of each in turn, so that load from other processes hits both alike
        for round_ in range(args.epochs):
            for name, trainer in trainers.items():
                time.sleep(args.settle)
                seconds[name].append(timed_epoch(trainer))
            print(f"epoch {round_}: " + ", ".join(f"{name} {seconds[name][-1]:.2f} s" for name in trainers),
                  flush=True)
    else:
        for name, trainer in trainers.items():
            time.sleep(args.settle)
            seconds[name] = (trainer.epochs(args.epochs) if args.clock == "wall" else
                             [timed_epoch(trainer) for _ in range(args.epochs)])
            print(f"{name}: " + ", ".join(f"{s:.2f}" for s in seconds[name]) + " s", flush=True)

    threads_seen = trainers["synaptica"].threads_seen
    syn = {"seconds": seconds["synaptica"], "s_per_epoch": common.median(seconds["synaptica"]),
           "train_threads": threads_seen[0] if threads_seen and len(set(threads_seen)) == 1 else threads_seen,
           "test_accuracy": evaluate(net, x_test, y_test).accuracy}
    tor = {"seconds": seconds["pytorch"], "s_per_epoch": common.median(seconds["pytorch"]),
           "train_threads": t_threads, "test_accuracy": common.torch_accuracy(twin, x_test, y_test)}

    # inference: the 10,000 test images in batches of 1000, median of repeats (taking turns)
    blas_inf, torch_inf = common.inference_threads(args.threads)
    x_test_t = torch.from_numpy(x_test)
    runs = {"synaptica": lambda: predict(net, x_test, batch_size=1000),
            "pytorch": lambda: common.torch_predict(twin, x_test_t, batch_size=1000)}
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    times = common.time_inference(runs, args.threads, args.repeats, args.settle, clock)
    for name, part in (("synaptica", syn), ("pytorch", tor)):
        part["infer_times"] = times[name]
        part["images_per_s"] = len(x_test) / common.median(times[name])
        part["infer_threads"] = torch_inf if name == "pytorch" else blas_inf

    result.update(synaptica=syn, pytorch=tor)
    result["ratio_s_per_epoch"] = syn["s_per_epoch"] / tor["s_per_epoch"]
    result["ratio_images_per_s"] = syn["images_per_s"] / tor["images_per_s"]
    return result


def print_table(result: dict, env: dict, args) -> None:
    print()
    print(f"Fashion-MNIST, train {result['n_train']} / test {result['n_test']}; median over {args.epochs} epoch(s) "
          f"and {args.repeats} inference repeats; torch {env['torch']}, numpy {env['numpy']}, "
          f"{env['cpu_count']} CPU(s)")
    policy = (f"forced to {args.threads}" if args.threads is not None else
              f"fit's policy at batch {BATCH}: the default (BLAS {env['blas_default_threads']}, "
              f"torch {env['torch_default_threads']})")
    clock = "wall-clock seconds" if args.clock == "wall" else "CPU seconds of this process"
    print(f"threads: {policy}; clock: {clock}")
    print(f"load average (1 min) at start {env['loadavg'][0]:.2f}, at end {common.environment()['loadavg'][0]:.2f}")
    print(f"one SGD step from the same weights on the same batch: weights agree to "
          f"{result['one_step_max_weight_difference']:.1e}")
    print()
    print(TITLE)
    header = f"{'implementation':<14}{'s/epoch':>9}{'images/s':>11}{'test acc':>10}{'train thr':>11}{'infer thr':>11}"
    print(header)
    print("-" * len(header))
    for name in ("synaptica", "pytorch"):
        part = result[name]
        print(f"{name:<14}{part['s_per_epoch']:>9.3f}{part['images_per_s']:>11,.0f}{part['test_accuracy']:>10.4f}"
              f"{str(part['train_threads']):>11}{str(part['infer_threads']):>11}")
    print(f"synaptica/PyTorch: s/epoch {result['ratio_s_per_epoch']:.2f}x (lower is better; target <= 1.0), "
          f"images/s {result['ratio_images_per_s']:.2f}x (higher is better; target >= 1.0)")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--epochs", type=int, default=2, help="training epochs timed (median reported)")
    parser.add_argument("--limit", type=int, default=None,
                        help="train on the first N training images only (default: all 50,000)")
    parser.add_argument("--repeats", type=int, default=5, help="inference repeats (median reported)")
    parser.add_argument("--threads", type=int, default=None,
                        help="force BLAS (synaptica) and torch to N threads, training and inference")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--no-interleave", dest="interleave", action="store_false",
                        help="train each implementation for all its epochs in turn instead of one epoch of each")
    parser.add_argument("--settle", type=float, default=0.2,
                        help="seconds to pause (untimed) before each timed run (default 0.2)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="time in wall-clock seconds (default) or in this process's CPU seconds; 'cpu' "
                             "needs --threads 1 and is what to use on a machine other jobs are loading")
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    args = parser.parse_args(argv)
    if args.clock == "cpu" and args.threads != 1:
        parser.error("--clock cpu needs --threads 1 (CPU time adds up every thread's time, waiting included)")
    if args.epochs < 1 or args.repeats < 1:
        parser.error("--epochs and --repeats must be >= 1")
    if args.limit is not None and args.limit < BATCH:
        parser.error(f"--limit must be at least one batch ({BATCH})")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1")
    if args.settle < 0:
        parser.error("--settle must be >= 0")

    env = common.environment()
    result = run(args)
    print_table(result, env, args)
    if args.json is not None:
        env["loadavg_end"] = common.environment()["loadavg"]
        arguments = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
        record = {"benchmark": "cnn", "args": arguments, "environment": env, "result": result}
        args.json.write_text(json.dumps(record, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return result


if __name__ == "__main__":
    main()
