"""The Hessian technique: Hessian-vector products and dense Hessians against PyTorch's exact Hessian
(double backward, float64), and the damped Newton rule against gradient descent.

Measured relative errors of the central-difference Hv (Frobenius norm, 20 seeds of each network
below): at most 2.2e-10 for the sigmoid nets, 1.0e-9 for the tanh one; the bound is 1e-8.
"""

import re

import numpy as np
import pytest
import torch

from synaptica import Backprop, NonFiniteError, SGD, ShapeError, fit
from synaptica.data import load_dataset
from synaptica.losses import CrossEntropyCost, LogLikelihoodCost, QuadraticCost
from synaptica.nn import Linear, Sequential, Sigmoid, Tanh, mlp
from synaptica.optim.hessian import (CUBE_ROOT_ROUNDOFF, cost_and_gradient, finite_difference_step, hessian,
                                     hessian_vector_product, parameter_count, parameter_vector,
                                     set_parameter_vector)
from synaptica.rules import RULES, DampedNewton
from synaptica.train import evaluate
from tests.conftest import REPO, run_python

RELATIVE_BOUND = 1e-8


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _xor_net():
    """Seed 000's 3-4-1 sigmoid net without biases, with its starting weights."""
    legacy = np.random.RandomState(1)
    hidden = Linear(3, 4, bias=False, init="zeros", dtype=np.float64)
    output = Linear(4, 1, bias=False, init="zeros", dtype=np.float64)
    hidden.weight.data = (2 * legacy.random_sample((3, 4)) - 1).T.copy()
    output.weight.data = (2 * legacy.random_sample((4, 1)) - 1).T.copy()
    return Sequential(hidden, Sigmoid(), output, Sigmoid())


def _case(name, seed=0):
    """(model, cost, x, y) for the networks checked against PyTorch."""
    rng = np.random.default_rng(seed)
    if name == "2-3-1 sigmoid, quadratic":
        return (mlp([2, 3, 1], "sigmoid", "sigmoid", rng=seed, dtype=np.float64), QuadraticCost(),
                rng.standard_normal((8, 2)), rng.random((8, 1)))
    if name == "4-5-3 sigmoid, log-likelihood":
        return (mlp([4, 5, 3], "sigmoid", None, rng=seed, dtype=np.float64), LogLikelihoodCost(),
                rng.standard_normal((8, 4)), rng.integers(0, 3, 8))
    if name == "3-4-2 tanh, cross-entropy":
        return (mlp([3, 4, 2], "tanh", None, rng=seed, dtype=np.float64), CrossEntropyCost(),
                rng.standard_normal((8, 3)), (rng.random((8, 2)) > 0.5).astype(np.float64))
    if name == "XOR 3-4-1 no biases, summed quadratic":
        xor = load_dataset("xor").train
        return _xor_net(), QuadraticCost(reduction="sum"), xor.x.astype(np.float64), xor.y.astype(np.float64)
    raise KeyError(name)


CASES = ["2-3-1 sigmoid, quadratic", "4-5-3 sigmoid, log-likelihood", "3-4-2 tanh, cross-entropy",
         "XOR 3-4-1 no biases, summed quadratic"]


def _torch_cost(model, cost, x, y):
    """The same cost as a function of the flat weight vector, written in PyTorch."""
    shapes = [p.shape for p in model.parameters()]
    x_t = torch.from_numpy(np.asarray(x, dtype=np.float64))
    y_t = torch.from_numpy(np.asarray(y))

    def cost_of(w):
        pieces, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            pieces.append(w[start:start + size].reshape(shape))
            start += size
        weights, a = iter(pieces), x_t
        for layer in model.layers:
            if isinstance(layer, Linear):
                a = a @ next(weights).T
                if layer.bias is not None:
                    a = a + next(weights)
            elif isinstance(layer, Sigmoid):
                a = torch.sigmoid(a)
            elif isinstance(layer, Tanh):
                a = torch.tanh(a)
        if cost.name == "quadratic":
            per_example = 0.5 * ((a - y_t) ** 2).sum(dim=1)
        elif cost.name == "log-likelihood":
            per_example = torch.nn.functional.cross_entropy(a, y_t, reduction="none")
        else:
            per_example = torch.nn.functional.binary_cross_entropy_with_logits(a, y_t, reduction="none").sum(dim=1)
        return per_example.sum() / (len(x_t) if cost.reduction == "mean" else 1)

    return cost_of


