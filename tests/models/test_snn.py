"""The spiking network: LIF neurons against their closed form, refractory periods, adaptive thresholds,
lateral inhibition, the vote read-out, the model file and refusals of bad input."""

import math

import numpy as np
import pytest

from synaptica.errors import DataError, FormatError, ShapeError
from synaptica.models import Neurons, SpikingNetwork
from synaptica.models.snn_file import load_spiking_network, save_spiking_network

STEADY = dict(tau_e=1e12, theta_plus=0.0, w_inh=0.0)  # a conductance that does not decay: constant input


def _first_spike_time(neuron: Neurons, g: float) -> float:
    """t* = (τ_m / (1 + g)) ln((v₀ − v∞)/(v_thresh − v∞)), from rest under a constant conductance g."""
    v_inf = (neuron.v_rest + g * neuron.e_exc) / (1 + g)
    return neuron.tau_m / (1 + g) * math.log((neuron.v_rest - v_inf) / (neuron.v_thresh - v_inf))


@pytest.mark.parametrize("g", [0.35, 0.8, 2.5])
def test_lif_spikes_when_the_closed_form_membrane_crosses_threshold_and_rests_while_refractory(g):
    network = SpikingNetwork(1, 1, neuron=Neurons(**STEADY))
    steps_to_spike = _first_spike_time(network.neuron, g) / network.dt
    assert 0.05 < steps_to_spike % 1 < 0.95  # not on the grid: float32 rounding cannot move the step
    drive = np.zeros((2000, 1, 1), dtype=np.float32)
    drive[0] = g
    spikes, _ = network.run(drive)
    times = np.flatnonzero(spikes[:, 0, 0])
    assert times[0] == math.floor(steps_to_spike)  # after ⌈t*/dt⌉ steps: the step index counts from 0
    refractory = round(network.neuron.refractory / network.dt)
    # v_reset = v_rest, so every interval is the refractory period and the same climb again
    np.testing.assert_array_equal(np.diff(times), refractory + math.floor(steps_to_spike) + 1)


def test_a_neuron_below_threshold_at_equilibrium_never_fires():
    neuron = Neurons(**STEADY)
    g = 0.2  # v∞ = −65/1.2 = −54.2 mV < −52 mV
    assert (neuron.v_rest + g * neuron.e_exc) / (1 + g) < neuron.v_thresh
    drive = np.zeros((3000, 1, 1), dtype=np.float32)
    drive[0] = g
    assert not SpikingNetwork(1, 1, neuron=neuron).run(drive)[0].any()


def test_adaptive_thresholds_grow_with_each_spike_only_while_learning_and_quieten_the_neuron():
    network = SpikingNetwork(16, 6, neuron=Neurons(tau_theta=1e7), seed=2)
    x = np.random.default_rng(0).random((8, 16)).astype(np.float32)
    before = network.present(x, np.random.default_rng(1))
    assert np.all(network.theta == 0)  # testing: θ fixed
    learnt = network.present(x, np.random.default_rng(1), adapt=True)
    elapsed = learnt.shown.sum() * (network.presentation + network.rest)  # the showings one after another
    decay = math.exp(-elapsed / network.neuron.tau_theta)
    np.testing.assert_allclose(network.theta, network.neuron.theta_plus * learnt.counts.sum(axis=0) * decay, rtol=1e-4)
    network.theta += 5.0
    assert network.present(x, np.random.default_rng(1)).counts.sum() < before.counts.sum()


def test_theta_decays_over_the_time_the_images_take_one_after_another_whether_shown_in_a_batch_or_singly():
    quiet = dict(neuron=Neurons(theta_plus=0.0, tau_theta=2000.0), min_spikes=0, seed=2)  # no growth, no repeats
    x = np.random.default_rng(0).random((8, 16)).astype(np.float32)
    batched, single = SpikingNetwork(16, 6, **quiet), SpikingNetwork(16, 6, **quiet)
    batched.theta[:] = single.theta[:] = 10.0
    batched.present(x, np.random.default_rng(1), adapt=True)
    for image in x:
        single.present(image[None], np.random.default_rng(1), adapt=True)
    expected = 10.0 * math.exp(-8 * (350.0 + 150.0) / 2000.0)  # 8 showings of 350 ms and 150 ms of rest each
    np.testing.assert_allclose(batched.theta, expected, rtol=1e-5)
    np.testing.assert_allclose(single.theta, expected, rtol=1e-5)


def test_within_a_presentation_a_spike_raises_the_threshold_of_its_own_copy():
    network = SpikingNetwork(1, 1, neuron=Neurons(tau_e=1e12, theta_plus=2.0, w_inh=0.0))
    drive = np.zeros((2000, 1, 1), dtype=np.float32)
    drive[0] = 2.5
    fixed, _ = network.run(drive)
    adapting, raised = network.run(drive, adapt=True)
    assert adapting.sum() < fixed.sum()
    assert raised[0, 0] == pytest.approx(2.0 * adapting.sum())
    assert np.all(np.diff(np.flatnonzero(adapting[:, 0, 0])) > np.diff(np.flatnonzero(fixed[:, 0, 0]))[0])


