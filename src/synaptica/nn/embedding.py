"""Embedding: a table of learned vectors, one per symbol, looked up by index.

A sequence of symbols (characters, words, phonemes) enters a network as integers 0 … n − 1. Feeding
the one-hot vector eₖ to a Linear layer computes W eₖ, column k of W; an embedding layer stores those
columns as the rows of a table E (n, d) and reads row k directly, which is the same function without
the product: x (batch, time) of indices -> E[x] (batch, time, d), ready for a recurrent layer.
Backward adds each step's gradient into the row it read (:func:`synaptica.ops.getitem` with an
index array, whose vjp is a scatter-add), so rows of symbols absent from a batch get no gradient.

Indices arrive as numbers in the model's dtype (``predict`` and ``fit`` cast arrays to it; float32
holds every integer up to 2²⁴ exactly); each must be a whole number within 0 … n − 1.
"""

from __future__ import annotations

import numpy as np

from synaptica import ops
from synaptica.checks import one_of, positive_int
from synaptica.nn.budget import check_parameters
from synaptica.nn.module import Module, Parameter
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor


class Embedding(Module):
    """E (num_embeddings, embedding_dim), initialised N(0, 1) as PyTorch's ``nn.Embedding``.

    Args:
        num_embeddings: the number of symbols n.
        embedding_dim: the length d of each vector.
        init: ``normal`` (N(0, 1)) or ``zeros`` (weights loaded from a file).

    Raises:
        ValueError: an index that is not a whole number in 0 … n − 1 (naming the layer and the index).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, init: str = "normal", rng: SeedLike = None,
                 dtype=np.float32):
        self.num_embeddings = positive_int("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = positive_int("Embedding", "embedding_dim", embedding_dim)
        init = one_of("Embedding", "init", init, ("normal", "zeros"))
        shape = (self.num_embeddings, self.embedding_dim)
        check_parameters(repr(self), self.parameter_count(*shape))
        values = np.zeros(shape, dtype) if init == "zeros" else as_generator(rng).standard_normal(shape).astype(dtype)
        self.weight = Parameter(values, regularized=True)

    def forward(self, x: Tensor) -> Tensor:
        indices = np.asarray(x.data if isinstance(x, Tensor) else x)
        if indices.dtype.kind == "f":
            whole = np.isfinite(indices) & (np.floor(indices) == indices)
            if not whole.all():
                bad = indices[~whole].ravel()[0]
                raise ValueError(f"{self!r} got index {bad!r}, which is not a whole number")
            indices = indices.astype(np.intp)
        elif indices.dtype.kind not in "iu":
            raise ValueError(f"{self!r} needs integer indices, got an array of dtype {indices.dtype}")
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_embeddings):
            bad = indices.min() if indices.min() < 0 else indices.max()
            raise ValueError(f"{self!r} got index {int(bad)}, outside 0 … {self.num_embeddings - 1}")
        return ops.getitem(self.weight, indices)

    @classmethod
    def parameter_count(cls, num_embeddings: int, embedding_dim: int) -> int:
        return num_embeddings * embedding_dim

    def config(self) -> dict:
        return {"type": "Embedding", "num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim}

    def __repr__(self) -> str:
        return f"Embedding({self.num_embeddings}×{self.embedding_dim})"
