"""Regularizers composed with optimizers, against PyTorch.

Trajectory tests train the same [6, 8, 3] sigmoid network (log-likelihood cost on logits) from
identical float32 weights in synaptica and in PyTorch for 60 steps. On the PyTorch side the penalty
is written into the loss (L1: (λ/n) Σ|w|, L2: (λ/2n) Σ w², weights only), the clipping is
``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` and the max-norm constraint is
``torch.renorm``, so each side computes its own gradients and every weight is compared after every
step. Each case also checks that the regularizer changed the trajectory, so a regularizer that did
nothing could not pass.
"""

import numpy as np
import pytest
import torch

from synaptica.losses import LogLikelihoodCost
from synaptica.nn import Conv2d, mlp
from synaptica.nn.module import Parameter
from synaptica.optim import (L1, L2, SGD, Adagrad, Adam, AdamW, ClipGradNorm, ClipGradValue, DecoupledWeightDecay,
                             MaxNorm, RMSProp)
from synaptica.optim.base import STAGES
from synaptica.rules.base import gradient_step
from tests.optim.twins import SIZES, make_batches, torch_twin

STEPS = 60
N_EXAMPLES = 100  # n in λ/n


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def batches():
    return make_batches(7, STEPS)




def _weights(net):
    return [p for name, p in net.named_parameters() if name.endswith("weight")]


def _l1(net, lmbda):
    return lmbda / N_EXAMPLES * sum(w.abs().sum() for w in _weights(net))


def _l2(net, lmbda):
    return lmbda / (2 * N_EXAMPLES) * sum((w * w).sum() for w in _weights(net))


def _renorm(net, max_norm):
    with torch.no_grad():
        for w in _weights(net):
            w.copy_(torch.renorm(w, p=2, dim=0, maxnorm=max_norm))


# id: (synaptica optimizer, torch optimizer, torch penalty added to the loss, torch step before / after)
CASES = {
    "sgd-l1": (lambda p: SGD(p, 0.5, regularizers=[L1(5.0, N_EXAMPLES)]),
               lambda net: torch.optim.SGD(net.parameters(), lr=0.5), lambda net: _l1(net, 5.0), None, None),
    "adam-l1": (lambda p: Adam(p, 0.01, regularizers=[L1(5.0, N_EXAMPLES)]),
                lambda net: torch.optim.Adam(net.parameters(), lr=0.01), lambda net: _l1(net, 5.0), None, None),
    "momentum-l1": (lambda p: SGD(p, 0.1, momentum=0.9, regularizers=L1(5.0, N_EXAMPLES)),
                    lambda net: torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9),
                    lambda net: _l1(net, 5.0), None, None),
    "sgd-l2": (lambda p: SGD(p, 0.5, regularizers=[L2(20.0, N_EXAMPLES)]),
               lambda net: torch.optim.SGD(net.parameters(), lr=0.5), lambda net: _l2(net, 20.0), None, None),
    "adam-l2": (lambda p: Adam(p, 0.01, regularizers=[L2(20.0, N_EXAMPLES)]),
                lambda net: torch.optim.Adam(net.parameters(), lr=0.01), lambda net: _l2(net, 20.0), None, None),
    "rmsprop-l2": (lambda p: RMSProp(p, 0.01, regularizers=[L2(20.0, N_EXAMPLES)]),
                   lambda net: torch.optim.RMSprop(net.parameters(), lr=0.01), lambda net: _l2(net, 20.0), None, None),
    "adam-decoupled-decay": (
        lambda p: Adam(p, 0.01, regularizers=[DecoupledWeightDecay(0.5)]),
        lambda net: torch.optim.AdamW([{"params": _weights(net), "weight_decay": 0.5},
                                       {"params": [q for n, q in net.named_parameters() if n.endswith("bias")],
                                        "weight_decay": 0.0}], lr=0.01),
        None, None, None),
    "sgd-clip-norm": (lambda p: SGD(p, 0.5, regularizers=[ClipGradNorm(0.3)]),
                      lambda net: torch.optim.SGD(net.parameters(), lr=0.5), None,
                      lambda net: torch.nn.utils.clip_grad_norm_(net.parameters(), 0.3), None),
    "adagrad-clip-value": (lambda p: Adagrad(p, 0.1, regularizers=[ClipGradValue(0.05)]),
                           lambda net: torch.optim.Adagrad(net.parameters(), lr=0.1), None,
                           lambda net: torch.nn.utils.clip_grad_value_(net.parameters(), 0.05), None),
    "sgd-max-norm": (lambda p: SGD(p, 1.0, regularizers=[MaxNorm(0.9)]),
                     lambda net: torch.optim.SGD(net.parameters(), lr=1.0), None, None,
                     lambda net: _renorm(net, 0.9)),
    "adam-all-four": (
        # given out of order on purpose: the optimizer applies clip → penalty → update → constraint
        lambda p: Adam(p, 0.01, regularizers=[MaxNorm(0.9), L2(20.0, N_EXAMPLES), ClipGradNorm(0.3)]),
        lambda net: torch.optim.Adam(net.parameters(), lr=0.01), None, None, None),
}


