"""The Gaussian VAE: its ELBO against a hand computation, its importance-sampled log-likelihood
against the exact marginal of a one-latent model, the variational rule's gradient against the exact
gradient of the expected bound (the reduction test), files, ONNX, bad input, and a real-data run."""

from __future__ import annotations

import math

import numpy as np
import onnxruntime
import pytest

from synaptica.data.binarize import binarize
from synaptica.io import load_model, save_model
from synaptica.io.onnx_export import onnx_model
from synaptica.models import VAE, dense_categorical_vae, dense_vae
from synaptica.nn import Linear, ReLU, Sequential
from synaptica.ops.sampling import gaussian_noise
from synaptica.optim import SGD, Adam
from synaptica.rules import Variational, make_rule
from synaptica.tensor import Tensor
from synaptica.train import predict
from synaptica.train.fit import fit


def softplus(v):
    return np.logaddexp(0.0, v)


def one_latent_vae(pixels: int, rng: int, encoder_scale: float = 1.0) -> VAE:
    """L = 1, linear encoder (μ, log σ²) and linear decoder, float64."""
    generator = np.random.default_rng(rng)
    encoder = Sequential([Linear(pixels, 2, rng=generator, dtype=np.float64)])
    decoder = Sequential([Linear(1, pixels, rng=generator, dtype=np.float64)])
    encoder.layers[0].weight.data *= encoder_scale
    decoder.layers[0].weight.data[...] = generator.normal(0, 2.0, (pixels, 1))
    decoder.layers[0].bias.data[...] = generator.normal(0, 1.0, pixels)
    return VAE(encoder, decoder)


def exact_log_marginal(model: VAE, x: np.ndarray) -> np.ndarray:
    """log ∫ N(z; 0, 1) Πᵢ Bernoulli(xᵢ; σ(wᵢ z + bᵢ)) dz by the trapezoid rule on a fine grid."""
    w = model.decoder.layers[0].weight.data[:, 0]
    b = model.decoder.layers[0].bias.data
    z = np.linspace(-12, 12, 48_001)
    logits = z[:, None] * w + b  # (grid, pixels)
    out = []
    for row in x:
        log_f = (row * logits - softplus(logits)).sum(axis=1) - 0.5 * (z * z + math.log(2 * math.pi))
        m = log_f.max()
        out.append(m + math.log(np.trapezoid(np.exp(log_f - m), z)))
    return np.array(out)


def test_the_elbo_terms_equal_a_hand_computation():
    model = one_latent_vae(3, rng=0)
    x = np.array([[1.0, 0.0, 1.0]])
    reconstruction, kl = model.elbo_terms(Tensor(x), np.random.default_rng(9))

    h = x @ model.encoder.layers[0].weight.data.T + model.encoder.layers[0].bias.data
    mu, log_var = h[0, 0], h[0, 1]
    eps = gaussian_noise((1, 1), np.random.default_rng(9), np.float64)[0, 0]
    z = mu + math.exp(0.5 * log_var) * eps
    p = [1 / (1 + math.exp(-(w * z + b))) for w, b in zip(model.decoder.layers[0].weight.data[:, 0],
                                                          model.decoder.layers[0].bias.data)]
    hand_reconstruction = -(math.log(p[0]) + math.log(1 - p[1]) + math.log(p[2]))
    hand_kl = 0.5 * (mu * mu + math.exp(log_var) - 1 - log_var)
    assert float(reconstruction.data) == pytest.approx(hand_reconstruction, rel=1e-12)
    assert float(kl.data) == pytest.approx(hand_kl, rel=1e-12)


def test_the_batch_cost_is_the_mean_over_images_of_a_sum_over_pixels():
    """The convention the docs state: nats per image, summed over pixels, averaged over the batch."""
    model = dense_vae(6, [5], 2, rng=0, dtype=np.float64)
    x = binarize(np.random.default_rng(1).random((4, 6)), dtype=np.float64)
    together = model.elbo_terms(Tensor(x), np.random.default_rng(2))
    eps = gaussian_noise((4, 2), np.random.default_rng(2), np.float64)
    singles = []
    for i in range(4):  # the same noise row by row: a generator that yields row i's ε
        class Row:
            def standard_normal(self, shape, dtype):
                return eps[i:i + 1]
        singles.append([float(t.data) for t in model.elbo_terms(Tensor(x[i:i + 1]), Row())])
    np.testing.assert_allclose([float(t.data) for t in together], np.mean(singles, axis=0), rtol=1e-12)


