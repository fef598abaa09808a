"""Two-dimensional convolution (strictly, cross-correlation, as in every deep-learning library).

A convolutional layer is a layer of neurons with **local receptive fields** and **shared weights**
(Nielsen, ch. 6; LeCun et al. 1998). Output neuron (f, i, j) looks only at the kh × kw window of
the input at (i, j), through every input channel, and all neurons of feature map f use the same
kernel w_f and bias b_f:

    z[n, f, i, j] = b_f + Σ_c Σ_{p<kh} Σ_{q<kw} w[f, c, p, q] · x_pad[n, c, sh·i + p, sw·j + q]

(Nielsen writes σ(b + Σ_l Σ_m w_{l,m} a_{j+l, k+m}) for one channel and stride 1; the activation σ
is a separate layer here.) Sharing the kernel means the map detects the same feature everywhere in
the image, and the layer has only F·C·kh·kw + F parameters, whatever the image size.

**im2col.** Copy every window into one row of a matrix, the patch matrix X_col with
batch·H_out·W_out rows and K = kh·kw·C columns, and lay the kernels out as the columns of W_col
(K, F). Then the whole layer is a single matrix product (one GEMM):

    Z_rows = X_col W_col + b          (batch·H_out·W_out, F)

and the backward pass is a fully connected layer's (Nielsen's BP2–BP4, with the windows as the
inputs), plus one step that returns window gradients to pixels:

    ∂C/∂W_col = X_colᵀ G_rows              (BP4: summed over every position the kernel visited)
    ∂C/∂b     = Σ_rows G_rows              (BP3)
    ∂C/∂x     = col2im(G_rows W_colᵀ)      (BP2 per window, then each pixel adds up the gradients
                                            of all the windows that contain it)

col2im loops over the kh·kw kernel offsets, never over pixels: for offset (p, q) the windows'
gradient is G_rows W[:, :, p, q] (a small product), added to pixels (sh·i + p, sw·j + q) for all
(i, j) at once. The patch matrix from the forward pass is kept for ∂C/∂W.

**Memory layout.** The columns of X_col are ordered (p, q, c), channels innermost. The product
comes out as (batch, H_out, W_out, F) in memory and is returned as the (batch, F, H_out, W_out)
*view* of it (a transpose, no copy). The layers after it (activations, pooling) keep that layout,
so the next convolution copies whole runs of kw·C numbers into its patch matrix, and the gradient
that comes back already has the row layout G_rows needs. The only copies are the patch matrix and
the (small) kernels.

References: LeCun, Bottou, Bengio and Haffner, "Gradient-based learning applied to document
recognition", Proc. IEEE 86(11), 1998; Chellapilla, Puri and Simard, "High performance
convolutional neural networks for document processing", 2006 (convolution as im2col + GEMM);
Nielsen, Neural Networks and Deep Learning, ch. 6.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.ops._windows import as_pair, check_images, offset_view, pad, unpad, windows
from synaptica.tensor import Tensor


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           feedback: np.ndarray | None = None) -> Tensor:
    """Convolve a batch of images with F kernels: (batch, C, H, W) -> (batch, F, H_out, W_out).

    Args:
        x: images, channels first.
        weight: kernels (F, C, kh, kw): ``weight[f]`` is the shared weights of feature map f.
        bias: (F,), one shared bias per feature map, or None.
        stride: step between windows, an int or (rows, columns).
        padding: zeros added on every side, an int or (rows, columns).
        feedback: None for the exact backward pass; otherwise fixed kernels of the weight's shape
            through which the error travels back to the input instead of the weights (feedback
            alignment, Lillicrap et al. 2016, with B a random kernel: BP2 becomes col2im(G_rows B_colᵀ)).
            ∂C/∂W and ∂C/∂b are unchanged.

    The math, the im2col product and the backward pass are in the module docstring.
    """
    stride = as_pair(stride, "stride", "conv2d")
    padding = as_pair(padding, "padding", "conv2d", minimum=0)
    if weight.ndim != 4:
        raise ShapeError(f"conv2d: weight must be (out_channels, in_channels, kh, kw), got shape {weight.shape}")
    n_maps, channels, kh, kw = weight.shape
    check_images("conv2d", x.shape, (kh, kw), padding, channels)
    if bias is not None and bias.shape != (n_maps,):
        raise ShapeError(f"conv2d: bias must have shape ({n_maps},) for {n_maps} feature maps, got {bias.shape}")

    x_pad = pad(x.data, padding)
    batch = x.shape[0]
    view = windows(x_pad, (kh, kw), stride)  # (batch, C, H_out, W_out, kh, kw), no copy
    h_out, w_out = view.shape[2], view.shape[3]
    rows, k = batch * h_out * w_out, kh * kw * channels
    # im2col: one row per window, columns ordered (p, q, c); the kernels as columns in the same order
    cols = np.ascontiguousarray(view.transpose(0, 2, 3, 4, 5, 1)).reshape(rows, k)
    w_cols = _kernel_columns(weight.data, weight.shape)
    z_rows = cols @ w_cols  # the one GEMM: (rows, K) @ (K, F)
    if bias is not None:
        z_rows += bias.data
    out = z_rows.reshape(batch, h_out, w_out, n_maps).transpose(0, 3, 1, 2)

    def vjp(g):
        g_rows = g.transpose(0, 2, 3, 1).reshape(rows, n_maps)  # no copy when g has the output's layout
        grad_x = grad_w = grad_b = None
        if weight.requires_grad:  # BP4: (X_colᵀ G_rows)ᵀ = G_rowsᵀ X_col, back to (F, C, kh, kw)
            grad_w = (g_rows.T @ cols).reshape(n_maps, kh, kw, channels).transpose(0, 3, 1, 2)
            grad_w = np.ascontiguousarray(grad_w, dtype=weight.dtype)
        if bias is not None and bias.requires_grad:  # BP3: the sum over every window (a GEMV)
            grad_b = (np.ones(rows, g_rows.dtype) @ g_rows).astype(bias.dtype, copy=False)
        if x.requires_grad:  # BP2 and col2im
            b_cols = w_cols if feedback is None else _kernel_columns(feedback, weight.shape)
            grad_x = col2im(g_rows, b_cols.reshape(kh, kw, channels, n_maps), x_pad.shape, (h_out, w_out), stride)
            grad_x = unpad(grad_x, padding).astype(x.dtype, copy=False)
        return (grad_x, grad_w) if bias is None else (grad_x, grad_w, grad_b)

    parents = (x, weight) if bias is None else (x, weight, bias)
    return Tensor.from_op(out, parents, vjp, "conv2d")


def _kernel_columns(kernels: np.ndarray, shape: tuple) -> np.ndarray:
    """Kernels (F, C, kh, kw) as the (K, F) matrix W_col, rows in the patch matrix's (p, q, c) order."""
    if kernels.shape != shape:
        raise ShapeError(f"conv2d: feedback kernels must have the weight's shape {shape}, got {kernels.shape}")
    n_maps, channels, kh, kw = shape
    return np.ascontiguousarray(kernels.transpose(2, 3, 1, 0)).reshape(kh * kw * channels, n_maps)


