"""Encoders: turning pixel intensities into spike trains for spiking networks.

**Poisson rate coding** (Diehl and Cook 2015, §2.4). Pixel i of intensity xᵢ ∈ [0, 1] fires as a
Poisson process of rate rᵢ = xᵢ · r_max (Hz) for the T steps of length dt (seconds) that an image is
shown. A Poisson process's spikes, counted in bins of length dt, are independent Poisson counts:

    (spikes of pixel i in step t) ~ Poisson(rᵢ dt),   independently for every i and t

which is what :func:`poisson_spikes` draws, without drawing one number per pixel and step: the
count of pixel i over the whole presentation is Poisson(rᵢ T dt), and given the count its spikes
fall in steps drawn uniformly from the T (the order statistics of a Poisson process), so the work is
proportional to the number of spikes (about 5,000 per Fashion-MNIST image at 63.75 Hz for 350 ms,
against 550,000 pixel-steps). A step may hold two spikes of one pixel (probability ≈ (rᵢ dt)²/2,
5·10⁻⁴ at r dt = 0.032); a synapse then adds its weight twice, as a continuous-time simulation would.

Diehl and Cook show each image for 350 ms with r_max = 63.75 Hz (the intensity 0…255 divided by 4)
and raise r_max by 32 Hz and show the image again when the excitatory layer fired fewer than 5
spikes; :class:`~synaptica.models.SpikingNetwork` does that.

Randomness comes only from the explicit Generator passed in.

Reference: P. U. Diehl and M. Cook, "Unsupervised learning of digit recognition using
spike-timing-dependent plasticity", Frontiers in Computational Neuroscience 9:99, 2015.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synaptica.checks import positive_float, positive_int
from synaptica.errors import DataError


@dataclass
class SpikeTrains:
    """Spikes of a batch of inputs over ``steps`` time steps, one entry per spike, sorted by step and
    then by image: spike k is input ``pixel[k]`` of image ``image[k]`` at step ``step[k]``."""

    steps: int
    batch: int
    inputs: int
    step: np.ndarray
    image: np.ndarray
    pixel: np.ndarray

    @classmethod
    def from_raster(cls, raster) -> SpikeTrains:
        """The spikes of a (steps, batch, inputs) raster of counts per step."""
        raster = np.asarray(raster)
        if raster.ndim != 3 or raster.dtype.kind not in "iub" or (raster.size and raster.min() < 0):
            raise ValueError(f"SpikeTrains.from_raster: expected (steps, batch, inputs) spike counts, got an array of "
                             f"shape {raster.shape} and dtype {raster.dtype}")
        where = np.nonzero(raster)  # sorted by step, then image
        repeats = raster[where].astype(np.int64)
        step, image, pixel = (np.repeat(index, repeats).astype(np.int32) for index in where)
        return cls(*raster.shape, step, image, pixel)

    def dense(self) -> np.ndarray:
        """The raster (steps, batch, inputs) of spike counts per step (int32)."""
        cells = (self.step.astype(np.int64) * self.batch + self.image) * self.inputs + self.pixel
        size = self.steps * self.batch * self.inputs
        return np.bincount(cells, minlength=size).astype(np.int32).reshape(self.steps, self.batch, self.inputs)

    def counts(self) -> np.ndarray:
        """Spikes per image and input over the whole presentation: (batch, inputs)."""
        return np.bincount(self.image.astype(np.int64) * self.inputs + self.pixel,
                           minlength=self.batch * self.inputs).reshape(self.batch, self.inputs)

    def select(self, images: np.ndarray) -> SpikeTrains:
        """The spikes of the images ``images`` (sorted indices), renumbered 0… in that order."""
        keep = np.isin(self.image, images)
        renumber = np.full(self.batch, -1, dtype=np.int32)
        renumber[images] = np.arange(len(images), dtype=np.int32)
        return SpikeTrains(self.steps, len(images), self.inputs, self.step[keep], renumber[self.image[keep]],
                           self.pixel[keep])

    def replace(self, images: np.ndarray, other: SpikeTrains) -> SpikeTrains:
        """These spikes with those of the images ``images`` (sorted indices) taken from ``other``, whose
        image k is image ``images[k]`` here."""
        keep = ~np.isin(self.image, images)
        step = np.concatenate([self.step[keep], other.step])
        image = np.concatenate([self.image[keep], np.asarray(images, dtype=np.int32)[other.image]])
        pixel = np.concatenate([self.pixel[keep], other.pixel])
        order = np.argsort(step.astype(np.int64) * self.batch + image, kind="stable")
        return SpikeTrains(self.steps, self.batch, self.inputs, step[order], image[order], pixel[order])


def check_intensities(owner: str, x) -> np.ndarray:
    """``x`` as a (batch, pixels) float32 array of intensities in [0, 1], or DataError saying why not."""
    x = np.asarray(x)
    if x.dtype.kind not in "fiub" or x.ndim < 2 or not x.size:
        raise DataError(f"{owner}: expected a batch of images with intensities in [0, 1], got an array of "
                        f"shape {x.shape} and dtype {x.dtype}")
    x = x.reshape(len(x), -1).astype(np.float32, copy=False)
    if not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
        raise DataError(f"{owner}: pixel intensities must lie in [0, 1] (they set firing rates), got values "
                        f"from {np.nanmin(x):.4g} to {np.nanmax(x):.4g}; scale the images first")
    return x


def poisson_spikes(x, steps: int, max_rate: float, dt: float, rng: np.random.Generator) -> SpikeTrains:
    """Poisson spike trains of rates ``x · max_rate`` over ``steps`` steps of ``dt`` seconds.

    Args:
        x: (batch, ...) intensities in [0, 1] (each image is flattened).
        steps: number of time steps T.
        max_rate: the rate of an intensity of 1, in Hz.
        dt: the time step, in seconds.
        rng: the Generator the spikes are drawn from.
    """
    steps = positive_int("poisson_spikes", "steps", steps)
    max_rate, dt = positive_float("poisson_spikes", "max_rate", max_rate), positive_float("poisson_spikes", "dt", dt)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"poisson_spikes: rng must be a numpy Generator, got {type(rng).__name__}")
    x = check_intensities("poisson_spikes", x)
    batch, inputs = x.shape
    totals = rng.poisson(x.astype(np.float64) * (max_rate * dt * steps))
    source = np.repeat(np.arange(batch * inputs, dtype=np.int64), totals.ravel())
    step = rng.integers(0, steps, size=len(source))
    order = np.argsort(step * batch + source // inputs, kind="stable")
    source, step = source[order], step[order].astype(np.int32)
    return SpikeTrains(steps, batch, inputs, step, (source // inputs).astype(np.int32),
                       (source % inputs).astype(np.int32))
