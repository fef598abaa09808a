"""The rows of examples/network3.py trained in PyTorch, beside synaptica's (``network3.py --torch``).

The PyTorch network is a twin of the synaptica one: the same layers and a copy of its initial
weights. Training sees the same mini-batches in the same order and the same distorted images: the
shuffling and the one-pixel shifts are drawn from a NumPy Generator seeded as ``fit`` seeds its own,
in the same order ``fit`` draws them. Only the dropout masks differ (PyTorch draws its own, from
``torch.manual_seed(seed)``). As in ``fit(restore_best=True)``, the test accuracy is that of the
epoch with the best validation accuracy. One PyTorch thread, like synaptica's one BLAS thread at
batch 10. PyTorch is a benchmark dependency; the library never imports it.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from synaptica.nn import Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sigmoid, Unflatten
from synaptica.data.loaders import gather_block

TORCH_ACTIVATIONS = {ReLU: nn.ReLU, Sigmoid: nn.Sigmoid}


def _copy_weights(twin: nn.Module, layer) -> nn.Module:
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(np.asarray(layer.weight.data, dtype=np.float32)))
        twin.bias.copy_(torch.from_numpy(np.asarray(layer.bias.data, dtype=np.float32)))
    return twin


def torch_twin(net) -> nn.Sequential:
    """torch.nn.Sequential with the same layers as the synaptica Sequential ``net`` and its weights."""
    layers = []
    for layer in net.layers:
        if isinstance(layer, Unflatten):
            layers.append(nn.Unflatten(1, layer.shape))
        elif isinstance(layer, Conv2d):
            layers.append(_copy_weights(nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                                                  layer.stride, layer.padding), layer))
        elif isinstance(layer, MaxPool2d):
            layers.append(nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding))
        elif isinstance(layer, Flatten):
            layers.append(nn.Flatten())
        elif isinstance(layer, Linear):
            layers.append(_copy_weights(nn.Linear(layer.in_features, layer.out_features), layer))
        elif isinstance(layer, Dropout):
            layers.append(nn.Dropout(layer.p))
        elif type(layer) in TORCH_ACTIVATIONS:
            layers.append(TORCH_ACTIVATIONS[type(layer)]())
        else:
            raise TypeError(f"no torch twin for {layer!r}")
    return nn.Sequential(*layers)


def _accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    return float((_probabilities(model, x).argmax(1) == y).mean())


def _probabilities(model: nn.Module, x: np.ndarray) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        out = [F.softmax(model(torch.from_numpy(x[i:i + 1000])), dim=1).numpy() for i in range(0, len(x), 1000)]
    model.train()
    return np.concatenate(out)


def train_twin(recipe, splits, train, seed: int, epochs: int, verbose: bool) -> tuple[nn.Module, float]:
    """One network of the recipe, trained in PyTorch as ``fit`` trains synaptica's; (model, seconds)."""
    import network3  # examples/network3.py, on sys.path when it imports this module

    twin = torch_twin(network3.network(recipe, splits.train.image_shape, splits.train.n_classes, seed))
    weights = [p for name, p in twin.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in twin.named_parameters() if name.endswith("bias")]
    # Nielsen's L2: w ← w − η(∂C₀/∂w + (λ/n) w) on weights only
    optimizer = torch.optim.SGD([{"params": weights, "weight_decay": recipe.lmbda / len(train[0])},
                                 {"params": biases, "weight_decay": 0.0}], lr=recipe.eta)
    return train_torch(twin, optimizer, splits, train, generator=np.random.default_rng(seed), seed=seed,
                       epochs=epochs, batch_size=network3.BATCH_SIZE,
                       augment=network3.augmentation(recipe, splits.train.image_shape), verbose=verbose)


def train_torch(twin: nn.Module, optimizer, splits, train, *, generator: np.random.Generator, seed: int,
                epochs: int, batch_size: int, augment=None, learning_rates=None,
                verbose: bool = True) -> tuple[nn.Module, float]:
    """Train ``twin`` as ``fit(..., restore_best=True)`` trains a synaptica network; (model, seconds).

    Each epoch shuffles with ``generator`` and distorts blocks of whole mini-batches with ``augment``
    exactly as ``fit`` does; ``learning_rates`` (one per epoch, as ``EpochSchedule`` sets them) sets
    the optimizer's rate before each epoch; the weights of the best validation epoch are kept.
    """
    x, y = train
    torch.manual_seed(seed)
    block = gather_block(batch_size)  # fit's blocks of mini-batches
    best, best_state = -1.0, None
    started = time.perf_counter()
    twin.train()
    for epoch in range(epochs):
        if learning_rates is not None:
            for group in optimizer.param_groups:
                group["lr"] = learning_rates[epoch]
        order = generator.permutation(len(x))
        for start in range(0, len(x), batch_size):
            at = start % block
            if at == 0:  # as fit: gather (and distort) a block of whole mini-batches at once
                rows = order[start:start + block]
                x_block, y_block = x[rows], y[rows].astype(np.int64)
                if augment is not None:
                    x_block = augment(x_block, generator)
            inputs, labels = x_block[at:at + batch_size], y_block[at:at + batch_size]
            loss = F.cross_entropy(twin(torch.from_numpy(inputs)), torch.from_numpy(labels))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        accuracy = _accuracy(twin, splits.validation.x, splits.validation.y)
        if verbose:
            print(f"PyTorch epoch {epoch}: validation accuracy {accuracy:.4f}", flush=True)
        if accuracy > best:
            best, best_state = accuracy, copy.deepcopy(twin.state_dict())
    twin.load_state_dict(best_state)
    return twin, time.perf_counter() - started


def run_torch(recipe, splits, train, seed: int, epochs: int, verbose: bool = True) -> dict:
    """The recipe in PyTorch: its members trained, then test accuracy (averaged probabilities for an ensemble)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        members, seconds = [], 0.0
        for member_seed in range(seed, seed + recipe.members):
            twin, took = train_twin(recipe, splits, train, member_seed, epochs, verbose)
            members.append(twin)
            seconds += took
        x_test, y_test = splits.test.x, splits.test.y
        probabilities = [_probabilities(twin, x_test) for twin in members]
        return {"member_accuracy": [float((p.argmax(1) == y_test).mean()) for p in probabilities],
                "accuracy": float((np.mean(probabilities, axis=0).argmax(1) == y_test).mean()),
                "seconds": seconds}
    finally:
        torch.set_num_threads(previous)
