"""Speed of synaptica against PyTorch (CPU) and a hand-written NumPy loop, on Fashion-MNIST.

One process, the same data, the same initial weights (copied from the synaptica network into
torch and into the NumPy loop) and the same hyper-parameters; shuffling orders differ.

    PYTHONPATH=src python bench/mlp.py                      # all four configurations, 3 epochs
    PYTHONPATH=src python bench/mlp.py --config a --epochs 5 --json a.json
    PYTHONPATH=src python bench/mlp.py --threads 1          # force 1 thread on both sides

Configurations:
  a  [784, 30, 10] sigmoid, quadratic cost, SGD η=3, batch 10, N(0,1) init   (network.py)
  b  [784, 100, 10], otherwise as a
  c  [784, 256, 128, 10] ReLU, softmax log-likelihood from logits, SGD η=0.1, batch 128, He init
  d  as c, trained with Adam η=1e-3, betas (0.9, 0.999), eps 1e-8 (torch.optim.Adam on the torch side)

Per configuration it prints seconds per training epoch (median over --epochs), inference images/s
(forward over the 10,000 test images in batches of 1000, median of --repeats), test accuracy after
training, and the ratios synaptica / PyTorch. See bench/README.md.
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
from numpy_floor import NumpyTrainer, numpy_forward  # noqa: E402
import torch  # noqa: E402

from synaptica import Backprop, SGD  # noqa: E402
from synaptica.optim import Adam  # noqa: E402
from synaptica.losses import get_cost  # noqa: E402
from synaptica.nn import Linear, mlp  # noqa: E402
from synaptica.train import evaluate, fit, predict  # noqa: E402

CONFIGS = {
    "a": dict(title="[784,30,10] sigmoid, quadratic, η=3, batch 10, N(0,1)",
              sizes=[784, 30, 10], activation="sigmoid", output_activation="sigmoid",
              cost="quadratic", eta=3.0, batch=10, init="large"),
    "b": dict(title="[784,100,10] sigmoid, quadratic, η=3, batch 10, N(0,1)",
              sizes=[784, 100, 10], activation="sigmoid", output_activation="sigmoid",
              cost="quadratic", eta=3.0, batch=10, init="large"),
    "c": dict(title="[784,256,128,10] ReLU, log-likelihood, η=0.1, batch 128, He",
              sizes=[784, 256, 128, 10], activation="relu", output_activation=None,
              cost="log-likelihood", eta=0.1, batch=128, init="he"),
    "d": dict(title="[784,256,128,10] ReLU, log-likelihood, Adam η=1e-3, batch 128, He",
              sizes=[784, 256, 128, 10], activation="relu", output_activation=None,
              cost="log-likelihood", optimizer="adam", eta=1e-3, betas=(0.9, 0.999), eps=1e-8,
              batch=128, init="he"),
}


def synaptica_optimizer(cfg: dict, net):
    """The synaptica optimizer of a configuration: plain SGD unless it names Adam."""
    if cfg.get("optimizer", "sgd") == "adam":
        return Adam(net.parameters(), learning_rate=cfg["eta"], betas=cfg["betas"], eps=cfg["eps"])
    return SGD(net.parameters(), learning_rate=cfg["eta"])


def torch_optimizer(cfg: dict, twin):
    """The matching torch optimizer: torch.optim.SGD(lr=η), or torch.optim.Adam(lr=η, betas, eps)."""
    if cfg.get("optimizer", "sgd") == "adam":
        return common.torch_adam(twin, cfg["eta"], cfg["betas"], cfg["eps"])
    return common.torch_sgd(twin, cfg["eta"])


class SynapticaTrainer:
    """synaptica.fit exactly as a user calls it, without validation (so History.seconds is pure
    training). ``epoch()`` calls fit for one epoch with a shared Generator (the shuffles continue
    one stream); ``epochs(k)`` is one fit call of k epochs."""

    def __init__(self, net, rule, x, y, *, batch_size, blas, seed):
        self.net, self.rule, self.x, self.y = net, rule, x, y
        self.batch_size, self.blas = batch_size, blas
        self.generator = np.random.default_rng(seed)
        self.threads_seen: list = []

    def _record_threads(self, epoch, history, model):
        self.threads_seen.append(common.blas_threads_now())  # runs inside fit's BLAS limit

    def epochs(self, k: int) -> list[float]:
        history = fit(self.net, self.rule, (self.x, self.y), epochs=k, batch_size=self.batch_size,
                      rng=self.generator, verbose=False, blas=self.blas, callbacks=[self._record_threads])
        return list(history.seconds)

    def epoch(self) -> float:
        return self.epochs(1)[0]


# ---------------------------------------------------------------------------- one configuration
def bench_config(key: str, splits, args) -> dict:
    cfg = CONFIGS[key]
    x, y = splits.train.x, splits.train.y
    x_test, y_test = splits.test.x, splits.test.y
    batch = cfg["batch"]
    net = mlp(cfg["sizes"], cfg["activation"], output_activation=cfg["output_activation"],
              init=cfg["init"], rng=args.seed)
    initial = [(layer.weight.data.copy(), layer.bias.data.copy())
               for layer in net.layers if isinstance(layer, Linear)]
    twin = common.torch_twin(net)  # copies the same initial weights
    result = {"config": key, "title": cfg["title"], "epochs": args.epochs, "batch": batch}

    # ---- the three trainers, from the same initial weights
    blas = args.threads if args.threads is not None else "auto"
    rule = Backprop(get_cost(cfg["cost"]), synaptica_optimizer(cfg, net))
    trainers = {"synaptica": SynapticaTrainer(net, rule, x, y, batch_size=batch, blas=blas, seed=args.seed)}
    floor_threads = None
    if cfg["cost"] == "quadratic" and cfg["activation"] == "sigmoid" and not args.no_numpy:
        weights = [w.copy() for w, _ in initial]
        biases = [b.copy() for _, b in initial]
        floor_threads = args.threads if args.threads is not None else common.training_threads(batch, "auto")
        trainers["numpy"] = NumpyTrainer(weights, biases, x, y, batch_size=batch, eta=cfg["eta"],
                                         seed=args.seed, threads=floor_threads)
    t_threads = common.torch_training_threads(batch, args.threads)
    trainers["pytorch"] = common.TorchTrainer(twin, torch_optimizer(cfg, twin), cfg["cost"], x, y,
                                              batch_size=batch, threads=t_threads, seed=args.seed)

    seconds = {name: [] for name in trainers}
    if args.interleave:  # one epoch of each in turn, so that load from other processes hits all alike
        for round_ in range(args.epochs):
            for name, trainer in trainers.items():
                time.sleep(args.settle)  # let the other library's idle threads go to sleep
                seconds[name].append(trainer.epoch())
            print(f"[{key}] epoch {round_}: " + ", ".join(f"{name} {seconds[name][-1]:.2f} s" for name in trainers),
                  flush=True)
    else:
        for name, trainer in trainers.items():
            time.sleep(args.settle)
            seconds[name] = trainer.epochs(args.epochs)
            print(f"[{key}] {name}: {fmt_list(seconds[name])} s", flush=True)

    syn_threads = trainers["synaptica"].threads_seen
    syn = {"seconds": seconds["synaptica"], "s_per_epoch": common.median(seconds["synaptica"]),
           "train_threads": syn_threads[0] if syn_threads and len(set(syn_threads)) == 1 else syn_threads,
           "blas_setting": blas,
           "test_accuracy": evaluate(net, x_test, y_test).accuracy}
    tor = {"seconds": seconds["pytorch"], "s_per_epoch": common.median(seconds["pytorch"]),
           "train_threads": t_threads, "test_accuracy": common.torch_accuracy(twin, x_test, y_test)}
    floor = None
    if "numpy" in trainers:
        floor = {"seconds": seconds["numpy"], "s_per_epoch": common.median(seconds["numpy"]),
                 "train_threads": floor_threads if floor_threads is not None else common.blas_threads_now(),
                 "test_accuracy": float((numpy_forward(weights, biases, x_test).argmax(1) == y_test).mean())}

    # ---- inference: the 10,000 test images in batches of 1000, median of repeats (interleaved)
    blas_inf, torch_inf = common.inference_threads(args.threads)
    x_test_t = torch.from_numpy(x_test)
    runs = {"synaptica": lambda: predict(net, x_test, batch_size=1000),
            "pytorch": lambda: common.torch_predict(twin, x_test_t, batch_size=1000)}
    if floor is not None:
        runs["numpy"] = lambda: numpy_forward(weights, biases, x_test, 1000)
    times = common.time_inference(runs, args.threads, args.repeats, args.settle)
    for name, part in (("synaptica", syn), ("pytorch", tor), ("numpy", floor)):
        if part is not None:
            part["infer_times"] = times[name]
            part["images_per_s"] = len(x_test) / common.median(times[name])
            part["infer_threads"] = torch_inf if name == "pytorch" else blas_inf

    result.update(synaptica=syn, pytorch=tor, numpy=floor)
    result["ratio_s_per_epoch"] = syn["s_per_epoch"] / tor["s_per_epoch"]
    result["ratio_images_per_s"] = syn["images_per_s"] / tor["images_per_s"]
    if floor is not None:
        result["overhead_over_numpy_s_per_epoch"] = syn["s_per_epoch"] / floor["s_per_epoch"]
        result["numpy_ratio_s_per_epoch"] = floor["s_per_epoch"] / tor["s_per_epoch"]
        result["overhead_over_numpy_images_per_s"] = floor["images_per_s"] / syn["images_per_s"]
    return result


def fmt_list(values) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def print_table(results: list[dict], env: dict, args) -> None:
    print()
    print(f"Fashion-MNIST, train {results[0].get('n_train', '?')} / test {results[0].get('n_test', '?')}; "
          f"median over {args.epochs} epoch(s) and {args.repeats} inference repeats; "
          f"torch {env['torch']}, numpy {env['numpy']}, {env['cpu_count']} CPU(s)")
    policy = (f"forced to {args.threads}" if args.threads is not None else
              f"fit's policy: 1 thread when batch < {env['small_batch']}, else the default "
              f"(BLAS {env['blas_default_threads']}, torch {env['torch_default_threads']})")
    print(f"threads: {policy}")
    print(f"load average (1 min) at start {env['loadavg'][0]:.2f}, at end {common.environment()['loadavg'][0]:.2f}"
          " (other processes on a 2-core machine make 2-thread timings unreliable)")
    header = f"{'cfg':<4}{'implementation':<14}{'s/epoch':>9}{'images/s':>11}{'test acc':>10}{'train thr':>11}{'infer thr':>11}"
    for r in results:
        print()
        print(f"({r['config']}) {r['title']}")
        print(header)
        print("-" * len(header))
        for name in ("synaptica", "pytorch", "numpy"):
            part = r[name]
            if part is None:
                continue
            label = "numpy floor" if name == "numpy" else name
            print(f"{r['config']:<4}{label:<14}{part['s_per_epoch']:>9.3f}{part['images_per_s']:>11,.0f}"
                  f"{part['test_accuracy']:>10.4f}{str(part['train_threads']):>11}{str(part['infer_threads']):>11}")
        print(f"    synaptica/PyTorch: s/epoch {r['ratio_s_per_epoch']:.2f}x (lower is better), "
              f"images/s {r['ratio_images_per_s']:.2f}x (higher is better)")
        if r["numpy"] is not None:
            print(f"    NumPy floor/PyTorch: s/epoch {r['numpy_ratio_s_per_epoch']:.2f}x (what an engine with no "
                  "overhead of its own would reach)")
            print(f"    synaptica overhead over the NumPy floor: s/epoch {r['overhead_over_numpy_s_per_epoch']:.2f}x, "
                  f"inference time {r['overhead_over_numpy_images_per_s']:.2f}x")


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--config", choices=[*CONFIGS, "all"], default="all")
    parser.add_argument("--epochs", type=int, default=3, help="training epochs timed (median reported)")
    parser.add_argument("--repeats", type=int, default=5, help="inference repeats (median reported)")
    parser.add_argument("--threads", type=int, default=None,
                        help="force BLAS (synaptica, NumPy) and torch to N threads, training and inference")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--no-numpy", action="store_true", help="skip the hand-written NumPy floor")
    parser.add_argument("--no-interleave", dest="interleave", action="store_false",
                        help="train each implementation for all its epochs in turn (synaptica: one fit "
                             "call) instead of one epoch of each in turn")
    parser.add_argument("--settle", type=float, default=0.2,
                        help="seconds to pause (untimed) before each timed run, so that the threads of "
                             "the library that ran last stop spinning (default 0.2)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.repeats < 1:
        parser.error("--epochs and --repeats must be >= 1")
    if args.settle < 0:
        parser.error("--settle must be >= 0")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1")

    env = common.environment()
    splits = common.load(args.data)
    keys = list(CONFIGS) if args.config == "all" else [args.config]
    results = []
    for key in keys:
        result = bench_config(key, splits, args)
        result["n_train"], result["n_test"] = len(splits.train.x), len(splits.test.x)
        results.append(result)
    print_table(results, env, args)
    if args.json is not None:
        env["loadavg_end"] = common.environment()["loadavg"]
        record = {"benchmark": "mlp", "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                  "environment": env, "results": results}
        args.json.write_text(json.dumps(record, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return results


if __name__ == "__main__":
    main()
