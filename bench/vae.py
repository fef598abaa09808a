"""A variational auto-encoder in synaptica and the same one in PyTorch, on the same binarised images,
in one process: test −log-likelihood (importance sampling) and seconds per epoch.

    PYTHONPATH=src python bench/vae.py                                # Fashion-MNIST, 10 epochs
    PYTHONPATH=src python bench/vae.py --data digits --epochs 100 --batch-size 32 --hidden 128 --latent 8
    PYTHONPATH=src python bench/vae.py --train 10000 --test 1000 --epochs 3    # a quick look

Both libraries train the same architecture (encoder ``784 → hidden → 2·latent`` with ReLU, μ and
log σ² side by side; decoder ``latent → hidden → 784`` logits), from the same initial weights (the
PyTorch networks are copies of synaptica's), with Adam at the same rate and batch size, on the same
images binarised at the fixed threshold 0.5, minimising −ELBO in nats per image (summed over the
pixels, averaged over the batch). Epochs alternate between the two (synaptica, PyTorch, synaptica,
…) so that both see the same load on a shared machine, each with ``--threads`` BLAS/torch threads.

After training, each library's own importance-sampling estimator (k = ``--samples`` draws from
q(z | x) per test image, log-sum-exp) gives the test −log p(x); and the one-sample −ELBO is printed
beside it. The last lines give the difference in nats and the ratios of seconds per epoch
(synaptica / PyTorch; below 1, synaptica is faster): the median wall time, and the median CPU
seconds of the process (with one thread each, the steadier figure on a machine shared with other work).
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
import torch.nn.functional as F  # noqa: E402

from synaptica.data.binarize import binarize  # noqa: E402
from synaptica.models import dense_vae  # noqa: E402
from synaptica.optim import Adam  # noqa: E402
from synaptica.random import stream  # noqa: E402
from synaptica.rules import Variational  # noqa: E402
from synaptica.train.fit import fit  # noqa: E402


def torch_negative_elbo(encoder, decoder, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """−ELBO of a batch: Bernoulli reconstruction summed over pixels plus the closed-form KL, batch mean."""
    mu, log_var = encoder(x).chunk(2, dim=1)
    z = mu + torch.exp(0.5 * log_var) * torch.randn(mu.shape, generator=generator)
    reconstruction = F.binary_cross_entropy_with_logits(decoder(z), x, reduction="sum")
    kl = 0.5 * (mu * mu + log_var.exp() - 1 - log_var).sum()
    return (reconstruction + kl) / len(x)


def torch_log_likelihood(encoder, decoder, x: torch.Tensor, samples: int, generator: torch.Generator,
                         batch_size: int = 10) -> np.ndarray:
    """log p(x) per image by importance sampling with q(z | x) as the proposal (IWAE, k = samples)."""
    out = []
    with torch.inference_mode():
        for start in range(0, len(x), batch_size):
            xb = x[start:start + batch_size]
            mu, log_var = encoder(xb).double().chunk(2, dim=1)
            eps = torch.randn((len(xb), samples, mu.shape[1]), generator=generator, dtype=torch.float64)
            z = mu[:, None] + torch.exp(0.5 * log_var)[:, None] * eps
            logits = decoder(z.reshape(-1, z.shape[-1]).float()).reshape(len(xb), samples, -1).double()
            log_px_z = -F.binary_cross_entropy_with_logits(logits, xb[:, None].double().expand_as(logits),
                                                           reduction="none").sum(-1)
            log_pz = -0.5 * (z * z + math.log(2 * math.pi)).sum(-1)
            log_qz = -0.5 * (eps * eps + math.log(2 * math.pi) + log_var[:, None]).sum(-1)
            out.append(torch.logsumexp(log_px_z + log_pz - log_qz, dim=1) - math.log(samples))
    return torch.cat(out).numpy()


def torch_epoch(encoder, decoder, optimizer, x: torch.Tensor, batch_size: int, generator: torch.Generator) -> None:
    order = torch.randperm(len(x), generator=generator)
    xs = x[order]
    for start in range(0, len(xs), batch_size):
        loss = torch_negative_elbo(encoder, decoder, xs[start:start + batch_size], generator)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def timed(run) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result) of ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="fashion-mnist", help="fashion-mnist or digits")
    parser.add_argument("--train", type=int, default=None, help="training images used (default: all)")
    parser.add_argument("--test", type=int, default=1000, help="test images scored by importance sampling")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--latent", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--eta", type=float, default=1e-3, help="Adam's learning rate")
    parser.add_argument("--samples", type=int, default=1000, help="importance samples per test image")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads during training")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args(argv)

    splits = common.load(args.data)
    x = binarize(splits.train.x[:args.train].reshape(-1, splits.train.x[0].size))
    x_test = binarize(splits.test.x[:args.test].reshape(-1, splits.test.x[0].size))
    model = dense_vae(x.shape[1], [args.hidden], args.latent, rng=stream(args.seed, "weights"))
    rule = Variational(Adam(model.parameters(), args.eta))
    encoder, decoder = common.torch_twin(model.encoder), common.torch_twin(model.decoder)
    optimizer = common.torch_adam(torch.nn.ModuleList([encoder, decoder]), args.eta)
    generator = torch.Generator().manual_seed(args.seed)
    x_torch = torch.from_numpy(x)
    print(f"{args.data}: {len(x)} training and {len(x_test)} test images of {x.shape[1]} pixels, binarised at 0.5; "
          f"{x.shape[1]}-{args.hidden}-{2 * args.latent} / {args.latent}-{args.hidden}-{x.shape[1]}, "
          f"batch {args.batch_size}, Adam {args.eta:g}, {args.threads} thread(s)")
    seconds = {"synaptica": [], "pytorch": []}
    cpu = {"synaptica": [], "pytorch": []}
    torch.set_num_threads(args.threads)
    for epoch in range(args.epochs):
        wall, used, history = timed(lambda: fit(model, rule, x, epochs=1, batch_size=args.batch_size, verbose=False,
                                                rng=stream(args.seed, f"epoch {epoch}"), blas=args.threads))
        seconds["synaptica"].append(wall)
        cpu["synaptica"].append(used)
        wall, used, _ = timed(lambda: torch_epoch(encoder, decoder, optimizer, x_torch, args.batch_size, generator))
        seconds["pytorch"].append(wall)
        cpu["pytorch"].append(used)
        if epoch % max(1, args.epochs // 10) and epoch != args.epochs - 1:
            continue  # about ten epoch lines in all
        print(f"epoch {epoch}: synaptica train −ELBO {history.metrics['train_cost'][-1]:.2f}  "
              f"{seconds['synaptica'][-1]:.2f} s ({cpu['synaptica'][-1]:.2f} CPU s)   PyTorch "
              f"{seconds['pytorch'][-1]:.2f} s ({cpu['pytorch'][-1]:.2f} CPU s)", flush=True)

    started = time.perf_counter()
    ours = {"elbo": float(-model.log_likelihood(x_test, 1, rng=stream(args.seed, "elbo")).mean()),
            "nll": float(-model.log_likelihood(x_test, args.samples, rng=stream(args.seed, "test")).mean())}
    ours_seconds = time.perf_counter() - started
    started = time.perf_counter()
    xt = torch.from_numpy(x_test)
    theirs = {"elbo": float(-torch_log_likelihood(encoder, decoder, xt, 1, generator).mean()),
              "nll": float(-torch_log_likelihood(encoder, decoder, xt, args.samples, generator).mean())}
    theirs_seconds = time.perf_counter() - started
    per_epoch = {name: common.median(values) for name, values in seconds.items()}
    cpu_per_epoch = {name: common.median(values) for name, values in cpu.items()}
    print(f"{'':<11}{'test −ELBO':>12}{f'test −log p(x), k={args.samples}':>28}{'s/epoch':>10}{'CPU s/epoch':>13}"
          f"{'IS seconds':>12}")
    for name, label, figures, scoring in [("synaptica", "synaptica", ours, ours_seconds),
                                          ("pytorch", "PyTorch", theirs, theirs_seconds)]:
        print(f"{label:<11}{figures['elbo']:>12.2f}{figures['nll']:>28.2f}{per_epoch[name]:>10.2f}"
              f"{cpu_per_epoch[name]:>13.2f}{scoring:>12.1f}")
    difference = ours["nll"] - theirs["nll"]
    ratio = per_epoch["synaptica"] / per_epoch["pytorch"]
    cpu_ratio = cpu_per_epoch["synaptica"] / cpu_per_epoch["pytorch"]
    print(f"−log p(x) synaptica − PyTorch: {difference:+.2f} nats")
    print(f"synaptica/PyTorch: s/epoch {ratio:.2f}× (median wall), {cpu_ratio:.2f}× (median CPU seconds)")
    record = {"data": args.data, "train": len(x), "test": len(x_test), "hidden": args.hidden, "latent": args.latent,
              "epochs": args.epochs, "batch_size": args.batch_size, "samples": args.samples, "threads": args.threads,
              "synaptica": {**ours, "seconds_per_epoch": per_epoch["synaptica"],
                            "cpu_seconds_per_epoch": cpu_per_epoch["synaptica"]},
              "pytorch": {**theirs, "seconds_per_epoch": per_epoch["pytorch"],
                          "cpu_seconds_per_epoch": cpu_per_epoch["pytorch"]},
              "nll_difference": difference, "seconds_ratio": ratio, "cpu_seconds_ratio": cpu_ratio,
              "environment": common.environment()}
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=2))
    return record


if __name__ == "__main__":
    main()
