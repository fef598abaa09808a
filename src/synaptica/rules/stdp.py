"""Spike-timing-dependent plasticity: the pair-based rule with exponential traces (seed 000's STDP).

A synapse from input i to neuron j is strengthened when i fires shortly *before* j, and weakened
when i fires *after* j, by an amount that decays exponentially with the delay Δ = t_post − t_pre:

    Δw = +A₊ e^{−Δ/τ₊}     for Δ ≥ 0   (pre before post: i helped j fire)
    Δw = −A₋ e^{ Δ/τ₋}     for Δ < 0   (post before pre: i came too late)

summed over every pair of a pre- and a postsynaptic spike (the all-to-all pair rule; Bi and Poo 1998,
Song, Miller and Abbott 2000). Traces make the sum cheap: the presynaptic trace

    x(t) = Σ_{s ≤ t} S(s) e^{−(t − s)/τ₊},   x ← x e^{−dt/τ₊} + S(t) at each step

holds every earlier input spike at its decayed weight, so a postsynaptic spike at t adds A₊ x(t) to
its column of W: exactly A₊ Σ_pairs e^{−Δ/τ₊}. The depression is gathered at the postsynaptic spikes
too, from the same trace run backward in time,

    u(t) = Σ_{s > t} S(s) e^{−(s − t)/τ₋},   u(t − 1) = e^{−dt/τ₋} (u(t) + S(t))

so a postsynaptic spike at t subtracts A₋ u(t): the same sum over pairs as the usual postsynaptic
trace read at each presynaptic spike, at the cost of the few postsynaptic spikes instead of the many
presynaptic ones. A pre and a post spike in the same step count as pre before post (Δ = 0, +A₊).

Diehl and Cook (2015) learn with A₊ = 0.01, A₋ = 0.0001, τ₊ = τ₋ = 20 ms (their code's ν_post, ν_pre
and trace constants; their code also multiplies the potentiation by a second, slower postsynaptic
trace, the triplet form, which this rule leaves out), clip weights to [0, w_max] and normalise every
neuron's incoming weights to a fixed sum, which turns the mostly-positive STDP into competition: the
inputs that drive a neuron's spikes grow, and the normalisation takes the growth from the others.
The adaptive thresholds θ are the neurons' own (:class:`~synaptica.models.SpikingNetwork`).

The rule is fed inputs alone (labels in ``(x, y)`` batches are ignored). Each step shows the batch's
images at once to copies of the network sharing W (see the model's docstring), sums the copies'
changes ΔW, clips and normalises; with batches of 1 it is Diehl and Cook's image-by-image learning
with W updated after each image.

References:
    G. Bi and M. Poo, "Synaptic modifications in cultured hippocampal neurons", J. Neuroscience 18, 1998.
    S. Song, K. D. Miller and L. F. Abbott, "Competitive Hebbian learning through spike-timing-dependent
    synaptic plasticity", Nature Neuroscience 3, 2000.
    P. U. Diehl and M. Cook, "Unsupervised learning of digit recognition using spike-timing-dependent
    plasticity", Frontiers in Computational Neuroscience 9:99, 2015.
"""

from __future__ import annotations

import math

import numpy as np

from synaptica.checks import non_negative_float, positive_float
from synaptica.data.encoders import SpikeTrains
from synaptica.errors import ShapeError
from synaptica.models.snn import SpikingNetwork
from synaptica.nn.module import Module
from synaptica.rules.base import State


