"""Optimizers against their torch.optim twins, step by step, plus learning, validation, gradient
safety and schedules.

Each trajectory test trains the same [6, 8, 3] sigmoid network (log-likelihood cost on logits) from
identical float32 weights in synaptica and in PyTorch, each side computing its own gradients, and
checks every weight after every one of 100 steps.
"""

import math

import numpy as np
import pytest
import torch

from synaptica.losses import LogLikelihoodCost
from synaptica.nn import mlp
from synaptica.nn.module import Parameter
from synaptica.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSProp
from synaptica.optim.schedules import constant, cosine, exponential, step_decay
from synaptica.rules.base import gradient_step
from tests.optim.twins import SIZES, make_batches, torch_twin

STEPS = 100
N_EXAMPLES = 1000  # n in Nielsen's λ/n
L2 = 5.0


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def batches():
    return make_batches(42, STEPS)




def _groups(net, weight_decay: float) -> list[dict]:
    """Weights with ``weight_decay``, biases without: synaptica decays regularized params only."""
    weights = [p for name, p in net.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in net.named_parameters() if name.endswith("bias")]
    return [{"params": weights, "weight_decay": weight_decay}, {"params": biases, "weight_decay": 0.0}]


ADAM_SCHEDULE = cosine(1e-2, total_steps=STEPS, min_learning_rate=1e-3)
SGD_SCHEDULE = step_decay(0.2, drop=0.5, every=30)

# id: (synaptica optimizer from params, torch optimizer from net, the lr schedule or None)
CASES = {
    "sgd": (lambda p: SGD(p, 0.5),
            lambda net: torch.optim.SGD(net.parameters(), lr=0.5), None),
    "sgd-momentum": (lambda p: SGD(p, 0.1, momentum=0.9),
                     lambda net: torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9), None),
    "sgd-nesterov": (lambda p: SGD(p, 0.1, momentum=0.9, nesterov=True),
                     lambda net: torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True), None),
    "sgd-l2": (lambda p: SGD(p, 0.5, lmbda=L2, n_examples=N_EXAMPLES),
               lambda net: torch.optim.SGD(_groups(net, L2 / N_EXAMPLES), lr=0.5), None),
    "sgd-l2-momentum": (lambda p: SGD(p, 0.1, lmbda=L2, n_examples=N_EXAMPLES, momentum=0.9),
                        lambda net: torch.optim.SGD(_groups(net, L2 / N_EXAMPLES), lr=0.1, momentum=0.9), None),
    "sgd-l2-nesterov": (lambda p: SGD(p, 0.1, lmbda=L2, n_examples=N_EXAMPLES, momentum=0.5, nesterov=True),
                        lambda net: torch.optim.SGD(_groups(net, L2 / N_EXAMPLES), lr=0.1, momentum=0.5,
                                                    nesterov=True), None),
    "sgd-momentum-step-decay": (lambda p: SGD(p, SGD_SCHEDULE, momentum=0.9),
                                lambda net: torch.optim.SGD(net.parameters(), lr=0.2, momentum=0.9), SGD_SCHEDULE),
    "adagrad": (lambda p: Adagrad(p, 0.1),
                lambda net: torch.optim.Adagrad(net.parameters(), lr=0.1), None),
    "rmsprop": (lambda p: RMSProp(p, 0.01),
                lambda net: torch.optim.RMSprop(net.parameters(), lr=0.01), None),
    "adam": (lambda p: Adam(p, 0.01),
             lambda net: torch.optim.Adam(net.parameters(), lr=0.01), None),
    "adam-betas": (lambda p: Adam(p, 0.01, betas=(0.5, 0.9), eps=1e-6),
                   lambda net: torch.optim.Adam(net.parameters(), lr=0.01, betas=(0.5, 0.9), eps=1e-6), None),
    "adamw": (lambda p: AdamW(p, 0.01, weight_decay=0.5),
              lambda net: torch.optim.AdamW(_groups(net, 0.5), lr=0.01), None),
    "adam-cosine": (lambda p: Adam(p, ADAM_SCHEDULE),
                    lambda net: torch.optim.Adam(net.parameters(), lr=1e-2), ADAM_SCHEDULE),
    "adamw-cosine": (lambda p: AdamW(p, ADAM_SCHEDULE, weight_decay=0.5),
                     lambda net: torch.optim.AdamW(_groups(net, 0.5), lr=1e-2), ADAM_SCHEDULE),
}


