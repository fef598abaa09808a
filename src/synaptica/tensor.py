"""Tensor and the reverse-mode tape.

A :class:`Tensor` wraps a NumPy array (float32 unless asked otherwise) and remembers how it was
made: the tensors it came from (``parents``) and a function that turns the gradient of the output
into gradients of those parents (the op's vector-Jacobian product, ``vjp``). Calling
:meth:`Tensor.backward` on a scalar walks that record in reverse topological order and applies each
vjp, which is the chain rule of backpropagation carried out mechanically:

    ∂C/∂x = Σ over ops o that used x of  vjp_o(∂C/∂out_o)

The walk visits op outputs in reverse order of creation (each carries a ``stamp`` from a counter):
an output is always made after its inputs, so that order is a reverse topological order with no
graph search needed. Leaves that ask for it (``requires_grad``) receive their gradient in ``.grad``; gradients
accumulate across calls to ``backward`` until the optimizer clears them.

A backward pass frees the graph as it walks it (each op output drops its ``parents`` and ``vjp``),
so memory does not grow from step to step. A freed op output is marked as such, not turned into a
leaf: a later backward that reaches it raises an error instead of silently stopping there. To
backpropagate twice through the same graph (two costs sharing a subgraph, say), pass
``retain_graph=True`` to every backward but the last. Leaves are never freed. ``detach()`` is the
one way to cut a graph on purpose.

The ops themselves live in :mod:`synaptica.ops`, each forward beside its vjp. This file holds only
the record and the walk, plus the arithmetic operators that forward to those ops.
"""

from __future__ import annotations

import heapq
import itertools
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator, Sequence

import numpy as np

#: Whether ops record themselves for backward. A ContextVar (per thread and per task) rather than a
#: plain global, toggled only by :func:`no_grad`.
_recording: ContextVar[bool] = ContextVar("synaptica_recording", default=True)

DEFAULT_DTYPE = np.float32

#: Creation stamps for op outputs. An op's output is always made after its inputs, so a larger stamp
#: never feeds a smaller one: walking outputs from the largest stamp down is a topological order.
_stamps = itertools.count()


@contextmanager
def no_grad() -> Iterator[None]:
    """Run ops without recording them: for evaluation, weight updates and anything not differentiated."""
    token = _recording.set(False)
    try:
        yield
    finally:
        _recording.reset(token)


def is_recording() -> bool:
    """True when ops are recorded for backward (outside :func:`no_grad`)."""
    return _recording.get()


def joins_graph(parents) -> bool:
    """Whether an op's output over ``parents`` joins the graph: recording is on and a parent needs a
    gradient (:meth:`Tensor.from_op` decides by this; an op whose output will not join need keep
    nothing for a backward pass)."""
    return _recording.get() and any(parent.requires_grad for parent in parents)


VJP = Callable[[np.ndarray], Sequence[np.ndarray | None]]


def _freed(g: np.ndarray) -> Sequence[np.ndarray | None]:
    """The ``vjp`` of an op output whose graph a backward pass freed: a marker, never a gradient.
    The walk recognises it (by identity) and raises; calling it directly raises too."""
    raise RuntimeError("this op output's graph was freed by an earlier backward()")