def test_importance_sampling_reaches_the_exact_marginal_of_a_one_latent_model():
    model = one_latent_vae(6, rng=3, encoder_scale=0.3)
    x = np.array([[1, 0, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1], [0, 1, 0, 1, 0, 1]], np.float64)
    exact = exact_log_marginal(model, x)
    estimate = model.log_likelihood(x, samples=20_000, rng=0, batch_size=2)
    np.testing.assert_allclose(estimate, exact, atol=0.02)
    # one sample is the ELBO, a lower bound: on average below the exact value
    one = np.mean([model.log_likelihood(x, samples=1, rng=seed) for seed in range(300)], axis=0)
    assert np.all(one < exact)


def gauss_hermite_negative_elbo(model: VAE, x: np.ndarray, nodes: int = 80) -> float:
    """E_q[−log p(x | z)] + KL, the expectation exact to quadrature precision (L = 1), batch mean."""
    t, weights = np.polynomial.hermite.hermgauss(nodes)
    h = x @ model.encoder.layers[0].weight.data.T + model.encoder.layers[0].bias.data
    mu, log_var = h[:, :1], h[:, 1:]
    z = mu + np.sqrt(2.0) * np.exp(0.5 * log_var) * t  # (batch, nodes)
    logits = z[..., None] * model.decoder.layers[0].weight.data[:, 0] + model.decoder.layers[0].bias.data
    nll = (softplus(logits) - x[:, None] * logits).sum(axis=-1) @ weights / math.sqrt(math.pi)
    kl = 0.5 * (mu**2 + np.exp(log_var) - 1 - log_var)[:, 0]
    return float(np.mean(nll + kl))


def test_the_rules_gradient_is_the_exact_gradient_of_the_expected_bound():
    """Reduction test: one step of the variational rule with SGD moves the parameters by −η ∇, and ∇
    (averaged over many reparameterised samples in one big batch) is the gradient of the exact
    expected −ELBO, computed by Gauss–Hermite quadrature and central differences (unbiasedness of
    the reparameterisation estimator)."""
    model = one_latent_vae(3, rng=5, encoder_scale=0.5)
    images = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    x = np.repeat(images, 50_000, axis=0)
    params = model.parameters()
    exact = []
    for p in params:
        grad = np.zeros_like(p.data)
        for index in np.ndindex(p.data.shape):
            saved = p.data[index]
            p.data[index] = saved + 1e-6
            up = gauss_hermite_negative_elbo(model, images)
            p.data[index] = saved - 1e-6
            down = gauss_hermite_negative_elbo(model, images)
            p.data[index] = saved
            grad[index] = (up - down) / 2e-6
        exact.append(grad)
    before = [p.data.copy() for p in params]
    rule = Variational(SGD(params, 0.1))
    rule.bind(model, np.random.default_rng(0))
    metrics = rule.step(model, (x,))
    moved = [(b - p.data) / 0.1 for b, p in zip(before, params)]
    scale = max(np.abs(g).max() for g in exact)
    for got, want in zip(moved, exact):
        np.testing.assert_allclose(got, want, atol=0.02 * scale)
    assert metrics["loss"] == pytest.approx(metrics["reconstruction"] + metrics["kl"])
    assert metrics["loss"] == pytest.approx(gauss_hermite_negative_elbo(
        one_latent_vae(3, rng=5, encoder_scale=0.5), images), rel=0.01)


