"""Ops that move elements without changing them: reshape, transpose, indexing, joining (concat,
stack), cutting (split) and choosing (where).

Their vjps move the gradient back: reshape it to the input's shape, apply the inverse
permutation, scatter it into the indexed positions, cut it into the joined pieces, or send each
element's gradient to the operand the element came from.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.ops._broadcast import operand_pair, unbroadcast
from synaptica.tensor import Tensor, as_tensor


def reshape(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The same elements in a new shape. vjp: g reshaped back."""
    out = x.data.reshape(shape)
    return Tensor.from_op(out, (x,), lambda g: (g.reshape(x.shape),), "reshape")


def transpose(x: Tensor, axes: tuple[int, ...] | None = None) -> Tensor:
    """Permute axes (reverse them when ``axes`` is None). vjp: the inverse permutation."""
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = tuple(a % x.ndim for a in axes)
    inverse = tuple(np.argsort(axes))
    out = np.transpose(x.data, axes)
    return Tensor.from_op(out, (x,), lambda g: (np.transpose(g, inverse),), "transpose")


# ---------------------------------------------------------------------------------------- indexing


def getitem(x: Tensor, index) -> Tensor:
    """x[index] with NumPy's basic or advanced indexing. vjp: scatter-add g into zeros of x's shape.

    A Tensor in the index, alone or inside a tuple, stands for its array: a bool Tensor
    (``Tensor(mask)`` of a bool array) masks and an integer one gathers, exactly as those arrays do.
    A float Tensor gathers too when it holds whole numbers (``Tensor(np.array([2, 0]))`` is float32
    by the constructor's rule) and is refused otherwise.
    """
    if isinstance(index, tuple):
        index = tuple(_index_array(part) for part in index)
    else:
        index = _index_array(index)
    return _gather(x, index, "getitem")


def _index_array(part):
    """One entry of an index, with a Tensor replaced by the array it stands for."""
    if not isinstance(part, Tensor):
        return part
    array = part.data
    if array.dtype.kind != "f":
        return array
    if not (np.isfinite(array).all() and (np.floor(array) == array).all()):
        raise IndexError(
            f"a {array.dtype} Tensor used as an index must hold whole numbers, got {array.ravel()[:6]}; "
            "to mask, index with a bool array or a Tensor of one."
        )
    return array.astype(np.intp)


