"""Bayes by backprop's layer: reductions to Linear, the KL term by hand and against PyTorch, streams, files."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from synaptica.errors import FormatError, ShapeError
from synaptica.io import load_model, save_model
from synaptica.losses import LogLikelihoodCost
from synaptica import ops
from synaptica.nn import (BayesConv2d, BayesLinear, Conv2d, Linear, Module, ReLU, Sequential, bayes_mlp, sampled_weights,
                          variational_cost)
from synaptica.nn.bayes import kl_divergence, parameter_pairs
from synaptica.nn.registry import module_from_config
from synaptica.optim import Adam
from synaptica.rules import Backprop
from synaptica.tensor import Tensor
from synaptica.train import fit, predict
from synaptica.train.checkpoints import Checkpoint

PRIOR = {"prior_pi": 0.25, "prior_sigma1": 1.0, "prior_sigma2": 0.1}  # both components matter for |w| < 1


def layer64(rho: float, seed: int = 0, **prior) -> BayesLinear:
    layer = BayesLinear(6, 4, rng=seed, init="he", rho_init=rho, dtype=np.float64, **prior)
    layer.bias_mu.data[...] = np.random.default_rng(seed + 100).normal(0, 0.3, 4)
    return layer


def drawn(layer: BayesLinear) -> list[np.ndarray]:
    """The ε the layer's next training forward will draw (from a copy of its stream)."""
    generator = copy.deepcopy(layer.rng)
    return [generator.standard_normal(mu.shape, dtype=mu.dtype) for mu, _ in parameter_pairs(layer)]


def gradients(module, x, y, cost) -> dict[str, np.ndarray]:
    module.zero_grad()
    cost(module(Tensor(x)), y).backward()
    return {name: p.grad.copy() for name, p in module.named_parameters()}


def linear_pair(rho: float, **prior):
    """A BayesLinear, the Linear holding its mean weights, and an input batch."""
    layer = layer64(rho, **prior)
    plain = Linear(6, 4, dtype=np.float64)
    plain.weight.data[...], plain.bias.data[...] = layer.weight_mu.data, layer.bias_mu.data
    return layer, plain, np.random.default_rng(1).normal(size=(8, 6))


def conv_pair(rho: float, **prior):
    """A BayesConv2d, the Conv2d holding its mean kernels, and an input batch of images."""
    layer = BayesConv2d(2, 3, (3, 2), stride=(2, 1), padding=1, rng=0, rho_init=rho, dtype=np.float64, **prior)
    layer.bias_mu.data[...] = np.random.default_rng(100).normal(0, 0.3, 3)
    plain = Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1, dtype=np.float64)
    plain.weight.data[...], plain.bias.data[...] = layer.weight_mu.data, layer.bias_mu.data
    return layer, plain, np.random.default_rng(1).normal(size=(8, 2, 5, 4))


class Logits(Module):
    """The layer's output flattened to (batch, features), to put a log-likelihood on a convolution."""

    def __init__(self, layer):
        self.layer = layer

    def forward(self, x):
        z = self.layer(x)
        return ops.reshape(z, (z.shape[0], -1))


