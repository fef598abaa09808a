"""Convolutional network layers: Conv2d, the three pooling layers and Flatten.

Images are channels-first, (batch, C, H, W). A typical network (Nielsen, ch. 6; seed notes 004):

    Sequential(Conv2d(1, 20, 5), ReLU(), MaxPool2d(2),     # 20 feature maps 24×24, pooled to 12×12
               Conv2d(20, 40, 5), ReLU(), MaxPool2d(2),    # 40 maps 8×8, pooled to 4×4
               Flatten(), Linear(640, 100), ReLU(), Linear(100, 10))

The convolution and pooling layers learn local spatial structure; the fully connected layers after
``Flatten`` integrate it across the whole image. The math and the backward passes are in
:mod:`synaptica.ops.conv` and :mod:`synaptica.ops.pool`; these modules hold the kernels and check
their inputs, so a wrong shape is reported with the layer's name and the shape it expects.
"""

from __future__ import annotations

import math

import numpy as np

from synaptica import ops
from synaptica.checks import one_of, positive_int
from synaptica.errors import ShapeError, shape_message
from synaptica.nn.budget import check_activation, check_parameters
from synaptica.nn.init import INITIALISERS
from synaptica.nn.module import Module, Parameter, check_input_dtype
from synaptica.ops._windows import Pair, as_pair, check_images, check_pool_padding, output_size, pair_text
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor


#: a window size, stride or padding: one int for both axes, or (rows, columns)
Size = int | tuple[int, int]


def _json_pair(pair: Pair) -> int | list[int]:
    """A square size as one int, otherwise [rows, columns] (how the architecture JSON stores it)."""
    return pair[0] if pair[0] == pair[1] else list(pair)


def _extras(stride: Pair, default_stride: Pair, padding: Pair) -> str:
    """The non-default geometry for a repr: ``, stride=2, padding=1``."""
    def size(pair: Pair) -> str:
        return str(pair[0]) if pair[0] == pair[1] else str(pair)

    text = ""
    if stride != default_stride:
        text += f", stride={size(stride)}"
    if padding != (0, 0):
        text += f", padding={size(padding)}"
    return text


def set_geometry(layer: Module, in_channels: int, out_channels: int, kernel_size: Size, stride: Size, padding: Size,
                 init: str) -> str:
    """Check and set a convolution's channels, window, stride and padding; return the checked ``init``."""
    name = type(layer).__name__
    layer.in_channels = positive_int(name, "in_channels", in_channels)
    layer.out_channels = positive_int(name, "out_channels", out_channels)
    layer.kernel_size = as_pair(kernel_size, "kernel_size", name)
    layer.stride = as_pair(stride, "stride", name)
    layer.padding = as_pair(padding, "padding", name, minimum=0)
    return one_of(name, "init", init, INITIALISERS)


class Conv2d(Module):
    """A convolutional layer: ``out_channels`` feature maps, each a kernel slid over the input.

    z[n, f, i, j] = b_f + Σ_c Σ_p Σ_q w[f, c, p, q] · x_pad[n, c, stride·i + p, stride·j + q]

    Each output neuron sees a kh × kw local receptive field through all input channels, and all
    neurons of a map share one kernel and one bias (Nielsen, ch. 6; LeCun et al. 1998).

    Args:
        in_channels: channels of the input (1 for grey images, the previous layer's maps after that).
        out_channels: number of feature maps (kernels).
        kernel_size: the window, an int or (rows, columns).
        stride: step between windows (int or pair), default 1.
        padding: zeros added on every side (int or pair), default 0.
        bias: whether each map has a bias.
        init: a name from :data:`synaptica.nn.init.INITIALISERS`, applied with fan-in
            n_in = in_channels·kh·kw (the inputs one output neuron sees). The default ``he``
            (He et al. 2015) draws weights from N(0, 2/n_in) and sets biases to 0: convolutional
            layers are nearly always followed by ReLU, and with ``nielsen``'s N(0, 1) biases a
            whole feature map can start (and stay) below zero. Measured on 4,000 Fashion-MNIST
            images (two conv-ReLU-pool stages, 2 epochs, η = 0.05): ``he`` 0.76–0.79 test
            accuracy over three seeds, ``nielsen`` 0.70–0.75 (and at η = 0.1, batch 32, one seed
            in three stayed at chance).
        rng: a seed or Generator for the initial weights.
        dtype: ``np.float32`` (default) or ``np.float64``.

    Attributes:
        weight: (out_channels, in_channels, kh, kw).
        bias: (out_channels,) or None.
        feedback: None, except during a step of a feedback-alignment rule, which sets fixed random
            kernels here through which the error travels back instead of the weights.
    """

    feedback: np.ndarray | None = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Size, stride: Size = 1, padding: Size = 0,
                 bias: bool = True, init: str = "he", rng: SeedLike = None, dtype=np.float32):
        init = set_geometry(self, in_channels, out_channels, kernel_size, stride, padding, init)
        if self.padding[0] >= self.kernel_size[0] or self.padding[1] >= self.kernel_size[1]:
            raise ValueError(f"Conv2d: padding {padding!r} must be smaller than the kernel "
                             f"{pair_text(self.kernel_size)} on each axis (wider padding only adds outputs "
                             f"that see nothing but zeros)")
        check_parameters(repr(self), self.parameter_count(in_channels, out_channels, kernel_size, bias=bias))
        kh, kw = self.kernel_size
        n_in, n_out = self.in_channels * kh * kw, self.out_channels
        weight, bias_values = INITIALISERS[init](n_in, n_out, as_generator(rng), dtype)
        self.weight = Parameter(weight.reshape(n_out, self.in_channels, kh, kw), regularized=True)
        self.bias = Parameter(bias_values, regularized=False) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        check_conv_input(self, x, self.weight)
        return ops.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.feedback)

    @classmethod
    def parameter_count(cls, in_channels: int, out_channels: int, kernel_size: Size, stride: Size = 1,
                        padding: Size = 0, bias: bool = True) -> int:
        kh, kw = as_pair(kernel_size, "kernel_size", "Conv2d")
        return out_channels * (in_channels * kh * kw + bool(bias))

    def config(self) -> dict:
        return {"type": "Conv2d", "in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": _json_pair(self.kernel_size), "stride": _json_pair(self.stride),
                "padding": _json_pair(self.padding), "bias": self.bias is not None}

    def __repr__(self) -> str:
        extras = _extras(self.stride, (1, 1), self.padding)
        return f"Conv2d({self.in_channels}→{self.out_channels}, {pair_text(self.kernel_size)}{extras})"