def _is_basic(index) -> bool:
    """Whether an index is NumPy basic indexing (ints, slices, ..., None): each element at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        part is None or part is Ellipsis or isinstance(part, slice)
        or (isinstance(part, (int, np.integer)) and not isinstance(part, (bool, np.bool_)))
        for part in parts
    )


def _gather(x: Tensor, index, op: str) -> Tensor:
    """x[index] as a new array, recorded as ``op``; its vjp puts g back where the elements came from."""
    out = np.array(x.data[index], copy=True)  # a copy: later in-place updates of x must not reach it
    basic = _is_basic(index)

    def vjp(g):
        grad = np.zeros_like(x.data)
        if basic:  # every position named once: plain assignment
            grad[index] = g
        elif isinstance(index, np.ndarray) and index.dtype.kind in "iu" and index.size:
            add_rows(grad, index, g)  # an embedding's lookup: whole rows, often repeated
        else:  # advanced indices may repeat a position: add.at adds each share
            np.add.at(grad, index, g)
        return (grad,)

    return Tensor.from_op(out, (x,), vjp, op)


def add_rows(grad: np.ndarray, rows: np.ndarray, g: np.ndarray) -> None:
    """grad[rows[k]] += g[k] for every k, in place: the scatter-add of x[rows]'s vjp, rows an integer
    array of any shape (negative numbers count from the end). The sums of ``np.add.at(grad, rows, g)``
    (to rounding: the shares of a row are added in another grouping), as one stable sort of the row
    numbers and one ``np.add.reduceat`` over each run of equal rows, where add.at handles one element
    at a time (an embedding's 3,200 lookups of 64 numbers: 2 ms against 0.4)."""
    flat = rows.reshape(-1)
    flat = np.where(flat < 0, flat + len(grad), flat)
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    values = np.reshape(g, (flat.size, -1))[order]
    grad.reshape(len(grad), -1)[ordered[starts]] += np.add.reduceat(values, starts, axis=0)


# ---------------------------------------------------------------------------------------- joining and cutting


def _operands(name: str, tensors) -> list[Tensor]:
    """A sequence of operands as tensors; plain arrays take the first tensor's dtype."""
    if isinstance(tensors, (Tensor, np.ndarray)):
        raise TypeError(f"{name} takes a list of tensors, e.g. {name}([a, b], axis=0); got one {type(tensors).__name__}")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{name} needs at least one tensor, got an empty list")
    like = next((t for t in tensors if isinstance(t, Tensor)), None)
    return [as_tensor(t, like=like) for t in tensors]


def _axis(name: str, axis: int, ndim: int, shapes) -> int:
    """``axis`` as a non-negative int, checked against the rank ``ndim``."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or not -ndim <= axis < ndim:
        raise ShapeError(f"{name}: axis {axis!r} is out of range for {ndim} axes (shapes {shapes}); "
                         f"use an int in [{-ndim}, {ndim - 1}]")
    return int(axis) % ndim


def concat(tensors, axis: int = 0) -> Tensor:
    """Join tensors end to end along an existing axis (NumPy's concatenate, PyTorch's cat).

    The shapes must agree on every other axis. vjp: g cut back into pieces of the operands' sizes
    along ``axis``, one piece for each operand (an operand listed twice receives both its pieces).
    """
    tensors = _operands("concat", tensors)
    shapes = [t.shape for t in tensors]
    ndim = tensors[0].ndim
    if ndim == 0:
        raise ShapeError("concat: 0-d tensors have no axis to join along; stack them instead")
    axis = _axis("concat", axis, ndim, shapes)
    others = {shape[:axis] + shape[axis + 1:] for shape in shapes}
    if len(others) > 1 or any(len(shape) != ndim for shape in shapes):
        raise ShapeError(f"concat along axis {axis}: shapes {shapes} must agree on every other axis")
    out = np.concatenate([t.data for t in tensors], axis=axis)
    cuts = np.cumsum([shape[axis] for shape in shapes[:-1]])

    def vjp(g):
        return np.split(g, cuts, axis=axis)

    return Tensor.from_op(out, tuple(tensors), vjp, "concat")


def stack(tensors, axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis at position ``axis`` (NumPy's and PyTorch's stack).

    vjp: operand i receives g's slice i along that axis.
    """
    tensors = _operands("stack", tensors)
    shapes = [t.shape for t in tensors]
    if len(set(shapes)) > 1:
        raise ShapeError(f"stack: all tensors must have one shape, got {shapes}")
    axis = _axis("stack", axis, tensors[0].ndim + 1, shapes)
    out = np.stack([t.data for t in tensors], axis=axis)

    def vjp(g):
        return tuple(np.moveaxis(g, axis, 0))

    return Tensor.from_op(out, tuple(tensors), vjp, "stack")


def split(x: Tensor, sections_or_indices, axis: int = 0) -> tuple[Tensor, ...]:
    """Cut x along ``axis`` into a tuple of tensors, with NumPy's ``np.split`` semantics.

    An int k cuts the axis into k equal parts (it must divide the axis); a sequence of indices
    [i₁, i₂, …] cuts before each, giving x[:i₁], x[i₁:i₂], …, x[iₖ:] along the axis (as Python
    slices: unequal, empty and negative ones allowed). vjp of each part: its g placed in zeros of
    x's shape at the part's position; the walk adds the parts' contributions up.
    """
    axis = _axis("split", axis, x.ndim, [x.shape])
    size = x.shape[axis]
    if isinstance(sections_or_indices, (int, np.integer)):
        sections = int(sections_or_indices)
        if sections < 1:
            raise ValueError(f"split: the number of sections must be at least 1, got {sections}")
        if size % sections:
            raise ShapeError(f"split: {sections} equal sections do not divide axis {axis} of size {size} "
                             f"(shape {x.shape}); give the cut indices instead")
        cuts = [size // sections * i for i in range(1, sections)]
    else:
        cuts = [int(i) for i in sections_or_indices]
    before = (slice(None),) * axis
    bounds = zip([0, *cuts], [*cuts, size])
    return tuple(_gather(x, before + (slice(start, stop),), "split") for start, stop in bounds)


# ---------------------------------------------------------------------------------------- choosing


def where(condition, a, b) -> Tensor:
    """Elementwise choice: out = a where the condition holds, b elsewhere (NumPy's where).

    condition, a and b broadcast together like NumPy's operands. The condition is a bool array or
    a Tensor standing for its array (a nonzero entry counts as true, as NumPy reads a condition);
    it receives no gradient. a and b may be numbers or arrays (they take the other's dtype).
    vjp: g where the condition holds goes to a, the rest to b, each summed back to its shape.
    """
    mask = np.asarray(condition.data if isinstance(condition, Tensor) else condition, dtype=bool)
    a, b = operand_pair(a, b)
    try:
        np.broadcast_shapes(mask.shape, a.shape, b.shape)
    except ValueError:
        raise ShapeError(f"where: condition {mask.shape}, a {a.shape} and b {b.shape} do not broadcast together") from None
    out = np.where(mask, a.data, b.data)

    def vjp(g):
        zero = np.zeros((), g.dtype)
        grad_a = unbroadcast(np.where(mask, g, zero), a.shape) if a.requires_grad else None
        grad_b = unbroadcast(np.where(mask, zero, g), b.shape) if b.requires_grad else None
        return grad_a, grad_b

    return Tensor.from_op(out, (a, b), vjp, "where")
