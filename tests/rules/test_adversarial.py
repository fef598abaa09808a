"""The adversarial rule reduced to known answers: D's step is logistic regression on real vs fake,
G's step follows the non-saturating cost's formula, k counts, and the noise is the rule's own."""

import copy

import numpy as np
import pytest

from synaptica import Backprop, CrossEntropyCost, fit
from synaptica.models import GAN, mlp_gan
from synaptica.nn import Linear, Sequential
from synaptica.optim import SGD, Adam
from synaptica.rules import RULES, Adversarial, make_rule


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def tiny_gan(seed=0):
    """G: Linear(3 → 4) (a linear generator), D: Linear(4 → 1) (a logistic regression), float64."""
    return GAN(Sequential(Linear(3, 4, rng=seed, dtype=np.float64)),
               Sequential(Linear(4, 1, init="xavier", rng=seed + 1, dtype=np.float64)))


def rule_for(model, eta=0.1, k=1):
    return Adversarial(SGD(model.generator.parameters(), eta), SGD(model.discriminator.parameters(), eta), k=k)


def test_the_discriminator_step_is_a_logistic_regression_step_on_real_against_fake():
    model = tiny_gan()
    rule = rule_for(model, eta=0.1, k=2)  # k = 2: the first batch moves D alone
    rule.bind(model, np.random.default_rng(7))
    real = np.random.default_rng(1).uniform(size=(6, 4))
    g_weight, g_bias = model.generator.layers[0].weight.data.copy(), model.generator.layers[0].bias.data.copy()
    d_layer = model.discriminator.layers[0]

    # the same step by hand: the fake rows are G of the noise the rule's stream gives first
    z = np.random.default_rng(7).standard_normal((6, 3))
    rows = np.concatenate([real, z @ g_weight.T + g_bias])
    labels = np.concatenate([np.ones(6), np.zeros(6)])
    w_before, b_before = d_layer.weight.data.copy(), d_layer.bias.data.copy()
    error = sigmoid(rows @ w_before[0] + b_before[0]) - labels  # σ(a) − t
    w_expected = d_layer.weight.data - 0.1 * (error @ rows)[None] / 6  # mean over real + mean over fake
    b_expected = d_layer.bias.data - 0.1 * error.sum() / 6

    # and by the library's plain backprop on a logistic regression with the cross-entropy cost (mean over
    # the 2n rows, so twice the step size gives the sum of the two means)
    plain = copy.deepcopy(model.discriminator)
    Backprop(CrossEntropyCost(), SGD(plain.parameters(), 0.2)).step(plain, (rows, labels[:, None]))

    metrics = rule.step(model, (real,))
    np.testing.assert_allclose(d_layer.weight.data, w_expected, rtol=1e-12)
    np.testing.assert_allclose(d_layer.bias.data, b_expected, rtol=1e-12)
    np.testing.assert_allclose(d_layer.weight.data, plain.layers[0].weight.data, rtol=1e-12)
    np.testing.assert_array_equal(model.generator.layers[0].weight.data, g_weight)  # G did not move
    assert "generator_loss" not in metrics
    scores = sigmoid(rows @ w_before[0] + b_before[0])  # D's probabilities before its step
    assert metrics["real_score"] == pytest.approx(scores[:6].mean(), rel=1e-12)
    assert metrics["fake_score"] == pytest.approx(scores[6:].mean(), rel=1e-12)


def test_the_generator_step_follows_the_non_saturating_gradient():
    """C_G = −(1/n) Σ ln σ(a), a = D(G(z)): ∂C_G/∂a = −(1 − σ(a))/n, so for a linear G and D,
    ∂C_G/∂W_G = −(1/n) Σ (1 − σ(aᵢ)) w_D zᵢᵀ; D does not move."""
    model = tiny_gan(3)
    rule = rule_for(model, eta=0.05, k=1)
    stream = np.random.default_rng(11)
    rule.bind(model, stream)
    g_layer, d_layer = model.generator.layers[0], model.discriminator.layers[0]
    real = np.random.default_rng(2).uniform(size=(5, 4))
    rule.discriminator_step(model, real)  # uses the first draw of noise
    w_d, b_d = d_layer.weight.data.copy(), d_layer.bias.data.copy()
    g_weight, g_bias = g_layer.weight.data.copy(), g_layer.bias.data.copy()

    replay = np.random.default_rng(11)
    replay.standard_normal((5, 3))
    z = replay.standard_normal((5, 3))
    a = (z @ g_weight.T + g_bias) @ w_d[0] + b_d[0]
    upstream = -(1.0 - sigmoid(a)) / 5  # ∂C_G/∂a
    loss = rule.generator_step(model, 5)

    assert loss == pytest.approx(-np.log(sigmoid(a)).mean(), rel=1e-12)
    np.testing.assert_allclose(g_layer.weight.data, g_weight - 0.05 * np.outer(w_d[0], upstream @ z), rtol=1e-12)
    np.testing.assert_allclose(g_layer.bias.data, g_bias - 0.05 * w_d[0] * upstream.sum(), rtol=1e-12)
    np.testing.assert_array_equal(d_layer.weight.data, w_d)
    assert all(p.requires_grad for p in model.discriminator.parameters())  # handed back


