"""Builders for the networks of Nielsen's book: a list of sizes becomes a Sequential."""

from __future__ import annotations

import numpy as np

from synaptica.checks import one_of, positive_ints, probability
from synaptica.nn.activation import ELU, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from synaptica.nn.batch_norm import BatchNorm1d
from synaptica.nn.containers import Sequential
from synaptica.nn.dropout import Dropout
from synaptica.nn.linear import Linear
from synaptica.random import SeedLike, as_generator

ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky-relu": LeakyReLU, "elu": ELU,
               "softplus": Softplus}


def mlp(sizes: list[int], activation: str = "sigmoid", output_activation: str | None = None,
        init: str = "nielsen", rng: SeedLike = None, dtype=np.float32, dropout: float = 0.0,
        batch_norm: bool = False) -> Sequential:
    """A fully connected network, e.g. ``mlp([784, 30, 10])`` is Nielsen's network.

    Each hidden layer is Linear → [BatchNorm1d] → activation → [Dropout]; the output layer is
    Linear → output activation.

    Args:
        sizes: neurons per layer, input first.
        activation: hidden-layer activation (a key of :data:`ACTIVATIONS`).
        output_activation: activation after the last layer, or None to output logits (for the
            cross-entropy and log-likelihood costs, which take logits).
        init: weight initialiser name; rng: seed or Generator (for the weights and the dropout masks).
        dropout: p, the probability of dropping each hidden unit after its activation (0: no
            Dropout layers).
        batch_norm: put a BatchNorm1d between each hidden Linear and its activation (Ioffe and
            Szegedy's placement); those Linear layers then have no bias, since β takes its role.
    """
    sizes = positive_ints("mlp", "sizes", sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least an input and an output size, got {list(sizes)}")
    dropout = probability("mlp", "dropout", dropout, one=False)
    one_of("mlp", "activation", activation, ACTIVATIONS)
    if output_activation is not None:
        one_of("mlp", "output_activation", output_activation, ACTIVATIONS)
    generator = as_generator(rng)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        normalised = batch_norm and not last
        layers.append(Linear(n_in, n_out, bias=not normalised, init=init, rng=generator, dtype=dtype))
        if normalised:
            layers.append(BatchNorm1d(n_out, dtype=dtype))
        name = output_activation if last else activation
        if name:
            layers.append(ACTIVATIONS[name]())
        if dropout and not last:
            layers.append(Dropout(dropout, rng=generator))
    return Sequential(layers)