def col2im(g_rows: np.ndarray, w_cols: np.ndarray, padded_shape: tuple, out_size: tuple, stride: tuple) -> np.ndarray:
    """∂C/∂x_pad from the output gradient G_rows (batch·H_out·W_out, F) and kernels (kh, kw, C, F).

    The gradient of the windows' pixels at kernel offset (p, q) is G_rows W[:, :, p, q]ᵀ, one
    (batch, H_out, W_out, C) slab; pixel (sh·i + p, sw·j + q) receives entry (i, j) of it. Every
    pixel thus adds up the gradients of all the windows that contain it. One small product and one
    strided add per offset (kh·kw of them, no loop over pixels): the slabs stay in cache, where
    the full (batch·H_out·W_out, kh·kw·C) matrix of window gradients would not, and each add runs
    over whole rows of the image. Returns (batch, C, H_pad, W_pad), channels-last in memory.
    """
    kh, kw, channels, _ = w_cols.shape
    batch, _, h_pad, w_pad = padded_shape
    h_out, w_out = out_size
    grad = np.zeros((batch, h_pad, w_pad, channels), np.result_type(g_rows, w_cols))
    slab = np.empty((len(g_rows), channels), grad.dtype)
    image = grad.transpose(0, 3, 1, 2)
    for p in range(kh):
        for q in range(kw):
            np.matmul(g_rows, w_cols[p, q].T, out=slab)  # the windows' gradient at offset (p, q)
            target = offset_view(image, (p, q), stride, out_size)
            target += slab.reshape(batch, h_out, w_out, channels).transpose(0, 3, 1, 2)
    return image
