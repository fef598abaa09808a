"""Weight initialisers. Each returns (weight, bias) arrays for a layer with n_in inputs and n_out outputs.

- ``large``: Nielsen's network.py, weights and biases N(0, 1). With many inputs, z = Σ w x + b has a
  large spread, hidden neurons start saturated and learn slowly.
- ``nielsen``: Nielsen's network2 default, weights N(0, 1/n_in), biases N(0, 1): z then has
  variance about 1 whatever n_in is, so neurons start away from saturation.
- ``xavier``: Glorot and Bengio 2010, weights U(±√(6/(n_in + n_out))), biases 0: keeps activation
  and gradient variance alike from layer to layer for tanh/sigmoid nets.
- ``he``: He et al. 2015, weights N(0, 2/n_in), biases 0: the ReLU version (half the units are off).
- ``orthogonal``: Saxe, McClelland and Ganguli 2014, a random orthogonal matrix (orthonormal rows or
  columns, whichever the shape allows), biases 0: every singular value is 1, so a deep linear chain
  neither shrinks nor blows up the signal, and learning times stay independent of depth.
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


def orthogonal(n_in, n_out, rng, dtype=np.float32, gain: float = 1.0):
    """W = gain · Q, Q a random orthogonal (n_out, n_in) matrix, uniformly distributed (Haar measure).

    Q comes from the QR decomposition of a Gaussian matrix A = QR, with each column of Q multiplied
    by the sign of R's diagonal entry: without that fix the distribution of Q depends on the QR
    routine's sign convention and is not uniform (Mezzadri 2007). A tall matrix (n_out ≥ n_in) gets
    orthonormal columns, WᵀW = gain² I; a wide one orthonormal rows, W Wᵀ = gain² I. For ReLU
    networks use gain √2 (call this function directly; ``init="orthogonal"`` uses gain 1).

    References: A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to the nonlinear
    dynamics of learning in deep linear neural networks", ICLR 2014 (arXiv:1312.6120); F. Mezzadri,
    "How to generate random matrices from the classical compact groups", Notices of the AMS 54, 2007.
    """
    wide = n_out < n_in
    a = rng.standard_normal((n_in, n_out) if wide else (n_out, n_in))
    q, r = np.linalg.qr(a)  # q has orthonormal columns
    q *= np.sign(np.diag(r))  # the sign fix (a zero diagonal entry has probability 0)
    weight = gain * (q.T if wide else q)
    return weight.astype(dtype), np.zeros(n_out, dtype)


def zeros(n_in, n_out, rng, dtype=np.float32):
    return np.zeros((n_out, n_in), dtype), np.zeros(n_out, dtype)


INITIALISERS = {"large": large, "nielsen": nielsen, "xavier": xavier, "he": he, "orthogonal": orthogonal,
                "zeros": zeros}
