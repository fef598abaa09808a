"""The tape: Tensor, backward and no_grad (the ops themselves are checked in tests/ops/)."""

from __future__ import annotations

import gc
import sys
import tracemalloc
import weakref

import numpy as np
import pytest
import torch

from synaptica import ops
from synaptica.nn import Parameter
from synaptica.tensor import Tensor, is_recording, no_grad


def leaf(values, dtype=np.float64) -> Tensor:
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ---------------------------------------------------------------------------------------- dtypes


def test_default_dtype_is_float32():
    assert Tensor([1, 2, 3]).dtype == np.float32
    assert Tensor(np.arange(4)).dtype == np.float32  # integers
    assert Tensor(np.array([True, False])).dtype == np.bool_  # masks stay masks (see getitem)
    assert Tensor(np.ones(2, np.float16)).dtype == np.float32
    assert Tensor(np.ones((2, 2), np.float32)).dtype == np.float32


def test_float64_is_preserved():
    assert Tensor(np.ones(3)).dtype == np.float64
    assert Tensor(np.arange(3), dtype=np.float64).dtype == np.float64
    assert Tensor(np.ones(3), dtype=np.float32).dtype == np.float32  # an explicit dtype wins


def test_python_floats_take_the_default_dtype():
    # as torch.tensor does; np.asarray alone would make a Python float list float64
    assert Tensor([0.5, 1.5]).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ops_keep_the_dtype(dtype):
    rng = np.random.default_rng(0)
    x = leaf(rng.uniform(0.5, 1.5, (4, 3)), dtype)
    w = leaf(rng.standard_normal((2, 3)), dtype)
    b = leaf(rng.standard_normal(2), dtype)
    # Python numbers, NumPy float64 scalars and float64 arrays take the tensor's dtype
    h = (2.0 * x + 1) / 3.0 - np.float64(0.25) * x ** 2 + np.ones(3) * x
    h = ops.sqrt(ops.log(ops.exp(h.sigmoid()) + 1.0)).tanh().relu()
    z = ops.linear(h, w, b) @ Tensor(np.eye(2, dtype=dtype))
    z = ops.log_softmax(z, axis=1) + ops.softmax(z, axis=0)
    parts = [
        z.sum(), z.mean(axis=0).max(), z[1:, 0].sum(), z.T.reshape(-1)[np.array([0, 0, 3])].sum(),
        ops.softmax_cross_entropy(z, np.array([0, 1, 1, 0])),
        ops.sigmoid_cross_entropy(z, np.ones((4, 2), dtype)),
        ops.quadratic_cost(z, np.zeros((4, 2), dtype)),
    ]
    loss = parts[0]
    for part in parts[1:]:
        loss = loss + part
    assert all(part.dtype == dtype for part in parts) and loss.dtype == dtype
    loss.backward()
    for t in (x, w, b):
        assert t.grad.dtype == dtype and t.grad.shape == t.shape


# ---------------------------------------------------------------------------------------- backward


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data)
    (x * x).sum().backward()  # a fresh graph; the gradient adds to the one already there
    np.testing.assert_allclose(x.grad, 4 * x.data)
    (3.0 * x).sum().backward()
    np.testing.assert_allclose(x.grad, 4 * x.data + 3)
    x.grad = None  # what an optimizer's zero_grad does
    (x * 1.0).sum().backward()
    np.testing.assert_allclose(x.grad, np.ones(3))


def test_backward_on_a_leaf_accumulates_the_given_gradient():
    x = leaf([1.0, 2.0])
    x.backward(np.array([1.0, 2.0]))
    x.backward(np.array([0.5, 0.5]))
    np.testing.assert_allclose(x.grad, [1.5, 2.5])


def test_backward_on_a_non_scalar_needs_a_gradient():
    x = leaf(np.ones((2, 3)))
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"needs a scalar.*\(2, 3\)"):
        y.backward()
    with pytest.raises(ValueError, match="shape"):
        y.backward(np.ones(3))
    y.backward(np.full((2, 3), 0.5))  # with a gradient of its shape it works
    np.testing.assert_allclose(x.grad, np.ones((2, 3)))


def test_backward_without_requires_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor(np.ones(3)) * 2.0).sum().backward()


def test_same_tensor_used_twice():
    x = leaf([1.0, -2.0, 0.5])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data)

    y = leaf([1.0, -2.0, 0.5])
    (y + y).sum().backward()
    np.testing.assert_allclose(y.grad, [2.0, 2.0, 2.0])

    z = leaf([1.0, -2.0, 0.5])
    (z * z * z).sum().backward()
    np.testing.assert_allclose(z.grad, 3 * z.data**2)


def test_diamond_graph_sums_both_paths():
    x = leaf([0.5, -1.5])
    a = x * 2.0
    b = a * a + a.exp()  # a reaches b along two paths
    b.sum().backward()
    np.testing.assert_allclose(x.grad, (2 * a.data + np.exp(a.data)) * 2)


