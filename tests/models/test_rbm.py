"""The Bernoulli RBM and contrastive divergence: reduced to hand computations and exact enumeration,
checked against scikit-learn's BernoulliRBM, and trained end to end on binarised Fashion-MNIST."""

import copy
import itertools

import numpy as np
import pytest
from sklearn.neural_network import BernoulliRBM
from threadpoolctl import threadpool_limits

from synaptica.models.rbm import (
    ais_log_partition, exact_log_partition, exact_pseudo_likelihood, log_likelihood, pseudo_likelihood,
)
from synaptica.nn import RBM, Sequential
from synaptica.nn.rbm import binarise, pixel_log_odds
from synaptica.rules import RULES, ContrastiveDivergence
from synaptica.train import fit
from synaptica.train.evaluators import PseudoLikelihood
from tests.io.test_onnx_export import check_same


def tiny_rbm(visible=6, hidden=4, scale=1.0, seed=0, dtype=np.float64) -> RBM:
    """An RBM with weights and biases large enough that its distribution is far from uniform."""
    rng = np.random.default_rng(seed)
    rbm = RBM(visible, hidden, rng=rng, dtype=dtype)
    rbm.weight.data[...] = scale * rng.normal(size=(hidden, visible))
    rbm.visible_bias.data[...] = scale * rng.normal(size=visible)
    rbm.hidden_bias.data[...] = scale * rng.normal(size=hidden)
    return rbm


def states(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0.0, 1.0), repeat=n)))


def energy(rbm: RBM, v: np.ndarray, h: np.ndarray) -> float:
    """E(v, h) = −bᵀv − cᵀh − hᵀWv, written out."""
    return -(v @ rbm.visible_bias.data) - (h @ rbm.hidden_bias.data) - h @ rbm.weight.data @ v


def test_free_energy_and_log_partition_match_enumerating_every_state():
    rbm = tiny_rbm(visible=5, hidden=3)
    vs, hs = states(5), states(3)
    joint = np.array([[-energy(rbm, v, h) for h in hs] for v in vs])  # log exp(−E) for every (v, h)
    top = joint.max()
    log_marginal = top + np.log(np.exp(joint - top).sum(axis=1))  # log Σ_h exp(−E(v, h)) = −F(v)
    np.testing.assert_allclose(-rbm.free_energy(vs), log_marginal, rtol=1e-12)
    log_z = top + np.log(np.exp(joint - top).sum())
    assert exact_log_partition(rbm) == pytest.approx(log_z, rel=1e-12)  # hidden layer enumerated
    wide = tiny_rbm(visible=3, hidden=5, seed=1)  # visible layer enumerated
    joint = np.array([[-energy(wide, v, h) for h in states(5)] for v in states(3)])
    assert exact_log_partition(wide) == pytest.approx(np.log(np.exp(joint).sum()), rel=1e-12)
    with pytest.raises(ValueError, match=r"2\*\*21 states.*ais_log_partition"):
        exact_log_partition(RBM(21, 30, rng=0))


def test_annealed_importance_sampling_finds_the_exact_log_partition():
    """Fixed seed, 200 chains and 1,000 temperatures on a 10 × 6 RBM: the estimate sits within a
    hundredth of a nat of log Z (measured 0.001 and 0.013; standard error about 0.01): held to 0.1."""
    rbm = tiny_rbm(visible=10, hidden=6, scale=1.0, seed=3)
    exact = exact_log_partition(rbm)
    estimate, error = ais_log_partition(rbm, np.random.default_rng(0), chains=200, betas=1000)
    assert error < 0.03
    assert estimate == pytest.approx(exact, abs=0.1)
    samples = (np.random.default_rng(1).random((200, 10)) < 0.3).astype(float)
    based, _ = ais_log_partition(rbm, np.random.default_rng(0), chains=200, betas=1000, base=pixel_log_odds(samples))
    assert based == pytest.approx(exact, abs=0.1)
    ll = log_likelihood(rbm, samples, exact)
    assert ll == pytest.approx(np.mean(-rbm.free_energy(samples)) - exact) and ll < 0


def test_pseudo_likelihood_is_scikit_learns_on_the_same_weights_and_bits():
    rbm = tiny_rbm(visible=12, hidden=7, seed=4)
    v = (np.random.default_rng(5).random((40, 12)) < 0.5).astype(float)
    theirs = BernoulliRBM(n_components=7, random_state=9)
    theirs.components_, theirs.intercept_hidden_ = rbm.weight.data.copy(), rbm.hidden_bias.data.copy()
    theirs.intercept_visible_, theirs.n_features_in_ = rbm.visible_bias.data.copy(), 12
    theirs.h_samples_ = np.zeros((1, 7))
    flips = np.random.RandomState(9).randint(0, 12, 40)  # the bits score_samples flips
    np.testing.assert_allclose(pseudo_likelihood(rbm, v, flips), theirs.score_samples(v), rtol=1e-12)


