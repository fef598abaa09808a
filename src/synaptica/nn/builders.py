"""Builders for the networks of Nielsen's book: a list of sizes becomes a Sequential."""

from __future__ import annotations

import numpy as np

from synaptica.nn.activation import ELU, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from synaptica.nn.containers import Sequential
from synaptica.nn.linear import Linear
from synaptica.random import SeedLike, as_generator

ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky-relu": LeakyReLU, "elu": ELU,
               "softplus": Softplus}


def mlp(sizes: list[int], activation: str = "sigmoid", output_activation: str | None = None,
        init: str = "nielsen", rng: SeedLike = None, dtype=np.float32) -> Sequential:
    """A fully connected network, e.g. ``mlp([784, 30, 10])`` is Nielsen's network.

    Args:
        sizes: neurons per layer, input first.
        activation: hidden-layer activation (a key of :data:`ACTIVATIONS`).
        output_activation: activation after the last layer, or None to output logits (for the
            cross-entropy and log-likelihood costs, which take logits).
        init: weight initialiser name; rng: seed or Generator.
    """
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least an input and an output size, got {sizes}")
    for name in filter(None, (activation, output_activation)):
        if name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; choose from {sorted(ACTIVATIONS)}")
    generator = as_generator(rng)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, init=init, rng=generator, dtype=dtype))
        last = i == len(sizes) - 2
        name = output_activation if last else activation
        if name:
            layers.append(ACTIVATIONS[name]())
    return Sequential(layers)