class Tensor:
    """An array that records the ops applied to it.

    Args:
        data: array-like. NumPy arrays of float32 or float64 keep their dtype, and bool arrays stay
            bool (masks: ``t[Tensor(x > 0)]`` selects, and they carry no gradient); anything else
            (lists, numbers, integer arrays) becomes float32, as in PyTorch.
        requires_grad: whether backward should fill ``.grad`` for this tensor.
        dtype: force a dtype (``np.float32`` or ``np.float64``).
    """

    __slots__ = ("data", "grad", "requires_grad", "parents", "vjp", "op", "stamp", "__weakref__")
    __array_priority__ = 100  # so that ndarray * Tensor calls Tensor.__rmul__

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        if dtype is not None:
            array = np.asarray(data, dtype=dtype)
        else:
            array = np.asarray(data)
            if not isinstance(data, (np.ndarray, np.generic)) or array.dtype not in (np.float32, np.float64, np.bool_):
                array = array.astype(DEFAULT_DTYPE)
        if requires_grad:
            _check_differentiable(array.dtype)
        self.data: np.ndarray = array
        self.grad: np.ndarray | None = None
        self.requires_grad = requires_grad
        self.parents: tuple[Tensor, ...] = ()
        self.vjp: VJP | None = None
        self.op = ""
        self.stamp = -1

    @classmethod
    def from_op(cls, data: np.ndarray, parents: tuple[Tensor, ...], vjp: VJP, op: str) -> Tensor:
        """Make an op's output. It joins the graph only if recording is on and a parent needs grad."""
        out = cls.__new__(cls)
        out.data = data
        out.grad = None
        out.op = op
        out.requires_grad = False
        out.parents = ()
        out.vjp = None
        if joins_graph(parents):
            out.requires_grad = True
            out.parents = parents
            out.vjp = vjp
            out.stamp = next(_stamps)
        return out

    # ----------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        """The underlying array (not a copy)."""
        return self.data

    def item(self) -> float:
        return self.data.item()

    def detach(self) -> Tensor:
        """A new leaf holding the same data and no history: the one way to cut a graph.

        Backward stops at the detached tensor; nothing flows through it into the ops that made
        ``self``. The array is shared, not copied (writing into one writes into the other), as in
        PyTorch. Block-wise learning rules cut a network into blocks with it: the block above reads
        ``h = block_output.detach().requires_grad_()``, a leaf that collects ∂C/∂h in ``h.grad``,
        which the rule then sends into the block below with ``block_output.backward(h.grad)``.
        """
        return Tensor(self.data, dtype=self.data.dtype)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self (as PyTorch's ``Tensor.requires_grad_``).

        Turning it on makes a leaf (a detached tensor, an input) collect its gradient in ``.grad``.
        An op output in a graph always requires grad; to stop gradients there, ``detach()`` it.
        """
        if not requires_grad and self.vjp is not None:
            raise RuntimeError(
                f"requires_grad_(False) on the output of {self.op!r}: only leaves can stop requiring grad; "
                "use .detach() to cut the graph at this tensor."
            )
        if requires_grad:
            _check_differentiable(self.data.dtype)
        self.requires_grad = bool(requires_grad)
        return self

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor(shape={self.shape}, dtype={self.dtype}{grad})"

    # ----------------------------------------------------------------- backward
    def backward(self, grad: np.ndarray | None = None, retain_graph: bool = False) -> None:
        """Backpropagate from this tensor: add ∂C/∂leaf to ``.grad`` of every leaf that requires grad.

        Args:
            grad: ∂C/∂self. May be omitted only when self is a scalar (it is then 1).
            retain_graph: keep the graph for another backward pass. By default each op output the
                walk passes is freed (its ``parents`` and ``vjp`` dropped), so the graph is garbage
                once the step ends.

        Raises:
            RuntimeError: when the walk reaches an op output that an earlier backward freed. Leaves
                reached before that point have already received their gradients.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no parameter or input with "
                "requires_grad=True led to it (or it was computed under no_grad())."
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a scalar, got shape {self.shape}; "
                    "pass grad= of the same shape, or reduce with .sum() / .mean() first."
                )
            grad = np.array(1, self.data.dtype).reshape(self.data.shape)
        else:
            grad = np.asarray(grad, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward(grad) got shape {grad.shape}, expected {self.shape}")

        if self.vjp is None:  # backward on a leaf: its gradient is the given one
            self.grad = grad if self.grad is None else self.grad + grad
            return
        # Visit op outputs newest first (largest stamp): every user of a tensor was made after it,
        # so by the time a tensor is popped, all gradient contributions to it have arrived.
        grads: dict[int, np.ndarray] = {self.stamp: grad}
        pending = [(-self.stamp, self)]
        while pending:
            node = heapq.heappop(pending)[1]
            vjp = node.vjp
            if vjp is _freed:
                raise RuntimeError(_freed_message(node))
            g = grads.pop(node.stamp)
            for parent, parent_grad in zip(node.parents, vjp(g)):
                if parent_grad is None or not parent.requires_grad:
                    continue
                if parent.vjp is None:  # a leaf: keep its gradient (accumulating across backward calls)
                    parent.grad = parent_grad if parent.grad is None else parent.grad + parent_grad
                elif parent.stamp in grads:
                    grads[parent.stamp] = grads[parent.stamp] + parent_grad
                else:
                    grads[parent.stamp] = parent_grad
                    heapq.heappush(pending, (-parent.stamp, parent))
            if not retain_graph:  # free the graph as we go: no growth across steps
                node.parents = ()
                node.vjp = _freed

    # ----------------------------------------------------------------- operators
    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().sub(self, other)

    def __rsub__(self, other):
        return _ops().sub(other, self)

    def __mul__(self, other):
        return _ops().mul(self, other)

    def __rmul__(self, other):
        return _ops().mul(other, self)

    def __truediv__(self, other):
        return _ops().div(self, other)

    def __rtruediv__(self, other):
        return _ops().div(other, self)

    def __neg__(self):
        return _ops().neg(self)

    def __pow__(self, exponent):
        return _ops().pow(self, exponent)

    def __matmul__(self, other):
        return _ops().matmul(self, other)

    def __rmatmul__(self, other):
        return _ops().matmul(other, self)

    def __getitem__(self, index):
        return _ops().getitem(self, index)

    # ----------------------------------------------------------------- method forms
    def sum(self, axis=None, keepdims: bool = False):
        return _ops().sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims: bool = False):
        return _ops().mean(self, axis, keepdims)

    def max(self, axis=None, keepdims: bool = False):
        return _ops().max(self, axis, keepdims)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops().reshape(self, shape)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops().transpose(self, axes or None)

    @property
    def T(self):
        return _ops().transpose(self, None)

    def exp(self):
        return _ops().exp(self)

    def log(self):
        return _ops().log(self)

    def sqrt(self):
        return _ops().sqrt(self)

    def sigmoid(self):
        return _ops().sigmoid(self)

    def tanh(self):
        return _ops().tanh(self)

    def relu(self):
        return _ops().relu(self)


def _freed_message(node: Tensor) -> str:
    return (
        f"backward() reached the output of {node.op!r} (shape {node.shape}), whose graph an earlier "
        "backward() freed. Pass retain_graph=True to the earlier backward() to keep the graph for "
        "another pass, or run the forward pass again."
    )


def _check_differentiable(dtype: np.dtype) -> None:
    if dtype.kind != "f":
        raise TypeError(f"only floating-point tensors can require grad, got dtype {dtype}")


def _ops():
    # ops import Tensor, so the operators reach them lazily
    from synaptica import ops

    return ops


def as_tensor(value, like: Tensor | None = None) -> Tensor:
    """Wrap a number or array as a constant tensor, in ``like``'s dtype when given."""
    if isinstance(value, Tensor):
        return value
    if like is not None:
        return Tensor(np.asarray(value, dtype=like.dtype))
    return Tensor(value)