@pytest.mark.parametrize("case", list(CASES))
def test_trajectory_matches_torch(case, batches):
    make_ours, make_theirs, schedule = CASES[case]
    model = mlp(SIZES, rng=3)
    net = torch_twin(model)
    ours, theirs = make_ours(model.parameters()), make_theirs(net)
    cost = LogLikelihoodCost()
    for step, (x, y) in enumerate(batches):
        gradient_step(model, (x, y), cost, ours)
        if schedule is not None:
            assert ours.current_learning_rate == schedule(step)
            for group in theirs.param_groups:
                group["lr"] = schedule(step)
        theirs.zero_grad()
        torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        theirs.step()
        for mine, twin in zip(model.parameters(), net.parameters()):
            np.testing.assert_allclose(mine.data, twin.detach().numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{case}: step {step}")
    start = mlp(SIZES, rng=3).parameters()
    moved = all(np.abs(p.data - q.data).max() > 1e-2 for p, q in zip(model.parameters(), start))
    assert moved, f"{case}: the weights barely moved; the comparison would prove little"
    assert ours.steps == STEPS


def test_sgd_with_momentum_zero_keeps_nielsens_exact_update():
    """w ← (1 − ηλ/n) w − η∇ for weights and b ← b − η∇ for biases, bit for bit."""
    rng = np.random.default_rng(0)
    weight = Parameter(rng.standard_normal((4, 3)).astype(np.float32))
    bias = Parameter(rng.standard_normal(4).astype(np.float32), regularized=False)
    expected = [weight.data.copy(), bias.data.copy()]
    optimizer = SGD([weight, bias], 0.3, lmbda=2.0, n_examples=50)
    assert optimizer.learning_rate == 0.3 and isinstance(optimizer.learning_rate, float)
    for _ in range(3):
        grads = [rng.standard_normal(p.shape).astype(np.float32) for p in (weight, bias)]
        weight.grad, bias.grad = grads
        optimizer.step()
        expected[0] *= 1.0 - 0.3 * 2.0 / 50
        expected[0] -= 0.3 * grads[0]
        expected[1] -= 0.3 * grads[1]
        assert np.array_equal(weight.data, expected[0]) and np.array_equal(bias.data, expected[1])


# ---------------------------------------------------------------------------------------- learning
@pytest.mark.parametrize("make", [
    lambda p: SGD(p, 1.0),
    lambda p: SGD(p, 0.3, momentum=0.9),
    lambda p: SGD(p, 0.3, momentum=0.9, nesterov=True, lmbda=1.0, n_examples=100),
    lambda p: Adagrad(p, 0.1),
    lambda p: RMSProp(p, 0.01),
    lambda p: Adam(p, 0.01),
    lambda p: AdamW(p, 0.01),
    lambda p: Adam(p, exponential(0.02, 0.99)),
], ids=["sgd", "momentum", "nesterov-l2", "adagrad", "rmsprop", "adam", "adamw", "adam-exponential"])
def test_each_optimizer_lowers_the_loss(make):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)  # linearly separable
    model = mlp([4, 6, 2], rng=0)
    optimizer = make(model.parameters())
    cost = LogLikelihoodCost()
    losses = [gradient_step(model, (x, y), cost, optimizer)["loss"] for _ in range(60)]
    assert losses[-1] < 0.5 * losses[0], losses[::10]


# -------------------------------------------------------------------------------------- validation
def _params():
    return [Parameter(np.zeros(3, dtype=np.float32))]