@pytest.mark.parametrize("pair", [linear_pair, conv_pair], ids=["linear", "conv"])
def test_with_sigma_near_zero_it_is_the_plain_layer_with_the_means_and_its_gradient_is_backprops_plus_the_kl(pair):
    layer, plain, x = pair(rho=-40.0, **PRIOR)  # σ = softplus(−40) ≈ 4e-18: w = μ + σε is μ to rounding
    np.testing.assert_allclose(layer(Tensor(x)).data, plain(Tensor(x)).data, rtol=1e-12, atol=1e-15)
    y = np.random.default_rng(2).integers(0, 4, len(x))
    batches = 7
    kl_layer = copy.deepcopy(layer)  # the same μ, ρ and stream: the same ε for the KL alone
    total = gradients(Logits(layer), x, y, variational_cost(LogLikelihoodCost(), layer, batches))
    data = gradients(Logits(plain), x, y, LogLikelihoodCost())
    kl_layer(Tensor(x))
    kl_layer.zero_grad()
    kl_layer.kl_divergence().backward()
    scale = 1.0 / (batches * len(x))  # KL / (M B) with the batch-mean cost
    np.testing.assert_allclose(total["layer.weight_mu"], data["layer.weight"] + scale * kl_layer.weight_mu.grad,
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(total["layer.bias_mu"], data["layer.bias"] + scale * kl_layer.bias_mu.grad,
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(total["layer.weight_rho"], scale * kl_layer.weight_rho.grad, rtol=1e-9, atol=1e-15)
    # with σ → 0 the KL's pull on ρ is that of −ln σ: −σ'(ρ)/σ(ρ) → −1 per weight
    np.testing.assert_allclose(kl_layer.weight_rho.grad, -1.0, atol=1e-6)
    layer.eval()
    np.testing.assert_array_equal(layer(Tensor(x)).data, plain(Tensor(x)).data)  # evaluation: the means


def test_with_summed_costs_the_kl_term_is_divided_by_the_number_of_batches_alone():
    layer, _, x = linear_pair(rho=-2.0, **PRIOR)
    y = np.arange(len(x)) % 4
    twin = copy.deepcopy(layer)
    total = variational_cost(LogLikelihoodCost(reduction="sum"), layer, 5)(layer(Tensor(x)), y)
    data = LogLikelihoodCost(reduction="sum")(twin(Tensor(x)), y)  # the same ε: the same sampled network
    assert float(total.data) == pytest.approx(float(data.data) + float(twin.kl_divergence().data) / 5, rel=1e-12)


def test_evaluation_mode_runs_the_mean_network_and_leaves_no_kl_term():
    layer = layer64(rho=-1.0)
    linear = Linear(6, 4, dtype=np.float64)
    linear.weight.data[...], linear.bias.data[...] = layer.weight_mu.data, layer.bias_mu.data
    x = np.random.default_rng(2).normal(size=(5, 6))
    layer(Tensor(x))
    assert layer.kl_divergence() is not None
    np.testing.assert_array_equal(predict(layer, x), linear(Tensor(x)).data)
    assert layer.kl_divergence() is None and kl_divergence(layer) is None
    cost = variational_cost(LogLikelihoodCost(), layer, 3)
    plain = LogLikelihoodCost()(Tensor(predict(layer, x)), np.zeros(5, dtype=int)).data
    assert cost(Tensor(predict(layer, x)), np.zeros(5, dtype=int)).data == plain  # the evaluators' cost


def test_the_monte_carlo_kl_equals_a_hand_computation_for_the_drawn_epsilon():
    layer = layer64(rho=-1.5, seed=3, **PRIOR)
    epsilon = drawn(layer)
    layer(Tensor(np.ones((2, 6))))
    expected = 0.0
    for (mu, rho), eps in zip(parameter_pairs(layer), epsilon):
        sigma = np.log1p(np.exp(rho.data))
        w = mu.data + sigma * eps
        log_q = np.sum(-(w - mu.data) ** 2 / (2 * sigma ** 2) - np.log(sigma) - 0.5 * np.log(2 * np.pi))
        normal = lambda s: np.exp(-w ** 2 / (2 * s ** 2)) / (s * np.sqrt(2 * np.pi))  # noqa: E731
        log_p = np.sum(np.log(0.25 * normal(1.0) + 0.75 * normal(0.1)))
        expected += log_q - log_p
    assert float(layer.kl_divergence().data) == pytest.approx(expected, rel=1e-12)


def test_the_kl_gradient_matches_pytorch_through_the_sampled_weights():
    """Our ln q is written in ε (its θ-gradient through w and directly cancels to −1/σ); PyTorch
    differentiates the paper's form ln N(w; μ, σ²) with w = μ + σε, through w and through μ, σ."""
    layer = layer64(rho=-2.0, seed=4, prior_pi=0.5, prior_sigma1=1.0, prior_sigma2=math.exp(-3))
    epsilon = drawn(layer)
    layer(Tensor(np.ones((2, 6))))
    layer.zero_grad()
    layer.kl_divergence().backward()
    for (mu, rho), eps in zip(parameter_pairs(layer), epsilon):
        t_mu = torch.tensor(mu.data, requires_grad=True)
        t_rho = torch.tensor(rho.data, requires_grad=True)
        sigma = torch.nn.functional.softplus(t_rho)
        w = t_mu + sigma * torch.tensor(eps)
        log_q = torch.distributions.Normal(t_mu, sigma).log_prob(w).sum()
        one = torch.ones((), dtype=torch.float64)
        wide = math.log(0.5) + torch.distributions.Normal(0 * one, one).log_prob(w)
        narrow = math.log(0.5) + torch.distributions.Normal(0 * one, math.exp(-3) * one).log_prob(w)
        (log_q - torch.logaddexp(wide, narrow).sum()).backward()
        np.testing.assert_allclose(mu.grad, t_mu.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(rho.grad, t_rho.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_a_gaussian_prior_gives_the_closed_form_kl_and_its_gradient_matches_pytorch():
    layer = BayesLinear(7, 5, prior_pi=1.0, prior_sigma1=0.5, rng=0, dtype=np.float64)
    for mu, rho in parameter_pairs(layer):
        mu.data[...] = np.random.default_rng(mu.size).normal(0, 0.4, mu.shape)
        rho.data[...] = np.random.default_rng(rho.size + 1).normal(-1.5, 0.5, rho.shape)
    layer(Tensor(np.ones((2, 7))))
    kl = layer.kl_divergence()
    layer.zero_grad()
    kl.backward()
    expected = 0.0
    prior = torch.distributions.Normal(torch.zeros((), dtype=torch.float64), torch.tensor(0.5, dtype=torch.float64))
    for mu, rho in parameter_pairs(layer):
        t_mu = torch.tensor(mu.data, requires_grad=True)
        t_rho = torch.tensor(rho.data, requires_grad=True)
        posterior = torch.distributions.Normal(t_mu, torch.nn.functional.softplus(t_rho))
        term = torch.distributions.kl_divergence(posterior, prior).sum()
        term.backward()
        expected += term.item()
        np.testing.assert_allclose(mu.grad, t_mu.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(rho.grad, t_rho.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert float(kl.data) == pytest.approx(expected, rel=1e-12)


def test_same_seed_same_samples_and_layers_from_one_generator_draw_their_own():
    x = Tensor(np.ones((3, 6), np.float32))
    a, b = BayesLinear(6, 4, rng=7, rho_init=0.0), BayesLinear(6, 4, rng=7, rho_init=0.0)
    first = [a(x).data for _ in range(3)]
    assert all(np.array_equal(u, v) for u, v in zip(first, [b(x).data for _ in range(3)]))
    assert not np.array_equal(first[0], first[1])  # a fresh ε for every forward
    model = bayes_mlp([6, 6, 6], rng=np.random.default_rng(0))
    one, two = model.layers[0], model.layers[2]
    assert not np.array_equal(one.rng.standard_normal(20), two.rng.standard_normal(20))


def test_sampled_weights_in_evaluation_mode_leave_the_training_stream_alone():
    layer = BayesLinear(6, 4, rng=0, rho_init=0.0)
    state = copy.deepcopy(layer.rng.bit_generator.state)
    x = np.ones((3, 6), np.float32)
    with sampled_weights(layer, 5):
        draws = [predict(layer, x, workers=1) for _ in range(2)]
    with sampled_weights(layer, 5):
        again = predict(layer, x, workers=1)
    assert not np.array_equal(draws[0], draws[1]) and np.array_equal(draws[0], again)
    assert layer.rng.bit_generator.state == state
    assert np.array_equal(predict(layer, x), x @ layer.weight_mu.data.T + layer.bias_mu.data)  # the mean again


def fashion_like(seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.random((64, 12), dtype=np.float32), rng.integers(0, 3, 64)


def bayes_run(folder, epochs: int, resume=None, scramble: bool = False):
    model = bayes_mlp([12, 8, 3], rng=0, rho_init=-3.0)
    if scramble:  # a fresh stream, as a loaded model has: the checkpoint must put the saved one back
        for layer in (model.layers[0], model.layers[2]):
            layer.rng = np.random.default_rng(999)
    x, y = fashion_like()
    rule = Backprop(variational_cost(LogLikelihoodCost(), model, 4), Adam(model.parameters(), 0.01))
    fit(model, rule, (x, y), epochs=epochs, batch_size=16, rng=0, verbose=False,
        callbacks=[Checkpoint(folder)], resume=resume)
    return model


def test_a_checkpoint_saves_and_restores_the_sampling_stream(tmp_path):
    straight = bayes_run(tmp_path / "a", epochs=3)
    bayes_run(tmp_path / "b", epochs=1)
    resumed = bayes_run(tmp_path / "b", epochs=3, resume=tmp_path / "b", scramble=True)
    for (name, p), q in zip(straight.named_parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
    assert "layers.0.rng" in dict(straight.named_generators())


def test_a_model_file_keeps_the_means_the_spreads_and_the_prior(tmp_path):
    model = Sequential(BayesLinear(5, 4, rng=0, prior_pi=0.75, prior_sigma2=0.01), ReLU(), BayesLinear(4, 2, bias=False, rng=1))
    model.layers[0].weight_rho.data[...] = np.random.default_rng(0).normal(-4, 1, (4, 5))
    save_model(tmp_path / "bayes.safetensors", model)
    loaded, _ = load_model(tmp_path / "bayes.safetensors")
    assert loaded.config() == model.config()
    for (name, p), q in zip(model.named_parameters(), loaded.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
    x = np.random.default_rng(1).random((3, 5))
    np.testing.assert_array_equal(predict(loaded, x), predict(model, x))


def test_the_prior_is_finite_where_the_sum_of_densities_underflows():
    """N(40; 0, 1) and N(0.1; 0, e⁻¹²) are both 0 in float64; their log-sum is not −∞."""
    w = Tensor(np.array([40.0, -0.1, 1e-3, 0.0, 1e4], dtype=np.float32), requires_grad=True)
    out = ops.scale_mixture_log_prior(w, 0.5, 1.0, math.exp(-6))
    ops.sum(out).backward()
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(w.grad))
    assert out.data[0] == pytest.approx(math.log(0.5) - 800 - 0.5 * math.log(2 * math.pi), rel=1e-6)  # the wide part
    assert w.grad[0] == pytest.approx(-40.0, rel=1e-5)


def test_bad_input_and_bad_priors_are_refused_with_the_layers_name():
    layer = BayesLinear(6, 4, rng=0)
    with pytest.raises(ShapeError, match=r"BayesLinear\(6→4\).*\(batch, 6\)"):
        layer(Tensor(np.ones((2, 5), np.float32)))
    with pytest.raises(ValueError, match=r"prior_pi must be in \(0, 1\]"):
        BayesLinear(2, 2, prior_pi=0.0)
    with pytest.raises(ValueError, match="prior_sigma2"):
        BayesLinear(2, 2, prior_sigma2=0.0)
    with pytest.raises(ShapeError, match=r"BayesConv2d\(1→2, 3×3\)"):
        BayesConv2d(1, 2, 3)(Tensor(np.ones((2, 3, 8, 8), np.float32)))
    with pytest.raises(ValueError, match="BayesConv2d: Conv2d: padding 3 must be smaller than the kernel"):
        BayesConv2d(1, 2, 3, padding=3)
    with pytest.raises(FormatError, match="BayesLinear.*prior_pi"):
        module_from_config({"type": "BayesLinear", "in_features": 2, "out_features": 2, "prior_pi": 0})
