"""Hopfield networks: Hebbian storage, an energy that asynchronous recall never raises, stored patterns as
fixed points, recall of corrupted Fashion-MNIST and digit images, synchronous 2-cycles, clear errors."""

import numpy as np
import pytest

from synaptica.data import load_dataset
from synaptica.errors import ShapeError
from synaptica.models import Hopfield
from tests.conftest import REPO, run_python
from tests.png_check import assert_png_not_blank


def _random_patterns(rng, p, n):
    return np.where(rng.random((p, n)) < 0.5, -1, 1)


def _corrupt(patterns, fraction, seed):
    flips = np.random.default_rng(seed).random(patterns.shape) < fraction
    return np.where(flips, -patterns, patterns)


def _binarised(images):
    """Images as ±1 around each image's own median (about half the pixels on: less cross-talk)."""
    flat = images.reshape(len(images), -1)
    return np.where(flat > np.median(flat, axis=1, keepdims=True), 1, -1)


def test_storage_is_the_hebbian_outer_product_with_a_zero_diagonal(rng):
    patterns = _random_patterns(rng, 3, 20)
    weights = Hopfield().store(patterns).weights_
    expected = sum(np.outer(xi, xi) for xi in patterns) / 20
    np.fill_diagonal(expected, 0)
    assert np.array_equal(weights, weights.T) and np.allclose(weights, expected)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_energy_never_increases_under_asynchronous_updates(seed):
    rng = np.random.default_rng(seed)
    network = Hopfield(rng=seed).store(_random_patterns(rng, 15, 100))  # beyond capacity: spurious minima too
    probes = _random_patterns(rng, 4, 100)
    recall = network.recall(probes, trace=True)
    steps = np.diff(recall.energies, axis=0)
    assert recall.energies.shape == (100 * recall.sweeps + 1, 4)
    assert np.all(steps <= 1e-12) and np.all(steps.sum(axis=0) < 0)  # never up, and down overall
    assert recall.converged.all()
    assert np.allclose(recall.energies[-1], network.energy(recall.states))
    assert np.allclose(network.energy(probes), [network.energy(p) for p in probes])


def test_stored_patterns_are_fixed_points_at_low_load(rng):
    patterns = _random_patterns(rng, 5, 200)  # p/N = 0.025
    network = Hopfield(rng=0).store(patterns)
    for mode in ("async", "sync"):
        recall = network.recall(patterns, mode=mode)
        assert np.array_equal(recall.states, patterns) and recall.converged.all() and recall.sweeps == 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_corrupted_fashion_mnist_images_are_recalled(fashion, seed):
    classes = (1, 8, 7, 0, 5)  # trouser, bag, sneaker, T-shirt, sandal: one image of each
    patterns = _binarised(np.stack([fashion.train.x[fashion.train.y == c][0] for c in classes]))
    recall = Hopfield(rng=seed).store(patterns).recall(_corrupt(patterns, 0.15, seed))
    assert np.array_equal(recall.states, patterns) and recall.converged.all()


def test_corrupted_digits_are_recalled():
    digits = load_dataset("digits").train
    patterns = _binarised(np.stack([digits.x[digits.y == c][0] for c in (0, 1, 2)]))
    network = Hopfield(rng=0).store(patterns)
    for seed in range(3):
        assert np.array_equal(network.recall(_corrupt(patterns, 0.1, seed)).states, patterns)


def test_synchronous_updates_can_cycle_where_asynchronous_ones_settle():
    network = Hopfield(rng=0).store([1, -1])  # w₁₂ = −½: from (1, 1) both units flip together, forever
    cycling = network.recall([1, 1], mode="sync", max_sweeps=7, trace=True)
    assert not cycling.converged and cycling.sweeps == 7 and np.array_equal(cycling.states, [-1, -1])
    assert np.allclose(cycling.energies.ravel(), 0.5)  # stuck at E = ½: sync need not descend
    settled = network.recall([1, 1], mode="async")
    assert settled.converged and abs(settled.states.sum()) == 0 and network.energy(settled.states) == -0.5


def test_bad_patterns_and_probes_are_clear_errors():
    with pytest.raises(ValueError, match=r"patterns must be ±1, found 0 at index \(1, 2\) \(1 such values\); "
                                         r"binarise first"):
        Hopfield().store([[1, -1, 1], [1, -1, 0]])
    with pytest.raises(ValueError, match="must be numbers ±1, got dtype bool"):
        Hopfield().store(np.ones((2, 3), dtype=bool))
    with pytest.raises(ShapeError, match=r"patterns must be \(p, N\)"):
        Hopfield().store(np.ones((2, 3, 4)))
    with pytest.raises(RuntimeError, match=r"nothing stored yet; call store\(patterns\) first"):
        Hopfield().recall([1, -1])
    network = Hopfield().store(np.ones((2, 4)))
    with pytest.raises(ShapeError, match=r"Hopfield\(N=4, 2 patterns\).recall got input of shape \(3,\); "
                                         r"expected \(4,\) or \(batch, 4\)"):
        network.recall([1, 1, -1])
    with pytest.raises(ValueError, match=r"the state must be ±1, found 0.5"):
        network.energy([1, 0.5, 1, 1])
    with pytest.raises(ValueError, match="mode"):
        network.recall([1, 1, 1, 1], mode="parallel")
    with pytest.raises(ValueError, match="max_sweeps"):
        network.recall([1, 1, 1, 1], max_sweeps=0)


def test_the_capacity_example_finds_the_breakdown_between_low_and_high_load(tmp_path):
    out = tmp_path / "capacity.png"
    result = run_python([str(REPO / "examples" / "hopfield_capacity.py"), "--sizes", "100", "--loads", "0.05,0.25",
                         "--recalls", "100", "--out", str(out)])
    assert result.returncode == 0, result.stderr
    assert "p/N = 0.050  bits wrong 0.0000  not recalled 0.000" in result.stdout
    capacity = float(result.stdout.split("capacity (mean wrong bits cross 1.6%) p/N = ")[1].split(",")[0])
    assert 0.05 < capacity < 0.25
    assert_png_not_blank(out)