def test_lateral_inhibition_silences_the_other_neurons_for_a_while():
    neuron = Neurons(tau_e=1e12, theta_plus=0.0)
    drive = np.zeros((400, 1, 2), dtype=np.float32)
    drive[0] = [2.5, 2.0]  # the first neuron is driven harder and fires first
    alone, _ = SpikingNetwork(1, 2, neuron=Neurons(tau_e=1e12, theta_plus=0.0, w_inh=0.0)).run(drive)
    inhibited, _ = SpikingNetwork(1, 2, neuron=neuron).run(drive)
    assert inhibited[:, 0, 1].sum() < alone[:, 0, 1].sum()


def test_copies_in_a_batch_are_independent_networks():
    network = SpikingNetwork(1, 3, neuron=Neurons(**STEADY))
    drive = np.zeros((500, 2, 3), dtype=np.float32)
    drive[0, 0] = [2.5, 0.0, 0.0]
    drive[0, 1] = [0.0, 0.0, 0.8]
    both, _ = network.run(drive)
    first, _ = network.run(drive[:, :1])
    np.testing.assert_array_equal(both[:, :1], first)


def test_input_drive_is_the_spike_counts_times_the_weights():
    network = SpikingNetwork(36, 5)
    rng = np.random.default_rng(0)
    from synaptica.data.encoders import poisson_spikes

    trains = poisson_spikes(rng.random((3, 36)), 120, 200.0, 0.0005, rng)
    expected = trains.dense().reshape(-1, 36).astype(np.float64) @ network.weight
    np.testing.assert_allclose(network.input_drive(trains, chunk=7).reshape(-1, 5), expected, rtol=1e-5, atol=1e-6)


def test_weights_start_normalised_and_labels_vote_by_class():
    network = SpikingNetwork(784, 6)
    np.testing.assert_allclose(network.weight.sum(axis=0), 78.4, rtol=1e-5)
    counts = np.array([[5, 0, 1, 0, 0, 0], [0, 4, 0, 3, 0, 0], [4, 1, 2, 0, 0, 0]])
    labels = network.assign_labels(counts, np.array([0, 1, 0]))
    np.testing.assert_array_equal(labels, [0, 1, 0, 1, -1, -1])  # silent neurons get no label
    np.testing.assert_array_equal(network.votes(counts).argmax(axis=1), [0, 1, 0])


def test_the_model_file_keeps_weights_thresholds_labels_and_settings(tmp_path):
    network = SpikingNetwork(64, 7, image_shape=(8, 8), max_rate=200.0, neuron=Neurons(tau_m=80.0), seed=3)
    network.theta[:] = np.arange(7)
    network.labels[:] = [0, 1, 2, -1, 4, 5, 6]
    path = tmp_path / "snn.safetensors"
    save_spiking_network(path, network, {"note": "digits"})
    loaded, metadata = load_spiking_network(path)
    assert loaded.config() == network.config() and metadata["note"] == "digits"
    for name in ("weight", "theta", "labels"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(network, name))
    x = np.random.default_rng(0).random((4, 64))
    np.testing.assert_array_equal(loaded(x).data, network(x).data)  # forward: the same spike trains


def test_a_damaged_or_foreign_model_file_is_refused_naming_the_file(tmp_path):
    from synaptica.io import save_model
    from synaptica.nn import mlp

    path = tmp_path / "mlp.safetensors"
    save_model(path, mlp([4, 2], rng=0))
    with pytest.raises(FormatError, match="mlp.safetensors: the file holds a 'Sequential', not a SpikingNetwork"):
        load_spiking_network(path)
    network = SpikingNetwork(16, 3)
    network.config = lambda: {**SpikingNetwork.config(network), "neurons": 4}
    path = tmp_path / "bad.safetensors"
    save_spiking_network(path, network)
    with pytest.raises(ShapeError, match="bad.safetensors: the architecture says 16 inputs × 4 neurons"):
        load_spiking_network(path)
    network.config = lambda: {**SpikingNetwork.config(network), "dt": -1.0}
    save_spiking_network(path, network)
    with pytest.raises(FormatError, match="refused: SpikingNetwork: dt must be"):
        load_spiking_network(path)


def test_bad_images_and_settings_are_refused_with_the_shapes():
    network = SpikingNetwork(784, 4)
    with pytest.raises(DataError, match=r"784 inputs takes images of 784 pixels .* got data of shape \(2, 64\)"):
        network.present(np.zeros((2, 64)), np.random.default_rng(0))
    with pytest.raises(DataError, match="intensities must lie in \\[0, 1\\]"):
        network.responses(np.full((1, 784), 255.0))
    with pytest.raises(ValueError, match="neurons must be a positive integer"):
        SpikingNetwork(784, 0)
    with pytest.raises(ValueError, match="image_shape"):
        SpikingNetwork(784, 4, image_shape=(27, 28))
    with pytest.raises(ValueError, match="v_thresh"):
        Neurons(v_reset=-40.0)
    with pytest.raises(RuntimeError, match="no neuron has a label yet"):
        network.votes(np.zeros((1, 4)))