@pytest.mark.parametrize("make, error, message", [
    (lambda: Adam(_params(), -0.001), ValueError, "Adam: learning_rate must be > 0, got -0.001"),
    (lambda: SGD(_params(), 0), ValueError, "SGD: learning_rate must be > 0, got 0"),
    (lambda: RMSProp(_params(), float("nan")), ValueError, "RMSProp: learning_rate must be > 0, got nan"),
    (lambda: Adagrad(_params(), "fast"), TypeError, "Adagrad: learning_rate must be a number > 0 or a callable"),
    (lambda: Adam([], 0.1), ValueError, "Adam: got no parameters to optimise"),
    (lambda: SGD(_params(), 0.1, momentum=-0.5), ValueError, "SGD: momentum must be >= 0, got -0.5"),
    (lambda: SGD(_params(), 0.1, nesterov=True), ValueError, "SGD: nesterov requires momentum > 0"),
    (lambda: SGD(_params(), 0.1, lmbda=1.0), ValueError, "SGD: lmbda > 0 needs n_examples"),
    (lambda: SGD(_params(), 0.1, lmbda=-1.0), ValueError, "SGD: lmbda must be >= 0, got -1.0"),
    (lambda: Adagrad(_params(), eps=0), ValueError, "Adagrad: eps must be > 0, got 0"),
    (lambda: RMSProp(_params(), alpha=1.0), ValueError, r"RMSProp: alpha must be in \[0, 1\), got 1.0"),
    (lambda: RMSProp(_params(), eps=-1e-8), ValueError, "RMSProp: eps must be > 0, got -1e-08"),
    (lambda: Adam(_params(), betas=(0.9, 1.0)), ValueError, r"Adam: beta2 must be in \[0, 1\), got 1.0"),
    (lambda: Adam(_params(), betas=(-0.1, 0.999)), ValueError, r"Adam: beta1 must be in \[0, 1\), got -0.1"),
    (lambda: Adam(_params(), betas=0.9), ValueError, r"Adam: betas must be a pair \(beta1, beta2\), got 0.9"),
    (lambda: Adam(_params(), eps=0.0), ValueError, "Adam: eps must be > 0, got 0.0"),
    (lambda: AdamW(_params(), betas=(1.5, 0.999)), ValueError, r"AdamW: beta1 must be in \[0, 1\), got 1.5"),
    (lambda: AdamW(_params(), weight_decay=-0.1), ValueError, "AdamW: weight_decay must be >= 0, got -0.1"),
    (lambda: step_decay(0.1, 0.5, 0), ValueError, "step_decay: every must be an integer >= 1, got 0"),
    (lambda: step_decay(0.1, 0.0, 10), ValueError, "step_decay: drop must be > 0, got 0.0"),
    (lambda: exponential(-1.0, 0.9), ValueError, "exponential: learning_rate must be > 0, got -1.0"),
    (lambda: cosine(0.1, 0), ValueError, "cosine: total_steps must be an integer >= 1, got 0"),
    (lambda: cosine(0.1, 10, min_learning_rate=0.2), ValueError,
     r"cosine: min_learning_rate must be in \[0, learning_rate=0.1\], got 0.2"),
    (lambda: constant(0), ValueError, "constant: learning_rate must be > 0, got 0"),
])
def test_bad_arguments_raise_with_a_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_learning_rate_reassigned_between_steps_is_validated_and_used():
    p = Parameter(np.ones(2, dtype=np.float32))
    optimizer = SGD([p], 0.5)
    with pytest.raises(ValueError, match="SGD: learning_rate must be > 0, got -2"):
        optimizer.learning_rate = -2
    optimizer.learning_rate = 0.25  # e.g. halving η by hand
    p.grad = np.ones(2, dtype=np.float32)
    optimizer.step()
    assert optimizer.current_learning_rate == 0.25 and np.array_equal(p.data, [0.75, 0.75])


