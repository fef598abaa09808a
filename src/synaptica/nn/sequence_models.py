"""Recurrent classifiers of images read as sequences: the networks of ``synaptica train --model lstm``
(also ``gru``, ``rnn``, ``irnn``).

An image of R rows and C columns becomes a sequence of R steps of C pixels (row by row: Fashion-MNIST
is 28 steps of 28 pixels), or of R·C steps of one pixel (pixel by pixel: the 8 × 8 digits are 64
steps), by :class:`~synaptica.nn.unflatten.Unflatten` as the network's first layer, so the network
reads the flat rows the datasets hold, as every other model does. A recurrent layer reads the steps
and gives its last state (many-to-one), and a Linear layer turns that into class logits:

    Unflatten((steps, features)) → RNN / IRNN / LSTM / GRU (hidden units) → Linear(hidden → classes)

The four kinds (seed 004's comparison):

- ``rnn``: Elman's cell with tanh;
- ``irnn``: Elman's cell with ReLU, W_hh starting as the identity (Le, Jaitly and Hinton 2015);
- ``lstm``: Hochreiter and Schmidhuber's cell with a forget gate whose bias starts at 1;
- ``gru``: Cho et al.'s cell.
"""

from __future__ import annotations

import math

import numpy as np

from synaptica.checks import one_of, positive_int, positive_ints
from synaptica.nn.containers import Sequential
from synaptica.nn.linear import Linear
from synaptica.nn.recurrent import GRU, LSTM, RNN
from synaptica.nn.unflatten import Unflatten
from synaptica.random import SeedLike, as_generator

#: the kinds of recurrent classifier, each a function (features, hidden, rng, dtype) -> its layer
KINDS = {
    "rnn": lambda n, h, rng, dtype: RNN(n, h, nonlinearity="tanh", rng=rng, dtype=dtype),
    "irnn": lambda n, h, rng, dtype: RNN(n, h, nonlinearity="relu", init="identity", rng=rng, dtype=dtype),
    "lstm": lambda n, h, rng, dtype: LSTM(n, h, rng=rng, dtype=dtype),
    "gru": lambda n, h, rng, dtype: GRU(n, h, rng=rng, dtype=dtype),
}


def sequence_classifier(kind: str, image_shape: tuple[int, ...], n_classes: int, hidden: int = 128,
                        pixel_by_pixel: bool = False, rng: SeedLike = None, dtype=np.float32) -> Sequential:
    """Unflatten → one recurrent layer of ``hidden`` units (its last state) → Linear to ``n_classes`` logits.

    Args:
        kind: a key of :data:`KINDS`.
        image_shape: (channels, rows, columns) or (rows, columns) of one image; read row by row
            (rows steps of channels·columns numbers), or pixel by pixel (one number per step).
        n_classes: outputs (logits).
        hidden: units of the recurrent layer.
        rng: seed or Generator for the initial weights.
    """
    kind = one_of("sequence_classifier", "kind", kind, KINDS)
    shape = positive_ints("sequence_classifier", "image_shape", image_shape, "(1, 28, 28)")
    if len(shape) not in (2, 3):
        raise ValueError(f"sequence_classifier: image_shape must be (channels, rows, columns) or (rows, columns), "
                         f"got {image_shape!r}")
    rows, size = shape[-2], math.prod(shape)
    steps, features = (size, 1) if pixel_by_pixel else (rows, size // rows)
    generator = as_generator(rng)
    hidden = positive_int("sequence_classifier", "hidden", hidden)
    recurrent = KINDS[kind](features, hidden, generator, dtype)
    return Sequential(Unflatten((steps, features)), recurrent,
                      Linear(hidden, positive_int("sequence_classifier", "n_classes", n_classes), init="xavier",
                             rng=generator, dtype=dtype))
