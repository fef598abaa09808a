"""PReLU: a rectifier whose negative slope is learned (the math is in :func:`synaptica.ops.prelu`)."""

from __future__ import annotations

import numpy as np

from synaptica import ops
from synaptica.checks import finite_float, positive_int
from synaptica.errors import ShapeError, shape_message
from synaptica.nn.budget import check_parameters
from synaptica.nn.module import Module, Parameter, check_input_dtype
from synaptica.tensor import Tensor


class PReLU(Module):
    """Parametric ReLU (He et al. 2015): f(x) = x for x > 0 and a·x otherwise, with the slope a
    learned by gradient descent along with the weights, as ``torch.nn.PReLU``.

    With ``num_parameters=1`` one slope is shared by every unit; with ``num_parameters=C`` each
    channel (axis 1 of the input: a feature of (batch, C), a feature map of (batch, C, H, W)) has its
    own. a = 0 gives the ReLU and a fixed small a the leaky ReLU; He et al. start at a = 0.25 and,
    as here, do not apply weight decay to a (``regularized=False``), which would push it towards the
    plain ReLU.

    Reference: K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers: surpassing
    human-level performance on ImageNet classification", ICCV 2015 (arXiv:1502.01852).

    Args:
        num_parameters: 1 (one shared slope) or the number of channels.
        init: the starting slope (default 0.25).
        dtype: of the slope.

    Attributes:
        slope: (num_parameters,) Parameter.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=np.float32):
        self.num_parameters = positive_int("PReLU", "num_parameters", num_parameters)
        self.init = finite_float("PReLU", "init", init)
        check_parameters(f"PReLU({self.num_parameters})", self.parameter_count(self.num_parameters))
        self.slope = Parameter(np.full(self.num_parameters, self.init, dtype), regularized=False)

    def forward(self, x: Tensor) -> Tensor:
        n = self.num_parameters
        if n > 1 and (x.ndim < 2 or x.shape[1] != n):
            raise ShapeError(shape_message(repr(self), x.shape, f"(batch, {n}, ...) with one slope per channel"))
        check_input_dtype(self, x, self.slope)
        return ops.prelu(x, self.slope)

    @classmethod
    def parameter_count(cls, num_parameters: int = 1, init: float = 0.25) -> int:
        return num_parameters

    def config(self) -> dict:
        return {"type": "PReLU", "num_parameters": self.num_parameters, "init": self.init}