def test_a_schedule_is_called_once_per_step_from_zero():
    calls = []

    def schedule(step):
        calls.append(step)
        return 0.1 * (step + 1)

    p = Parameter(np.zeros(1, dtype=np.float32))
    optimizer = SGD([p], schedule)
    assert optimizer.learning_rate is schedule and optimizer.current_learning_rate == pytest.approx(0.1)
    for _ in range(3):
        p.grad = np.ones(1, dtype=np.float32)
        optimizer.step()
    p.grad = None
    optimizer.step()  # no gradient: nothing moves, but the step still counts
    assert optimizer.steps == 4 and calls == [0, 0, 1, 2, 3]
    np.testing.assert_allclose(p.data, [-(0.1 + 0.2 + 0.3)], rtol=1e-6)


def test_a_schedule_giving_a_negative_rate_raises():
    p = Parameter(np.zeros(1, dtype=np.float32))
    p.grad = np.ones(1, dtype=np.float32)
    optimizer = Adam([p], lambda step: 0.1 - step)
    optimizer.step()
    with pytest.raises(ValueError, match="Adam: the learning-rate schedule gave -0.9 at step 1"):
        optimizer.step()


# ------------------------------------------------------------------------------- gradient safety
@pytest.mark.parametrize("make", [
    lambda p: SGD(p, 0.1),
    lambda p: SGD(p, 0.1, lmbda=1.0, n_examples=10),
    lambda p: SGD(p, 0.1, momentum=0.9),
    lambda p: SGD(p, 0.1, momentum=0.9, nesterov=True, lmbda=1.0, n_examples=10),
    lambda p: Adagrad(p),
    lambda p: RMSProp(p),
    lambda p: Adam(p),
    lambda p: AdamW(p, weight_decay=0.1),
], ids=["sgd", "sgd-l2", "momentum", "nesterov-l2", "adagrad", "rmsprop", "adam", "adamw"])
def test_optimizers_never_write_into_a_shared_gradient(make):
    rng = np.random.default_rng(5)
    start = rng.standard_normal((3, 4)).astype(np.float32)
    first, second = Parameter(start.copy()), Parameter(start.copy())
    optimizer = make([first, second])
    for _ in range(3):
        grad = rng.standard_normal((3, 4)).astype(np.float32)
        untouched = grad.copy()
        first.grad = second.grad = grad  # one array for both parameters
        optimizer.step()
        assert np.array_equal(grad, untouched)
    assert np.array_equal(first.data, second.data) and not np.array_equal(first.data, start)


def test_optimizer_base_is_abstract():
    p = Parameter(np.zeros(1, dtype=np.float32))
    p.grad = np.ones(1, dtype=np.float32)
    with pytest.raises(NotImplementedError):
        Optimizer([p], 0.1).step()


# ------------------------------------------------------------------------------------- schedules
def test_schedule_values():
    assert [constant(0.3)(t) for t in (0, 1, 1000)] == [0.3, 0.3, 0.3]

    decay = step_decay(0.1, drop=0.5, every=10)
    assert [decay(t) for t in (0, 9, 10, 19, 20, 35)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.0125])

    exp = exponential(0.2, gamma=0.9)
    assert [exp(t) for t in (0, 1, 2, 10)] == pytest.approx([0.2, 0.18, 0.162, 0.2 * 0.9 ** 10])

    cos = cosine(1.0, total_steps=100, min_learning_rate=0.1)
    assert cos(0) == pytest.approx(1.0)
    assert cos(50) == pytest.approx(0.55)
    assert cos(25) == pytest.approx(0.1 + 0.45 * (1 + math.cos(math.pi / 4)))
    assert cos(100) == pytest.approx(0.1) and cos(500) == pytest.approx(0.1)
    assert cosine(0.4, 10)(10) == 0.0
    values = [cos(t) for t in range(101)]
    assert all(a >= b for a, b in zip(values, values[1:]))  # never rises
