"""Joining, cutting, choosing and indexing beyond the oracle table: what they refuse and why.

Their values and gradients are checked against finite differences and PyTorch in test_ops.py; here
are the errors a user meets with bad input, each naming the op, the shapes and the fix.
"""

from __future__ import annotations

import numpy as np
import pytest

from synaptica import ops
from synaptica.errors import ShapeError
from synaptica.tensor import Tensor


def ones(*shape) -> Tensor:
    return Tensor(np.ones(shape), requires_grad=True)


def test_concat_names_the_shapes_that_disagree_off_the_axis():
    with pytest.raises(ShapeError, match=r"concat along axis 1: shapes \[\(2, 3\), \(4, 1\)\] must agree"):
        ops.concat([ones(2, 3), ones(4, 1)], axis=1)
    with pytest.raises(ShapeError, match=r"shapes \[\(2, 3\), \(2, 3, 1\)\]"):
        ops.concat([ones(2, 3), ones(2, 3, 1)], axis=0)
    with pytest.raises(ShapeError, match="0-d tensors have no axis to join along; stack them"):
        ops.concat([ones(), ones()])


@pytest.mark.parametrize("op", [ops.concat, ops.stack])
def test_joins_refuse_a_bad_axis_an_empty_list_and_a_lone_tensor(op):
    name = op.__name__
    with pytest.raises(ShapeError, match=rf"{name}: axis 3 is out of range .* use an int in \[-"):
        op([ones(2, 3), ones(2, 3)], axis=3)
    with pytest.raises(ValueError, match=f"{name} needs at least one tensor"):
        op([])
    with pytest.raises(TypeError, match=rf"{name} takes a list of tensors, e.g. {name}\(\[a, b\], axis=0\)"):
        op(ones(2, 3), 1)


def test_stack_needs_one_shape():
    with pytest.raises(ShapeError, match=r"stack: all tensors must have one shape, got \[\(2, 3\), \(3, 2\)\]"):
        ops.stack([ones(2, 3), ones(3, 2)])


def test_joins_accept_plain_arrays_beside_tensors():
    x = ones(2, 2)
    out = ops.concat([np.zeros((1, 2)), x])
    assert out.dtype == x.dtype and out.shape == (3, 2)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 2)))


def test_split_refuses_sections_that_do_not_divide_the_axis():
    with pytest.raises(ShapeError, match=r"split: 2 equal sections do not divide axis 1 of size 5 \(shape \(3, 5\)\); "
                                         "give the cut indices instead"):
        ops.split(ones(3, 5), 2, axis=-1)
    with pytest.raises(ValueError, match="at least 1, got 0"):
        ops.split(ones(3, 5), 0)
    with pytest.raises(ShapeError, match="split: axis 2 is out of range"):
        ops.split(ones(3, 5), 1, axis=2)


def test_split_parts_are_copies_that_later_updates_do_not_reach():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    first, second = ops.split(x, [1], axis=1)
    x.data += 100.0  # an optimizer updates parameters in place
    np.testing.assert_array_equal(first.data, [[0.0], [3.0]])
    np.testing.assert_array_equal(second.data, [[1.0, 2.0], [4.0, 5.0]])


def test_where_names_shapes_that_do_not_broadcast():
    with pytest.raises(ShapeError, match=r"where: condition \(2, 3\), a \(4,\) and b \(2, 3\) do not broadcast"):
        ops.where(np.ones((2, 3), bool), ones(4), ones(2, 3))


def test_where_sends_no_gradient_to_a_tensor_condition():
    condition = Tensor(np.array([1.0, 0.0, 1.0]), requires_grad=True)
    a, b = ones(3), ones(3)
    ops.where(condition, a * 2.0, b).sum().backward()
    assert condition.grad is None
    np.testing.assert_array_equal(a.grad, [2.0, 0.0, 2.0])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0, 0.0])


def test_a_bool_tensor_masks_and_scatters_the_gradient_back():
    # once read as the integers 0 and 1, gathering rows 1, 0, 1 instead of masking
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    mask = Tensor(np.array([True, False, True]))  # a bool array stays bool: a mask
    assert mask.dtype == bool
    picked = x[mask]
    np.testing.assert_array_equal(picked.data, [[0.0, 1.0], [4.0, 5.0]])
    np.testing.assert_array_equal(x[Tensor(x.data[:, 0] > 1)].data, [[2.0, 3.0], [4.0, 5.0]])
    (picked * Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 2.0], [0.0, 0.0], [3.0, 4.0]])


def test_an_index_tensor_must_hold_whole_numbers():
    x = ones(4)
    with pytest.raises(IndexError, match=r"float64 Tensor used as an index must hold whole numbers.*"
                                         r"to mask, index with a bool array or a Tensor of one"):
        x[Tensor(np.array([0.5, 1.0]))]
    with pytest.raises(IndexError, match="whole numbers"):
        x[:, Tensor(np.array([np.nan]))]


@pytest.mark.parametrize("shape, rows_shape", [((73, 8), (32, 10)), ((5,), (7,)), ((6, 2, 3), (4, 5))])
def test_add_rows_adds_what_add_at_adds_with_repeated_and_negative_rows(shape, rows_shape):
    from synaptica.ops.shape import add_rows

    rng = np.random.default_rng(0)
    rows = rng.integers(-shape[0], shape[0], rows_shape)
    g = rng.standard_normal(rows_shape + shape[1:])
    expected, got = np.zeros(shape), np.zeros(shape)
    np.add.at(expected, rows, g)
    add_rows(got, rows, g)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
