"""One check for a fused cost op against PyTorch: the same value and the same gradient on the logits."""

import numpy as np
import torch

from synaptica.tensor import Tensor


def assert_cost_matches_torch(ours, theirs, z: np.ndarray, tol: float) -> None:
    """``ours(Tensor) -> cost`` and ``theirs(torch tensor) -> cost`` agree in value and in ∂cost/∂z,
    and ours keeps the logits' dtype."""
    zt = torch.tensor(z, requires_grad=True)
    expected = theirs(zt)
    expected.backward()
    zs = Tensor(z, requires_grad=True)
    cost = ours(zs)
    cost.backward()
    assert cost.data.dtype == z.dtype and zs.grad.dtype == z.dtype
    np.testing.assert_allclose(cost.data, expected.detach().numpy(), rtol=tol)
    np.testing.assert_allclose(zs.grad, zt.grad.numpy(), rtol=tol, atol=tol)
