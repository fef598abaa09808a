"""Hebbian rules: Oja finds the first principal component (one input; a known 2-D covariance; Fashion-MNIST
against an SVD), Sanger's fixed points are the eigenvectors and it finds the first eight in order, plain Hebb's
norm grows without bound, refusals by name, exact resume."""

import numpy as np
import pytest

from synaptica import fit
from synaptica.errors import NonFiniteError
from synaptica.nn import Conv2d, Flatten, Linear, Sequential, mlp
from synaptica.rules import HEBBIAN_RULES, Hebb, Oja, Sanger
from synaptica.train import PrincipalComponents
from synaptica.train.checkpoints import Checkpoint
from tests.conftest import REPO, run_python
from tests.png_check import assert_png_not_blank
from tests.rules.resume import assert_resumes_exactly


def _covariance_data(rng, n=2000):
    """Centred 2-D data whose covariance has eigenvalues 4 and 1, the larger along 30°."""
    angle = np.pi / 6
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    x = rng.standard_normal((n, 2)) * [2.0, 1.0] @ rotation.T
    return x - x.mean(axis=0), rotation[:, 0]


def _eigenvectors(x):
    """The sample covariance's eigenvectors as rows, largest eigenvalue first."""
    values, vectors = np.linalg.eigh(x.T @ x / len(x))
    return vectors[:, ::-1].T


def _full_batch_steps(rule, model, x, steps):
    rule.bind(model, np.random.default_rng(0))
    for _ in range(steps):
        metrics = rule.step(model, (x,))
    return metrics


def test_oja_with_one_input_converges_to_unit_weight(rng):
    x = rng.standard_normal((500, 1)) * 3.0
    model = Linear(1, 1, bias=False, rng=0, dtype=np.float64)
    model.weight.data[:] = 0.1
    _full_batch_steps(Oja(0.02), model, x - x.mean(), 300)
    assert abs(model.weight.data[0, 0]) == pytest.approx(1.0, abs=1e-9)


def test_oja_on_a_known_covariance_finds_its_first_eigenvector(rng):
    x, direction = _covariance_data(rng)
    model = Linear(2, 1, bias=False, rng=1, dtype=np.float64)
    _full_batch_steps(Oja(0.05), model, x, 500)  # full batches: the averaged rule, exact fixed point
    w = model.weight.data[0]
    assert abs(w @ _eigenvectors(x)[0]) == pytest.approx(1.0, abs=1e-10) and np.linalg.norm(w) == pytest.approx(1.0)
    assert abs(w @ direction) > 0.99  # the population's direction, up to sampling error
    stochastic = Linear(2, 1, bias=False, rng=1)
    fit(stochastic, Oja(lambda t: 0.05 / (1 + t / 500)), x, epochs=5, batch_size=10, rng=0, verbose=False)
    assert abs(stochastic.weight.data[0] @ direction) / np.linalg.norm(stochastic.weight.data[0]) > 0.99


def test_sangers_fixed_points_are_the_eigenvectors_in_order(rng):
    x = rng.standard_normal((1000, 5)) * [3.0, 2.5, 2.0, 1.0, 0.5] @ np.linalg.qr(rng.standard_normal((5, 5)))[0]
    x -= x.mean(axis=0)
    vectors = _eigenvectors(x)
    model = Linear(5, 3, bias=False, dtype=np.float64)
    model.weight.data[:] = vectors[:3]
    rule = Sanger(0.01)
    rule.bind(model, np.random.default_rng(0))
    assert np.abs(rule.update(model.weight.data, x, x @ model.weight.data.T)).max() < 1e-12
    mixed = np.array([[1, 1, 0], [1, -1, 0], [0, 0, np.sqrt(2)]]) / np.sqrt(2) @ vectors[:3]  # same subspace
    assert np.abs(rule.update(mixed, x, x @ mixed.T)).max() > 0.1
    learnt = Linear(5, 3, bias=False, rng=0, dtype=np.float64)
    _full_batch_steps(Sanger(0.02), learnt, x, 3000)
    assert np.abs((learnt.weight.data * vectors[:3]).sum(axis=1)) == pytest.approx(1.0, abs=1e-8)


def test_plain_hebb_aligns_with_the_first_component_while_its_norm_grows_without_bound(rng):
    x, direction = _covariance_data(rng)
    model = Linear(2, 1, bias=False, rng=0, dtype=np.float64)
    rule = Hebb(0.05)
    rule.bind(model, np.random.default_rng(0))
    norms = [rule.step(model, (x,))["weight_norm"] for _ in range(200)]
    assert np.all(np.diff(norms) > 0) and norms[-1] > 1e6 * norms[0]
    growth = norms[-1] / norms[-2]  # the averaged rule is w ← w (I + ηC): the norm grows by 1 + ηλ₁
    assert growth == pytest.approx(1 + 0.05 * np.linalg.eigvalsh(x.T @ x / len(x))[-1], rel=1e-6)
    assert abs(model.weight.data[0] @ direction) / norms[-1] > 0.99


@pytest.fixture(scope="module")
def fashion_centred(fashion):
    """10,000 Fashion-MNIST training images, centred (by the data, not the rule), and their first eight
    principal components (the right singular vectors of x, as eigenvectors of xᵀx: the same, and faster)."""
    x = fashion.train.x[:10000].reshape(10000, -1).astype(np.float64)
    x -= x.mean(axis=0)
    return x, _eigenvectors(x)[:8]


