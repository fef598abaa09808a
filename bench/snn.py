"""The Diehl-Cook spiking network in synaptica against the same network written in PyTorch tensors.

    PYTHONPATH=src python bench/snn.py                       # 400 neurons, 64 images each way, one thread
    PYTHONPATH=src python bench/snn.py --images 320 --threads 2 --repeats 5

The PyTorch twin is what a user would write with tensors instead (as BindsNET does): the same
network, time step (0.5 ms), neuron count, steps per image (700), batch and float32, with per-step
Poisson spikes drawn by ``torch.poisson``, the input conductances as one dense matrix product per
50 steps, the same exact-exponential LIF update with lateral inhibition and adaptive thresholds, and
STDP by a forward and a backward presynaptic trace read at the post spikes. Two rows, each timed
``--repeats`` times in turn (synaptica, PyTorch, synaptica, ...), reported as the median images per
second and the ratio synaptica / PyTorch (above 1: synaptica is faster):

    learn    STDP learning, ``--batch-size`` images shown at once (16): simulate, ΔW, normalise
    test     fixed weights (labelling and testing), 32 images at once

The check: fed synaptica's spike trains and weights, the PyTorch network's spike counts agree with
synaptica's (the share of images whose counts are all equal; float32 roundings in exp may move a
spike by a step near threshold), and one STDP step's ΔW agrees.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402  (puts src/ on the path when needed)

import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from synaptica.models import SpikingNetwork  # noqa: E402
from synaptica.rules import STDP  # noqa: E402
from synaptica.rules.stdp import pair_stdp  # noqa: E402


class TorchSNN:
    """The same network and rule in PyTorch tensors (float32, CPU)."""

    def __init__(self, network: SpikingNetwork, rule: STDP, seed: int = 0):
        self.net, self.rule = network, rule
        self.weight = torch.from_numpy(network.weight.copy())
        self.theta = torch.from_numpy(network.theta.copy())
        self.generator = torch.Generator().manual_seed(seed)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        rate = x.reshape(len(x), -1) * (self.net.max_rate * self.net.dt / 1000)
        return torch.poisson(rate.expand(self.net.steps, *rate.shape).contiguous(), generator=self.generator)

    def drive(self, raster: torch.Tensor, chunk: int = 50) -> torch.Tensor:
        steps, batch, inputs = raster.shape
        return torch.cat([(raster[s:s + chunk].reshape(-1, inputs) @ self.weight).reshape(-1, batch, self.weight.shape[1])
                          for s in range(0, steps, chunk)])

    def run(self, drive: torch.Tensor, adapt: bool) -> tuple[torch.Tensor, torch.Tensor]:
        p, dt = self.net.neuron, self.net.dt
        steps, batch, n = drive.shape
        decay_e, decay_i, rate = math.exp(-dt / p.tau_e), math.exp(-dt / p.tau_i), dt / p.tau_m
        v = torch.full((batch, n), p.v_rest)
        g_e, g_i, inhibition = torch.zeros_like(v), torch.zeros_like(v), torch.zeros_like(v)
        threshold = (p.v_thresh + self.theta).expand(batch, n).clone()
        wait = torch.zeros((batch, n), dtype=torch.int32)
        spikes = torch.zeros((steps, batch, n), dtype=torch.bool)
        refractory = round(p.refractory / dt)
        for t in range(steps):
            g_e.mul_(decay_e).add_(drive[t])
            g_i.mul_(decay_i).add_(inhibition)
            g = 1 + g_e + g_i
            v_inf = (p.v_rest + g_e * p.e_exc + g_i * p.e_inh) / g
            free = wait <= 0
            v = torch.where(free, v_inf + (v - v_inf) * torch.exp(-rate * g), v)
            fired = (v > threshold) & free
            spikes[t] = fired
            wait -= 1
            if fired.any():
                v = torch.where(fired, torch.full_like(v, p.v_reset), v)
                wait = torch.where(fired, torch.full_like(wait, refractory), wait)
                if adapt:
                    threshold += p.theta_plus * fired
                inhibition = p.w_inh * (fired.sum(dim=1, keepdim=True) - fired.float())
            else:
                inhibition.zero_()
        return spikes, threshold - (p.v_thresh + self.theta)

    def stdp(self, raster: torch.Tensor, spikes: torch.Tensor) -> torch.Tensor:
        dt, rule = self.net.dt, self.rule
        times, images, neurons = torch.nonzero(spikes, as_tuple=True)
        before, after = torch.zeros((len(times), raster.shape[2])), torch.zeros((len(times), raster.shape[2]))
        trace = torch.zeros(raster.shape[1:])
        for t in range(raster.shape[0]):
            trace.mul_(math.exp(-dt / rule.tau_plus)).add_(raster[t])
            here = times == t
            if here.any():
                before[here] = trace[images[here]]
        trace = torch.zeros(raster.shape[1:])
        for t in range(raster.shape[0] - 1, -1, -1):
            here = times == t
            if here.any():
                after[here] = trace[images[here]]
            trace.add_(raster[t]).mul_(math.exp(-dt / rule.tau_minus))
        change = torch.zeros((spikes.shape[2], raster.shape[2]))
        change.index_add_(0, neurons, rule.a_plus * before - rule.a_minus * after)
        return change.T

    def learn(self, x: torch.Tensor) -> None:
        raster = self.encode(x)
        spikes, adapted = self.run(self.drive(raster), adapt=True)
        self.theta += adapted.sum(dim=0)
        self.theta *= math.exp(-len(x) * (self.net.presentation + self.net.rest) / self.net.neuron.tau_theta)
        self.weight += self.stdp(raster, spikes)
        self.weight.clamp_(0, self.net.w_max)
        self.weight *= self.net.weight_sum / self.weight.sum(dim=0)

    def respond(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(self.drive(self.encode(x)), adapt=False)[0].sum(dim=0)


def agreement(network: SpikingNetwork, rule: STDP, x: np.ndarray) -> str:
    """Feed both networks synaptica's spike trains: equal spike counts, and ΔW's largest difference."""
    twin = TorchSNN(network, rule)
    trains = network.present(x, np.random.default_rng(0)).inputs
    ours, _ = network.run(network.input_drive(trains))
    raster = torch.from_numpy(trains.dense().astype(np.float32))
    theirs, _ = twin.run(twin.drive(raster), adapt=False)
    same = np.mean(np.all(ours.sum(axis=0) == theirs.sum(dim=0).numpy(), axis=1))
    change = pair_stdp(trains, ours, network.dt, rule.a_plus, rule.a_minus, rule.tau_plus, rule.tau_minus)
    twin_change = twin.stdp(raster, torch.from_numpy(ours)).double().numpy()
    return (f"equal spike counts on {same:.0%} of images; STDP ΔW largest difference "
            f"{np.abs(change - twin_change).max():.1e} (largest |ΔW| {np.abs(change).max():.1e})")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--neurons", type=int, default=400)
    parser.add_argument("--images", type=int, default=64, help="images per timing")
    parser.add_argument("--batch-size", type=int, default=16, help="images shown at once while learning")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads")
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args(argv)

    x = common.load(args.data).train.x[:args.images]
    network = SpikingNetwork(x[0].size, args.neurons)
    rule = STDP()
    torch.set_num_threads(args.threads)
    batches = [slice(i, i + args.batch_size) for i in range(0, len(x), args.batch_size)]
    print(f"{args.data}: {len(x)} images, {args.neurons} neurons, {network.steps} steps of {network.dt} ms, "
          f"{args.threads} thread(s), median of {args.repeats}")
    print(f"{'row':<8}{'synaptica img/s':>17}{'PyTorch img/s':>15}{'ratio':>8}")
    record = {"images": len(x), "neurons": args.neurons, "threads": args.threads, "rows": {}}
    rule.bind(network, np.random.default_rng(0))
    with threadpool_limits(args.threads):
        check = agreement(network, rule, x[:16])
        rows = {
            "learn": (lambda: [rule.step(network, (x[b],)) for b in batches],
                      lambda twin: [twin.learn(torch.from_numpy(x[b])) for b in batches]),
            "test": (lambda: network.responses(x, 0, batch_size=32),
                     lambda twin: [twin.respond(torch.from_numpy(x[i:i + 32])) for i in range(0, len(x), 32)]),
        }
        for name, (ours, theirs) in rows.items():
            times = {"synaptica": [], "pytorch": []}
            for _ in range(args.repeats):
                started = time.perf_counter()
                ours()
                times["synaptica"].append(len(x) / (time.perf_counter() - started))
                twin = TorchSNN(network, rule)
                started = time.perf_counter()
                with torch.no_grad():
                    theirs(twin)
                times["pytorch"].append(len(x) / (time.perf_counter() - started))
            ours_speed, theirs_speed = common.median(times["synaptica"]), common.median(times["pytorch"])
            print(f"{name:<8}{ours_speed:>17.1f}{theirs_speed:>15.1f}{ours_speed / theirs_speed:>8.2f}", flush=True)
            record["rows"][name] = {**times, "ratio": ours_speed / theirs_speed}
    print(f"check: {check}")
    record["check"] = check
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=2))
    return record


if __name__ == "__main__":
    main()
