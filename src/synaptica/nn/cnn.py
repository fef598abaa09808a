"""Builders for convolutional networks: Nielsen's conv-pool stacks and the default CNN of ``synaptica train``.

Every network here starts with :class:`~synaptica.nn.unflatten.Unflatten`, so it reads the flat
(batch, H·W) rows the datasets hold, and ends in logits (the log-likelihood cost applies softmax).
A conv-pool stage is Nielsen's (ch. 6) "convolutional layer followed by a max-pooling layer":

    Conv2d(C → F, k×k) → activation → MaxPool2d(2×2)

A 28 × 28 image through a 5 × 5 convolution gives 24 × 24 maps, pooled to 12 × 12; a second
5 × 5 convolution gives 8 × 8, pooled to 4 × 4. The fully connected layers after ``Flatten`` then
see F·4·4 inputs.
"""

from __future__ import annotations

import numpy as np

from synaptica.checks import one_of, positive_int, positive_ints, probability
from synaptica.nn.builders import ACTIVATIONS
from synaptica.nn.containers import Sequential
from synaptica.nn.conv import Conv2d, Flatten, MaxPool2d
from synaptica.nn.dropout import Dropout
from synaptica.nn.linear import Linear
from synaptica.nn.unflatten import Unflatten
from synaptica.random import SeedLike, as_generator


def conv_net(image_shape: tuple[int, int, int], maps: list[int], hidden: list[int], n_classes: int, *,
             kernel: int = 5, pool: int = 2, activation: str = "relu", dropout: float = 0.0,
             init: str = "he", rng: SeedLike = None, dtype=np.float32) -> Sequential:
    """Conv-pool stages, then fully connected hidden layers, then ``n_classes`` logits.

    ``conv_net((1, 28, 28), [20, 40], [100], 10, activation="sigmoid")`` is Nielsen's network3 with
    two conv-pool layers (ch. 6)::

        Unflatten(1×28×28), Conv2d(1→20, 5×5), Sigmoid, MaxPool2d(2×2),
        Conv2d(20→40, 5×5), Sigmoid, MaxPool2d(2×2), Flatten, Linear(640→100), Sigmoid, Linear(100→10)

    Args:
        image_shape: (channels, rows, columns) of one input image.
        maps: feature maps of each conv-pool stage (empty: a fully connected network on the pixels).
        hidden: sizes of the fully connected hidden layers after the last stage.
        n_classes: outputs (logits).
        kernel: side of the square convolution kernels; pool: side of the max-pooling windows.
        activation: after every convolution and hidden layer (a key of :data:`ACTIVATIONS`).
        dropout: p for a Dropout after each fully connected hidden layer (Nielsen drops units of the
            fully connected layers only: the shared weights of a convolution already resist
            overfitting, ch. 6).
        init: initialiser of every layer (``he`` for ReLU, ``nielsen`` N(0, 1/n_in) for sigmoid).
        rng: seed or Generator for the weights and the dropout masks.

    Raises:
        ValueError: an unknown activation, a dropout outside [0, 1), or an image too small for the stages.
    """
    one_of("conv_net", "activation", activation, ACTIVATIONS)
    dropout = probability("conv_net", "dropout", dropout, one=False)
    image_shape = positive_ints("conv_net", "image_shape", image_shape, "(1, 28, 28)")
    if len(image_shape) != 3:
        raise ValueError(f"conv_net: image_shape must be (channels, rows, columns), got {image_shape}")
    maps = positive_ints("conv_net", "maps", maps, "[20, 40]")
    hidden = positive_ints("conv_net", "hidden", hidden, "[100]")
    n_classes = positive_int("conv_net", "n_classes", n_classes)
    kernel = positive_int("conv_net", "kernel", kernel)
    pool = positive_int("conv_net", "pool", pool)
    generator = as_generator(rng)
    channels, rows, columns = image_shape
    layers = [Unflatten(image_shape)]
    for n_maps in maps:
        rows, columns = (rows - kernel + 1) // pool, (columns - kernel + 1) // pool
        if rows < 1 or columns < 1:
            raise ValueError(f"conv_net: a {image_shape[1]}×{image_shape[2]} image is too small for {len(maps)} "
                             f"conv-pool stages with {kernel}×{kernel} kernels and {pool}×{pool} pooling")
        layers += [Conv2d(channels, n_maps, kernel, init=init, rng=generator, dtype=dtype),
                   ACTIVATIONS[activation](), MaxPool2d(pool)]
        channels = n_maps
    layers.append(Flatten())
    n_in = channels * rows * columns
    for size in hidden:
        layers += [Linear(n_in, size, init=init, rng=generator, dtype=dtype), ACTIVATIONS[activation]()]
        if dropout:
            layers.append(Dropout(dropout, rng=generator))
        n_in = size
    layers.append(Linear(n_in, n_classes, init=init, rng=generator, dtype=dtype))
    return Sequential(layers)


def cnn(image_shape: tuple[int, int, int] = (1, 28, 28), n_classes: int = 10, rng: SeedLike = None,
        dtype=np.float32) -> Sequential:
    """The default convolutional network of ``synaptica train --model cnn``::

        conv 5×5, 32 maps → ReLU → max 2×2 → conv 5×5, 64 maps → ReLU → max 2×2
        → FC 256 → ReLU → dropout 0.5 → n_classes logits

    He initialisation throughout. It is LeNet's shape (LeCun et al. 1998) with more maps, and
    Nielsen's ch. 6 network with 32/64 maps instead of 20/40 and a wider, dropped-out fully connected
    layer. The command line trains it with Adam (Kingma and Ba 2015), η = 0.001 annealed along half
    a cosine to η/100, mini-batches of 64, 10 epochs; docs/results.md gives its Fashion-MNIST test
    accuracy (0.914 for seed 0).
    """
    return conv_net(image_shape, [32, 64], [256], n_classes, activation="relu", dropout=0.5, init="he",
                    rng=rng, dtype=dtype)