def test_oja_finds_the_first_principal_component_of_fashion_mnist(fashion_centred):
    x, components = fashion_centred
    component = components[:1]
    model = Linear(784, 1, bias=False, rng=0)
    history = fit(model, Oja(lambda t: 0.002 / (1 + t / 2000)), x, epochs=3, batch_size=32, rng=0,
                  evaluators=[PrincipalComponents(component, x[:2000], name="train")], verbose=False)
    assert history["train_cosine_1"][-1] >= 0.99
    assert history["train_weight_norm"][-1] == pytest.approx(1.0, abs=0.01)


def test_sanger_finds_the_first_eight_principal_components_of_fashion_mnist_in_order(fashion_centred):
    x, components = fashion_centred
    model = Linear(784, 8, bias=False, rng=0)
    evaluator = PrincipalComponents(components, x[:2000], name="train")
    history = fit(model, Sanger(lambda t: 0.005 / (1 + t / 20000)), x, epochs=20, batch_size=32, rng=0,
                  evaluators=[evaluator], verbose=False)
    assert history["train_min_cosine"][-1] >= 0.95
    pca_mse = np.mean((x[:2000] - x[:2000] @ components.T @ components) ** 2)
    assert history["train_mse"][-1] == pytest.approx(pca_mse, rel=0.01)


def test_what_a_hebbian_rule_cannot_train_is_refused_by_name():
    with pytest.raises(ValueError, match=r"Oja cannot train the model Linear\(4→2\): it has a bias"):
        Oja().bind(Linear(4, 2), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"Sanger cannot train layers.0 Linear\(4→3\): it has a bias"):
        Sanger().bind(mlp([4, 3, 2], "tanh", rng=0), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"Hebb cannot train layers.0 Conv2d"):
        Hebb().bind(Sequential(Conv2d(1, 2, 3), Flatten()), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"Oja trains one Linear\(n, k, bias=False\); the model has 2 layers with weights \(layers.0, layers.1\)"):
        Oja().bind(Sequential(Linear(4, 3, bias=False), Linear(3, 2, bias=False)), np.random.default_rng(0))
    with pytest.raises(ValueError, match="Oja: learning_rate must be a number > 0 or a schedule"):
        Oja(0.0)
    with pytest.raises(RuntimeError, match="call bind"):
        Oja().step(Linear(4, 2, bias=False), (np.zeros((1, 4)),))


@pytest.mark.parametrize("rule_class", sorted(HEBBIAN_RULES.values(), key=lambda cls: cls.name))
def test_state_dict_resumes_exactly(rule_class, rng):
    x = rng.standard_normal((120, 6))
    batches = [(x[i:i + 6] - x.mean(axis=0),) for i in range(0, 120, 6)]
    assert_resumes_exactly(lambda: (Linear(6, 3, bias=False, rng=0), rule_class(lambda t: 0.01 / (1 + t))), batches)
    assert_resumes_exactly(lambda: (Linear(6, 3, bias=False, rng=0), rule_class(0.01)), batches)


def test_plain_hebb_in_fit_stops_with_a_named_error_before_its_weights_overflow(rng):
    x = rng.standard_normal((2000, 4)) * [3.0, 1.0, 1.0, 1.0]
    model = Linear(4, 1, bias=False, rng=0)
    with pytest.raises(NonFiniteError, match=r"Hebb: the update would make the weights of Linear\(4→1\) non-finite "
                                             r".*plain Hebbian learning grows without bound: use Oja or Sanger"):
        fit(model, Hebb(0.1), x, epochs=5, batch_size=10, rng=0, verbose=False)
    assert np.isfinite(model.weight.data).all()


def test_the_example_compares_oja_and_sanger_with_the_svd(fashion, tmp_path):
    out = tmp_path / "hebbian.png"
    result = run_python([str(REPO / "examples" / "hebbian.py"), "--examples", "3000", "--components", "3",
                         "--epochs", "10", "--out", str(out)])
    assert result.returncode == 0, result.stderr
    sanger = result.stdout.split("sanger: |cos| with SVD components 1-3: ")[1].split(";")[0]
    assert min(float(c) for c in sanger.split()) >= 0.95 and f"Wrote {out}" in result.stdout
    assert_png_not_blank(out)


def test_a_run_stopped_and_resumed_from_its_checkpoint_ends_with_the_same_weights(rng, tmp_path):
    x = rng.standard_normal((300, 6))
    x -= x.mean(axis=0)
    whole = Linear(6, 3, bias=False, rng=0)
    fit(whole, Sanger(lambda t: 0.01 / (1 + t / 50)), x, epochs=4, batch_size=10, rng=0, verbose=False)
    first = Linear(6, 3, bias=False, rng=0)
    fit(first, Sanger(lambda t: 0.01 / (1 + t / 50)), x, epochs=2, batch_size=10, rng=0, verbose=False,
        callbacks=[Checkpoint(tmp_path)])
    resumed = Linear(6, 3, bias=False, rng=5)
    fit(resumed, Sanger(lambda t: 0.01 / (1 + t / 50)), x, epochs=4, batch_size=10, rng=0, verbose=False,
        callbacks=[Checkpoint(tmp_path)], resume=tmp_path)
    assert np.array_equal(whole.weight.data, resumed.weight.data)
