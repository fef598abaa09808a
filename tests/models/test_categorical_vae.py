"""The categorical VAE trained through Gumbel-softmax: its terms by hand, its discrete −ELBO against
an enumeration of every code, temperature annealing, and a run on the 8×8 digits (files and ONNX:
tests/models/test_vae.py)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from synaptica.data import load_dataset
from synaptica.data.binarize import binarize
from synaptica.models import CategoricalVAE, dense_categorical_vae
from synaptica.nn import Linear, Sequential
from synaptica.ops.sampling import gumbel_noise
from synaptica.ops.softmax import softmax_array
from synaptica.optim import Adam
from synaptica.rules import Variational
from synaptica.rules.variational import annealed_temperature
from synaptica.tensor import Tensor
from synaptica.train.fit import fit


def small_model(pixels=3, variables=2, classes=3, rng=0) -> CategoricalVAE:
    generator = np.random.default_rng(rng)
    encoder = Sequential([Linear(pixels, variables * classes, rng=generator, dtype=np.float64)])
    decoder = Sequential([Linear(variables * classes, pixels, rng=generator, dtype=np.float64)])
    return CategoricalVAE(encoder, decoder, variables, classes)


def nll(logits, x):
    return float(np.sum(np.logaddexp(0.0, logits) - x * logits))


@pytest.mark.parametrize("hard", [False, True])
def test_the_terms_equal_a_hand_computation(hard):
    model = small_model()
    x = np.array([[1.0, 0.0, 1.0]])
    reconstruction, kl = model.elbo_terms(Tensor(x), np.random.default_rng(3), 0.5, hard)
    ell = (x @ model.encoder.layers[0].weight.data.T + model.encoder.layers[0].bias.data).reshape(2, 3)
    g = gumbel_noise((1, 2, 3), np.random.default_rng(3), np.float64)[0]
    y = softmax_array((ell + g) / 0.5)
    if hard:
        y = np.eye(3)[y.argmax(axis=1)]
    out = y.reshape(-1) @ model.decoder.layers[0].weight.data.T + model.decoder.layers[0].bias.data
    q = softmax_array(ell)
    assert float(reconstruction.data) == pytest.approx(nll(out, x[0]), rel=1e-12)
    assert float(kl.data) == pytest.approx(float(np.sum(q * (np.log(q) + math.log(3)))), rel=1e-12)


def test_the_discrete_bound_matches_an_enumeration_of_every_code():
    """−ELBO = Σ_z q(z | x) (−log p(x | z)) + KL(q ‖ uniform) over all K^N = 9 codes, against the
    Gumbel-max estimate with 40,000 samples."""
    model = small_model(rng=1)
    x = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    estimate = model.negative_elbo(x, rng=0, samples=40_000)
    for row, got in zip(x, estimate):
        ell = (row @ model.encoder.layers[0].weight.data.T + model.encoder.layers[0].bias.data).reshape(2, 3)
        q = softmax_array(ell)
        expected = float(np.sum(q * (np.log(q) + math.log(3))))
        for a, b in itertools.product(range(3), range(3)):
            code = np.concatenate([np.eye(3)[a], np.eye(3)[b]])
            out = code @ model.decoder.layers[0].weight.data.T + model.decoder.layers[0].bias.data
            expected += q[0, a] * q[1, b] * nll(out, row)
        assert got == pytest.approx(expected, abs=0.02)


def test_the_temperature_is_annealed_step_by_step():
    schedule = annealed_temperature(1.0, rate=0.01, floor=0.5, every=10)
    assert schedule(0) == schedule(9) == 1.0
    assert schedule(10) == pytest.approx(math.exp(-0.1))
    assert schedule(10_000) == 0.5
    x = binarize(np.random.default_rng(0).random((30, 6)))
    model = dense_categorical_vae(6, [8], 2, 3, rng=0)
    rule = Variational(Adam(model.parameters(), 1e-2), temperature=annealed_temperature(1.0, 0.1, 0.5))
    steps = []
    fit(model, rule, x, epochs=2, batch_size=5, rng=0, verbose=False,
        callbacks=[type("Steps", (), {"after_step": lambda self, e, i, m, model: steps.append(m["temperature"]),
                                      "__call__": lambda self, *a: None})()])
    assert steps == [max(0.5, math.exp(-0.1 * t)) for t in range(12)]
    with pytest.raises(ValueError, match="needs a temperature"):
        Variational(Adam(model.parameters(), 1e-3)).bind(model, np.random.default_rng(0))
    with pytest.raises(ValueError, match="floor"):
        annealed_temperature(0.4, floor=0.5)


@pytest.mark.slow
@pytest.mark.parametrize("hard", [False, True])
def test_a_categorical_vae_learns_the_binarised_digits(hard):
    """8 variables of 8 classes on the 8×8 digits: −ELBO with discrete codes falls far below its
    start (64 coin flips are 44 nats) in a few epochs, relaxed or straight-through."""
    splits = load_dataset("digits")
    x = binarize(splits.train.x)
    x_test = binarize(splits.test.x)
    model = dense_categorical_vae(64, [128], 8, 8, rng=0)
    start = float(model.negative_elbo(x_test, rng=0).mean())
    rule = Variational(Adam(model.parameters(), 3e-3), temperature=annealed_temperature(1.0, 1e-3, 0.5), hard=hard)
    fit(model, rule, x, epochs=15, batch_size=32, rng=0, verbose=False)
    end = float(model.negative_elbo(x_test, rng=0).mean())
    assert start > 40 and end < 0.7 * start


@pytest.mark.parametrize("hard", [False, True])
def test_the_rule_resumes_exactly_with_its_noise_and_temperature(hard):
    from tests.rules.resume import assert_resumes_exactly

    x = binarize(np.random.default_rng(0).random((200, 10)))
    batches = [(x[i:i + 10],) for i in range(0, 200, 10)]

    def fresh():
        model = dense_categorical_vae(10, [8], 3, 4, rng=1)
        return model, Variational(Adam(model.parameters(), 1e-2), temperature=annealed_temperature(1.0, 0.05), hard=hard)

    assert_resumes_exactly(fresh, batches)
