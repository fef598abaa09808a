"""ConvTranspose2d: a learned upsampling layer, the building block of a DCGAN generator.

Where :class:`~synaptica.nn.Conv2d` with stride 2 halves an image, a transposed convolution with
stride 2 doubles it: every input pixel writes its channels, through a kh × kw kernel, into a window of
the output, and overlapping windows add up. ``ConvTranspose2d(C, F, 4, stride=2, padding=1)`` maps
H × W to 2H × 2W (Radford et al. 2016). The math and the backward pass are in
:mod:`synaptica.ops.conv_transpose`; this module holds the kernels and checks the input.
"""

from __future__ import annotations

import numpy as np

from synaptica import ops
from synaptica.nn.budget import check_activation, check_parameters
from synaptica.nn.conv import Size, _json_pair, set_geometry
from synaptica.nn.init import INITIALISERS
from synaptica.nn.module import Module, Parameter, check_input_dtype
from synaptica.ops._windows import as_pair, check_images, pair_text
from synaptica.ops.conv_transpose import check_output_padding, transposed_size
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor


class ConvTranspose2d(Module):
    """A transposed convolution: (batch, in_channels, H, W) -> (batch, out_channels, H_out, W_out).

    z[n, f, s·i + p − pad, s·j + q − pad] += Σ_c x[n, c, i, j] · w[c, f, p, q]   (+ b_f)

    H_out = (H − 1)·stride − 2·padding + kh + output_padding (and the same for W).

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: the window each input pixel writes, an int or (rows, columns).
        stride: spacing of those windows in the output (int or pair), default 1.
        padding: rows and columns cropped from every side of the output (int or pair), default 0.
        output_padding: rows and columns added at the bottom and right, each smaller than the stride
            (int or pair), default 0: picks one of the sizes that a strided convolution maps to H.
        bias: whether each output channel has a bias (initialised to 0).
        init: a name from :data:`synaptica.nn.init.INITIALISERS`, applied to the weight read as the
            (in_channels, out_channels·kh·kw) matrix, so with fan-in out_channels·kh·kw (PyTorch's
            convention for this layer).
        rng: a seed or Generator for the initial weights.
        dtype: ``np.float32`` (default) or ``np.float64``.

    Attributes:
        weight: (in_channels, out_channels, kh, kw), PyTorch's and ONNX's layout.
        bias: (out_channels,) or None.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Size, stride: Size = 1, padding: Size = 0,
                 output_padding: Size = 0, bias: bool = True, init: str = "he", rng: SeedLike = None,
                 dtype=np.float32):
        init = set_geometry(self, in_channels, out_channels, kernel_size, stride, padding, init)
        self.output_padding = check_output_padding("ConvTranspose2d", output_padding, self.stride)
        check_parameters(repr(self), self.parameter_count(in_channels, out_channels, kernel_size, bias=bias))
        kh, kw = self.kernel_size
        weight, _ = INITIALISERS[init](self.out_channels * kh * kw, self.in_channels, as_generator(rng), dtype)
        self.weight = Parameter(weight.reshape(self.in_channels, self.out_channels, kh, kw), regularized=True)
        self.bias = Parameter(np.zeros(self.out_channels, dtype), regularized=False) if bias else None

    def output_shape(self, height: int, width: int) -> tuple[int, int, int]:
        """(out_channels, H_out, W_out) for an input of height × width."""
        sizes = [transposed_size(n, k, s, p, e) for n, k, s, p, e in
                 zip((height, width), self.kernel_size, self.stride, self.padding, self.output_padding)]
        return (self.out_channels, *sizes)

    def forward(self, x: Tensor) -> Tensor:
        check_images(repr(self), x.shape, (1, 1), (0, 0), self.in_channels)
        check_input_dtype(self, x, self.weight)
        check_activation(repr(self), x.shape, "output", (x.shape[0], *self.output_shape(*x.shape[2:])))
        return ops.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding)

    @classmethod
    def parameter_count(cls, in_channels: int, out_channels: int, kernel_size: Size, stride: Size = 1,
                        padding: Size = 0, output_padding: Size = 0, bias: bool = True) -> int:
        kh, kw = as_pair(kernel_size, "kernel_size", "ConvTranspose2d")
        return in_channels * out_channels * kh * kw + out_channels * bool(bias)

    def config(self) -> dict:
        return {"type": "ConvTranspose2d", "in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": _json_pair(self.kernel_size), "stride": _json_pair(self.stride),
                "padding": _json_pair(self.padding), "output_padding": _json_pair(self.output_padding),
                "bias": self.bias is not None}

    def __repr__(self) -> str:
        extras = "".join(f", {name}={_json_pair(pair)}" for name, pair, default in
                         (("stride", self.stride, (1, 1)), ("padding", self.padding, (0, 0)),
                          ("output_padding", self.output_padding, (0, 0))) if pair != default)
        return f"ConvTranspose2d({self.in_channels}→{self.out_channels}, {pair_text(self.kernel_size)}{extras})"
