"""The character LSTM's training step in synaptica and in PyTorch: 2 × 256, windows of 100, batch 32.

    PYTHONPATH=src python bench/char_lstm.py                 # 20 steps each, after 3 warm-up steps
    PYTHONPATH=src python bench/char_lstm.py --steps 50 --threads 1
    PYTHONPATH=src python bench/char_lstm.py --threads 1 --clock cpu   # CPU seconds, on a shared machine

``synaptica text train``'s default network on the King James Bible: an embedding of 64, two LSTM
layers of 256, a per-step read-out over the 73 characters, the per-step cross-entropy, Adam with
gradient-norm clipping at 5, the state carried from window to window (truncated BPTT). PyTorch's
twin is ``nn.Embedding`` + ``nn.LSTM(num_layers=2)`` + ``nn.Linear`` with the same weights (gate
blocks permuted), the same windows, the same optimizer settings. Printed: median seconds per
training step and per inference window of each, taking turns step by step, and the ratios
synaptica / PyTorch (below 1: synaptica is faster). Also printed: the floor of any NumPy inference
window, its matrix products alone (every layer's per-step product at the shapes the LSTM op makes
and the read-out's), timed in the same turns, and the window's floating-point operations, which
give the rate at which PyTorch's whole window runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common  # noqa: E402  (also puts src/ on the path when needed)
import torch  # noqa: E402
from torch import nn  # noqa: E402

from synaptica.data.sequences import TokenStreamSource  # noqa: E402
from synaptica.data.text import kjv_text, split_text  # noqa: E402
from synaptica.losses import SequenceLogLikelihoodCost  # noqa: E402
from synaptica.models.char_lm import CharLanguageModel  # noqa: E402
from synaptica.ops.lstm import TORCH_ORDER  # noqa: E402
from synaptica.optim import Adam  # noqa: E402
from synaptica.optim.regularizers import ClipGradNorm  # noqa: E402
from synaptica.parallel.blas import blas_threads, training_threads  # noqa: E402
from synaptica.rules import Backprop  # noqa: E402
from synaptica.tensor import Tensor, no_grad  # noqa: E402


def torch_twin(model: CharLanguageModel) -> nn.Module:
    """Embedding, 2-layer LSTM and read-out holding synaptica's weights (one bias as b_ih, b_hh = 0)."""
    hidden, layers = model.recurrent.hidden_size, model.recurrent.num_layers
    twin = nn.ModuleDict({"embedding": nn.Embedding(model.vocabulary_size, model.embedding.embedding_dim),
                          "lstm": nn.LSTM(model.embedding.embedding_dim, hidden, num_layers=layers, batch_first=True),
                          "readout": nn.Linear(hidden, model.vocabulary_size)})
    order = [TORCH_ORDER.index(j) for j in range(4)]
    permute = lambda a: np.concatenate([np.split(a, 4)[k] for k in order])  # noqa: E731
    with torch.no_grad():
        twin["embedding"].weight.copy_(torch.tensor(model.embedding.weight.data))
        for name, parameter in twin["lstm"].named_parameters():
            ours = getattr(model.recurrent, name.replace("bias_ih", "bias"), None)
            parameter.copy_(torch.tensor(permute(ours.data)) if ours is not None else torch.zeros_like(parameter))
        twin["readout"].weight.copy_(torch.tensor(model.readout.weight.data))
        twin["readout"].bias.copy_(torch.tensor(model.readout.bias.data))
    return twin