def test_non_binary_data_is_refused_with_its_shape_and_value():
    model = dense_vae(6, [4], 2, rng=0)
    x = np.full((3, 6), 0.25, np.float32)
    with pytest.raises(ValueError, match=r"binary data \(0 or 1\).*shape \(3, 6\) holds 0.25 at \(0, 0\)"):
        model.elbo_terms(Tensor(x), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"shape \(3, 6\) holds 0.25"):
        fit(model, Variational(Adam(model.parameters(), 1e-3)), x, epochs=1, batch_size=3, rng=0, verbose=False)
    with pytest.raises(ValueError, match="binarise it first"):
        model.log_likelihood(x, samples=10)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\].*holds 1.5 at \(1,\)"):
        binarize(np.array([0.2, 1.5]))


def test_binarisation_fixed_and_stochastic():
    x = np.array([[0.0, 0.3, 0.5, 0.51, 1.0]])
    np.testing.assert_array_equal(binarize(x), [[0, 0, 0, 1, 1]])
    draws = binarize(np.full((20_000, 2), [0.2, 0.9]), rng=0)
    np.testing.assert_allclose(draws.mean(axis=0), [0.2, 0.9], atol=0.01)
    np.testing.assert_array_equal(draws, binarize(np.full((20_000, 2), [0.2, 0.9]), rng=0))


def test_the_rule_is_seeded_resumable_and_refuses_what_it_cannot_train():
    x = binarize(np.random.default_rng(0).random((40, 8)))

    def train(epochs, state=None):
        model = dense_vae(8, [6], 2, rng=1)
        rule = make_rule("variational", optimizer=Adam(model.parameters(), 1e-2))
        history = fit(model, rule, x, epochs=epochs, batch_size=10, rng=2, verbose=False)
        return model, rule, history

    a, rule_a, history_a = train(2)
    b, _, _ = train(2)
    np.testing.assert_array_equal(predict(a, x), predict(b, x))
    assert set(history_a.metrics) >= {"train_cost", "train_reconstruction", "train_kl"}
    # the state holds the noise key and the step count: a copy continues exactly
    clone = dense_vae(8, [6], 2, rng=1)
    clone.load_state_dict(a.state_dict())
    rule_b = Variational(Adam(clone.parameters(), 1e-2))
    rule_b.load_state_dict(rule_a.state_dict())
    assert rule_b.steps == 8
    batch = (x[:10],)
    assert rule_a.step(a, batch) == rule_b.step(clone, batch)
    np.testing.assert_array_equal(predict(a, x), predict(clone, x))
    with pytest.raises(ValueError, match="Gaussian code"):
        Variational(Adam(a.parameters(), 1e-3), temperature=1.0).bind(a, np.random.default_rng(0))
    with pytest.raises(TypeError, match="not Sequential"):
        Variational(Adam(a.parameters(), 1e-3)).bind(a.encoder, np.random.default_rng(0))


@pytest.mark.parametrize("make", [lambda: dense_vae(12, [8], 3, rng=4),
                                  lambda: dense_categorical_vae(12, [8], 3, 4, rng=2)], ids=["gaussian", "categorical"])
def test_a_vae_is_saved_loaded_and_exported_to_onnx(tmp_path, make):
    model = make()
    save_model(tmp_path / "vae.safetensors", model)
    loaded, _ = load_model(tmp_path / "vae.safetensors")
    assert type(loaded) is type(model) and loaded.config() == model.config()
    x = binarize(np.random.default_rng(0).random((5, 12)))
    np.testing.assert_array_equal(predict(loaded, x), predict(model, x))
    session = onnxruntime.InferenceSession(onnx_model(model).SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(["output"], {"input": x})[0], predict(model, x), atol=1e-6)


def test_a_damaged_architecture_is_refused_with_its_place():
    from synaptica.errors import FormatError
    from synaptica.nn.registry import module_from_config

    model = dense_vae(12, [8], 3, rng=4)
    with pytest.raises(FormatError, match=r"model \(VAE\) needs exactly an 'encoder' and a 'decoder'"):
        module_from_config({"type": "VAE", "encoder": model.encoder.config()})
    with pytest.raises(FormatError, match=r"model.decoder.layers.0 names unknown layer type 'Nope'"):
        module_from_config({"type": "VAE", "encoder": model.encoder.config(),
                            "decoder": {"type": "Sequential", "layers": [{"type": "Nope"}]}})
    with pytest.raises(FormatError, match="'variables' and 'classes' must be integers >= 1"):
        module_from_config({**dense_categorical_vae(12, [8], 3, 4, rng=2).config(), "classes": 0})


