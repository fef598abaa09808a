"""Maxout: a unit that outputs the largest of k affine functions of its input."""

from __future__ import annotations

import numpy as np

from synaptica import ops
from synaptica.checks import one_of, positive_int
from synaptica.errors import ShapeError, shape_message
from synaptica.nn.budget import check_activation, check_parameters
from synaptica.nn.init import INITIALISERS
from synaptica.nn.module import Module, Parameter, check_input_dtype
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor


class Maxout(Module):
    """A layer of maxout units (Goodfellow et al. 2013): unit j computes k affine pieces of the input
    and outputs the largest,

        z_ji = w_ji · x + b_ji   (i = 1 … k),     a_j = max_i z_ji

    so the network learns its own activation function. With k = 2, pieces (w, b) and (0, 0) give
    the ReLU max(0, w·x + b), and pieces w and −w give |w·x|; in general a unit can represent any
    convex piecewise-linear function with k pieces (the lecture notes' "Maxout → ReLU" and "more than
    ReLU"). With k = 1 a unit is just affine. The max passes the gradient to the winning piece only,
    which is why it trains like max pooling: each example trains the thin linear network of the
    pieces it selected. A piece that wins on no training example receives no gradient and never
    learns. Initialisers with zero biases (``xavier``, ``he``, ``orthogonal``) start all of a unit's
    pieces at 0 at the origin, so with k = 2 each piece wins on one side of a plane through it.

    Built from existing ops: one :func:`~synaptica.ops.linear` for all out·k pieces, a reshape to
    (batch, out, k) and a max over the last axis.

    Reference: I. J. Goodfellow, D. Warde-Farley, M. Mirza, A. Courville and Y. Bengio, "Maxout
    networks", ICML 2013 (arXiv:1302.4389).

    Args:
        in_features, out_features: sizes of the input and of the output (the number of units).
        pieces: k ≥ 1, affine pieces per unit (default 2).
        init: a name from :data:`synaptica.nn.init.INITIALISERS`, applied as for a Linear layer with
            out_features·k outputs.
        rng: a seed or Generator for the initial weights.
        dtype: ``np.float32`` (default) or ``np.float64``.

    Attributes:
        weight: (out_features·k, in_features); row j·k + i holds piece i of unit j.
        bias: (out_features·k,).
        feedback: None, except during a step of a feedback-alignment rule (as for Linear).
    """

    feedback: np.ndarray | None = None

    def __init__(self, in_features: int, out_features: int, pieces: int = 2, init: str = "nielsen",
                 rng: SeedLike = None, dtype=np.float32):
        self.in_features = positive_int("Maxout", "in_features", in_features)
        self.out_features = positive_int("Maxout", "out_features", out_features)
        self.pieces = positive_int("Maxout", "pieces", pieces)
        init = one_of("Maxout", "init", init, INITIALISERS)
        check_parameters(repr(self), self.parameter_count(self.in_features, self.out_features, self.pieces))
        weight, bias = INITIALISERS[init](self.in_features, self.out_features * self.pieces, as_generator(rng), dtype)
        self.weight = Parameter(weight, regularized=True)
        self.bias = Parameter(bias, regularized=False)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            hint = "Flatten the images first (x.reshape(len(x), -1))." if x.ndim > 2 else None
            raise ShapeError(shape_message(repr(self), x.shape, f"(batch, {self.in_features})", hint))
        check_input_dtype(self, x, self.weight)
        check_activation(repr(self), x.shape, "pieces", (len(x), self.out_features * self.pieces))
        z = ops.linear(x, self.weight, self.bias, self.feedback)
        return ops.max(z.reshape(len(x), self.out_features, self.pieces), axis=2)

    @classmethod
    def parameter_count(cls, in_features: int, out_features: int, pieces: int = 2) -> int:
        return out_features * pieces * (in_features + 1)

    def config(self) -> dict:
        return {"type": "Maxout", "in_features": self.in_features, "out_features": self.out_features,
                "pieces": self.pieces}

    def __repr__(self) -> str:
        return f"Maxout({self.in_features}→{self.out_features}, pieces={self.pieces})"