def test_exact_pseudo_likelihood_averages_the_one_bit_estimate_over_every_bit():
    rbm = tiny_rbm(visible=9, hidden=5, seed=6)
    v = (np.random.default_rng(7).random((11, 9)) < 0.5).astype(float)
    each_bit = [pseudo_likelihood(rbm, v, np.full(11, i)) for i in range(9)]
    np.testing.assert_allclose(exact_pseudo_likelihood(rbm, v, block=4), np.mean(each_bit, axis=0), rtol=1e-12)
    # and it is Σᵢ log p(vᵢ | v₋ᵢ) from the enumerated joint
    vs = states(9)
    log_p = -rbm.free_energy(vs)
    index = {tuple(row): i for i, row in enumerate(vs)}
    row = v[0]
    total = 0.0
    for i in range(9):
        other = row.copy()
        other[i] = 1 - other[i]
        a, b = log_p[index[tuple(row)]], log_p[index[tuple(other)]]
        total += a - np.logaddexp(a, b)
    assert exact_pseudo_likelihood(rbm, v[:1])[0] == pytest.approx(total, rel=1e-12)


def _by_hand(rbm, v, rng, k, eta):
    """CD-k written out unit by unit, drawing the same numbers in the same order as the rule."""
    w, b, c = rbm.weight.data.copy(), rbm.visible_bias.data.copy(), rbm.hidden_bias.data.copy()
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    n, d, m = len(v), len(b), len(c)
    h_data = np.array([[sig(c[j] + sum(w[j, i] * v[r, i] for i in range(d))) for j in range(m)] for r in range(n)])
    h = (rng.random((n, m)) < h_data).astype(float)
    for _ in range(k):
        v_model = (rng.random((n, d)) < sig(h @ w + b)).astype(float)
        h_model = sig(v_model @ w.T + c)
        h = (rng.random((n, m)) < h_model).astype(float)
    dw = np.array([[sum(h_data[r, j] * v[r, i] - h_model[r, j] * v_model[r, i] for r in range(n)) / n
                    for i in range(d)] for j in range(m)])
    return (w + eta * dw, b + eta * (v - v_model).mean(axis=0), c + eta * (h_data - h_model).mean(axis=0))


@pytest.mark.parametrize("k", [1, 3])
def test_a_cd_k_step_is_the_difference_of_the_data_and_chain_expectations(k):
    rbm = tiny_rbm(visible=6, hidden=4, seed=8)
    v = (np.random.default_rng(9).random((5, 6)) < 0.5).astype(float)
    expected = _by_hand(rbm, v, np.random.default_rng(10), k, 0.05)
    rule = ContrastiveDivergence(0.05, k=k)
    rule.bind(rbm, np.random.default_rng(10))
    metrics = rule.step(rbm, (v,))
    for parameter, want in zip((rbm.weight, rbm.visible_bias, rbm.hidden_bias), expected):
        np.testing.assert_allclose(parameter.data, want, rtol=1e-12, atol=1e-15)
    assert metrics["loss"] >= 0