def pair_stdp(pre: SpikeTrains, post: np.ndarray, dt: float, a_plus: float, a_minus: float,
              tau_plus: float, tau_minus: float) -> np.ndarray:
    """ΔW (inputs, neurons) of the pair-based rule, summed over the batch.

    Args:
        pre: the presynaptic spikes (:class:`~synaptica.data.encoders.SpikeTrains`; a dense raster
            becomes one with ``SpikeTrains.from_raster``).
        post: (steps, batch, neurons) postsynaptic spikes per step (boolean or counts).
        dt, tau_plus, tau_minus: the step and the traces' time constants, in the same unit (ms).
    """
    if post.ndim != 3 or post.shape[:2] != (pre.steps, pre.batch):
        raise ShapeError(f"pair_stdp: the post raster must be (steps, batch, neurons) = ({pre.steps}, {pre.batch}, "
                         f"neurons) like the pre spikes, got {post.shape}")
    steps, batch, inputs = pre.steps, pre.batch, pre.inputs
    times, images, neurons = np.nonzero(post)  # sorted by time
    if not len(times):
        return np.zeros((inputs, post.shape[2]))
    weights = post[times, images, neurons].astype(np.float64)  # a post count of 2 is two post spikes
    posts = np.searchsorted(times, np.arange(steps + 1))
    spikes = np.searchsorted(pre.step, np.arange(steps + 1))
    before, after = np.empty((len(times), inputs)), np.empty((len(times), inputs))
    decay = math.exp(-dt / tau_plus)
    trace = np.zeros((batch, inputs))
    for t in range(steps):  # x(t) = x(t − 1) e^{−dt/τ₊} + S(t), read at the post spikes of step t
        trace *= decay
        np.add.at(trace, (pre.image[spikes[t]:spikes[t + 1]], pre.pixel[spikes[t]:spikes[t + 1]]), 1.0)
        if posts[t + 1] > posts[t]:
            before[posts[t]:posts[t + 1]] = trace[images[posts[t]:posts[t + 1]]]
    decay = math.exp(-dt / tau_minus)
    trace = np.zeros((batch, inputs))
    for t in range(steps - 1, int(times[0]) - 1, -1):  # u(t) read at the post spikes of step t, then u(t − 1)
        if posts[t + 1] > posts[t]:
            after[posts[t]:posts[t + 1]] = trace[images[posts[t]:posts[t + 1]]]
        np.add.at(trace, (pre.image[spikes[t]:spikes[t + 1]], pre.pixel[spikes[t]:spikes[t + 1]]), 1.0)
        trace *= decay
    change = (a_plus * before - a_minus * after) * weights[:, None]
    columns = np.zeros((post.shape[2], inputs))
    np.add.at(columns, neurons, change)
    return columns.T


class STDP:
    """Pair-based STDP with weight normalisation for a :class:`~synaptica.models.SpikingNetwork`.

    Args:
        a_plus, a_minus: the potentiation and depression amplitudes A₊, A₋ (0.01, 0.0001).
        tau_plus, tau_minus: the traces' time constants τ₊, τ₋ in ms (20, 20).

    Step metrics: ``spikes`` (excitatory spikes per image), ``shown`` (showings per image, more than
    1 when quiet images were shown again at a higher rate), ``weight_change`` (mean |ΔW| before the
    normalisation) and ``theta`` (the mean adaptive threshold, mV).
    """

    name = "stdp"
    arguments = ()  # no cost, no optimizer: each weight changes with the spike times at its two ends

    def __init__(self, a_plus: float = 0.01, a_minus: float = 0.0001, tau_plus: float = 20.0,
                 tau_minus: float = 20.0):
        self.a_plus = non_negative_float("STDP", "a_plus", a_plus)
        self.a_minus = non_negative_float("STDP", "a_minus", a_minus)
        self.tau_plus = positive_float("STDP", "tau_plus", tau_plus)
        self.tau_minus = positive_float("STDP", "tau_minus", tau_minus)
        self.key: int | None = None
        self.steps = 0

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        """Check the model; draw the key of the spike trains (step k's come from the key and k, so a
        resumed run draws the same ones)."""
        if not isinstance(model, SpikingNetwork):
            raise TypeError(f"STDP trains the input weights of a SpikingNetwork, got {type(model).__name__}; build "
                            f"one with SpikingNetwork(inputs, neurons) (synaptica train --model snn --rule stdp)")
        if self.key is None:
            self.key = int(rng.integers(2 ** 63))

    def unbind(self, model: Module) -> None:
        """Nothing to undo: W and θ stay as learnt."""

    def step(self, model: Module, batch: tuple) -> dict:
        if self.key is None:
            raise RuntimeError("STDP: call bind(model, rng) before step (fit does it)")
        shown = model.present(batch[0], np.random.default_rng([self.key, self.steps]), adapt=True)
        change = pair_stdp(shown.inputs, shown.spikes, model.dt, self.a_plus, self.a_minus,
                           self.tau_plus, self.tau_minus)
        model.weight += change.astype(np.float32)
        model.normalise()
        self.steps += 1
        return {"spikes": float(shown.counts.sum(axis=1).mean()), "shown": float(shown.shown.mean()),
                "weight_change": float(np.abs(change).mean()), "theta": float(model.theta.mean())}

    def state_dict(self) -> State:
        return {"stdp.key": np.array(-1 if self.key is None else self.key, dtype=np.int64),
                "stdp.steps": np.array(self.steps, dtype=np.int64)}

    def load_state_dict(self, state: State) -> None:
        key = int(state["stdp.key"])
        self.key, self.steps = (None if key < 0 else key), int(state["stdp.steps"])

    def __repr__(self) -> str:
        return f"STDP(A₊={self.a_plus:g}, A₋={self.a_minus:g}, τ₊={self.tau_plus:g} ms, τ₋={self.tau_minus:g} ms)"
