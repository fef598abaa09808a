"""A spiking network after Diehl and Cook (2015): Poisson inputs, an excitatory layer of leaky
integrate-and-fire neurons with lateral inhibition and adaptive thresholds, learning by STDP.

**Neurons.** Each excitatory neuron j has a membrane potential vⱼ (mV) driven by an excitatory and an
inhibitory conductance (conductance-based synapses, times in ms):

    τ_m dv/dt = (v_rest − v) + g_e (E_exc − v) + g_i (E_inh − v)
    τ_e dg_e/dt = −g_e,    g_e ← g_e + Wᵢⱼ at each spike of input i
    τ_i dg_i/dt = −g_i,    g_i ← g_i + w_inh at each spike of any *other* excitatory neuron

It fires when v > v_thresh + θⱼ and is not refractory; then v ← v_reset and v is held there for the
refractory period. With g_e, g_i held over a step of length dt, the membrane equation is linear and is
integrated exactly (exponential Euler): with g = 1 + g_e + g_i,

    v(t + dt) = v∞ + (v(t) − v∞) e^{−g dt/τ_m},   v∞ = (v_rest + g_e E_exc + g_i E_inh) / g

so under constant conductances the first spike comes at t* = (τ_m/g) ln((v₀ − v∞)/(v_thresh − v∞))
(tested against the simulation). The conductances decay exactly, g ← g e^{−dt/τ}.

**Adaptive threshold** (homeostasis): θⱼ grows by θ₊ at each spike of neuron j while learning and
decays as τ_θ dθ/dt = −θ, so a neuron that wins often needs more input to win again and every
neuron gets a share of the inputs. θ decays over the time the images take one after another — each
showing lasts ``presentation`` + ``rest`` ms (350 + 150) — also when a batch of them is simulated at
once. A neuron that fires r spikes per image on average settles where growth and decay balance,
θ* = θ₊ r τ_θ / 500 ms: with 400 neurons sharing 5–15 spikes an image, 12–40 mV. (Decaying θ over
one presentation per *batch* of 16 images instead lets it grow 23 times as far, until no neuron
fires without repeated showings at ever higher rates: one pass over Fashion-MNIST then collapses.)

**Lateral inhibition.** Diehl and Cook pair every excitatory neuron with an inhibitory one (weight
10.4), which fires at once and inhibits every other excitatory neuron (weight 17). Here that relay is a
direct inhibition term: a spike of neuron j at step t adds w_inh = 17 to g_i of every other neuron at
step t + 1, the relay's effect without its own dynamics (a winner-take-most competition).

**Presentations.** Each image is shown for ``presentation`` ms (350) as Poisson spike trains
(:mod:`synaptica.data.encoders`, max rate 63.75 Hz); an image that makes fewer than ``min_spikes`` (5)
excitatory spikes is shown again with the max rate raised by half its starting value (32 Hz), up to
``max_retries`` times; while learning, only an image's last showing changes W and θ (Diehl and Cook
keep the few changes of the quiet showings too). Between images Diehl and Cook let 150 ms of silence decay the variables; here
v, the conductances and the refractory timers are reset instead (the same state, without the steps);
only θ, which decays over hours of simulated time, counts the ``rest``.

**Vectorised over images.** A batch of images is simulated at once as independent copies of the
network sharing W and θ: the state is (batch, neurons) arrays and each step is a handful of array
operations. The input conductances of a whole stretch of steps are one matrix product, spikes (steps ·
batch, inputs) @ W. While learning, W is held fixed during a batch's presentation and the STDP change
is applied at its end (:mod:`synaptica.rules.stdp`); θ grows within each copy as it spikes, and the
copies' increments are summed into the shared θ. With a batch of 1 this is Diehl and Cook's sequential
learning except that W changes between images rather than within one (their changes within one image
are small, ~1e-2 per post spike against weights of ~0.1); small batches (16) keep it close and fast.
Labelling and testing use fixed weights, so large batches there change nothing.

**Reading out.** Each neuron is labelled with the class for which its mean spike count over the
labelling images (training data) is highest (silent neurons get no label, −1); an image is classified
by the class whose labelled neurons have the highest mean spike count (:meth:`SpikingNetwork.classify`).

Reference: P. U. Diehl and M. Cook, "Unsupervised learning of digit recognition using
spike-timing-dependent plasticity", Frontiers in Computational Neuroscience 9:99, 2015 (constants
from the paper and its published Brian code).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from synaptica.checks import finite_float, non_negative_float, non_negative_int, positive_float, positive_int
from synaptica.data.encoders import SpikeTrains, check_intensities, poisson_spikes
from synaptica.errors import DataError, ShapeError
from synaptica.nn.module import Module
from synaptica.random import SeedLike, as_generator, stream
from synaptica.tensor import Tensor


@dataclass(frozen=True)
class Neurons:
    """The excitatory LIF neurons' constants (mV and ms), Diehl and Cook's by default."""

    v_rest: float = -65.0
    v_reset: float = -65.0
    v_thresh: float = -52.0
    refractory: float = 5.0
    tau_m: float = 100.0
    tau_e: float = 1.0
    tau_i: float = 2.0
    e_exc: float = 0.0
    e_inh: float = -100.0
    theta_plus: float = 0.05
    tau_theta: float = 1e7
    w_inh: float = 17.0

    def __post_init__(self):
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in ("tau_m", "tau_e", "tau_i", "tau_theta"):
                positive_float("Neurons", item.name, value)  # math.inf: no decay
            elif item.name in ("refractory", "theta_plus", "w_inh"):
                non_negative_float("Neurons", item.name, value)
            else:
                finite_float("Neurons", item.name, value)
        if not self.v_reset < self.v_thresh or not self.v_rest < self.v_thresh:
            raise ValueError(f"Neurons: v_rest ({self.v_rest}) and v_reset ({self.v_reset}) must lie below "
                             f"v_thresh ({self.v_thresh})")


@dataclass
class Presentation:
    """What one presentation of a batch produced.

    Attributes:
        inputs: the input spikes (of each image's last showing).
        spikes: (steps, batch, neurons) boolean excitatory raster.
        counts: (batch, neurons) spike counts.
        shown: how many times each image was shown (1 + the retries at a higher rate).
    """

    inputs: SpikeTrains
    spikes: np.ndarray
    counts: np.ndarray
    shown: np.ndarray


class SpikingNetwork(Module):
    """Poisson inputs fully connected by non-negative weights W (inputs, neurons) to an excitatory layer
    of LIF neurons with lateral inhibition and adaptive thresholds θ (see the module docstring).

    Buffers (saved with the model, moved by :class:`~synaptica.rules.STDP`, never by gradients):
    ``weight`` (inputs, neurons), ``theta`` (neurons,), ``labels`` (neurons,; −1 where unlabelled).

    Args:
        inputs: pixels per image.
        neurons: excitatory neurons (400 in the figure; Diehl and Cook go up to 6,400).
        image_shape: (rows, columns) for receptive-field pictures (default: square, if ``inputs`` is).
        dt: time step, ms (0.5).
        presentation: how long each image is shown, ms (350).
        max_rate: the firing rate of a pixel of intensity 1, Hz (63.75).
        min_spikes: fewer excitatory spikes than this and the image is shown again at a higher rate (5).
        max_retries: at most this many extra showings (10).
        rest: the silence after each showing, ms (150): θ decays over it; the other variables are
            reset instead.
        weight_sum: every neuron's incoming weights are normalised to this sum (78 for 784 inputs,
            0.1 per input; :meth:`normalise`).
        w_max: weights are clipped to [0, w_max] (1).
        neuron: the LIF constants (:class:`Neurons`).
        seed: the seed of ``forward``'s own spike trains (``forward`` is deterministic), and of the
            initial weights, uniform in [0.003, 0.303) as Diehl and Cook draw them, then normalised.
    """

    buffer_names = ("weight", "theta", "labels")

    def __init__(self, inputs: int, neurons: int = 400, *, image_shape: tuple[int, int] | None = None,
                 dt: float = 0.5, presentation: float = 350.0, max_rate: float = 63.75, min_spikes: int = 5,
                 max_retries: int = 10, rest: float = 150.0, weight_sum: float | None = None, w_max: float = 1.0,
                 neuron: Neurons | None = None, seed: int = 0):
        self.inputs = positive_int("SpikingNetwork", "inputs", inputs)
        self.neurons = positive_int("SpikingNetwork", "neurons", neurons)
        self.dt = positive_float("SpikingNetwork", "dt", dt)
        self.presentation = positive_float("SpikingNetwork", "presentation", presentation)
        self.steps = max(1, round(self.presentation / self.dt))
        self.max_rate = positive_float("SpikingNetwork", "max_rate", max_rate)
        self.min_spikes = non_negative_int("SpikingNetwork", "min_spikes", min_spikes)
        self.max_retries = non_negative_int("SpikingNetwork", "max_retries", max_retries)
        self.rest = non_negative_float("SpikingNetwork", "rest", rest)
        self.weight_sum = positive_float("SpikingNetwork", "weight_sum",
                                         0.1 * self.inputs if weight_sum is None else weight_sum)
        self.w_max = positive_float("SpikingNetwork", "w_max", w_max)
        self.neuron = Neurons() if neuron is None else neuron
        if not isinstance(self.neuron, Neurons):
            raise TypeError(f"SpikingNetwork: neuron must be a Neurons, got {type(self.neuron).__name__}")
        self.seed = non_negative_int("SpikingNetwork", "seed", seed)
        self.image_shape = _image_shape(self.inputs, image_shape)
        rng = stream(self.seed, "snn.weights")
        self.weight = ((rng.random((self.inputs, self.neurons)) + 0.01) * 0.3).astype(np.float32)
        self.normalise()
        self.theta = np.zeros(self.neurons, dtype=np.float32)
        self.labels = np.full(self.neurons, -1.0, dtype=np.float32)

    # ---------------------------------------------------------------- the simulation

    def normalise(self) -> None:
        """Clip W to [0, w_max], then scale each neuron's column to sum to ``weight_sum`` (Diehl and
        Cook normalise before every image; the STDP rule does it after every batch)."""
        np.clip(self.weight, 0.0, self.w_max, out=self.weight)
        sums = self.weight.sum(axis=0, dtype=np.float64)
        self.weight *= (self.weight_sum / np.where(sums > 0, sums, 1.0)).astype(np.float32)

    def check_images(self, owner: str, x) -> np.ndarray:
        """``x`` as (batch, inputs) intensities, or DataError naming what the network expects."""
        x = np.asarray(x)
        if x.ndim < 2 or math.prod(x.shape[1:]) != self.inputs:
            raise DataError(f"{owner}: a spiking network of {self.inputs} inputs takes images of "
                            f"{self.inputs} pixels (batch, {self.inputs}), got data of shape {x.shape}")
        return check_intensities(owner, x)

    def run(self, drive: np.ndarray, adapt: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Simulate from rest under the input conductance increments ``drive`` (steps, batch, neurons).

        Returns the spike raster (steps, batch, neurons) and each copy's threshold increments (batch,
        neurons) (θ₊ per spike when ``adapt``, else zeros). θ itself is not changed here."""
        p, dt = self.neuron, self.dt
        steps, batch, n = drive.shape
        decay_e, decay_i = np.float32(math.exp(-dt / p.tau_e)), np.float32(math.exp(-dt / p.tau_i))
        rate = np.float32(dt / p.tau_m)
        v = np.full((batch, n), p.v_rest, dtype=np.float32)
        g_e, g_i = np.zeros_like(v), np.zeros_like(v)
        threshold = np.broadcast_to(p.v_thresh + self.theta, (batch, n)).astype(np.float32)
        refractory_steps = round(p.refractory / dt)
        wait = np.zeros((batch, n), dtype=np.int32)
        inhibition = np.zeros_like(v)
        spikes = np.zeros((steps, batch, n), dtype=bool)
        for t in range(steps):
            g_e *= decay_e
            g_e += drive[t]
            g_i *= decay_i
            g_i += inhibition
            g = 1 + g_e + g_i
            v_inf = (p.v_rest + g_e * p.e_exc + g_i * p.e_inh) / g
            free = wait <= 0
            v = np.where(free, v_inf + (v - v_inf) * np.exp(-rate * g), v)
            fired = np.greater(v, threshold, out=spikes[t])
            fired &= free
            np.subtract(wait, 1, out=wait)
            if fired.any():
                v[fired] = p.v_reset
                wait[fired] = refractory_steps
                if adapt:
                    threshold[fired] += p.theta_plus
                inhibition = p.w_inh * (fired.sum(axis=1, keepdims=True, dtype=np.float32) - fired)
            elif inhibition.any():
                inhibition = np.zeros_like(v)
        adapted = threshold - (p.v_thresh + self.theta)
        return spikes, adapted

    def input_drive(self, trains: SpikeTrains, chunk: int = 50) -> np.ndarray:
        """The conductance increments the input spikes cause, (steps, batch, neurons): the spike counts
        of each step and image times W, one matrix product per ``chunk`` steps."""
        steps, batch = trains.steps, trains.batch
        drive = np.empty((steps, batch, self.neurons), dtype=np.float32)
        bounds = np.searchsorted(trains.step, np.arange(0, steps + chunk, chunk))
        for k, start in enumerate(range(0, steps, chunk)):
            part = slice(bounds[k], bounds[k + 1])
            length = min(chunk, steps - start)
            cells = ((trains.step[part] - start).astype(np.int64) * batch + trains.image[part]) * self.inputs
            counts = np.bincount(cells + trains.pixel[part], minlength=length * batch * self.inputs)
            counts = counts.astype(np.float32).reshape(length * batch, self.inputs)
            drive[start:start + length] = (counts @ self.weight).reshape(length, batch, self.neurons)
        return drive

    def present(self, x, rng: np.random.Generator, adapt: bool = False) -> Presentation:
        """Show a batch of images (intensities in [0, 1]) once each, repeating at a higher rate those
        that make fewer than ``min_spikes`` spikes. With ``adapt``, θ grows by θ₊ per spike (of each
        image's last showing) and decays over the time all the showings take one after another."""
        x = self.check_images("SpikingNetwork", x)
        rate = self.max_rate
        trains = poisson_spikes(x, self.steps, rate, self.dt / 1000, rng)
        spikes, adapted = self.run(self.input_drive(trains), adapt)
        shown = np.ones(len(x), dtype=np.int64)
        for _ in range(self.max_retries):
            quiet = np.flatnonzero(spikes.sum(axis=(0, 2)) < self.min_spikes)
            if not len(quiet):
                break
            rate += self.max_rate / 2
            again = poisson_spikes(x[quiet], self.steps, rate, self.dt / 1000, rng)
            spikes[:, quiet], adapted[quiet] = self.run(self.input_drive(again), adapt)
            trains = trains.replace(quiet, again)
            shown[quiet] += 1
        if adapt:
            self.theta += adapted.sum(axis=0)
            elapsed = shown.sum() * (self.presentation + self.rest)
            self.theta *= np.float32(math.exp(-elapsed / self.neuron.tau_theta))
        return Presentation(trains, spikes, spikes.sum(axis=0, dtype=np.int64), shown)

    def responses(self, x, rng: SeedLike = None, batch_size: int = 32) -> np.ndarray:
        """Spike counts (images, neurons) with the weights and thresholds fixed, ``batch_size`` images
        simulated at once."""
        x = self.check_images("SpikingNetwork.responses", x)
        rng = as_generator(rng)
        return np.concatenate([self.present(x[i:i + batch_size], rng).counts
                               for i in range(0, len(x), batch_size)]) if len(x) else np.zeros((0, self.neurons))

    # ---------------------------------------------------------------- the read-out

    def assign_labels(self, counts: np.ndarray, y, n_classes: int | None = None) -> np.ndarray:
        """Label every neuron with the class of highest mean response (−1 for neurons that never fired);
        sets and returns ``labels``."""
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(counts) or y.dtype.kind not in "iu" or not len(y):
            raise ShapeError(f"SpikingNetwork.assign_labels: expected one integer label per image "
                             f"({len(counts)}), got labels of shape {y.shape} and dtype {y.dtype}")
        n_classes = int(y.max()) + 1 if n_classes is None else n_classes
        mean = np.zeros((n_classes, self.neurons))
        for c in range(n_classes):
            if np.any(y == c):
                mean[c] = counts[y == c].mean(axis=0)
        labels = mean.argmax(axis=0).astype(np.float32)
        labels[mean.max(axis=0) <= 0] = -1
        self.labels[...] = labels
        return self.labels

    def votes(self, counts: np.ndarray) -> np.ndarray:
        """(images, classes): the mean spike count of the neurons labelled with each class."""
        labels = self.labels.astype(np.int64)
        n_classes = int(labels.max()) + 1
        if n_classes < 1:
            raise RuntimeError("SpikingNetwork: no neuron has a label yet; call assign_labels(counts, y) "
                               "with responses to labelled training images")
        onehot = (labels[:, None] == np.arange(n_classes)).astype(np.float64)
        return counts @ onehot / np.maximum(onehot.sum(axis=0), 1)

    def classify(self, x, rng: SeedLike = None, batch_size: int = 32) -> np.ndarray:
        """The class of each image by the labelled neurons' votes."""
        return self.votes(self.responses(x, rng, batch_size)).argmax(axis=1)

    def forward(self, x: Tensor) -> Tensor:
        """The inference path: the class votes (images, classes) once neurons are labelled, else the
        spike counts (images, neurons); the spike trains come from the model's own seed, so the same
        images always give the same output."""
        values = x.data if isinstance(x, Tensor) else np.asarray(x)
        counts = self.responses(values, stream(self.seed, "snn.forward")).astype(np.float32)
        return Tensor(self.votes(counts).astype(np.float32) if (self.labels >= 0).any() else counts)

    def receptive_fields(self) -> np.ndarray:
        """Each neuron's incoming weights as an image: (neurons, rows, columns)."""
        return self.weight.T.reshape(self.neurons, *self.image_shape)

    def config(self) -> dict:
        return {"type": "SpikingNetwork", "inputs": self.inputs, "neurons": self.neurons,
                "image_shape": list(self.image_shape), "dt": self.dt, "presentation": self.presentation,
                "max_rate": self.max_rate, "min_spikes": self.min_spikes, "max_retries": self.max_retries, "rest": self.rest,
                "weight_sum": self.weight_sum, "w_max": self.w_max, "neuron": asdict(self.neuron),
                "seed": self.seed}

    def __repr__(self) -> str:
        return (f"SpikingNetwork({self.inputs} inputs → {self.neurons} LIF neurons, dt {self.dt:g} ms × "
                f"{self.steps} steps, {self.max_rate:g} Hz)")


def _image_shape(inputs: int, shape) -> tuple[int, int]:
    if shape is None:
        side = math.isqrt(inputs)
        return (side, side) if side * side == inputs else (1, inputs)
    if (not isinstance(shape, (tuple, list)) or len(shape) != 2
            or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in shape)
            or shape[0] * shape[1] != inputs):
        raise ValueError(f"SpikingNetwork: image_shape must be (rows, columns) with rows × columns = {inputs}, "
                         f"got {shape!r}")
    return int(shape[0]), int(shape[1])