def _exact_hessian(model, cost, x, y):
    w = torch.from_numpy(parameter_vector(model))
    return torch.autograd.functional.hessian(_torch_cost(model, cost, x, y), w).numpy()


def _relative(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# ------------------------------------------------------------------ against PyTorch
@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hessian_vector_product_matches_pytorch_exact_hessian(name, seed):
    model, cost, x, y = _case(name, seed)
    exact = _exact_hessian(model, cost, x, y)
    for v in np.random.default_rng(100 + seed).standard_normal((3, parameter_count(model))):
        assert _relative(hessian_vector_product(model, cost, x, y, v), exact @ v) <= RELATIVE_BOUND


@pytest.mark.parametrize("name", CASES)
def test_dense_hessian_matches_pytorch_and_is_symmetric(name):
    model, cost, x, y = _case(name)
    exact = _exact_hessian(model, cost, x, y)
    dense = hessian(model, cost, x, y)
    assert dense.shape == exact.shape == (parameter_count(model),) * 2
    assert _relative(dense, exact) <= RELATIVE_BOUND
    assert np.array_equal(dense, dense.T)
    # before symmetrising, the columns H e_j already agree with the rows to the method's accuracy
    n = parameter_count(model)
    columns = np.column_stack([hessian_vector_product(model, cost, x, y, e) for e in np.eye(n)])
    assert 0 < _relative(columns, columns.T) <= RELATIVE_BOUND


def test_the_error_falls_as_epsilon_squared():
    """The truncation error is (ε²/6)∇⁴C[v,v,v]: ten times the step gives a hundred times the error."""
    model, cost, x, y = _case("4-5-3 sigmoid, log-likelihood")
    exact = _exact_hessian(model, cost, x, y)
    v = np.random.default_rng(5).standard_normal(parameter_count(model))
    errors = [np.linalg.norm(hessian_vector_product(model, cost, x, y, v, epsilon=eps) - exact @ v)
              for eps in (1e-2, 1e-3)]
    assert 70 < errors[0] / errors[1] < 130
    # and the default step does far better than either
    assert np.linalg.norm(hessian_vector_product(model, cost, x, y, v) - exact @ v) < errors[1] / 1000


def test_the_default_step_is_relative_to_the_weights_and_the_direction():
    w, v = np.full(4, 3.0), np.full(4, 0.5)  # ‖w‖ = 6, ‖v‖ = 1
    assert finite_difference_step(w, v) == pytest.approx(CUBE_ROOT_ROUNDOFF * 6.0)
    assert finite_difference_step(w / 100, 2 * v) == pytest.approx(CUBE_ROOT_ROUNDOFF * 1.0 / 2.0)
    with pytest.raises(ValueError, match="non-zero"):
        finite_difference_step(w, np.zeros(4))


def test_gradient_matches_pytorch():
    model, cost, x, y = _case("4-5-3 sigmoid, log-likelihood")
    w = torch.from_numpy(parameter_vector(model)).requires_grad_(True)
    expected = _torch_cost(model, cost, x, y)(w)
    expected.backward()
    value, gradient = cost_and_gradient(model, cost, x, y)
    assert value == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(gradient, w.grad.numpy(), rtol=1e-10, atol=1e-14)


# ------------------------------------------------------------------ helpers and their errors
def test_a_float32_model_is_differentiated_in_float64_and_left_as_it_was():
    model64, cost, x, y = _case("4-5-3 sigmoid, log-likelihood")
    model32 = mlp([4, 5, 3], "sigmoid", None, rng=0)  # float32
    set_parameter_vector(model32, parameter_vector(model64))
    set_parameter_vector(model64, parameter_vector(model32))  # the same (float32-representable) weights
    model32.layers[0].weight.grad = marker = np.ones((5, 4), np.float32)
    before = [p.data.copy() for p in model32.parameters()]
    dense = hessian(model32, cost, x.astype(np.float32), y)
    assert _relative(dense, _exact_hessian(model64, cost, x, y)) <= RELATIVE_BOUND
    assert all(p.dtype == np.float32 and np.array_equal(p.data, b) for p, b in zip(model32.parameters(), before))
    assert model32.layers[0].weight.grad is marker and model32.layers[2].weight.grad is None


def test_parameter_vector_round_trip_and_layout():
    model = mlp([3, 4, 2], "sigmoid", rng=0, dtype=np.float64)
    w = parameter_vector(model)
    assert w.shape == (3 * 4 + 4 + 4 * 2 + 2,) and w.dtype == np.float64
    assert np.array_equal(w[:12], model.layers[0].weight.data.ravel())
    set_parameter_vector(model, np.arange(w.size, dtype=np.float64))
    assert np.array_equal(model.layers[2].bias.data, [24.0, 25.0])
    with pytest.raises(ShapeError, match=r"shape \(25,\); expected \(26,\).*layers.0.weight \(4, 3\)"):
        set_parameter_vector(model, np.zeros(25))


def test_bad_inputs_give_clear_errors():
    model, cost, x, y = _case("2-3-1 sigmoid, quadratic")
    with pytest.raises(ShapeError, match=r"hessian_vector_product.*\(5,\).*expected \(13,\)"):
        hessian_vector_product(model, cost, x, y, np.ones(5))
    assert not np.any(hessian_vector_product(model, cost, x, y, np.zeros(13)))
    with pytest.raises(ValueError, match="13 parameters.*limit of 10"):
        hessian(model, cost, x, y, max_parameters=10)
    model.layers[2].feedback = np.ones((1, 3))
    with pytest.raises(ValueError, match=r"Linear\(3→1\) has a feedback matrix"):
        hessian_vector_product(model, cost, x, y, np.ones(13))


# ------------------------------------------------------------------ the damped Newton rule
def test_cg_and_dense_solvers_take_the_same_step():
    rng = np.random.default_rng(0)
    batch = (rng.standard_normal((20, 4)), rng.integers(0, 3, 20))
    steps = []
    for solver in ("dense", "cg"):
        model = mlp([4, 5, 3], "sigmoid", None, rng=3, dtype=np.float64)
        start = parameter_vector(model)
        rule = DampedNewton(LogLikelihoodCost(), damping=1.0, solver=solver, cg_tolerance=1e-10)
        rule.bind(model, rng)
        metrics = rule.step(model, batch)
        assert metrics["accepted"] and metrics["loss"] > cost_and_gradient(model, rule.cost, *batch)[0]
        steps.append(parameter_vector(model) - start)
    assert _relative(steps[1], steps[0]) <= 1e-6


def test_a_newton_step_with_tiny_damping_solves_a_quadratic_exactly():
    """For a linear network on the quadratic cost, C is quadratic in w: one undamped Newton step lands
    on the least-squares solution, which gradient descent only approaches."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((30, 3)), rng.standard_normal((30, 2))
    model = Sequential(Linear(3, 2, init="nielsen", rng=0, dtype=np.float64))
    rule = DampedNewton(QuadraticCost(), damping=1e-9, solver="dense", min_damping=1e-12)
    rule.bind(model, rng)
    rule.step(model, (x, y))
    design = np.hstack([x, np.ones((30, 1))])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(model.layers[0].weight.data, solution[:3].T, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(model.layers[0].bias.data, solution[3], rtol=1e-6, atol=1e-8)


def test_damping_adapts_and_bind_resets_it():
    rng = np.random.default_rng(0)
    batch = (rng.standard_normal((20, 4)), rng.integers(0, 3, 20))
    model = mlp([4, 5, 3], "sigmoid", None, rng=3, dtype=np.float64)
    rule = DampedNewton(LogLikelihoodCost(), damping=1.0)
    rule.bind(model, rng)
    dampings = [rule.step(model, batch)["damping"] for _ in range(8)]
    assert dampings[0] == pytest.approx(2 / 3) and min(dampings) < 0.1  # good steps: λ falls
    rule.bind(model, rng)
    assert rule.damping == 1.0
    # H is indefinite here: the dense solver first raises λ to 1.5·(−smallest eigenvalue) so that
    # H + λI is positive definite (the step then goes well, and λ falls by 2/3: −smallest eigenvalue)
    smallest = np.linalg.eigvalsh(hessian(model, rule.cost, *batch))[0]
    assert smallest < 0
    tiny = DampedNewton(LogLikelihoodCost(), damping=1e-8, solver="dense", max_tries=1)
    tiny.bind(model, rng)
    assert tiny.step(model, batch)["accepted"] and tiny.damping == pytest.approx(-smallest)


def test_a_step_that_raises_the_cost_is_refused_and_the_damping_grows():
    rng = np.random.default_rng(0)
    batch = (rng.standard_normal((20, 4)), rng.integers(0, 3, 20))
    model = mlp([4, 5, 3], "sigmoid", None, rng=3, dtype=np.float64)
    before = parameter_vector(model)
    rule = DampedNewton(LogLikelihoodCost(), damping=1e-3, solver="cg", max_tries=1)
    rule.bind(model, rng)
    metrics = rule.step(model, batch)  # CG with λ = 0.001 overshoots (measured: the cost goes up)
    assert not metrics["accepted"] and metrics["tries"] == 1
    assert np.array_equal(parameter_vector(model), before) and rule.damping == pytest.approx(1.5e-3)
    rule.max_tries = 30
    metrics = rule.step(model, batch)  # with more tries λ grows until a step goes downhill
    assert metrics["accepted"] and metrics["tries"] > 1 and rule.damping > 1.5e-3
    assert cost_and_gradient(model, rule.cost, *batch)[0] < metrics["loss"]


def test_a_non_finite_cost_stops_the_rule_with_the_weights_unchanged():
    model = mlp([2, 3, 1], "sigmoid", "sigmoid", rng=0, dtype=np.float64)
    before = parameter_vector(model)
    rule = DampedNewton(QuadraticCost())
    rule.bind(model, np.random.default_rng(0))
    with pytest.raises(NonFiniteError):
        rule.step(model, (np.array([[np.nan, 1.0]]), np.array([[1.0]])))
    assert np.array_equal(parameter_vector(model), before)


def test_rule_arguments_are_checked():
    with pytest.raises(TypeError, match="takes no optimizer"):
        DampedNewton(QuadraticCost(), SGD(mlp([2, 1], rng=0).parameters(), learning_rate=1.0))
    with pytest.raises(ValueError, match="unknown solver"):
        DampedNewton(QuadraticCost(), solver="lu")
    with pytest.raises(ValueError, match="increase > 1"):
        DampedNewton(QuadraticCost(), increase=0.5)
    assert RULES["damped-newton"] is DampedNewton


# ------------------------------------------------------------------ the races of examples/newton.py
def _table(stdout: str, title: str) -> dict[str, list[float]]:
    """Rows of the table under ``title``: rule name -> its numbers ('-' as NaN)."""
    section = stdout.split(title, 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) > 3 and cells[1] not in ("", "rule") and re.fullmatch(r"[0-9.-]+", cells[1]):
            rows[cells[0]] = [float("nan") if c == "-" else float(c) for c in cells[1:]]
    return rows


def test_damped_newton_reaches_the_xor_target_in_far_fewer_steps_than_sgd():
    # measured (BLAS at one thread, float64): Newton 15 and 19 steps to C < 0.01 and 0.001;
    # SGD η = 1: 645 and 2257; SGD η = 16: 51 and 187; momentum: 88 and 119
    result = run_python([str(REPO / "examples" / "newton.py"), "--problem", "xor"], timeout=120)
    assert result.returncode == 0, result.stderr
    assert "6 negative" in result.stdout  # the starting Hessian is indefinite
    rows = _table(result.stdout, "XOR:")
    newton = rows["damped Newton (dense H, λ₀ = 1)"]
    seed_sgd = rows["SGD η = 1 (seed 000's rate)"]
    tuned = [rows["SGD η = 16 (best of the scan)"], rows["SGD η = 4, momentum 0.9 (best)"]]
    assert newton[0] <= 18 and newton[1] <= 24
    assert seed_sgd[0] >= 600 and seed_sgd[1] >= 2000
    assert all(newton[1] * 4 <= other[1] for other in tuned)
    assert newton[2] < seed_sgd[2]  # even in gradient evaluations, against the seed's rate


@pytest.mark.slow
def test_damped_newton_on_the_digits_against_gradient_descent():
    # measured: Newton 15 / 20 / 25 steps to C < 0.1 / 0.01 / 0.001 (909 gradients);
    # η = 8: 126 / 658 / 4145; η = 2 with momentum 0.9: 44 / 237 / 1650
    result = run_python([str(REPO / "examples" / "newton.py"), "--problem", "digits"], timeout=300)
    assert result.returncode == 0, result.stderr
    rows = _table(result.stdout, "8×8 digits:")
    newton = rows["damped Newton (CG on Hv, λ₀ = 1)"]
    plain = rows["gradient descent η = 8 (best)"]
    momentum = rows["gradient descent η = 2, momentum 0.9"]
    assert newton[:3] == pytest.approx([15, 20, 25], abs=5)
    assert plain[2] >= 3500 and momentum[2] >= 1400
    assert newton[3] < momentum[3] < plain[3]  # gradients to C < 0.001
    assert newton[5] >= 0.95  # test accuracy


@pytest.mark.slow
def test_fit_trains_the_digits_with_damped_newton():
    data = load_dataset("digits")
    x = data.train.x.astype(np.float64)  # the float64 model's own dtype: layers refuse float32 inputs
    model = mlp([64, 16, 10], "sigmoid", None, rng=0, dtype=np.float64)
    rule = DampedNewton(LogLikelihoodCost())
    history = fit(model, rule, (x, data.train.y), epochs=12, batch_size=len(x), rng=0,
                  validation=(data.validation.x, data.validation.y), verbose=False)
    assert history.train_cost[-1] < 0.5 * history.train_cost[0]
    assert history.validation_accuracy[-1] >= 0.9
    # the same run with gradient descent at its best rate is far behind after the same 12 steps
    baseline = mlp([64, 16, 10], "sigmoid", None, rng=0, dtype=np.float64)
    fit(baseline, Backprop(LogLikelihoodCost(), SGD(baseline.parameters(), learning_rate=8.0)),
        (x, data.train.y), epochs=12, batch_size=len(x), rng=0, verbose=False)
    assert evaluate(baseline, data.validation.x, data.validation.y).accuracy < history.validation_accuracy[-1]


@pytest.mark.slow
def test_the_command_line_trains_the_digits_with_damped_newton(tmp_path):
    result = run_python(["-m", "synaptica", "train", "--data", "digits", "--rule", "damped-newton", "--hidden", "16",
                         "--activation", "sigmoid", "--init", "nielsen", "--batch-size", "1197", "--epochs", "12",
                         "--quiet"], cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    # measured: 0.9800 (294 / 300) after 12 full-batch Newton steps
    assert float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout).group(1)) >= 0.93