def test_pcd_is_scikit_learns_update_and_its_chains_are_state():
    """PCD-1 with as many chains as a batch has rows is BernoulliRBM's own step; the chains travel in
    state_dict and, with the rule's Generator (which checkpoints save), a resumed run is bitwise the same."""
    rng = np.random.default_rng(11)
    x = (rng.random((30, 8)) < 0.4).astype(float)
    rbm = tiny_rbm(visible=8, hidden=5, scale=0.1, seed=12)
    theirs = BernoulliRBM(n_components=5, learning_rate=0.1)
    theirs.components_, theirs.intercept_hidden_ = rbm.weight.data.copy(), rbm.hidden_bias.data.copy()
    theirs.intercept_visible_, theirs.h_samples_ = rbm.visible_bias.data.copy(), np.zeros((10, 5))
    rule = ContrastiveDivergence(0.1, persistent=True)
    rule.bind(rbm, np.random.default_rng(13))
    for start in range(0, 30, 10):
        replay = _Uniforms(copy.deepcopy(rule.rng))
        rule.step(rbm, (x[start:start + 10],))
        theirs._fit(x[start:start + 10], replay)
        np.testing.assert_allclose(theirs.components_, rbm.weight.data, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(theirs.intercept_visible_, rbm.visible_bias.data, atol=1e-12)
        np.testing.assert_allclose(theirs.h_samples_, rule.hidden_chains)
    state, generator, weights = rule.state_dict(), copy.deepcopy(rule.rng), copy.deepcopy(rbm.state_dict())
    rule.step(rbm, (x[:10],))
    again = RBM(8, 5, dtype=np.float64)
    again.load_state_dict(weights)
    resumed = ContrastiveDivergence(0.1, persistent=True)
    resumed.bind(again, generator)
    resumed.load_state_dict(state)
    resumed.step(again, (x[:10],))
    assert all(np.array_equal(p.data, q.data) for p, q in zip(rbm.parameters(), again.parameters()))


class _Uniforms:
    """The RandomState scikit-learn's _fit draws from, giving the uniforms a copy of the rule's
    Generator gives (both draw the visibles' uniforms, then the hiddens')."""

    def __init__(self, generator):
        self.generator = generator

    def uniform(self, size):
        return self.generator.random(size)


def test_bad_inputs_are_refused_naming_values_and_sizes():
    rbm = RBM(4, 3, rng=0)
    rule = ContrastiveDivergence()
    rule.bind(rbm, np.random.default_rng(0))
    grey = np.array([[0, 1, 0.5, 1], [0, 0, 1, 0.25]], dtype=np.float32)
    with pytest.raises(ValueError, match=r"data of shape \(2, 4\) hold 2 of 8 values that are not \(e.g. 0.5\); "
                                         r"binarise"):
        rule.step(rbm, (grey,))
    assert np.array_equal(rbm.weight.data, RBM(4, 3, rng=0).weight.data)  # refused before any update
    probabilities = ContrastiveDivergence(data="probabilities")
    probabilities.bind(rbm, np.random.default_rng(0))
    probabilities.step(rbm, (grey,))  # values in [0, 1] are probabilities for a DBN's upper layers
    with pytest.raises(ValueError, match=r"within \[0, 1\].*1 of 8 values.*e.g. 2"):
        probabilities.step(rbm, (grey * np.array([1, 2, 1, 1], dtype=np.float32),))
    with pytest.raises(Exception, match=r"RBM\(4→3\) has 4 visible units but the batch's examples have 5"):
        rule.step(rbm, (np.zeros((2, 5)),))
    with pytest.raises(TypeError, match="trains an RBM"):
        rule.bind(Sequential(), np.random.default_rng(0))
    with pytest.raises(ValueError, match="PseudoLikelihood.*0.5"):
        PseudoLikelihood(grey)
    assert RULES["contrastive-divergence"] is ContrastiveDivergence


def test_forward_is_the_hidden_probabilities_and_exports_to_onnx():
    rbm = tiny_rbm(visible=7, hidden=5, seed=14, dtype=np.float32)
    x = (np.random.default_rng(15).random((6, 7)) < 0.5).astype(np.float32)
    from synaptica import Tensor

    np.testing.assert_allclose(rbm(Tensor(x)).data, rbm.hidden_probabilities(x), rtol=1e-6)
    check_same(rbm, x)
    check_same(Sequential(rbm), x)


def as_rbm(theirs: BernoulliRBM) -> RBM:
    """scikit-learn's fitted BernoulliRBM as an RBM (float64), to measure both the same way."""
    rbm = RBM(theirs.components_.shape[1], theirs.n_components, dtype=np.float64)
    rbm.weight.data[...], rbm.hidden_bias.data[...] = theirs.components_, theirs.intercept_hidden_
    rbm.visible_bias.data[...] = theirs.intercept_visible_
    return rbm


@pytest.mark.slow
def test_cd1_and_pcd_train_on_binarised_fashion_mnist_as_scikit_learn_does(fashion):
    """2,000 binarised images, 64 hidden units, 3 epochs of batches of 20 at η = 0.05: the exact
    pseudo-likelihood of 300 test images climbs far above the untrained RBM's, and PCD-1 lands near
    scikit-learn's BernoulliRBM with the same settings (measured 287 against 297 nats; generous
    10 %, since one short run's trajectory is not the figure: the bench measures the full size)."""
    x = binarise(fashion.train.x[:2000].reshape(2000, -1))
    test = binarise(fashion.test.x[:300].reshape(300, -1))
    untrained = exact_pseudo_likelihood(RBM(784, 64, rng=0), test).mean()
    results = {}
    for name, persistent in [("cd", False), ("pcd", True)]:
        rbm = RBM(784, 64, rng=0)
        history = fit(rbm, ContrastiveDivergence(0.05, persistent=persistent), x, epochs=3, batch_size=20, rng=1,
                      evaluators=[PseudoLikelihood(test, "test")], verbose=False)
        assert history["test_pseudo_likelihood"][-1] > history["test_pseudo_likelihood"][0] - 30
        results[name] = exact_pseudo_likelihood(rbm, test).mean()
    with threadpool_limits(1):
        theirs = BernoulliRBM(64, learning_rate=0.05, batch_size=20, n_iter=3, random_state=0).fit(x)
    sklearn_pl = exact_pseudo_likelihood(as_rbm(theirs), test).mean()
    assert untrained < -500 and results["cd"] > -330 and results["pcd"] > -330
    assert abs(results["pcd"] / sklearn_pl - 1) < 0.1