def test_forward_is_the_reconstruction_at_the_mean_code():
    model = VAE(Sequential([Linear(4, 6, rng=0), ReLU(), Linear(6, 4, rng=1)]), Sequential([Linear(2, 4, rng=2)]))
    x = binarize(np.random.default_rng(0).random((3, 4)))
    mu, _ = model.encode(Tensor(x))
    np.testing.assert_allclose(predict(model, x), model.sample(0, z=mu.data), rtol=1e-6)
    assert model.latent_size() == 2 and model.sample(7, rng=0).shape == (7, 4)


@pytest.mark.slow
def test_a_vae_learns_binarised_fashion_mnist(fashion):
    """On 5,000 training images, three epochs take −ELBO from its start (~543 nats: 784 coin flips)
    far down; the importance-sampled log-likelihood is at least the bound."""
    x = binarize(fashion.train.x[:5000])
    x_test = binarize(fashion.test.x[:40])
    model = dense_vae(784, [200], 16, rng=0)
    rule = Variational(Adam(model.parameters(), 1e-3))
    start = float(np.mean(-model.log_likelihood(x_test, samples=1, rng=0)))
    history = fit(model, rule, x, epochs=3, batch_size=100, rng=0, verbose=False)
    assert start > 450
    assert history.metrics["train_cost"][-1] < 0.55 * start
    elbo = -model.log_likelihood(x_test, samples=1, rng=1).mean()
    nll = -model.log_likelihood(x_test, samples=1000, rng=1).mean()
    assert nll < elbo + 0.5 and nll < 0.55 * start


@pytest.mark.parametrize("make", [lambda: dense_vae(16, [12], 3, rng=0),
                                  lambda: dense_categorical_vae(16, [12], 3, 4, rng=0)], ids=["gaussian", "categorical"])
def test_the_bound_is_measured_after_each_epoch_on_the_same_noise(make):
    from synaptica.rules.variational import annealed_temperature
    from synaptica.train import VariationalBound

    rng = np.random.default_rng(0)
    prototypes = rng.random((4, 16)) < 0.5
    x = (prototypes[rng.integers(4, size=400)] ^ (rng.random((400, 16)) < 0.05)).astype(np.float32)
    model = make()
    evaluator = VariationalBound(x[300:], samples=2, seed=7)
    start = evaluator(model)["validation_cost"]
    assert start == evaluator(model)["validation_cost"]  # the same noise every time
    assert start == pytest.approx(float(np.mean(model.negative_elbo(x[300:], rng=np.random.default_rng(7), samples=2))))
    temperature = annealed_temperature() if model.temperature_needed else None
    history = fit(model, Variational(Adam(model.parameters(), 1e-2), temperature=temperature), x[:300], epochs=15,
                  batch_size=20, rng=0, verbose=False, evaluators=[evaluator])
    assert history.metrics["validation_cost"][-1] < start - 3.5  # the best is about 4.6 nats (the flips and 1 of 4)


def test_a_run_stopped_at_a_checkpoint_resumes_bit_for_bit(tmp_path):
    from synaptica.train.checkpoints import Checkpoint

    x = binarize(np.random.default_rng(0).random((100, 10)))

    def run(epochs, **options):
        model = dense_vae(10, [8], 2, rng=0)
        fit(model, Variational(Adam(model.parameters(), 1e-2)), x, epochs=epochs, batch_size=10, rng=0,
            verbose=False, **options)
        return model

    whole = run(4)
    run(2, callbacks=[Checkpoint(tmp_path)])
    resumed = run(4, callbacks=[Checkpoint(tmp_path)], resume=tmp_path)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(whole.parameters(), resumed.parameters()))
