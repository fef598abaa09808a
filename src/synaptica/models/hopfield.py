"""Hopfield networks: a content-addressable memory of binary ±1 patterns with an energy that recall descends.

N binary units sᵢ ∈ {−1, +1}, fully connected by symmetric weights with a zero diagonal. Storing
p patterns ξ¹…ξᵖ is one Hebbian step, the sum of their outer products:

    W = (1/N) Σ_μ ξ^μ (ξ^μ)ᵀ,   Wᵢᵢ = 0

Recall starts from a probe (a corrupted pattern) and updates units by the sign of their field:

    hᵢ = Σⱼ Wᵢⱼ sⱼ,   sᵢ ← sign(hᵢ)   (a unit whose field is exactly 0 keeps its state)

*Asynchronously* (one unit at a time, in a random order each sweep) every update that changes sᵢ
changes the energy

    E(s) = −½ sᵀ W s

by ΔE = −Δsᵢ hᵢ < 0 (W symmetric, Wᵢᵢ = 0), so E never increases and recall ends in a fixed point, a
local minimum of E, in finitely many sweeps. *Synchronously* (all units at once) E need not decrease
and the state may fall into a cycle of length 2, which runs until ``max_sweeps`` and is reported as not
converged.

At low load each stored pattern is a fixed point: the field on unit i is ξᵢ plus cross-talk from the
other patterns, roughly Gaussian with variance (p − 1)/N. Recall breaks down at p ≈ 0.138 N (Amit,
Gutfreund and Sompolinsky 1985), where the retrieval states vanish; ``examples/hopfield_capacity.py``
measures it.

The class follows scikit-learn's estimator shape (seed 002's energy-based models, DESIGN.md point 5):
``store`` returns ``self`` and sets the fitted attribute ``weights_``; the random update order comes
from a Generator made from ``rng`` at ``store`` time.

References:
    J. J. Hopfield, "Neural networks and physical systems with emergent collective computational
    abilities", PNAS 79, 1982.
    D. J. Amit, H. Gutfreund and H. Sompolinsky, "Storing infinite numbers of patterns in a
    spin-glass model of neural networks", Phys. Rev. Lett. 55, 1985.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synaptica.checks import one_of, positive_int
from synaptica.errors import ShapeError, shape_message
from synaptica.random import SeedLike, as_generator

MODES = ("async", "sync")


@dataclass
class Recall:
    """What :meth:`Hopfield.recall` returns.

    Attributes:
        states: the final states, shaped as the probe ((N,) or (batch, N)), values ±1.
        converged: per probe (a bool, or a (batch,) array), whether a whole sweep changed no unit.
        sweeps: sweeps taken (the last, unchanged, one included).
        energies: with ``trace=True``, the energy of every probe after each update of one unit
            (asynchronous) or of all (synchronous), the probes' own energy first: (updates + 1, batch).
    """

    states: np.ndarray
    converged: np.ndarray | bool
    sweeps: int
    energies: np.ndarray | None = field(default=None, repr=False)


class Hopfield:
    """A Hopfield network of binary ±1 units with Hebbian storage (see the module docstring for the math).

    Args:
        rng: seed or Generator for the random order of asynchronous updates (kept as given; turned
            into a Generator by :meth:`store`).

    Attributes (after :meth:`store`):
        weights_: (N, N) symmetric weights with a zero diagonal.
        n_patterns_: how many patterns were stored.
    """

    def __init__(self, rng: SeedLike = None):
        self.rng = rng

    def store(self, patterns) -> Hopfield:
        """Store (p, N) ±1 patterns (or one (N,) pattern), replacing what was stored before; returns self."""
        xi = _spins(patterns, "Hopfield.store: patterns")
        xi = xi[None] if xi.ndim == 1 else xi
        if xi.ndim != 2 or not xi.size:
            raise ShapeError(f"Hopfield.store: patterns must be (p, N) with p, N ≥ 1, got shape {xi.shape}")
        weights = xi.T @ xi / xi.shape[1]
        np.fill_diagonal(weights, 0.0)
        self.weights_, self.n_patterns_ = weights, len(xi)
        self.generator_ = as_generator(self.rng)
        return self

    @property
    def n_units(self) -> int:
        return self._weights().shape[0]

    def energy(self, state) -> float | np.ndarray:
        """E = −½ sᵀ W s of one state (N,) (a float) or of each row of (batch, N) (an array)."""
        s = self._states(state, "energy")
        energies = -0.5 * np.einsum("bi,ij,bj->b", s, self._weights(), s)
        return float(energies[0]) if np.ndim(state) == 1 else energies

    def recall(self, probe, mode: str = "async", max_sweeps: int = 100, trace: bool = False) -> Recall:
        """Update a probe (N,) or probes (batch, N) of ±1 values until no unit changes in a sweep.

        Args:
            mode: ``"async"`` (units one at a time, in a fresh random order each sweep, the same for every
                probe of the batch) or ``"sync"`` (all units at once).
            max_sweeps: at most this many sweeps (a sweep updates each unit once).
            trace: record the energy after every update (costs one energy per update: for tests and plots).
        """
        one_of("Hopfield.recall", "mode", mode, MODES)
        max_sweeps = positive_int("Hopfield.recall", "max_sweeps", max_sweeps)
        s = self._states(probe, "recall").copy()
        weights = self._weights()
        energies = [self.energy(s)] if trace else None
        update = _async_sweep if mode == "async" else _sync_sweep
        converged = np.zeros(len(s), dtype=bool)
        for sweep in range(1, max_sweeps + 1):
            order = self.generator_.permutation(len(weights)) if mode == "async" else None
            changed = update(s, weights, order, energies, self)
            converged = ~changed
            if converged.all():
                break
        single = np.ndim(probe) == 1
        return Recall(s[0] if single else s, bool(converged[0]) if single else converged, sweep,
                      np.array(energies) if trace else None)

    def _weights(self) -> np.ndarray:
        if not hasattr(self, "weights_"):
            raise RuntimeError("Hopfield: nothing stored yet; call store(patterns) first")
        return self.weights_

    def _states(self, state, what: str) -> np.ndarray:
        """``state`` as a (batch, N) float array of ±1, or a clear error."""
        n = self._weights().shape[0]
        shape = np.shape(state)
        if len(shape) not in (1, 2) or shape[-1] != n:
            raise ShapeError(shape_message(f"{self!r}.{what}", shape, f"({n},) or (batch, {n})"))
        s = _spins(state, f"Hopfield.{what}: the state")
        return s[None] if s.ndim == 1 else s

    def __repr__(self) -> str:
        stored = f"N={self.weights_.shape[0]}, {self.n_patterns_} patterns" if hasattr(self, "weights_") else "empty"
        return f"Hopfield({stored})"


def _async_sweep(s: np.ndarray, weights: np.ndarray, order: np.ndarray, energies: list | None,
                 network: Hopfield) -> np.ndarray:
    """One asynchronous sweep over ``order`` in place; which probes changed."""
    changed = np.zeros(len(s), dtype=bool)
    for i in order:
        field_i = s @ weights[i]
        new = np.where(field_i > 0, 1.0, np.where(field_i < 0, -1.0, s[:, i]))
        changed |= new != s[:, i]
        s[:, i] = new
        if energies is not None:
            energies.append(network.energy(s))
    return changed


def _sync_sweep(s: np.ndarray, weights: np.ndarray, order, energies: list | None, network: Hopfield) -> np.ndarray:
    """One synchronous update of every unit in place; which probes changed."""
    fields = s @ weights
    new = np.where(fields > 0, 1.0, np.where(fields < 0, -1.0, s))
    changed = (new != s).any(axis=1)
    s[:] = new
    if energies is not None:
        energies.append(network.energy(s))
    return changed


def _spins(values, what: str) -> np.ndarray:
    """``values`` as float64 ±1, or ValueError naming the first value that is neither."""
    array = np.asarray(values)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{what} must be numbers ±1, got dtype {array.dtype}")
    bad = np.argwhere((array != 1) & (array != -1))
    if len(bad):
        index = tuple(int(i) for i in bad[0])
        raise ValueError(f"{what} must be ±1, found {array[index].item()!r} at index {index} ({len(bad)} such values); "
                         f"binarise first, e.g. np.where(x > 0.5, 1, -1)")
    return array.astype(np.float64)
