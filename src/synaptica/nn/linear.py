"""The fully connected layer: z = a Wᵀ + b (the math and backward are in :func:`synaptica.ops.linear`)."""

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


class Linear(Module):
    """Fully connected layer with ``weight`` (out_features, in_features) and ``bias`` (out_features,).

    Args:
        in_features, out_features: sizes of the input and output vectors.
        bias: whether to add a bias (seed 000's XOR network has none).
        init: a name from :data:`synaptica.nn.init.INITIALISERS` (``nielsen`` is N(0, 1/n_in)).
        rng: a seed or Generator for the initial weights.
        dtype: ``np.float32`` (default) or ``np.float64``.

    Attributes:
        feedback: None, except during a step of a feedback-alignment rule, which sets a fixed matrix
            of the weight's shape here through which the error travels backward instead of W.
    """

    feedback: np.ndarray | None = None

    def __init__(self, in_features: int, out_features: int, bias: bool = True, init: str = "nielsen",
                 rng: SeedLike = None, dtype=np.float32):
        self.in_features = positive_int("Linear", "in_features", in_features)
        self.out_features = positive_int("Linear", "out_features", out_features)
        init = one_of("Linear", "init", init, INITIALISERS)
        check_parameters(f"Linear({self.in_features}→{self.out_features})",
                         self.parameter_count(self.in_features, self.out_features, bias))
        weight, bias_values = INITIALISERS[init](self.in_features, self.out_features, as_generator(rng), dtype)
        self.weight = Parameter(weight, regularized=True)
        self.bias = Parameter(bias_values, regularized=False) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """(batch, in) → (batch, out); a batch of sequences (batch, steps, in) → (batch, steps, out), the
        same map at every step (the read-out of a many-to-many recurrent network)."""
        check_linear_input(self, x, self.weight, steps=True)
        shape = x.data.shape
        if len(shape) == 3:
            flat = ops.linear(ops.reshape(x, (shape[0] * shape[1], shape[2])), self.weight, self.bias, self.feedback)
            return ops.reshape(flat, (shape[0], shape[1], self.out_features))
        return ops.linear(x, self.weight, self.bias, self.feedback)

    @classmethod
    def parameter_count(cls, in_features: int, out_features: int, bias: bool = True) -> int:
        return out_features * (in_features + bool(bias))

    def config(self) -> dict:
        return {"type": "Linear", "in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None}

    def __repr__(self) -> str:
        return f"Linear({self.in_features}→{self.out_features})"


def check_linear_input(layer: Module, x: Tensor, weight: Parameter, steps: bool = False) -> None:
    """Refuse an input that is not (batch, in_features) — or, with ``steps``, (batch, steps, in_features)
    — in the dtype of ``weight`` (:func:`check_rows`), or whose output would pass the activation budget;
    the message names ``layer``."""
    check_rows(layer, x, layer.in_features, weight, steps)
    shape = x.data.shape
    check_activation(repr(layer), shape, "output", (*shape[:-1], layer.out_features))


def check_rows(layer: Module, x: Tensor, features: int, weight: Parameter, steps: bool = False) -> None:
    """Refuse an input that is not (batch, ``features``) rows — or, with ``steps``, (batch, steps,
    ``features``) — in the dtype of ``weight``, naming ``layer``. Images get a hint to flatten them
    (with ``steps``, only images that flatten to ``features``: other 3-D inputs are wrong sequences)."""
    shape = x.data.shape
    if len(shape) not in ((2, 3) if steps else (2,)) or shape[-1] != features:
        images = len(shape) > 2 and (not steps or int(np.prod(shape[1:])) == features)
        hint = "Flatten the images first (x.reshape(len(x), -1))." if images else None
        expected = f"(batch, {features})" + (f" or (batch, steps, {features})" if steps else "")
        raise ShapeError(shape_message(repr(layer), shape, expected, hint))
    check_input_dtype(layer, x, weight)
