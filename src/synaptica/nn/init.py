"""Weight initialisers. Each returns (weight, bias) arrays for a layer with n_in inputs and n_out outputs.

- ``large``: Nielsen's network.py, weights and biases N(0, 1). With many inputs, z = Σ w x + b has a
  large spread, hidden neurons start saturated and learn slowly.
- ``nielsen``: Nielsen's network2 default, weights N(0, 1/n_in), biases N(0, 1): z then has
  variance about 1 whatever n_in is, so neurons start away from saturation.
- ``xavier``: Glorot and Bengio 2010, weights U(±√(6/(n_in + n_out))), biases 0: keeps activation
  and gradient variance alike from layer to layer for tanh/sigmoid nets.
- ``he``: He et al. 2015, weights N(0, 2/n_in), biases 0: the ReLU version (half the units are off).
- ``zeros``: all zeros; used when loading saved weights over a freshly built model.
"""

from __future__ import annotations

import numpy as np

Initialiser = "Callable[[int, int, np.random.Generator, np.dtype], tuple[np.ndarray, np.ndarray]]"


def large(n_in, n_out, rng, dtype=np.float32):
    return rng.standard_normal((n_out, n_in)).astype(dtype), rng.standard_normal(n_out).astype(dtype)


def nielsen(n_in, n_out, rng, dtype=np.float32):
    weight = rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
    return weight.astype(dtype), rng.standard_normal(n_out).astype(dtype)


def xavier(n_in, n_out, rng, dtype=np.float32):
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, (n_out, n_in)).astype(dtype), np.zeros(n_out, dtype)


def he(n_in, n_out, rng, dtype=np.float32):
    weight = rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)
    return weight.astype(dtype), np.zeros(n_out, dtype)


def zeros(n_in, n_out, rng, dtype=np.float32):
    return np.zeros((n_out, n_in), dtype), np.zeros(n_out, dtype)


INITIALISERS = {"large": large, "nielsen": nielsen, "xavier": xavier, "he": he, "zeros": zeros}
