"""Training an ensemble: the same network from several seeds, each trained by :func:`fit`, then combined."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from synaptica.nn.ensemble import Ensemble
from synaptica.nn.module import Module
from synaptica.rules.base import LearningRule
from synaptica.train.fit import fit
from synaptica.train.history import History


def train_ensemble(build: Callable[[int], tuple[Module, LearningRule]], train: tuple[np.ndarray, np.ndarray], *,
                   seeds: Sequence[int], combine: str = "average", **fit_arguments) -> tuple[Ensemble, list[History]]:
    """Build and train one network per seed, and return them as an :class:`~synaptica.nn.Ensemble`.

    ``build(seed)`` returns a fresh ``(model, rule)``, its initial weights drawn from ``seed``; ``fit``
    then shuffles with the same seed, so the members differ in both their start and the order they
    see the examples. The remaining keyword arguments go to every ``fit`` call::

        def build(seed):
            net = mlp([784, 100, 10], "relu", init="he", rng=seed)
            return net, Backprop(LogLikelihoodCost(), SGD(net.parameters(), 0.1))

        ensemble, histories = train_ensemble(build, (x, y), seeds=[0, 1, 2], epochs=10, batch_size=32,
                                             validation=(x_val, y_val), restore_best=True)

    Returns:
        The ensemble and each member's :class:`History`, in the order of ``seeds``.
    """
    if "rng" in fit_arguments:
        raise TypeError("train_ensemble: each member is shuffled with its own seed; pass seeds=, not rng=")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("train_ensemble: seeds is empty; give one seed per member")
    members, histories = [], []
    for seed in seeds:
        model, rule = build(seed)
        histories.append(fit(model, rule, train, rng=seed, **fit_arguments))
        members.append(model)
    return Ensemble(members, combine), histories