def test_only_leaves_that_require_grad_receive_gradients():
    x = leaf([1.0, 2.0])
    c = Tensor(np.array([3.0, 4.0]))
    h = x * c
    (h * h).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data * c.data**2)
    assert c.grad is None  # a constant
    assert h.grad is None  # an intermediate: its gradient is passed on, not kept


def test_parameters_are_leaves_that_require_grad():
    p = Parameter(np.ones((2, 2)))
    assert p.requires_grad
    (p * 3.0).sum().backward()
    np.testing.assert_allclose(p.grad, np.full((2, 2), 3.0))


def test_a_deep_chain_backprops_without_recursion_error():
    depth = 5000
    assert depth > sys.getrecursionlimit()
    x = leaf([0.5, 2.0])
    y = x
    for i in range(depth):
        y = y * 1.0001 if i % 2 else y + 0.001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full(2, 1.0001 ** (depth // 2)), rtol=1e-12)


# ---------------------------------------------------------------------------------------- the graph is freed


def _loss_and_intermediates():
    x = leaf(np.linspace(-1, 1, 6).reshape(2, 3))
    h = x * 2.0
    y = ops.softmax(h.exp(), axis=1)
    loss = ops.softmax_cross_entropy(y, np.array([0, 2]))
    return x, loss, [weakref.ref(h), weakref.ref(y)]


def test_graph_is_freed_after_backward():
    x, loss, refs = _loss_and_intermediates()
    assert all(ref() is not None for ref in refs)  # the graph holds them until backward
    loss.backward()
    del loss
    gc.collect()
    assert all(ref() is None for ref in refs)
    assert x.grad is not None


def test_backward_cuts_the_links_while_the_output_lives():
    # a training loop often keeps the loss for logging: its graph must not be kept alive with it,
    # and no reference cycle may keep it either (checked with the cycle collector off)
    x, loss, refs = _loss_and_intermediates()
    enabled = gc.isenabled()
    gc.disable()
    try:
        loss.backward()
        assert loss.parents == ()
        assert all(ref() is None for ref in refs)
    finally:
        if enabled:
            gc.enable()
    assert np.isfinite(loss.item())


def _graph_step(x: Tensor, w: Tensor, retain_graph: bool) -> Tensor:
    h = ops.tanh(x @ w)
    loss = (h * h).mean()
    loss.backward(retain_graph=retain_graph)
    return loss


def _memory_growth(steps: int, retain_graph: bool) -> int:
    """Bytes still allocated after ``steps`` training steps whose losses are all kept (as a loop
    keeps them for logging), beyond what was allocated before them."""
    rng = np.random.default_rng(0)
    x, w = Tensor(rng.standard_normal((64, 128))), leaf(rng.standard_normal((128, 128)))
    tracemalloc.start()  # it sees only what is allocated after this: measure from the third step on
    try:
        losses = [_graph_step(x, w, retain_graph) for _ in range(3)]
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        losses += [_graph_step(x, w, retain_graph) for _ in range(steps)]
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_across_steps_unless_the_graph_is_retained():
    one_graph = 2 * 64 * 128 * 8  # the tanh output and the product h * h, float64
    assert _memory_growth(40, retain_graph=False) < one_graph  # the 40 kept losses are a few kB
    # the same loop keeping its graphs holds on to every one of them: what the default avoids
    assert _memory_growth(40, retain_graph=True) > 20 * one_graph


# ---------------------------------------------------------------------------------------- freed graphs


FREED = r"graph an earlier backward\(\) freed.*retain_graph=True"


def test_backward_through_a_subgraph_freed_by_an_earlier_backward_is_an_error():
    # the second backward once treated the freed h as a leaf and silently left w.grad at [3, 3]
    w = leaf([1.0, 2.0])
    h = w * 3
    h.sum().backward()
    with pytest.raises(RuntimeError, match=r"output of 'mul' \(shape \(2,\)\), whose " + FREED):
        (h * h).sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0])  # nothing was added behind the error


def test_a_second_backward_from_the_same_loss_is_an_error():
    w = leaf([1.0, 2.0])
    loss = (w * w).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"output of 'sum' \(shape \(\)\), whose " + FREED):
        loss.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_retain_graph_lets_two_backward_passes_share_a_subgraph():
    w = leaf([1.0, 2.0])
    h = w * 3
    h.sum().backward(retain_graph=True)
    (h * h).sum().backward()
    np.testing.assert_allclose(w.grad, [21.0, 39.0])  # [3, 3] + 2·h·3
    with pytest.raises(RuntimeError, match=FREED):  # the last pass did not retain: now it is freed
        h.sum().backward()


