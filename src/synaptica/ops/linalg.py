"""Matrix products: the general ``matmul`` and the fused affine map ``linear``.

``linear`` is the workhorse of every fully connected layer and is fused (one op, one hand-written
backward) because at small batch sizes the Python cost per op, not the arithmetic, is what matters.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.ops._broadcast import unbroadcast
from synaptica.tensor import Tensor

#: Up to this many rows, ``a Wᵀ`` is computed as ``(W aᵀ)ᵀ`` when W has more rows than a (see
#: :func:`times_transposed`).
FEW_ROWS = 16


def times_transposed(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """a Wᵀ for a batch of rows a (m, in) and a weight matrix W (out, in).

    The product is the same either way, but OpenBLAS's kernels tile the larger operand better when
    it comes first: for a few rows (m ≤ 16) and more outputs than rows, ``(W aᵀ)ᵀ`` takes 15–40 %
    less time than ``a Wᵀ`` (at batch 10, 784 → 100: 38 against 50 µs on one core;
    docs/performance.md). The result is then a column-major view, which NumPy's element-wise ops
    and the next product accept as it is.
    """
    rows = len(a)
    if rows <= FEW_ROWS and w.shape[0] > rows:
        return (w @ a.T).T
    return a @ w.T


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b with NumPy's rules (1-D operands, stacked matrices broadcast).

    vjp for C = A B:  ∂/∂A = G Bᵀ,  ∂/∂B = Aᵀ G  (stack axes summed back where they broadcast).
    """
    a = a if isinstance(a, Tensor) else Tensor(np.asarray(a, dtype=b.dtype))
    b = b if isinstance(b, Tensor) else Tensor(np.asarray(b, dtype=a.dtype))
    out = a.data @ b.data

    def vjp(g):
        # treat vectors as 1-row / 1-column matrices, so one pair of formulas serves every case
        a2 = a.data[None, :] if a.ndim == 1 else a.data
        b2 = b.data[:, None] if b.ndim == 1 else b.data
        stack = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        g2 = np.reshape(g, stack + (a2.shape[-2], b2.shape[-1]))
        grad_a = grad_b = None
        if a.requires_grad:
            grad_a = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if b.requires_grad:
            grad_b = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return grad_a, grad_b

    return Tensor.from_op(out, (a, b), vjp, "matmul")


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None, feedback: np.ndarray | None = None) -> Tensor:
    """Affine map z = a Wᵀ + b for a batch of row vectors a (batch, in) -> z (batch, out).

    W has shape (out, in), so row j of W holds the weights into neuron j (Nielsen's w_jk). A single
    vector a (in,) gives z (out,), as in ``torch.nn.functional.linear``: it is a batch of one row.

    Backward, Nielsen's four equations in batch row form (grad_z is δ of this layer):
      BP1  δᴸ = ∇ₐC ⊙ σ'(zᴸ)            computed by the loss and activation ops, not here
      BP2  δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(zˡ)    -> grad_a = grad_z @ W   (the ⊙ σ' is the activation's vjp)
      BP3  ∂C/∂bˡ = Σ_batch δˡ          -> grad_b = grad_z.sum(axis=0)
      BP4  ∂C/∂Wˡ = (δˡ)ᵀ aˡ⁻¹           -> grad_W = grad_zᵀ @ a

    Feedback alignment (Lillicrap et al. 2016) replaces W in BP2 by a fixed random matrix B of the
    same shape: pass it as ``feedback`` and the error travels back through B instead of W. BP3 and
    BP4 are unchanged, so each layer still follows its local gradient given the error it receives.

    References: Nielsen, Neural Networks and Deep Learning, ch. 2; Lillicrap, Cownden, Tweed and
    Akerman, "Random synaptic feedback weights support error backpropagation for deep learning",
    Nature Communications 7, 2016.
    """
    w = weight.data
    a = x.data
    if a.ndim not in (1, 2) or a.shape[-1] != w.shape[1]:
        raise ShapeError(f"linear: input of shape {a.shape} does not fit weight of shape {w.shape}; "
                         f"expected (batch, {w.shape[1]}) or ({w.shape[1]},)")
    vector = a.ndim == 1
    if vector:
        a = a[None]
    z = times_transposed(a, w)
    if bias is not None:
        z += bias.data
    if vector:
        z = z[0]
    backward_matrix = w if feedback is None else feedback

    def vjp(grad_z):
        grad_x = grad_z @ backward_matrix if x.requires_grad else None
        if vector:
            grad_z = grad_z[None]
        grad_w = grad_z.T @ a if weight.requires_grad else None
        if bias is None:
            return grad_x, grad_w
        grad_b = np.add.reduce(grad_z, axis=0) if bias.requires_grad else None  # = grad_z.sum(axis=0), one call
        return grad_x, grad_w, grad_b

    parents = (x, weight) if bias is None else (x, weight, bias)
    return Tensor.from_op(z, parents, vjp, "linear")