def test_the_non_saturating_cost_still_pushes_where_the_minimax_cost_is_flat():
    """At a confident D(G(z)) ≈ 0 the minimax cost ln(1 − σ(a)) has slope −σ(a) ≈ 0, the non-saturating
    −ln σ(a) slope −(1 − σ(a)) ≈ −1 (Goodfellow et al. 2014, section 3)."""
    from synaptica import Tensor, ops

    a = Tensor(np.array([[-8.0]]), requires_grad=True)
    ops.sigmoid_cross_entropy(a, np.ones((1, 1))).backward()
    assert a.grad[0, 0] == pytest.approx(-(1 - sigmoid(-8.0)), rel=1e-12)
    assert abs(a.grad[0, 0]) > 1000 * sigmoid(-8.0)


def test_k_discriminator_steps_per_generator_step():
    model = mlp_gan(4, [8], image_size=6, rng=0)
    rule = Adversarial(Adam(model.generator.parameters(), 1e-3), Adam(model.discriminator.parameters(), 1e-3), k=3)
    rule.bind(model, np.random.default_rng(0))
    moved = []
    for step in range(7):
        before = model.generator.layers[0].weight.data.copy()
        metrics = rule.step(model, (np.random.default_rng(step).uniform(size=(4, 6)),))
        moved.append(not np.array_equal(before, model.generator.layers[0].weight.data))
        assert moved[-1] == ("generator_loss" in metrics)
    assert moved == [False, False, True, False, False, True, False]


def test_same_seed_same_run_and_the_rule_resumes_from_its_state():
    data = np.random.default_rng(0).uniform(size=(40, 6)).astype(np.float32)

    def run(epochs, model=None, rule=None):
        model = model or mlp_gan(4, [8], image_size=6, rng=0)
        rule = rule or make_rule("adversarial", generator_optimizer=Adam(model.generator.parameters(), 1e-3),
                                 discriminator_optimizer=Adam(model.discriminator.parameters(), 1e-3), k=2)
        fit(model, rule, data, epochs=epochs, batch_size=8, rng=3, verbose=False)
        return model, rule

    a, b = run(2)[0], run(2)[0]
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
    _, rule = run(1)
    state = rule.state_dict()
    assert int(state["adversarial.steps"]) == 5 and any(key.startswith("generator_optimizer.") for key in state)
    fresh = mlp_gan(4, [8], image_size=6, rng=0)
    other = Adversarial(Adam(fresh.generator.parameters(), 1e-3), Adam(fresh.discriminator.parameters(), 1e-3), k=2)
    other.load_state_dict(state)
    assert other.steps == 5
    assert RULES["adversarial"] is Adversarial


def test_bad_settings_are_refused():
    model = tiny_gan()
    with pytest.raises(ValueError, match="k .* must be an integer >= 1"):
        rule_for(model, k=0)
    with pytest.raises(TypeError, match="generator_optimizer must be an Optimizer"):
        Adversarial(None, SGD(model.discriminator.parameters(), 0.1))
    swapped = Adversarial(SGD(model.discriminator.parameters(), 0.1), SGD(model.generator.parameters(), 0.1))
    with pytest.raises(ValueError, match="generator_optimizer must hold exactly the generator's parameters"):
        swapped.bind(model, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"data's rows have shape \(5,\) \(5 numbers\) but the generator's samples "
                                         r"have shape \(4,\)"):
        rule = rule_for(model)
        rule.bind(model, np.random.default_rng(0))
        rule.step(model, (np.zeros((3, 5)),))
    with pytest.raises(TypeError, match="trains a GAN"):
        rule_for(model).bind(Sequential(Linear(2, 1)), np.random.default_rng(0))


def test_a_gan_run_resumed_from_a_checkpoint_equals_the_run_never_stopped(tmp_path):
    """The checkpoint holds both optimizers' moments, the step count (k) and the rule's noise stream."""
    from synaptica.train.checkpoints import Checkpoint, checkpoint_name

    data = np.random.default_rng(0).uniform(size=(48, 6)).astype(np.float32)

    def train(directory, resume=None):
        model = mlp_gan(4, [8], image_size=6, rng=0)
        rule = Adversarial(Adam(model.generator.parameters(), 1e-3), Adam(model.discriminator.parameters(), 1e-3),
                           k=4)  # 6 batches an epoch: the k count runs across epochs
        history = fit(model, rule, data, epochs=3, batch_size=8, rng=1, verbose=False,
                      callbacks=[Checkpoint(directory, keep=5)], resume=resume)
        return model, history

    whole, history = train(tmp_path / "whole")
    resumed, resumed_history = train(tmp_path / "resumed", resume=tmp_path / "whole" / checkpoint_name(1, 0))
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        assert np.array_equal(a, b), name
    assert history.metrics == resumed_history.metrics
