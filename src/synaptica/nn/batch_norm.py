"""Batch normalisation layers for fully connected (BatchNorm1d) and convolutional (BatchNorm2d) nets.

The math and the backward pass are in :func:`synaptica.ops.batch_norm`; these modules hold γ, β and
the running statistics, and choose between the batch's statistics (training) and the running ones
(evaluation).
"""

from __future__ import annotations

import numpy as np

from synaptica import ops
from synaptica.checks import positive_float, positive_int, probability
from synaptica.errors import ShapeError, shape_message
from synaptica.nn.budget import check_parameters
from synaptica.nn.module import Module, Parameter, check_input_dtype
from synaptica.tensor import Tensor


class _BatchNorm(Module):
    """What the two layers share; each says which input shapes it takes.

    Training mode normalises with the batch's own mean μ_B and biased variance σ²_B, then updates
    the running estimates as PyTorch does (momentum α, the variance unbiased by m/(m − 1), m the
    number of values per channel):

        running_mean ← (1 − α) running_mean + α μ_B
        running_var  ← (1 − α) running_var  + α σ²_B · m / (m − 1)

    Evaluation mode normalises with the running estimates, so an example's output no longer depends
    on the rest of its batch. γ and β are not regularised (no weight decay, no max-norm).
    """

    buffer_names = ("running_mean", "running_var")
    size_name = "features"  # the constructor's first argument, as config() names it
    expected = ""  # the input shapes a subclass accepts, for error messages

    def __init__(self, features: int, eps: float = 1e-5, momentum: float = 0.1, dtype=np.float32):
        name = type(self).__name__
        self.features = positive_int(name, self.size_name, features)
        self.eps = positive_float(name, "eps", eps)
        self.momentum = probability(name, "momentum", momentum)
        check_parameters(f"{name}({self.features})", self.parameter_count(**{self.size_name: self.features}))
        self.gamma = Parameter(np.ones(self.features, dtype), regularized=False)
        self.beta = Parameter(np.zeros(self.features, dtype), regularized=False)
        self.running_mean = np.zeros(self.features, dtype)
        self.running_var = np.ones(self.features, dtype)

    @classmethod
    def parameter_count(cls, **arguments) -> int:
        """γ, β and the two running statistics: four numbers per feature (or channel)."""
        return 4 * arguments[cls.size_name]

    def check(self, x: Tensor) -> None:  # pragma: no cover - each subclass checks its shapes
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        self.check(x)
        check_input_dtype(self, x, self.gamma)
        if not self.training:
            return ops.batch_norm(x, self.gamma, self.beta, self.eps, self.running_mean, self.running_var)[0]
        count = x.size // self.features
        if count < 2:
            raise ShapeError(shape_message(repr(self), x.shape, self.expected,
                                           "Training needs more than one value per channel (a batch of at "
                                           "least 2); call model.eval() to use the running statistics."))
        out, mean, var = ops.batch_norm(x, self.gamma, self.beta, self.eps)
        alpha = self.momentum
        self.running_mean = ((1 - alpha) * self.running_mean + alpha * mean).astype(self.running_mean.dtype)
        unbiased = var * (count / (count - 1))
        self.running_var = ((1 - alpha) * self.running_var + alpha * unbiased).astype(self.running_var.dtype)
        return out

    def config(self) -> dict:
        return {"type": type(self).__name__, self.size_name: self.features, "eps": self.eps,
                "momentum": self.momentum}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.features})"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of a fully connected layer's outputs, (batch, features), each feature over
    the batch; also (batch, channels, length), each channel over the batch and the length.

    Placed between a layer's affine map and its activation, as Ioffe and Szegedy do: Linear →
    BatchNorm1d → ReLU. The layer's bias is then redundant (β takes its role).

    Reference: S. Ioffe and C. Szegedy, "Batch normalization: accelerating deep network training by
    reducing internal covariate shift", ICML 2015 (arXiv:1502.03167).

    Args:
        features: the number of features (the second axis of the input).
        eps: ε > 0 added to the variance (default 1e-5, as PyTorch).
        momentum: α in [0, 1] for the running statistics (default 0.1, as PyTorch).
        dtype: of γ, β and the running statistics.

    Attributes:
        gamma, beta: (features,) Parameters, starting at 1 and 0 (the identity on normalised inputs).
        running_mean, running_var: (features,) arrays, starting at 0 and 1; saved with the model.
    """

    def __init__(self, features: int, eps: float = 1e-5, momentum: float = 0.1, dtype=np.float32):
        super().__init__(features, eps, momentum, dtype)
        self.expected = f"(batch, {self.features}) or (batch, {self.features}, length)"

    def check(self, x: Tensor) -> None:
        if x.ndim not in (2, 3) or x.shape[1] != self.features:
            hint = "Use BatchNorm2d for images (batch, C, H, W)." if x.ndim == 4 else None
            raise ShapeError(shape_message(repr(self), x.shape, self.expected, hint))


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of convolutional feature maps, (batch, channels, H, W): each channel is
    normalised over the batch and every position, so a feature map keeps one γ and one β, just as it
    shares one kernel (Ioffe and Szegedy, section 3.2).

    Placed after a convolution and before its activation: Conv2d → BatchNorm2d → ReLU.

    Reference: S. Ioffe and C. Szegedy, "Batch normalization: accelerating deep network training by
    reducing internal covariate shift", ICML 2015 (arXiv:1502.03167).

    Args:
        channels: the number of channels (feature maps), the second axis of the input.
        eps, momentum, dtype: as :class:`BatchNorm1d`.

    Attributes:
        gamma, beta, running_mean, running_var: (channels,), as in :class:`BatchNorm1d`.
    """

    size_name = "channels"

    def __init__(self, channels: int, eps: float = 1e-5, momentum: float = 0.1, dtype=np.float32):
        super().__init__(channels, eps, momentum, dtype)
        self.expected = f"(batch, {self.features}, H, W)"

    def check(self, x: Tensor) -> None:
        if x.ndim != 4 or x.shape[1] != self.features:
            hint = "Use BatchNorm1d for (batch, features)." if x.ndim == 2 else None
            raise ShapeError(shape_message(repr(self), x.shape, self.expected, hint))