def test_retain_graph_on_a_diamond_matches_torch():
    # x feeds a, and a reaches both costs along two paths each (a diamond inside each cost)
    values = np.array([0.3, -1.2, 0.8])
    x = leaf(values)
    a = ops.tanh(x * 2.0)
    b, c = a.exp(), a * a
    (b + c).sum().backward(retain_graph=True)
    (b * c).mean().backward(retain_graph=True)
    (b - c).sum().backward()

    twin = torch.tensor(values, requires_grad=True)
    ta = torch.tanh(twin * 2.0)
    tb, tc = ta.exp(), ta * ta
    (tb + tc).sum().backward(retain_graph=True)
    (tb * tc).mean().backward(retain_graph=True)
    (tb - tc).sum().backward()
    np.testing.assert_allclose(x.grad, twin.grad.numpy(), rtol=1e-12)


def test_leaves_are_never_freed():
    w = leaf([1.0, -1.0])
    for _ in range(3):  # each pass builds a new graph on the same leaf
        (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, 6 * w.data)
    w.backward(np.ones(2))  # a leaf's own backward, after graphs through it were freed
    np.testing.assert_allclose(w.grad, 6 * w.data + 1)


# ---------------------------------------------------------------------------------------- cutting a graph


def test_detach_shares_the_data_and_stops_backward():
    x = leaf([1.0, 2.0, 3.0])
    h = x * 2.0
    cut = h.detach()
    assert np.shares_memory(cut.data, h.data) and cut.dtype == h.dtype
    assert not cut.requires_grad and cut.parents == () and cut.vjp is None
    cut.data[0] = 10.0  # one array, two names
    assert h.data[0] == 10.0
    loss = (h * cut).sum()  # the gradient reaches x through h only, never through the cut
    loss.backward()
    np.testing.assert_allclose(x.grad, 2.0 * cut.data)


def test_a_detached_block_input_collects_its_gradient_and_passes_it_down():
    # block-wise training: the upper block's input is a leaf cut from the lower block's output
    rng = np.random.default_rng(0)
    x, w1, w2 = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal((5, 2))
    lower, upper = leaf(w1), leaf(w2)
    block_output = ops.tanh(Tensor(x) @ lower)
    h = block_output.detach().requires_grad_()
    assert h.requires_grad and h.vjp is None
    (ops.tanh(h @ upper) ** 2).sum().backward()
    assert lower.grad is None  # the cut stopped it
    block_output.backward(h.grad)

    full_lower, full_upper = leaf(w1), leaf(w2)
    (ops.tanh(ops.tanh(Tensor(x) @ full_lower) @ full_upper) ** 2).sum().backward()
    np.testing.assert_allclose(lower.grad, full_lower.grad, rtol=1e-12)
    np.testing.assert_allclose(upper.grad, full_upper.grad, rtol=1e-12)


def test_requires_grad_underscore_returns_self_and_refuses_what_cannot_have_a_gradient():
    t = Tensor(np.ones(2))
    assert t.requires_grad_() is t and t.requires_grad
    assert t.requires_grad_(False) is t and not t.requires_grad
    y = leaf([1.0]) * 2.0
    with pytest.raises(RuntimeError, match=r"requires_grad_\(False\) on the output of 'mul'.*detach\(\)"):
        y.requires_grad_(False)
    assert y.requires_grad_() is y  # an op output already requires grad
    with pytest.raises(TypeError, match="only floating-point tensors can require grad, got dtype bool"):
        Tensor(np.array([True, False]), dtype=bool).requires_grad_()
    with pytest.raises(TypeError, match="got dtype int64"):
        Tensor(np.arange(3), dtype=np.int64, requires_grad=True)


# ---------------------------------------------------------------------------------------- no_grad


def test_no_grad_records_nothing():
    rng = np.random.default_rng(0)
    x = leaf(rng.standard_normal((3, 4)))
    w = Parameter(rng.standard_normal((2, 4)))
    assert is_recording()
    with no_grad():
        assert not is_recording()
        outputs = [
            x + 1.0, x - x, x * x, x / 2.0, -x, x**2, x.exp(), x.tanh(), x.sigmoid(), x.relu(),
            x @ x.T, ops.linear(x, w), x.sum(), x.mean(axis=0), x.max(axis=1), x.reshape(-1), x.T, x[0],
            x[np.array([0, 0])], ops.softmax(x), ops.log_softmax(x),
            ops.quadratic_cost(x, np.zeros((3, 4))), ops.sigmoid_cross_entropy(x, np.zeros((3, 4))),
            ops.softmax_cross_entropy(x, np.array([0, 1, 2])),
        ]
    assert is_recording()
    for out in outputs:
        assert out.requires_grad is False, out.op
        assert out.parents == () and out.vjp is None, out.op
    with pytest.raises(RuntimeError, match="no_grad"):
        outputs[-1].backward()
    # outside the block, recording is back
    assert (x * 2.0).requires_grad and (x * 2.0).parents


def test_no_grad_nests_and_restores_after_an_error():
    with no_grad():
        with no_grad():
            assert not is_recording()
        assert not is_recording()
    assert is_recording()
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert is_recording()


def test_ops_on_constants_record_nothing():
    out = Tensor(np.ones(3)) * Tensor(np.ones(3))
    assert not out.requires_grad and out.parents == ()