def window_products(model: CharLanguageModel, batch: int, steps: int):
    """A function making an inference window's matrix products alone, and their floating-point operations.

    Per layer and step the LSTM op's one product [W_ih b W_hh] [xₜ; 1; hₜ₋₁] ((4·hidden, inputs + 1 +
    hidden) by (inputs + 1 + hidden, batch)), then the read-out's (batch·steps, hidden) by (hidden,
    vocabulary): nothing else, so no NumPy implementation of the window can take less time.
    """
    generator = np.random.default_rng(0)
    hidden, inputs = model.recurrent.hidden_size, model.embedding.embedding_dim
    layers = []
    for layer in range(model.recurrent.num_layers):
        width = (inputs if layer == 0 else hidden) + 1 + hidden
        layers.append((generator.standard_normal((4 * hidden, width)).astype(np.float32),
                       generator.standard_normal((width, steps, batch)).astype(np.float32),
                       np.empty((4 * hidden, batch), np.float32)))
    states = generator.standard_normal((batch * steps, hidden)).astype(np.float32)
    readout = generator.standard_normal((hidden, model.vocabulary_size)).astype(np.float32)
    flops = 2 * sum(w.size * batch * steps for w, _, _ in layers) + 2 * states.shape[0] * readout.size

    def run():
        for weights, operands, out in layers:
            for t in range(steps):
                np.matmul(weights, operands[:, t], out=out)
        states @ readout

    return run, flops


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warm-up", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="BLAS and torch threads (0: the library's policy)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall-clock seconds, or this process's CPU seconds (for a shared machine; needs --threads 1)")
    args = parser.parse_args(argv)
    if args.clock == "cpu" and args.threads != 1:
        parser.error("--clock cpu needs --threads 1")
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    split = split_text(kjv_text())
    model = CharLanguageModel(len(split.vocabulary), 64, 256, 2, rng=0)
    rule = Backprop(SequenceLogLikelihoodCost(), Adam(model.parameters(), 2e-3, regularizers=[ClipGradNorm(5.0)]))
    rule.bind(model, np.random.default_rng(0))
    twin = torch_twin(model)
    optimizer = torch.optim.Adam(twin.parameters(), 2e-3)
    source = TokenStreamSource(split.train, batch_size=32, steps=100, random_offset=False)
    windows = source.batches(None, np.random.default_rng(0))
    threads = args.threads or None
    torch.set_num_threads(args.threads or common.TORCH_DEFAULT_THREADS)
    products, flops = window_products(model, 32, 100)
    ours, theirs, ours_infer, theirs_infer, floor = [], [], [], [], []
    state = None
    with model.stateful(), blas_threads(threads or training_threads(32, "auto")):
        for step in range(args.warm_up + args.steps):
            x, y = next(windows)
            started = clock()
            rule.step(model, (x, y))
            ours.append(clock() - started)

            started = clock()
            out, state = twin["lstm"](twin["embedding"](torch.tensor(x)), state)
            state = tuple(s.detach() for s in state)
            logits = twin["readout"](out)
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), torch.tensor(y).reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(twin.parameters(), 5.0)
            optimizer.step()
            theirs.append(clock() - started)

            started = clock()
            with no_grad():
                model(Tensor(x.astype(np.float32)))
            ours_infer.append(clock() - started)
            started = clock()
            with torch.no_grad():
                twin["readout"](twin["lstm"](twin["embedding"](torch.tensor(x)))[0])
            theirs_infer.append(clock() - started)
            started = clock()
            products()
            floor.append(clock() - started)
    cut = args.warm_up
    result = {name: common.median(values[cut:]) for name, values in
              (("train_synaptica", ours), ("train_pytorch", theirs), ("infer_synaptica", ours_infer),
               ("infer_pytorch", theirs_infer), ("products_alone", floor))}
    print(f"character LSTM 2 × 256, windows of 100, batch 32 ({args.steps} steps, medians):")
    print(f"  training step: synaptica {result['train_synaptica'] * 1000:.0f} ms, PyTorch "
          f"{result['train_pytorch'] * 1000:.0f} ms, ratio {result['train_synaptica'] / result['train_pytorch']:.2f}")
    print(f"  inference window: synaptica {result['infer_synaptica'] * 1000:.0f} ms, PyTorch "
          f"{result['infer_pytorch'] * 1000:.0f} ms, ratio {result['infer_synaptica'] / result['infer_pytorch']:.2f}")
    print(f"  the window's matrix products alone in NumPy: {result['products_alone'] * 1000:.0f} ms "
          f"({flops / 1e9:.2f} GFLOP, {flops / result['products_alone'] / 1e9:.0f} GFLOP/s; PyTorch's whole window "
          f"{flops / result['infer_pytorch'] / 1e9:.0f} GFLOP/s)")
    return result


if __name__ == "__main__":
    main()