def _run_torch(case, net, batches):
    """The torch side of a case, one list of weight arrays per step. The combined case clips the
    loss gradient before adding the penalty's gradient, as the documented order says."""
    _, make_theirs, penalty, before, after = CASES[case]
    theirs = make_theirs(net)
    trajectory = []
    for x, y in batches:
        theirs.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y))
        if penalty is not None:
            loss = loss + penalty(net)
        loss.backward()
        if case == "adam-all-four":
            torch.nn.utils.clip_grad_norm_(net.parameters(), 0.3)
            with torch.no_grad():
                for w in _weights(net):
                    w.grad += 20.0 / N_EXAMPLES * w
        if before is not None:
            before(net)
        theirs.step()
        if case == "adam-all-four" or after is not None:
            _renorm(net, 0.9)
        trajectory.append([p.detach().numpy().copy() for p in net.parameters()])
    return trajectory


@pytest.mark.parametrize("case", list(CASES))
def test_trajectory_matches_torch(case, batches):
    model, plain = mlp(SIZES, rng=3), mlp(SIZES, rng=3)
    net = torch_twin(model)
    ours = CASES[case][0](model.parameters())
    without = CASES[case][0](plain.parameters())
    without.regularizers = ()  # the same optimizer without its regularizer
    expected = _run_torch(case, net, batches)
    cost = LogLikelihoodCost()
    for step, (x, y) in enumerate(batches):
        gradient_step(model, (x, y), cost, ours)
        gradient_step(plain, (x, y), cost, without)
        for mine, twin in zip(model.parameters(), expected[step]):
            np.testing.assert_allclose(mine.data, twin, rtol=1e-5, atol=1e-6, err_msg=f"{case}: step {step}")
    difference = max(np.abs(p.data - q.data).max() for p, q in zip(model.parameters(), plain.parameters()))
    assert difference > 1e-2, f"{case}: the regularizer barely changed the weights ({difference:.2e})"


def test_decoupled_weight_decay_with_adam_is_adamw_exactly(batches):
    """Adam + DecoupledWeightDecay(λ) and AdamW(weight_decay=λ) do the same arithmetic in the same order."""
    a, b = mlp(SIZES, rng=5), mlp(SIZES, rng=5)
    composed = Adam(a.parameters(), 0.01, regularizers=[DecoupledWeightDecay(0.3)])
    built_in = AdamW(b.parameters(), 0.01, weight_decay=0.3)
    cost = LogLikelihoodCost()
    for batch in batches[:20]:
        gradient_step(a, batch, cost, composed)
        gradient_step(b, batch, cost, built_in)
    for p, q in zip(a.parameters(), b.parameters()):
        assert np.array_equal(p.data, q.data)


# ------------------------------------------------------------------------------- single steps
def _pair(rng):
    weight = Parameter(rng.standard_normal((4, 3)).astype(np.float32))
    bias = Parameter(rng.standard_normal(4).astype(np.float32), regularized=False)
    return weight, bias


def test_l1_with_sgd_is_nielsens_update_and_leaves_biases_alone():
    """w ← w − (ηλ/n) sgn(w) − η∇ for weights, b ← b − η∇ for biases."""
    rng = np.random.default_rng(0)
    weight, bias = _pair(rng)
    weight.data[0, 0] = 0.0  # sgn(0) = 0: no pull on a weight already at zero
    optimizer = SGD([weight, bias], 0.3, regularizers=[L1(2.0, 50)])
    for _ in range(3):
        w0, b0 = weight.data.copy(), bias.data.copy()
        grads = [rng.standard_normal(p.shape).astype(np.float32) for p in (weight, bias)]
        grads[0][0, 0] = 0.0
        weight.grad, bias.grad = grads
        optimizer.step()
        np.testing.assert_allclose(weight.data, w0 - 0.3 * 2.0 / 50 * np.sign(w0) - 0.3 * grads[0], rtol=1e-6)
        np.testing.assert_allclose(bias.data, b0 - 0.3 * grads[1], rtol=1e-6)
    assert weight.data[0, 0] == 0.0


