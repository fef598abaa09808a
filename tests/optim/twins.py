"""The small network both optimizer test files train in synaptica and in PyTorch side by side.

A [6, 8, 3] sigmoid network (log-likelihood cost on logits), fixed random mini-batches, and
:func:`torch_twin`, which copies a synaptica model's weights into the same network in PyTorch.
"""

import numpy as np
import torch

SIZES = [6, 8, 3]


def make_batches(seed: int, steps: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``steps`` mini-batches of 16 standard-normal inputs with class labels, from ``seed``."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((16, SIZES[0]), dtype=np.float32), rng.integers(0, SIZES[-1], 16))
            for _ in range(steps)]


def torch_twin(model) -> torch.nn.Sequential:
    """A torch Sequential of Linear/Sigmoid with the synaptica model's weights copied in."""
    layers = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.Sigmoid()]
    net = torch.nn.Sequential(*layers[:-1])
    with torch.no_grad():
        for ours, theirs in zip(model.parameters(), net.parameters()):
            assert ours.data.shape == tuple(theirs.shape)
            theirs.copy_(torch.from_numpy(ours.data.copy()))
    return net
