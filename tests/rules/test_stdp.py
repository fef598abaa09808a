"""STDP: the pair rule's reduction to one pair of spikes, its sum over all pairs, and learning end to end."""

import math

import numpy as np
import pytest

from synaptica.data import load_dataset
from synaptica.data.encoders import SpikeTrains
from synaptica.models import SpikingNetwork
from synaptica.nn import mlp
from synaptica.rules import RULES, STDP, make_rule
from synaptica.rules.stdp import pair_stdp
from synaptica.train import SpikeVotes, fit

A_PLUS, A_MINUS, TAU_PLUS, TAU_MINUS, DT = 0.01, 0.002, 20.0, 30.0, 0.5


def _pair(pre_step: int, post_step: int, steps: int = 200) -> np.ndarray:
    pre, post = np.zeros((steps, 1, 2), dtype=np.int32), np.zeros((steps, 1, 3), dtype=bool)
    pre[pre_step, 0, 1] = 1
    post[post_step, 0, 2] = True
    return pair_stdp(SpikeTrains.from_raster(pre), post, DT, A_PLUS, A_MINUS, TAU_PLUS, TAU_MINUS)


@pytest.mark.parametrize("delay", [0, 1, 7, 40, 150])
def test_pre_then_post_potentiates_by_a_plus_times_the_decayed_trace(delay):
    change = _pair(20, 20 + delay)
    assert change[1, 2] == pytest.approx(A_PLUS * math.exp(-delay * DT / TAU_PLUS), rel=1e-12)
    assert np.count_nonzero(change) == 1  # only the synapse between the two spiking cells


@pytest.mark.parametrize("delay", [1, 7, 40, 150])
def test_post_then_pre_depresses_by_a_minus_times_the_decayed_trace(delay):
    change = _pair(20 + delay, 20)
    assert change[1, 2] == pytest.approx(-A_MINUS * math.exp(-delay * DT / TAU_MINUS), rel=1e-12)
    assert np.count_nonzero(change) == 1


def test_the_traces_give_the_sum_over_every_pair_of_spikes():
    rng = np.random.default_rng(3)
    steps, batch, inputs, neurons = 120, 3, 5, 4
    pre = rng.poisson(0.08, (steps, batch, inputs))
    post = rng.random((steps, batch, neurons)) < 0.05
    expected = np.zeros((inputs, neurons))
    for b in range(batch):
        for s, i in zip(*np.nonzero(pre[:, b])):
            for t, j in zip(*np.nonzero(post[:, b])):
                delay = (t - s) * DT
                expected[i, j] += pre[s, b, i] * (A_PLUS * math.exp(-delay / TAU_PLUS) if delay >= 0
                                                  else -A_MINUS * math.exp(delay / TAU_MINUS))
    np.testing.assert_allclose(pair_stdp(SpikeTrains.from_raster(pre), post, DT, A_PLUS, A_MINUS, TAU_PLUS, TAU_MINUS), expected,
                               rtol=1e-10, atol=1e-15)


def test_stdp_is_a_registered_rule_fed_inputs_alone():
    assert RULES["stdp"] is STDP
    assert isinstance(make_rule("stdp"), STDP)


def test_stdp_refuses_a_model_that_is_not_a_spiking_network_and_bad_settings():
    with pytest.raises(TypeError, match="STDP trains the input weights of a SpikingNetwork, got Sequential"):
        STDP().bind(mlp([4, 3, 2], rng=0), np.random.default_rng(0))
    with pytest.raises(ValueError, match="tau_plus"):
        STDP(tau_plus=0)
    with pytest.raises(ValueError, match="a_minus"):
        STDP(a_minus=-1)


def _digits_network(neurons: int = 20) -> SpikingNetwork:
    # 64 inputs instead of 784: rates and the weight sum are raised so that a neuron sees as much drive
    return SpikingNetwork(64, neurons, max_rate=200.0, weight_sum=20.0)


def test_the_same_seed_learns_the_same_weights_and_another_seed_other_ones():
    x = load_dataset("digits").train.x[:48]
    learnt = []
    for seed in (0, 0, 1):
        network = _digits_network()
        fit(network, STDP(), x, epochs=1, batch_size=16, rng=seed, verbose=False)
        learnt.append((network.weight.copy(), network.theta.copy()))
    np.testing.assert_array_equal(learnt[0][0], learnt[1][0])
    np.testing.assert_array_equal(learnt[0][1], learnt[1][1])
    assert not np.array_equal(learnt[0][0], learnt[2][0])


def test_learning_keeps_weights_in_range_and_every_column_at_its_sum():
    network = _digits_network()
    history = fit(network, STDP(), load_dataset("digits").train.x[:32], epochs=1, batch_size=16, rng=0, verbose=False)
    assert network.weight.min() >= 0 and network.weight.max() <= network.w_max
    np.testing.assert_allclose(network.weight.sum(axis=0), network.weight_sum, rtol=1e-4)
    assert network.theta.max() > 0 and history["train_spikes"][-1] > 0


def test_a_run_resumed_from_the_rule_and_model_state_learns_the_same_weights():
    x = load_dataset("digits").train.x[:48]
    batches = [(x[i:i + 16],) for i in range(0, 48, 16)]
    network, rule = _digits_network(), STDP()
    rule.bind(network, np.random.default_rng(2))
    rule.step(network, batches[0])
    saved, state = {k: v.copy() for k, v in network.state_dict().items()}, rule.state_dict()
    for batch in batches[1:]:
        rule.step(network, batch)
    resumed, resumed_rule = _digits_network(), STDP()
    resumed.load_state_dict(saved)
    resumed_rule.bind(resumed, np.random.default_rng(99))  # another key, unless the state puts it back
    resumed_rule.load_state_dict(state)
    for batch in batches[1:]:
        resumed_rule.step(resumed, batch)
    np.testing.assert_array_equal(resumed.weight, network.weight)
    np.testing.assert_array_equal(resumed.theta, network.theta)


@pytest.mark.slow
def test_stdp_learns_the_digits_well_above_chance():
    """600 training images learnt without labels, 50 neurons labelled on them, the 300 test digits
    classified by votes: about 0.8 (chance 0.1)."""
    splits = load_dataset("digits")
    x, y = splits.train.x[:600], splits.train.y[:600]
    network = _digits_network(50)
    fit(network, STDP(), x, epochs=1, batch_size=16, rng=0, verbose=False)
    scores = SpikeVotes(x, y, splits.test.x, splits.test.y)(network)
    assert scores["test_accuracy"] > 0.5
    assert scores["test_labelled"] > 0.5