def test_l2_penalty_with_sgd_equals_sgds_own_l2_and_decoupled_decay():
    rng = np.random.default_rng(1)
    start = [p.data.copy() for p in _pair(rng)]
    grads = [[rng.standard_normal(a.shape).astype(np.float32) for a in start] for _ in range(5)]
    results = []
    for make in (lambda ps: SGD(ps, 0.2, lmbda=3.0, n_examples=30),
                 lambda ps: SGD(ps, 0.2, regularizers=[L2(3.0, 30)]),
                 lambda ps: SGD(ps, 0.2, regularizers=[DecoupledWeightDecay(3.0 / 30)])):
        params = [Parameter(start[0].copy()), Parameter(start[1].copy(), regularized=False)]
        optimizer = make(params)
        for step in grads:
            for p, g in zip(params, step):
                p.grad = g
            optimizer.step()
        results.append([p.data for p in params])
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not np.allclose(results[0][0], start[0])


def test_regularizers_are_applied_in_stage_order_whatever_the_list_order():
    clip, l2, decay, max_norm = ClipGradValue(0.1), L2(1.0, 10), DecoupledWeightDecay(0.1), MaxNorm(1.0)
    optimizer = SGD([Parameter(np.ones((2, 2), np.float32))], 0.1, regularizers=[max_norm, l2, clip, decay])
    assert optimizer.regularizers == (clip, l2, decay, max_norm)
    assert [r.stage for r in optimizer.regularizers] == ["clip", "penalty", "penalty", "constraint"]
    assert STAGES == ("clip", "penalty", "constraint")


def test_clipping_comes_before_the_penalty_and_the_constraint_after_the_update():
    """With ClipGradValue(v) and L2, the step is η(clip(∇) + (λ/n) w): the penalty is not clipped.
    MaxNorm then caps the updated row."""
    weight = Parameter(np.array([[3.0, 4.0], [0.1, 0.0]], np.float32))
    optimizer = SGD([weight], 0.5, regularizers=[MaxNorm(2.0), L2(10.0, 10), ClipGradValue(0.2)])
    weight.grad = np.array([[1.0, -1.0], [0.05, 0.0]], np.float32)
    optimizer.step()
    updated = np.array([[3.0, 4.0], [0.1, 0.0]]) - 0.5 * (np.array([[0.2, -0.2], [0.05, 0.0]])
                                                          + 1.0 * np.array([[3.0, 4.0], [0.1, 0.0]]))
    updated[0] *= 2.0 / np.linalg.norm(updated[0])  # only the first row is longer than 2
    np.testing.assert_allclose(weight.data, updated, rtol=1e-6)


def test_regularizers_never_write_into_a_shared_gradient():
    rng = np.random.default_rng(5)
    start = rng.standard_normal((3, 4)).astype(np.float32)
    first, second = Parameter(start.copy()), Parameter(start.copy())
    everything = [ClipGradNorm(0.5), ClipGradValue(0.1), L1(1.0, 10), L2(1.0, 10), DecoupledWeightDecay(0.1),
                  MaxNorm(0.5)]
    optimizer = Adam([first, second], 0.01, regularizers=everything)
    for _ in range(3):
        grad = rng.standard_normal((3, 4)).astype(np.float32)
        untouched = grad.copy()
        first.grad = second.grad = grad
        optimizer.step()
        assert np.array_equal(grad, untouched)
    assert np.array_equal(first.data, second.data) and not np.array_equal(first.data, start)


def test_parameters_without_a_gradient_are_not_penalised():
    rng = np.random.default_rng(2)
    used, unused = Parameter(rng.standard_normal((2, 3))), Parameter(rng.standard_normal((2, 3)))
    used_before, unused_before = used.data.copy(), unused.data.copy()
    optimizer = SGD([used, unused], 0.1, regularizers=[L1(1.0, 1), L2(1.0, 1), DecoupledWeightDecay(1.0)])
    used.grad = np.zeros((2, 3))
    optimizer.step()
    assert unused.grad is None and np.array_equal(unused.data, unused_before)
    assert np.all(np.abs(used.data) < np.abs(used_before))  # the penalties shrank the weight that had a gradient


# ------------------------------------------------------------------------------- clipping and max-norm
def test_clip_grad_norm_matches_torch_and_reports_the_norm():
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(shape) for shape in ((5, 4), (5,), (3, 2, 2))]
    for max_norm in (0.5, 1e3):  # clipping and not clipping
        params = [Parameter(np.zeros_like(a)) for a in arrays]
        for p, a in zip(params, arrays):
            p.grad = a
        clip = ClipGradNorm(max_norm)
        clip.apply(params, learning_rate=0.1)
        twins = [torch.zeros(a.shape, dtype=torch.float64, requires_grad=True) for a in arrays]
        for t, a in zip(twins, arrays):
            t.grad = torch.from_numpy(a.copy())
        norm = torch.nn.utils.clip_grad_norm_(twins, max_norm)
        assert clip.last_norm == pytest.approx(float(norm), rel=1e-12)
        for p, t in zip(params, twins):
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
            assert p.grad.dtype == np.float64
    assert all(np.array_equal(p.grad, a) for p, a in zip(params, arrays))  # below the limit: unchanged


