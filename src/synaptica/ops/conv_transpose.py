"""Transposed convolution: the backward pass of a convolution, run forwards (a learned upsampling).

A convolution with stride s maps an H × W image to about H/s × W/s maps. Its input gradient,
col2im, goes the other way: every output position spreads its value over a kh × kw patch of a
larger image. A *transposed convolution* is that map used as a layer, with weights of its own
(Dumoulin and Visin 2016; the generator of a DCGAN is a stack of them, Radford et al. 2016):

    z[n, f, sh·i + p − ph, sw·j + q − pw] += Σ_c x[n, c, i, j] · w[c, f, p, q]      (+ b_f)

for every input pixel (i, j) and kernel offset (p, q). Each input pixel writes its channel vector,
through the kernel, into the kh × kw window at (sh·i, sw·j) of the output; overlapping windows add.
The weight is (C_in, C_out, kh, kw), PyTorch's and ONNX's layout. Padding *crops* ph rows and pw
columns from every side of the full result, and ``output_padding`` (op, < stride) adds op rows and
columns at the bottom and right, so that

    H_out = (H − 1)·sh − 2·ph + kh + oph          W_out = (W − 1)·sw − 2·pw + kw + opw

This is exactly the size whose convolution with the same kernel, stride and padding gives back H × W:
the transposed convolution is the adjoint of :func:`synaptica.ops.conv2d` with the kernel's two
channel axes swapped. So the code reuses the convolution's two halves, swapped:

- forward = col2im: X_rows (batch·H·W, C_in) times the kernels, scattered to the output, one small
  product and one strided add per kernel offset (:func:`synaptica.ops.conv.col2im`);
- ∂C/∂x = im2col of the (re-padded) output gradient times W_col: a convolution's forward GEMM;
- ∂C/∂w = X_rowsᵀ G_col: the same patch matrix, once more.

References: V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
arXiv:1603.07285, 2016; A. Radford, L. Metz and S. Chintala, "Unsupervised representation learning
with deep convolutional generative adversarial networks", ICLR 2016.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.ops._windows import as_pair, pair_text, unpad, windows
from synaptica.ops.conv import col2im
from synaptica.tensor import Tensor


def transposed_size(size: int, kernel: int, stride: int, padding: int, output_padding: int) -> int:
    """Output length along one axis: (size − 1)·stride − 2·padding + kernel + output_padding."""
    return (size - 1) * stride - 2 * padding + kernel + output_padding


def check_output_padding(where: str, output_padding, stride) -> tuple[int, int]:
    """``output_padding`` as a pair, each smaller than the stride (otherwise the extra rows would be
    outside every window and the size would not be the one a convolution maps back from)."""
    pair = as_pair(output_padding, "output_padding", where, minimum=0)
    if pair[0] >= stride[0] or pair[1] >= stride[1]:
        raise ValueError(f"{where}: output_padding {pair_text(pair)} must be smaller than the stride "
                         f"{pair_text(stride)} on each axis")
    return pair


def conv_transpose2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0) -> Tensor:
    """Transposed convolution: (batch, C_in, H, W) -> (batch, C_out, H_out, W_out).

    Args:
        x: images, channels first.
        weight: kernels (C_in, C_out, kh, kw): ``weight[c]`` is what input channel c writes.
        bias: (C_out,) or None.
        stride: spacing of the written windows in the output, an int or (rows, columns).
        padding: rows and columns cropped from every side of the full output.
        output_padding: rows and columns added at the bottom and right (each < stride).

    The math, the output size and the backward pass are in the module docstring.
    """
    stride = as_pair(stride, "stride", "conv_transpose2d")
    padding = as_pair(padding, "padding", "conv_transpose2d", minimum=0)
    extra = check_output_padding("conv_transpose2d", output_padding, stride)
    if weight.ndim != 4:
        raise ShapeError(f"conv_transpose2d: weight must be (in_channels, out_channels, kh, kw), got shape "
                         f"{weight.shape}")
    channels, n_maps, kh, kw = weight.shape
    if x.ndim != 4 or x.shape[1] != channels:
        raise ShapeError(f"conv_transpose2d: input must be (batch, {channels}, H, W) for a weight of shape "
                         f"{weight.shape}, got {x.shape}")
    if bias is not None and bias.shape != (n_maps,):
        raise ShapeError(f"conv_transpose2d: bias must have shape ({n_maps},) for {n_maps} output channels, "
                         f"got {bias.shape}")
    batch, _, h, w = x.shape
    h_out = transposed_size(h, kh, stride[0], padding[0], extra[0])
    w_out = transposed_size(w, kw, stride[1], padding[1], extra[1])
    if h_out < 1 or w_out < 1:
        raise ShapeError(f"conv_transpose2d: a {pair_text((h, w))} input with a {pair_text((kh, kw))} kernel, "
                         f"stride {pair_text(stride)} and padding {pair_text(padding)} has no output "
                         f"({h_out}×{w_out})")
    full = (batch, n_maps, h_out + 2 * padding[0], w_out + 2 * padding[1])
    rows = batch * h * w
    x_rows = x.data.transpose(0, 2, 3, 1).reshape(rows, channels)  # a view when x is channels-last
    # w_cols[p, q] is the (C_out, C_in) matrix that input channels pass through at offset (p, q)
    w_cols = np.ascontiguousarray(weight.data.transpose(2, 3, 1, 0))
    out = unpad(col2im(x_rows, w_cols, full, (h, w), stride), padding)
    if bias is not None:
        out += bias.data.reshape(n_maps, 1, 1)

    def vjp(g):
        g_full = np.zeros((batch, full[2], full[3], n_maps), g.dtype).transpose(0, 3, 1, 2)
        g_full[:, :, padding[0]:padding[0] + h_out, padding[1]:padding[1] + w_out] = g
        view = windows(g_full, (kh, kw), stride)[:, :, :h, :w]  # (batch, C_out, H, W, kh, kw)
        g_cols = np.ascontiguousarray(view.transpose(0, 2, 3, 4, 5, 1)).reshape(rows, kh * kw * n_maps)
        grad_x = grad_w = grad_b = None
        if x.requires_grad:  # a convolution's forward GEMM on the output gradient
            grad_x = (g_cols @ w_cols.reshape(kh * kw * n_maps, channels)).reshape(batch, h, w, channels)
            grad_x = grad_x.transpose(0, 3, 1, 2).astype(x.dtype, copy=False)
        if weight.requires_grad:  # Σ over input pixels of x ⊗ (the output window it wrote)
            grad_w = (x_rows.T @ g_cols).reshape(channels, kh, kw, n_maps).transpose(0, 3, 1, 2)
            grad_w = np.ascontiguousarray(grad_w, dtype=weight.dtype)
        if bias is not None and bias.requires_grad:
            grad_b = g.sum(axis=(0, 2, 3)).astype(bias.dtype, copy=False)
        return (grad_x, grad_w) if bias is None else (grad_x, grad_w, grad_b)

    parents = (x, weight) if bias is None else (x, weight, bias)
    return Tensor.from_op(out, parents, vjp, "conv_transpose2d")