def check_conv_input(layer: Module, x: Tensor, weight: Parameter) -> None:
    """Refuse an input that is not (batch, in_channels, H, W) with room for the kernel, not in the
    dtype of ``weight``, or whose patch matrix or output would pass the activation budget; the
    message names ``layer`` (which has the geometry of a :class:`Conv2d`)."""
    check_images(repr(layer), x.shape, layer.kernel_size, layer.padding, layer.in_channels)
    check_input_dtype(layer, x, weight)
    n, channels, height, width = x.shape
    (kh, kw), (ph, pw) = layer.kernel_size, layer.padding
    rows, columns = output_size(height, kh, layer.stride[0], ph), output_size(width, kw, layer.stride[1], pw)
    check_activation(repr(layer), x.shape, "patch matrix", (n * rows * columns, channels * kh * kw))
    check_activation(repr(layer), x.shape, "output", (n, layer.out_channels, rows, columns))


class _Pool2d(Module):
    """The shared constructor, checks and config of the pooling layers (each names its op)."""

    has_padding = True

    def __init__(self, kernel_size: Size, stride: Size | None = None, padding: Size = 0):
        name = type(self).__name__
        self.kernel_size = as_pair(kernel_size, "kernel_size", name)
        self.stride = self.kernel_size if stride is None else as_pair(stride, "stride", name)
        self.padding = as_pair(padding, "padding", name, minimum=0)
        if self.padding != (0, 0) and not self.has_padding:
            raise ValueError(f"{name}: no padding for this pooling (got padding={padding!r})")
        check_pool_padding(name, self.kernel_size, self.padding)

    def check(self, x: Tensor) -> None:
        check_images(repr(self), x.shape, self.kernel_size, self.padding)

    def config(self) -> dict:
        config = {"type": type(self).__name__, "kernel_size": _json_pair(self.kernel_size),
                  "stride": _json_pair(self.stride)}
        if self.has_padding:
            config["padding"] = _json_pair(self.padding)
        return config

    def __repr__(self) -> str:
        extras = _extras(self.stride, self.kernel_size, self.padding)
        return f"{type(self).__name__}({pair_text(self.kernel_size)}{extras})"


class MaxPool2d(_Pool2d):
    """Max pooling: each window's largest activation ("was the feature found in this region?").

    Args: ``kernel_size`` (int or pair), ``stride`` (default: the window), ``padding`` (−∞, at most
    half the window). See :func:`synaptica.ops.max_pool2d`.
    """

    def forward(self, x: Tensor) -> Tensor:
        self.check(x)
        return ops.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """Average pooling: each window's mean activation (padding zeros count towards the mean).

    Args as :class:`MaxPool2d`. See :func:`synaptica.ops.avg_pool2d`.
    """

    def forward(self, x: Tensor) -> Tensor:
        self.check(x)
        return ops.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class L2Pool2d(_Pool2d):
    """L2 pooling (Nielsen, ch. 6): the square root of the sum of the squares in each window.

    Args: ``kernel_size`` and ``stride`` (default: the window); no padding. See
    :func:`synaptica.ops.l2_pool2d`.
    """

    has_padding = False

    def __init__(self, kernel_size: Size, stride: Size | None = None):
        super().__init__(kernel_size, stride)

    def forward(self, x: Tensor) -> Tensor:
        self.check(x)
        return ops.l2_pool2d(x, self.kernel_size, self.stride)


class Flatten(Module):
    """(batch, C, H, W) -> (batch, C·H·W): the bridge from feature maps to fully connected layers.

    The order is row-major (channel, then row, then column), as ``x.reshape(len(x), -1)``.
    """

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 2:
            raise ShapeError(shape_message(repr(self), x.shape, "(batch, ...) with at least 2 axes"))
        return ops.reshape(x, (x.shape[0], math.prod(x.shape[1:])))