def test_clip_grad_value_matches_torch():
    rng = np.random.default_rng(4)
    array = rng.standard_normal((6, 7)).astype(np.float32)
    p = Parameter(np.zeros_like(array))
    p.grad = array
    ClipGradValue(0.4).apply([p], learning_rate=0.1)
    twin = torch.zeros(array.shape, requires_grad=True)
    twin.grad = torch.from_numpy(array.copy())
    torch.nn.utils.clip_grad_value_([twin], 0.4)
    assert np.array_equal(p.grad, twin.grad.numpy()) and p.grad.dtype == np.float32
    assert np.abs(array).max() > 0.4  # there was something to clip


@pytest.mark.parametrize("shape", [(6, 5), (4, 3, 3, 3)], ids=["linear", "conv"])
def test_max_norm_matches_torch_renorm_per_unit(shape):
    rng = np.random.default_rng(6)
    weight = Parameter(rng.standard_normal(shape))
    weight.data[0] *= 0.01  # one unit well inside the ball
    bias = Parameter(10 * rng.standard_normal(shape[0]), regularized=False)
    expected = torch.renorm(torch.from_numpy(weight.data.copy()), p=2, dim=0, maxnorm=1.5).numpy()
    inside, bias_before = weight.data[0].copy(), bias.data.copy()
    MaxNorm(1.5).apply([weight, bias], learning_rate=0.1)
    np.testing.assert_allclose(weight.data, expected, rtol=1e-6)
    norms = np.linalg.norm(weight.data.reshape(shape[0], -1), axis=1)
    assert np.all(norms <= 1.5 + 1e-12) and np.sum(np.isclose(norms, 1.5)) >= shape[0] - 1
    assert np.array_equal(weight.data[0], inside) and np.array_equal(bias.data, bias_before)


def test_max_norm_caps_the_kernels_of_a_conv_layer_during_training():
    conv = Conv2d(2, 4, 3, rng=0)
    conv.weight.data *= 5.0
    optimizer = SGD(conv.parameters(), 0.1, regularizers=[MaxNorm(1.0)])
    for p in conv.parameters():
        p.grad = np.zeros_like(p.data)
    optimizer.step()
    norms = np.linalg.norm(conv.weight.data.reshape(4, -1), axis=1)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-6)


# ------------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("make, error, message", [
    (lambda: L1(-1.0, 10), ValueError, "L1: lmbda must be >= 0, got -1.0"),
    (lambda: L2(-0.5, 10), ValueError, "L2: lmbda must be >= 0, got -0.5"),
    (lambda: L2(float("nan"), 10), ValueError, "L2: lmbda must be >= 0, got nan"),
    (lambda: L1(1.0, 0), ValueError, r"L1: n_examples must be an integer >= 1 \(the training-set size n\), got 0"),
    (lambda: L2(1.0, 2.5), ValueError, "L2: n_examples must be an integer >= 1"),
    (lambda: DecoupledWeightDecay(-0.1), ValueError, "DecoupledWeightDecay: rate must be >= 0, got -0.1"),
    (lambda: MaxNorm(0), ValueError, "MaxNorm: max_norm must be > 0, got 0"),
    (lambda: ClipGradNorm(0.0), ValueError, "ClipGradNorm: max_norm must be > 0, got 0.0"),
    (lambda: ClipGradNorm("big"), TypeError, "ClipGradNorm: max_norm must be a number, got 'big'"),
    (lambda: ClipGradValue(-1), ValueError, "ClipGradValue: clip_value must be > 0, got -1"),
    (lambda: SGD([Parameter(np.zeros(2))], 0.1, regularizers=[0.5]), TypeError,
     r"SGD: 0.5 is not a regularizer: it needs a stage in \('clip', 'penalty', 'constraint'\)"),
])
def test_bad_arguments_raise_with_a_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_reprs_name_the_settings():
    assert repr(L2(5.0, 50000)) == "L2(lmbda=5, n_examples=50000)"
    assert repr(MaxNorm(3.0)) == "MaxNorm(3)"
    assert repr(DecoupledWeightDecay(0.01)) == "DecoupledWeightDecay(0.01)"
