"""The NumPy floor of bench/mlp.py: Nielsen's sigmoid network trained by hand-written NumPy.

No engine, no modules, no bookkeeping: what an autograd library adds to a step is measured against
this loop. It imports no PyTorch, so that bench/step_instructions.py can run it under valgrind.
"""

from __future__ import annotations

import time

import numpy as np

from synaptica.ops.linalg import times_transposed
from synaptica.parallel.blas import blas_threads
from synaptica.data.loaders import gather_block


def sigmoid_inplace(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)), written over z (four calls, no new array)."""
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1
    return np.reciprocal(z, out=z)


def numpy_forward(weights, biases, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """The network's outputs for ``x``, ``batch_size`` rows at a time (the inference floor)."""
    outputs = []
    for start in range(0, len(x), batch_size):
        a = x[start:start + batch_size]
        for w, b in zip(weights, biases):
            z = a @ w.T
            z += b
            a = sigmoid_inplace(z)
        outputs.append(a)
    return np.concatenate(outputs)


class NumpyTrainer:
    """Sigmoid network, quadratic cost, plain SGD: Nielsen's four equations by hand, vectorised over
    the batch, weights updated in place. No loss or accuracy bookkeeping and no checks: a floor, not
    a peer. It is written to be as fast as NumPy allows, so that ``synaptica / floor`` is the whole
    price of the engine:

    - the epoch shuffles an index and gathers blocks of whole mini-batches, as ``fit`` does
      (copying the whole shuffled training set instead costs 0.07–0.33 s an epoch here, mostly page
      faults on 157 MB of fresh memory);
    - a Wᵀ is computed as (W aᵀ)ᵀ for a few rows, the faster order for OpenBLAS, by the same
      NumPy helper ``linear`` uses (:func:`synaptica.ops.linalg.times_transposed`);
    - δᴸ is scaled by −η/m once, so each update is one addition of the product, w += (−η/m δ)ᵀ a,
      instead of a scaling pass over the gradient and a subtraction.
    """

    def __init__(self, weights, biases, x, y, *, batch_size, eta, seed, threads):
        self.weights, self.biases = weights, biases
        self.x, self.one_hot = x, np.eye(weights[-1].shape[0], dtype=x.dtype)[y]
        self.batch_size, self.eta, self.threads = batch_size, eta, threads
        self.rng = np.random.default_rng(seed)

    def epoch(self) -> float:
        weights, biases, batch_size, eta = self.weights, self.biases, self.batch_size, self.eta
        depth, n, block = len(weights), len(self.x), gather_block(batch_size)
        with blas_threads(self.threads):
            started = time.perf_counter()
            order = self.rng.permutation(n)
            for start in range(0, n, batch_size):
                at = start % block
                if at == 0:
                    rows = order[start:start + block]
                    x_block, t_block = self.x[rows], self.one_hot[rows]
                a = x_block[at:at + batch_size]
                activations = [a]
                for w, b in zip(weights, biases):
                    z = times_transposed(a, w)  # a Wᵀ, as (W aᵀ)ᵀ for a few rows
                    z += b
                    a = sigmoid_inplace(z)
                    activations.append(a)
                delta = a - t_block[at:at + batch_size]         # BP1: (a − y) ⊙ σ'(z)
                delta *= a
                delta *= 1 - a
                delta *= -eta / len(a)                           # times −η/m for the update
                for layer in range(depth - 1, -1, -1):
                    below = activations[layer]
                    if layer:                                    # BP2, with the pre-update W
                        previous = delta @ weights[layer]
                        previous *= below
                        previous *= 1 - below
                    weights[layer] += delta.T @ below            # BP4: w ← w − (η/m) δᵀ a
                    biases[layer] += delta.sum(axis=0)           # BP3
                    if layer:
                        delta = previous
            return time.perf_counter() - started

    def epochs(self, k: int) -> list[float]:
        return [self.epoch() for _ in range(k)]
