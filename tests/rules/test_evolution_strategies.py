"""Evolution strategies: the estimate's known answer on a quadratic cost, rank shaping, seeds, exact
resume, and learning real data with forward passes only."""

import numpy as np
import pytest

from synaptica import Backprop, LogLikelihoodCost, QuadraticCost, SGD, fit
from synaptica.nn import Linear, Sequential, mlp
from synaptica.optim import Adam
from synaptica.rules import EvolutionStrategies
from synaptica.rules.evolution_strategies import centred_ranks, generation_noise
from synaptica.train import evaluate
from tests.rules.resume import assert_resumes_exactly


def _linear_problem(seed=0):
    rng = np.random.default_rng(seed)
    model = Sequential([Linear(5, 3, rng=seed, dtype=np.float64)])
    batch = (rng.standard_normal((40, 5)), rng.standard_normal((40, 3)))
    return model, batch


def test_on_a_quadratic_cost_the_raw_estimate_is_the_noise_covariance_times_the_gradient():
    """C(θ) = ½‖Wx + b − y‖² is quadratic in θ = (W, b): F(θ + σε) − F(θ − σε) = −2σ ε·∇C exactly, so the
    estimate is (2/n) Σ εᵢεᵢᵀ (−∇C), whatever σ."""
    model, batch = _linear_problem()
    exact = Backprop(QuadraticCost(), SGD(model.parameters(), 1.0))
    exact.gradients(model, batch)
    gradient = np.concatenate([p.grad.ravel() for p in model.parameters()])
    for sigma in (1e-3, 0.5):
        rule = EvolutionStrategies(QuadraticCost(), SGD(model.parameters(), 1.0), population=8, sigma=sigma,
                                   shaping="none")
        rule.bind(model, np.random.default_rng(3))
        rule.gradients(model, batch)
        estimate = np.concatenate([p.grad.ravel() for p in model.parameters()])
        noise = np.stack(generation_noise(rule.key, 0, 4, gradient.size, np.float64))
        expected = (2 / 8) * noise.T @ (noise @ gradient)
        np.testing.assert_allclose(estimate, expected, rtol=1e-6, atol=1e-9)


def test_with_a_large_population_the_estimate_points_along_the_gradient():
    model, batch = _linear_problem(1)
    exact = Backprop(QuadraticCost(), SGD(model.parameters(), 1.0))
    exact.gradients(model, batch)
    gradient = np.concatenate([p.grad.ravel() for p in model.parameters()])
    rule = EvolutionStrategies(QuadraticCost(), SGD(model.parameters(), 1.0), population=4000, sigma=0.1)
    rule.bind(model, np.random.default_rng(0))
    rule.gradients(model, batch)
    estimate = np.concatenate([p.grad.ravel() for p in model.parameters()])
    cosine = estimate @ gradient / (np.linalg.norm(estimate) * np.linalg.norm(gradient))
    assert cosine > 0.95  # rank shaping changes the length, not (much) the direction


def test_centred_ranks():
    shaped = centred_ranks(np.array([3.0, -1.0, 10.0, 0.5, 0.5]))
    assert shaped.tolist() == [0.25, -0.5, 0.5, -0.25, 0.0]  # ties keep their order
    assert centred_ranks(np.array([1e9, -1e9])).tolist() == [0.5, -0.5]  # blind to the scale


def test_a_diverged_copy_counts_as_the_least_fit(fashion):
    model = mlp([784, 8, 10], "relu", init="he", rng=0)
    rule = EvolutionStrategies(LogLikelihoodCost(), Adam(model.parameters(), 0.01), population=10, sigma=1e4)
    rule.bind(model, np.random.default_rng(0))
    metrics = rule.step(model, (fashion.train.x[:50], fashion.train.y[:50]))  # σ so large some copies overflow
    assert np.isfinite([p.data for p in model.parameters()][0]).all() and np.isfinite(metrics["loss"])


def test_the_same_seed_gives_the_same_weights_and_another_seed_others(fashion):
    def run(seed):
        model = mlp([784, 8, 10], "relu", init="he", rng=0)
        rule = EvolutionStrategies(LogLikelihoodCost(), Adam(model.parameters(), 0.01), population=6, sigma=0.05)
        fit(model, rule, (fashion.train.x[:200], fashion.train.y[:200]), epochs=1, batch_size=50, rng=seed,
            verbose=False)
        return np.concatenate([p.data.ravel() for p in model.parameters()])

    assert np.array_equal(run(1), run(1)) and not np.array_equal(run(1), run(2))


def test_state_dict_resumes_exactly(rng):
    batches = [(rng.random((8, 6), dtype=np.float32), rng.integers(0, 3, 8)) for _ in range(14)]

    def fresh():
        model = mlp([6, 5, 3], "tanh", rng=1)
        return model, EvolutionStrategies(LogLikelihoodCost(), Adam(model.parameters(), 0.05), population=6)

    assert_resumes_exactly(fresh, batches)


def test_bad_arguments_are_refused():
    model = mlp([4, 2])
    for population in (3, 0, 2.0):
        with pytest.raises(ValueError, match="population must be an even integer"):
            EvolutionStrategies(QuadraticCost(), SGD(model.parameters(), 1.0), population=population)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        EvolutionStrategies(QuadraticCost(), SGD(model.parameters(), 1.0), sigma=0)


@pytest.mark.slow
def test_evolution_strategies_learn_the_digits():
    """[64, 32, 10] tanh, 50 networks per generation, 180 generations: ≥ 0.90 test accuracy
    (measured 0.943, 0.973, 0.967 and 0.940 for seeds 0 to 3, about a second each)."""
    from synaptica.data import load_dataset

    digits = load_dataset("digits")
    model = mlp([64, 32, 10], "tanh", init="xavier", rng=0)
    rule = EvolutionStrategies(LogLikelihoodCost(), Adam(model.parameters(), 0.03), population=50, sigma=0.05)
    fit(model, rule, (digits.train.x, digits.train.y), epochs=30, batch_size=200, rng=0, verbose=False)
    assert evaluate(model, digits.test.x, digits.test.y).accuracy >= 0.90
