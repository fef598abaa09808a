"""Every differentiable op against two oracles: finite differences and PyTorch.

One table, :data:`ROWS`, holds a row per op (several for ops with distinct cases). A row names the
op it covers, builds the synaptica expression from Tensors, builds the same expression in PyTorch,
gives a Hypothesis strategy for the input shapes (and any static arguments: axes, indices, targets)
and an input domain per operand (kept away from poles, kinks and ties so that finite differences
are meaningful). Three tests run over the whole table:

(a) backprop vs central finite differences in float64 (``gradcheck.py``);
(b) forward and backward vs PyTorch in float64 (rtol 1e-7, atol 1e-9);
(c) the same in float32 (rtol 1e-5, atol 1e-5).

Each op's output is reduced to a scalar as ``(out * w).sum()`` with fixed random weights ``w``, so
the gradient flowing into the op is not all ones (an op with several outputs, split, gets a sum of
one such term per output). Every gradient must have exactly its operand's
shape and dtype. :func:`test_every_differentiable_op_has_a_row` fails when an op is added to
``DIFFERENTIABLE_OPS`` without a row here.

The main rows' strategies cover 0-d inputs, negative axes and vector @ vector products. A few rows
also pin down inputs that once broke an op (``sigmoid_0d``, ``sigmoid_ce_0d``, ``matmul_1d_1d``,
``transpose_negative_axes``, ``linear_1d``, ``getitem_bool_tensor``), so every run exercises them
whatever Hypothesis happens to draw.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from synaptica import ops
from synaptica.errors import ShapeError
from synaptica.ops.linalg import times_transposed
from synaptica.tensor import Tensor

if str(Path(__file__).resolve().parent) not in sys.path:  # pytest's default import mode adds it already
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from gradcheck import gradcheck  # noqa: E402
from recurrent_twins import (  # noqa: E402
    RECURRENT_EXAMPLES, build_elman, build_gru, build_jordan, build_lstm, recurrent_shapes, torch_elman, torch_gru,
    torch_jordan, torch_lstm,
)

# Examples per (row, test); the whole file stays well under a minute on two cores.
MAX_EXAMPLES = 40
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # no Phase.explain: its tracing costs about a second per failing row and adds little here
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

MAX_RANK = 4
MAX_SIDE = 7


# ---------------------------------------------------------------------------------------- domains
# Each samples a float64 array of a given shape; one per operand of a row.

Domain = Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]


def uniform(low: float, high: float) -> Domain:
    def sample(rng, shape):
        return rng.uniform(low, high, shape)

    return sample


def away_from_zero(low: float, high: float) -> Domain:
    """±[low, high]: for denominators, negative powers and the kink of relu."""

    def sample(rng, shape):
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(low, high, shape)

    return sample


def distinct(rng, shape):
    """All values at least 2e-3 apart (in about ±2.4), so max has no ties within a step of h."""
    n = math.prod(shape)
    spacing = max(2e-3, 4.0 / max(n, 1))
    return ((rng.permutation(n) - n / 2) * spacing).reshape(shape)


ANY = uniform(-2.0, 2.0)
POSITIVE = uniform(0.2, 3.0)
NONZERO = away_from_zero(0.2, 2.0)
NO_KINK = away_from_zero(1e-3, 2.0)
LOGITS = uniform(-4.0, 4.0)


# ---------------------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Row:
    name: str  # the test id
    op: str  # the name in DIFFERENTIABLE_OPS this row covers (the output's .op)
    build: Callable[[list, dict], Any]  # (synaptica Tensors, params) -> Tensor
    twin: Callable[[list, dict], Any]  # (torch tensors, params) -> torch.Tensor
    shapes: st.SearchStrategy  # -> (operand shapes, params)
    domain: tuple[Domain, ...]  # one per operand
    examples: int = MAX_EXAMPLES  # Hypothesis examples per test (fewer for the costly convolution rows)

    def __repr__(self) -> str:
        return f"Row({self.name})"


def no_params(shapes: st.SearchStrategy) -> st.SearchStrategy:
    return shapes.map(lambda s: (s, {}))


SHAPE = hnp.array_shapes(min_dims=0, max_dims=MAX_RANK, min_side=0, max_side=MAX_SIDE)
UNARY = no_params(SHAPE.map(lambda s: (s,)))
BINARY = no_params(
    hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=MAX_RANK, min_side=0, max_side=MAX_SIDE)
    .map(lambda b: tuple(b.input_shapes))
)
SIDE = st.integers(0, MAX_SIDE)


def unary(name, op, build, twin, domain, shapes=UNARY):
    return Row(name, op, lambda t, p: build(t[0], p), lambda t, p: twin(t[0], p), shapes, (domain,))


def binary(name, op, build, twin, domains=(ANY, ANY), shapes=BINARY):
    return Row(name, op, lambda t, p: build(*t, p), lambda t, p: twin(*t, p), shapes, domains)


# --- pow: the exponent is a constant Python number
def pow_shapes(exponents):
    return st.tuples(SHAPE.map(lambda s: (s,)), st.sampled_from(exponents).map(lambda p: {"p": p}))


# --- matmul: (k,) or batch + (n, k) against (k,) or batch + (k, m)
@st.composite
def matmul_shapes(draw, a_vector: bool, b_vector: bool, batched: bool):
    n, k, m = draw(SIDE), draw(SIDE), draw(SIDE)
    batch_a = batch_b = ()
    if batched:
        batch_a, batch_b = draw(
            hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, min_side=0, max_side=4)
        ).input_shapes
    a = (k,) if a_vector else batch_a + (n, k)
    b = (k,) if b_vector else batch_b + (k, m)
    return (a, b), {}


# --- linear: x (batch, in) or one vector (in,), weight (out, in), bias (out,)
@st.composite
def linear_shapes(draw, bias: bool, vector: bool = False):
    batch, n_in, n_out = draw(SIDE), draw(SIDE), draw(SIDE)
    shapes = ((n_in,) if vector else (batch, n_in), (n_out, n_in)) + (((n_out,),) if bias else ())
    return shapes, {}


# --- reductions: axis None, an int (maybe negative), or a tuple of distinct axes; keepdims
@st.composite
def reduce_shapes(draw, nonempty_reduced: bool = False):
    shape = list(draw(SHAPE))
    ndim = len(shape)
    kinds = ["none", "int", "tuple"] if ndim else ["none", "tuple"]
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        axis, reduced = None, list(range(ndim))
    elif kind == "int":
        axis = draw(st.integers(-ndim, ndim - 1))
        reduced = [axis % ndim]
    else:
        reduced = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim)) if ndim else []
        negative = draw(st.lists(st.booleans(), min_size=len(reduced), max_size=len(reduced)))
        axis = tuple(a - ndim if neg else a for a, neg in zip(reduced, negative))
    if nonempty_reduced:  # max has no identity: the reduced axes must not be empty
        for a in reduced:
            shape[a] = max(shape[a], 1)
    return (tuple(shape),), {"axis": axis, "keepdims": draw(st.booleans())}


def torch_dims(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in ((axis,) if isinstance(axis, int) else axis))


def torch_reduce(fn):
    """A reduction with NumPy's meaning of axis: torch reads dim=() as 'all axes', NumPy as 'none'."""

    def twin(x, p):
        dims = torch_dims(p["axis"], x.ndim)
        if not dims:
            return x * 1
        return fn(x, dim=dims, keepdim=p["keepdims"])

    return twin


# --- reshape: the same factors grouped two ways (with a -1 now and then)
@st.composite
def reshape_shapes(draw):
    factors = draw(st.lists(SIDE, max_size=MAX_RANK))

    def grouped(values):
        values = list(values)
        if not values:
            shape = []
        else:
            cuts = sorted(draw(st.lists(st.integers(1, len(values) - 1), unique=True))) if len(values) > 1 else []
            bounds = [0, *cuts, len(values)]
            shape = [math.prod(values[i:j]) for i, j in zip(bounds, bounds[1:])]
        while len(shape) < MAX_RANK and draw(st.booleans()):
            shape.insert(draw(st.integers(0, len(shape))), 1)
        return tuple(shape)

    source = grouped(factors)
    target = list(grouped(draw(st.permutations(factors))))
    if target and math.prod(factors) > 0 and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return (source,), {"shape": tuple(target)}


# --- transpose: None or a permutation of 0..ndim-1, each axis possibly written as a negative one
def signed_permutations(ndim: int) -> st.SearchStrategy:
    return st.tuples(st.permutations(range(ndim)), st.lists(st.booleans(), min_size=ndim, max_size=ndim)).map(
        lambda pn: tuple(a - ndim if neg else a for a, neg in zip(*pn))
    )


@st.composite
def transpose_shapes(draw):
    shape = draw(SHAPE)
    axes = draw(st.one_of(st.none(), signed_permutations(len(shape))))
    return (shape,), {"axes": axes}


@st.composite
def transpose_negative_axes_shapes(draw):
    """Distinct sides and negative axes whose argsort differs from that of the normalised axes (the
    vjp must normalise the axes before inverting the permutation)."""
    shape = tuple(draw(st.lists(st.integers(2, MAX_SIDE), min_size=2, max_size=MAX_RANK, unique=True)))
    ndim = len(shape)

    def wrong_inverse(axes):
        return list(np.argsort(axes)) != list(np.argsort([a % ndim for a in axes]))

    axes = draw(signed_permutations(ndim).filter(wrong_inverse))
    return (shape,), {"axes": axes}


def torch_transpose(x, p):
    axes = p["axes"] if p["axes"] is not None else tuple(reversed(range(x.ndim)))
    return x.permute(tuple(axes))


# --- getitem: basic slices and ints; integer arrays (with repeats); a slice then an array; two arrays
def index_array(n: int, shape_strategy) -> st.SearchStrategy:
    return hnp.arrays(np.intp, shape_strategy, elements=st.integers(-n, n - 1))


INDEX_SHAPE = hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=6)


@st.composite
def getitem_basic_shapes(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=MAX_RANK, min_side=0, max_side=MAX_SIDE))
    k = draw(st.integers(1, len(shape)))
    bound = st.one_of(st.none(), st.integers(-9, 9))
    index = []
    for n in shape[:k]:
        as_slice = st.builds(slice, bound, bound, st.sampled_from([None, 1, 2, 3, -1, -2, -3]))
        index.append(draw(st.one_of(as_slice, st.integers(-n, n - 1)) if n else as_slice))
    return (shape,), {"index": tuple(index)}


def torch_basic_index(x, p):
    """Apply ints and slices one axis at a time (torch slices cannot step backwards)."""
    for d in reversed(range(len(p["index"]))):
        entry = p["index"][d]
        if isinstance(entry, slice):
            positions = list(range(*entry.indices(x.shape[d])))
            x = x.index_select(d, torch.tensor(positions, dtype=torch.long))
        else:
            x = x.select(d, entry)
    return x


@st.composite
def getitem_array_shapes(draw, kind: str):
    min_dims = 1 if kind == "first" else 2
    shape = list(draw(hnp.array_shapes(min_dims=min_dims, max_dims=MAX_RANK, min_side=0, max_side=MAX_SIDE)))
    shape[0] = max(shape[0], 1)
    if kind == "first":  # x[idx]
        index = draw(index_array(shape[0], INDEX_SHAPE))
    elif kind == "after_slice":  # x[:, idx]
        shape[1] = max(shape[1], 1)
        index = (slice(None), draw(index_array(shape[1], INDEX_SHAPE)))
    else:  # x[idx0, idx1], the index arrays broadcast
        shape[1] = max(shape[1], 1)
        s0, s1 = draw(
            hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=2, min_side=0, max_side=5)
        ).input_shapes
        index = (draw(index_array(shape[0], st.just(s0))), draw(index_array(shape[1], st.just(s1))))
    return (tuple(shape),), {"index": index}


@st.composite
def getitem_mask_shapes(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=MAX_RANK, min_side=0, max_side=MAX_SIDE))
    k = draw(st.integers(1, len(shape)))  # a boolean mask over the leading k axes
    return (shape,), {"index": draw(hnp.arrays(np.bool_, shape[:k]))}


def torch_array_index(x, p):
    index = p["index"]
    if isinstance(index, tuple):
        index = tuple(torch.as_tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    else:
        index = torch.as_tensor(index)
    return x[index]


def torch_tensor_index(x, p):
    """The twin of indexing with a synaptica Tensor: torch indexes with the array it stands for."""
    return x[torch.as_tensor(p["index"].astype(np.int64) if p["index"].dtype.kind == "f" else p["index"])]


# --- concat / stack: `count` operands that agree off the joined axis (concat) or in shape (stack)
@st.composite
def join_shapes(draw, count: int, new_axis: bool):
    rank = MAX_RANK - 1 if new_axis else MAX_RANK
    base = list(draw(hnp.array_shapes(min_dims=0 if new_axis else 1, max_dims=rank, min_side=0, max_side=MAX_SIDE)))
    ndim = len(base) + 1 if new_axis else len(base)
    axis = draw(st.integers(-ndim, ndim - 1))
    if new_axis:
        return (tuple(base),) * count, {"axis": axis}
    at = axis % ndim
    return tuple(tuple(base[:at] + [draw(SIDE)] + base[at + 1:]) for _ in range(count)), {"axis": axis}


# --- split: equal sections that divide the axis, or cut indices (unsorted, negative, past the end)
@st.composite
def split_shapes(draw, equal: bool):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=MAX_RANK, min_side=0, max_side=MAX_SIDE))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    size = shape[axis]
    if equal:
        sections = draw(st.sampled_from([k for k in range(1, MAX_SIDE + 1) if size % k == 0]))
    else:
        sections = draw(st.lists(st.integers(-size - 1, size + 2), max_size=4))
    return (shape,), {"sections": sections, "axis": axis}


# --- where: condition, a and b broadcast together; the condition comes from a seed
@st.composite
def where_shapes(draw, operands: int = 2):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=MAX_RANK, min_side=0,
                                                    max_side=MAX_SIDE)).input_shapes
    rng = np.random.default_rng(draw(SEED))
    condition = rng.uniform(size=shapes[0]) < 0.5
    kind = draw(st.sampled_from(["array", "bool_tensor", "float_tensor"]))
    return tuple(shapes[1:1 + operands]), {"condition": condition, "kind": kind}


def where_condition(p):
    """The condition as a row hands it to where: a bool array, a bool Tensor, or a float 0/1 Tensor."""
    if p["kind"] == "bool_tensor":
        return Tensor(p["condition"], dtype=bool)
    if p["kind"] == "float_tensor":
        return Tensor(p["condition"])
    return p["condition"]


# --- softmax / log_softmax along one axis (that axis is not empty)
@st.composite
def softmax_shapes(draw):
    shape = list(draw(hnp.array_shapes(min_dims=1, max_dims=MAX_RANK, min_side=0, max_side=MAX_SIDE)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    shape[axis] = max(shape[axis], 1)
    return (tuple(shape),), {"axis": axis}


# --- sampling (ops/sampling.py): the noise comes from a seed, so torch gets the same draw
@st.composite
def latent_shapes(draw, noise: bool = False):
    shape = (draw(st.integers(1, 5)), draw(st.integers(1, 6)))
    params = {"seed": draw(SEED)} if noise else {"reduction": draw(st.sampled_from(["mean", "sum"]))}
    return (shape, shape), params


@st.composite
def categorical_shapes(draw, noise: bool = False):
    shape = (draw(st.integers(1, 4)),) + ((draw(st.integers(1, 3)),) if draw(st.booleans()) else ()) + (
        draw(st.integers(1, 5)),)
    params = ({"seed": draw(SEED), "temperature": draw(st.sampled_from([0.5, 1.0, 2.0]))} if noise
              else {"reduction": draw(st.sampled_from(["mean", "sum"]))})
    return (shape,), params


def seeded_noise(kind, x, p):
    from synaptica.ops.sampling import gaussian_noise, gumbel_noise

    array = x.detach().numpy() if isinstance(x, torch.Tensor) else x.data
    make = gaussian_noise if kind == "gaussian" else gumbel_noise
    return make(array.shape, np.random.default_rng(p["seed"]), array.dtype)


def torch_gaussian_kl(mu, log_var, p):
    q = torch.distributions.Normal(mu, torch.exp(0.5 * log_var))
    kl = torch.distributions.kl_divergence(q, torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu)))
    return kl.sum() / (len(mu) if p["reduction"] == "mean" else 1)


def torch_categorical_kl(x, p):
    uniform = torch.distributions.Categorical(logits=torch.zeros_like(x))
    kl = torch.distributions.kl_divergence(torch.distributions.Categorical(logits=x), uniform)
    return kl.sum() / (len(x) if p["reduction"] == "mean" else 1)


# --- losses: outputs/logits and targets. Targets are constants (not differentiated).
REDUCTION = st.sampled_from(["mean", "sum"])
SEED = st.integers(0, 2**32 - 1)


@st.composite
def dense_loss_shapes(draw, targets: str, shapes=SHAPE):
    """Outputs of any rank (first axis, the batch, non-empty) and dense targets of the same shape."""
    shape = list(draw(shapes))
    if shape:
        shape[0] = max(shape[0], 1)
    rng = np.random.default_rng(draw(SEED))
    if targets == "real":
        y = rng.uniform(-1.0, 2.0, shape)
    else:  # probabilities, some exactly 0 or 1
        y = rng.uniform(0.0, 1.0, shape)
        y[rng.uniform(size=shape) < 0.3] = 0.0
        y[rng.uniform(size=shape) < 0.3] = 1.0
    return (tuple(shape),), {"y": y, "reduction": draw(REDUCTION), "as_tensor": draw(st.booleans())}


@st.composite
def class_loss_shapes(draw, targets: str):
    """Logits (batch, classes) and labels, one-hot rows or soft rows."""
    batch, classes = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    rng = np.random.default_rng(draw(SEED))
    labels = rng.integers(0, classes, batch)
    params = {"reduction": draw(REDUCTION)}
    if targets == "labels":
        params["labels"] = labels.astype(draw(st.sampled_from([np.int64, np.int32])))
    elif targets == "onehot":
        params["y"] = np.eye(classes)[labels]
    else:  # soft rows: normalised, or not (the vjp must handle any row sum)
        y = rng.uniform(0.0, 1.0, (batch, classes))
        params["y"] = y / y.sum(axis=1, keepdims=True) if draw(st.booleans()) else y
    params["as_tensor"] = "y" in params and draw(st.booleans())
    return ((batch, classes),), params


def targets_for(x: Tensor, p: dict):
    """The targets as the op receives them: labels, or dense targets in the output's dtype."""
    if "labels" in p:
        return p["labels"]
    y = p["y"].astype(x.dtype)
    return Tensor(y) if p["as_tensor"] else y


def torch_targets(x, p):
    """Dense targets (labels as one-hot rows) in the twin's dtype."""
    if "labels" in p:
        return F.one_hot(torch.as_tensor(p["labels"], dtype=torch.long), x.shape[-1]).to(x.dtype)
    return torch.as_tensor(p["y"], dtype=x.dtype)


def batch_of(x) -> int:
    return x.shape[0] if x.ndim else 1


def torch_quadratic(a, p):
    cost = 0.5 * ((a - torch_targets(a, p)) ** 2).sum()
    return cost / batch_of(a) if p["reduction"] == "mean" else cost


def torch_sigmoid_ce(z, p):
    cost = F.binary_cross_entropy_with_logits(z, torch_targets(z, p), reduction="sum")
    return cost / batch_of(z) if p["reduction"] == "mean" else cost


def torch_softmax_ce(z, p):
    if "labels" in p:
        return F.cross_entropy(z, torch.as_tensor(p["labels"], dtype=torch.long), reduction=p["reduction"])
    return F.cross_entropy(z, torch_targets(z, p), reduction=p["reduction"])


def loss_row(name, op, fn, twin, shapes, domain):
    return unary(name, op, lambda x, p: fn(x, targets_for(x, p), reduction=p["reduction"]), twin, domain, shapes)


# --- dropout: any shape, a drop probability and the seed of the mask (torch gets the same mask)
@st.composite
def dropout_shapes(draw):
    return (draw(SHAPE),), {"p": draw(st.sampled_from([0.0, 0.2, 0.5, 0.9])), "seed": draw(SEED)}


def torch_dropout(x, p):
    from synaptica.ops.dropout import dropout_mask

    dtype = x.detach().numpy().dtype
    mask = dropout_mask(tuple(x.shape), p["p"], np.random.default_rng(p["seed"]), dtype)
    return x * torch.as_tensor(mask)


# --- batch_norm: (batch, C, ...) with up to two further axes; gamma, beta (C,)
@st.composite
def batch_norm_shapes(draw, training: bool):
    batch = draw(st.integers(2 if training else 1, 5))
    channels = draw(st.integers(1, 4))
    spatial = tuple(draw(st.lists(st.integers(1, 4), max_size=2)))
    params = {"eps": draw(st.sampled_from([1e-5, 1e-3]))}
    if not training:  # the running statistics used in evaluation
        rng = np.random.default_rng(draw(SEED))
        params["mean"], params["var"] = rng.uniform(-1.0, 1.0, channels), rng.uniform(0.5, 2.0, channels)
    return ((batch, channels) + spatial, (channels,), (channels,)), params


def spread_batch(rng, shape):
    """ANY, with the first two examples pushed apart (+3, −3), so that no channel's batch variance is
    near zero (its inverse square root would make finite differences meaningless)."""
    x = rng.uniform(-2.0, 2.0, shape)
    if len(shape) and shape[0] >= 2:
        x[0] += 3.0
        x[1] -= 3.0
    return x


def build_batch_norm(t, p):
    x, gamma, beta = t
    if "mean" in p:
        return ops.batch_norm(x, gamma, beta, p["eps"], mean=p["mean"].astype(x.dtype), var=p["var"].astype(x.dtype))[0]
    return ops.batch_norm(x, gamma, beta, p["eps"])[0]


def torch_batch_norm(t, p):
    x, gamma, beta = t
    if "mean" in p:
        mean, var = (torch.as_tensor(p[k].astype(x.detach().numpy().dtype)) for k in ("mean", "var"))
        return F.batch_norm(x, mean, var, gamma, beta, training=False, eps=p["eps"])
    return F.batch_norm(x, None, None, gamma, beta, training=True, eps=p["eps"])


# --- prelu: one shared slope (any input) or one per channel (axis 1)
@st.composite
def prelu_shapes(draw, per_channel: bool):
    if not per_channel:
        return (draw(SHAPE), (1,)), {}
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=MAX_RANK, min_side=0, max_side=MAX_SIDE))
    shape = (shape[0], max(shape[1], 1)) + shape[2:]
    return (shape, (shape[1],)), {}


# --- convolution and pooling: images (batch, C, H, W), non-square windows, strides and padding given
# as an int or a (rows, columns) pair; the image is at least as large as the window once padded
CONV_EXAMPLES = 15  # each example is a full Jacobian of up to ~400 inputs: keep the count modest


def size_param(pair):
    """An int when both axes agree, else the pair: both spellings are accepted."""
    return pair[0] if pair[0] == pair[1] else pair


@st.composite
def image_shape(draw, kernel, padding):
    batch, channels = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h = draw(st.integers(max(1, kernel[0] - 2 * padding[0]), 6))
    w = draw(st.integers(max(1, kernel[1] - 2 * padding[1]), 6))
    return batch, channels, h, w


@st.composite
def conv_shapes(draw, bias: bool):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    batch, channels, h, w = draw(image_shape(kernel, padding))
    maps = draw(st.integers(1, 3))
    shapes = ((batch, channels, h, w), (maps, channels) + kernel) + (((maps,),) if bias else ())
    return shapes, {"stride": size_param(stride), "padding": size_param(padding)}


@st.composite
def conv_transpose_shapes(draw, bias: bool):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    extra = (draw(st.integers(0, stride[0] - 1)), draw(st.integers(0, stride[1] - 1)))
    batch, channels, maps = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    # the output, (size − 1)·stride − 2·padding + kernel + extra, must hold at least one pixel
    sides = [draw(st.integers(1 + max(0, -((k + e - 2 * p - 1) // s)), 4))
             for k, s, p, e in zip(kernel, stride, padding, extra)]
    shapes = ((batch, channels, *sides), (channels, maps) + kernel) + (((maps,),) if bias else ())
    return shapes, {"stride": size_param(stride), "padding": size_param(padding), "output_padding": size_param(extra)}


def conv_transpose_row(name, shapes, bias=True, examples=CONV_EXAMPLES):
    def build(t, p):
        return ops.conv_transpose2d(t[0], t[1], t[2] if bias else None, p["stride"], p["padding"], p["output_padding"])

    def twin(t, p):
        return F.conv_transpose2d(t[0], t[1], t[2] if bias else None, p["stride"], p["padding"], p["output_padding"])

    return Row(name, "conv_transpose2d", build, twin, shapes, (ANY,) * (3 if bias else 2), examples)


@st.composite
def pool_shapes(draw, padded: bool):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2))) if padded else (0, 0)
    shape = draw(image_shape(kernel, padding))
    params = {"kernel": size_param(kernel), "stride": stride if stride is None else size_param(stride)}
    if padded:
        params["padding"] = size_param(padding)
    return (shape,), params


def pinned(shapes, params):
    """A strategy that always gives these shapes: a case every run exercises."""
    return st.just((shapes, params))


def conv_row(name, shapes, bias=True, examples=CONV_EXAMPLES):
    def build(t, p):
        return ops.conv2d(t[0], t[1], t[2] if bias else None, p["stride"], p["padding"])

    def twin(t, p):
        return F.conv2d(t[0], t[1], t[2] if bias else None, p["stride"], p["padding"])

    return Row(name, "conv2d", build, twin, shapes, (ANY,) * (3 if bias else 2), examples)


def pool_row(name, op, build, twin, domain, shapes, examples=CONV_EXAMPLES):
    return Row(name, op, lambda t, p: build(t[0], p), lambda t, p: twin(t[0], p), shapes, (domain,), examples)


def max_pool(x, p):
    return ops.max_pool2d(x, p["kernel"], p["stride"], p["padding"])


def torch_max_pool(x, p):
    return F.max_pool2d(x, p["kernel"], p["stride"], p["padding"])


def torch_scale_mixture(w, pi, sigma1, sigma2):
    """ln(π N(w; 0, σ₁²) + (1 − π) N(w; 0, σ₂²)) through torch.distributions and torch.logaddexp."""
    def normal(sigma):  # the scale in w's dtype: a Python float would make it float32
        return torch.distributions.Normal(torch.zeros((), dtype=w.dtype), torch.tensor(sigma, dtype=w.dtype))

    wide = math.log(pi) + normal(sigma1).log_prob(w)
    narrow = math.log(1 - pi) + normal(sigma2).log_prob(w)
    return torch.logaddexp(wide, narrow)


ROWS: list[Row] = [
    # elementwise, binary (broadcasting), through the operators
    binary("add", "add", lambda a, b, p: a + b, lambda a, b, p: a + b),
    binary("sub", "sub", lambda a, b, p: a - b, lambda a, b, p: a - b),
    binary("mul", "mul", lambda a, b, p: a * b, lambda a, b, p: a * b),
    binary("div", "div", lambda a, b, p: a / b, lambda a, b, p: a / b, domains=(ANY, NONZERO)),
    # a Python number on either side
    unary("add_number", "add", lambda x, p: 0.5 + x, lambda x, p: 0.5 + x, ANY),
    unary("rsub_number", "sub", lambda x, p: 1.5 - x, lambda x, p: 1.5 - x, ANY),
    unary("mul_number", "mul", lambda x, p: x * -1.75, lambda x, p: x * -1.75, ANY),
    unary("rdiv_number", "div", lambda x, p: 2.0 / x, lambda x, p: 2.0 / x, NONZERO),
    # elementwise, unary
    unary("neg", "neg", lambda x, p: -x, lambda x, p: -x, ANY),
    unary("pow_int", "pow", lambda x, p: x ** p["p"], lambda x, p: x ** p["p"], NONZERO,
          shapes=pow_shapes([-2, -1, 0, 1, 2, 3])),
    unary("pow_real", "pow", lambda x, p: x ** p["p"], lambda x, p: x ** p["p"], POSITIVE,
          shapes=pow_shapes([0.5, -0.5, 1.5, 2.5, -1.25])),
    unary("exp", "exp", lambda x, p: ops.exp(x), lambda x, p: torch.exp(x), ANY),
    unary("log", "log", lambda x, p: ops.log(x), lambda x, p: torch.log(x), POSITIVE),
    unary("sqrt", "sqrt", lambda x, p: ops.sqrt(x), lambda x, p: torch.sqrt(x), POSITIVE),
    unary("sigmoid", "sigmoid", lambda x, p: ops.sigmoid(x), lambda x, p: torch.sigmoid(x), LOGITS),
    unary("sigmoid_0d", "sigmoid", lambda x, p: ops.sigmoid(x), lambda x, p: torch.sigmoid(x), LOGITS,
          shapes=st.just((((),), {}))),
    unary("tanh", "tanh", lambda x, p: ops.tanh(x), lambda x, p: torch.tanh(x), uniform(-3.0, 3.0)),
    unary("relu", "relu", lambda x, p: ops.relu(x), lambda x, p: torch.relu(x), NO_KINK),
    unary("leaky_relu", "leaky_relu", lambda x, p: ops.leaky_relu(x, 0.1),
          lambda x, p: torch.nn.functional.leaky_relu(x, 0.1), NO_KINK),
    unary("elu", "elu", lambda x, p: ops.elu(x, 1.5), lambda x, p: torch.nn.functional.elu(x, 1.5), NO_KINK),
    unary("softplus", "softplus", lambda x, p: ops.softplus(x), lambda x, p: torch.nn.functional.softplus(x),
          uniform(-30.0, 30.0)),
    # Bayes by backprop's scale-mixture prior: both components matter in each row's domain
    unary("scale_mixture_log_prior", "scale_mixture_log_prior",
          lambda x, p: ops.scale_mixture_log_prior(x, 0.25, 1.0, 0.1),
          lambda x, p: torch_scale_mixture(x, 0.25, 1.0, 0.1), ANY),
    unary("scale_mixture_log_prior_paper", "scale_mixture_log_prior",
          lambda x, p: ops.scale_mixture_log_prior(x, 0.5, 1.0, math.exp(-6)),
          lambda x, p: torch_scale_mixture(x, 0.5, 1.0, math.exp(-6)), uniform(-0.02, 0.02)),
    # matrix products
    *[
        binary(f"matmul_{label}", "matmul", lambda a, b, p: a @ b, lambda a, b, p: a @ b,
               shapes=matmul_shapes(*kind))
        for label, kind in [
            ("1d_1d", (True, True, False)),
            ("1d_2d", (True, False, False)),
            ("2d_1d", (False, True, False)),
            ("2d_2d", (False, False, False)),
            ("1d_batched", (True, False, True)),
            ("batched_1d", (False, True, True)),
            ("batched_broadcast", (False, False, True)),
        ]
    ],
    Row("linear", "linear", lambda t, p: ops.linear(*t), lambda t, p: F.linear(*t), linear_shapes(True),
        (ANY, ANY, ANY)),
    Row("linear_no_bias", "linear", lambda t, p: ops.linear(*t), lambda t, p: F.linear(*t), linear_shapes(False),
        (ANY, ANY)),
    Row("linear_1d", "linear", lambda t, p: ops.linear(*t), lambda t, p: F.linear(*t), linear_shapes(True, True),
        (ANY, ANY, ANY)),
    Row("linear_1d_no_bias", "linear", lambda t, p: ops.linear(*t), lambda t, p: F.linear(*t),
        linear_shapes(False, True), (ANY, ANY)),
    # reductions
    unary("sum", "sum", lambda x, p: ops.sum(x, p["axis"], p["keepdims"]), torch_reduce(torch.sum), ANY,
          shapes=reduce_shapes()),
    unary("mean", "mean", lambda x, p: ops.mean(x, p["axis"], p["keepdims"]), torch_reduce(torch.mean), ANY,
          shapes=reduce_shapes()),
    unary("max", "max", lambda x, p: ops.max(x, p["axis"], p["keepdims"]), torch_reduce(torch.amax), distinct,
          shapes=reduce_shapes(nonempty_reduced=True)),
    # moving elements
    unary("reshape", "reshape", lambda x, p: x.reshape(p["shape"]), lambda x, p: x.reshape(p["shape"]), ANY,
          shapes=reshape_shapes()),
    unary("transpose", "transpose", lambda x, p: ops.transpose(x, p["axes"]), torch_transpose, ANY,
          shapes=transpose_shapes()),
    unary("transpose_negative_axes", "transpose", lambda x, p: ops.transpose(x, p["axes"]), torch_transpose, ANY,
          shapes=transpose_negative_axes_shapes()),
    unary("getitem_basic", "getitem", lambda x, p: x[p["index"]], torch_basic_index, ANY,
          shapes=getitem_basic_shapes()),
    unary("getitem_array", "getitem", lambda x, p: x[p["index"]], torch_array_index, ANY,
          shapes=getitem_array_shapes("first")),
    unary("getitem_slice_array", "getitem", lambda x, p: x[p["index"]], torch_array_index, ANY,
          shapes=getitem_array_shapes("after_slice")),
    unary("getitem_two_arrays", "getitem", lambda x, p: x[p["index"]], torch_array_index, ANY,
          shapes=getitem_array_shapes("two")),
    unary("getitem_mask", "getitem", lambda x, p: x[p["index"]], torch_array_index, ANY,
          shapes=getitem_mask_shapes()),
    unary("getitem_bool_tensor", "getitem", lambda x, p: x[Tensor(p["index"], dtype=bool)], torch_array_index, ANY,
          shapes=getitem_mask_shapes()),
    unary("getitem_int_tensor", "getitem", lambda x, p: x[Tensor(p["index"], dtype=np.intp)], torch_tensor_index,
          ANY, shapes=getitem_array_shapes("first")),
    unary("getitem_float_tensor", "getitem", lambda x, p: x[Tensor(p["index"])], torch_tensor_index, ANY,
          shapes=getitem_array_shapes("first")),  # Tensor() makes integer arrays float32: whole numbers gather
    unary("getitem_slice_tensor", "getitem", lambda x, p: x[p["index"][0], Tensor(p["index"][1], dtype=np.intp)],
          torch_array_index, ANY, shapes=getitem_array_shapes("after_slice")),
    # joining, cutting and choosing
    Row("concat", "concat", lambda t, p: ops.concat(t, p["axis"]), lambda t, p: torch.cat(t, p["axis"]),
        join_shapes(3, new_axis=False), (ANY, ANY, ANY)),
    binary("concat_used_twice", "concat", lambda a, b, p: ops.concat([a, b, a], p["axis"]),
           lambda a, b, p: torch.cat([a, b, a], p["axis"]), shapes=join_shapes(2, new_axis=False)),
    Row("stack", "stack", lambda t, p: ops.stack(t, p["axis"]), lambda t, p: torch.stack(t, p["axis"]),
        join_shapes(3, new_axis=True), (ANY, ANY, ANY)),
    binary("stack_used_twice", "stack", lambda a, b, p: ops.stack([b, a, a], p["axis"]),
           lambda a, b, p: torch.stack([b, a, a], p["axis"]), shapes=join_shapes(2, new_axis=True)),
    unary("split_equal", "split", lambda x, p: ops.split(x, p["sections"], p["axis"]),
          lambda x, p: torch.tensor_split(x, p["sections"], p["axis"]), ANY, shapes=split_shapes(equal=True)),
    unary("split_indices", "split", lambda x, p: ops.split(x, p["sections"], p["axis"]),
          lambda x, p: torch.tensor_split(x, p["sections"], p["axis"]), ANY, shapes=split_shapes(equal=False)),
    binary("where", "where", lambda a, b, p: ops.where(where_condition(p), a, b),
           lambda a, b, p: torch.where(torch.as_tensor(p["condition"]), a, b), shapes=where_shapes()),
    unary("where_used_twice", "where", lambda x, p: ops.where(where_condition(p), x, x),
          lambda x, p: torch.where(torch.as_tensor(p["condition"]), x, x), ANY, shapes=where_shapes(1)),
    unary("where_number", "where", lambda x, p: ops.where(where_condition(p), 0.5, x),
          lambda x, p: torch.where(torch.as_tensor(p["condition"]), 0.5, x), ANY, shapes=where_shapes(1)),
    # softmax
    unary("softmax", "softmax", lambda x, p: ops.softmax(x, p["axis"]), lambda x, p: torch.softmax(x, p["axis"]),
          uniform(-3.0, 3.0), shapes=softmax_shapes()),
    unary("log_softmax", "log_softmax", lambda x, p: ops.log_softmax(x, p["axis"]),
          lambda x, p: torch.log_softmax(x, p["axis"]), uniform(-3.0, 3.0), shapes=softmax_shapes()),
    # sampling: reparameterisation, Gumbel-softmax, closed-form KL divergences
    binary("reparameterize", "reparameterize",
           lambda m, v, p: ops.reparameterize(m, v, seeded_noise("gaussian", m, p)),
           lambda m, v, p: m + torch.exp(0.5 * v) * torch.as_tensor(seeded_noise("gaussian", m, p)),
           domains=(ANY, ANY), shapes=latent_shapes(noise=True)),
    binary("gaussian_kl", "gaussian_kl", lambda m, v, p: ops.gaussian_kl(m, v, p["reduction"]), torch_gaussian_kl,
           domains=(ANY, ANY), shapes=latent_shapes()),
    unary("categorical_kl", "categorical_kl", lambda x, p: ops.categorical_kl(x, p["reduction"]),
          torch_categorical_kl, LOGITS, shapes=categorical_shapes()),
    unary("gumbel_softmax", "gumbel_softmax",
          lambda x, p: ops.gumbel_softmax(x, seeded_noise("gumbel", x, p), p["temperature"]),
          lambda x, p: torch.softmax((x + torch.as_tensor(seeded_noise("gumbel", x, p))) / p["temperature"], -1),
          LOGITS, shapes=categorical_shapes(noise=True)),
    # fused losses
    # recurrent cells over whole sequences (tests/ops/recurrent_twins.py: the same loops in torch)
    Row("elman", "elman", build_elman, torch_elman, recurrent_shapes("elman"), (ANY,) * 5, RECURRENT_EXAMPLES),
    Row("jordan", "jordan", build_jordan, torch_jordan, recurrent_shapes("jordan"), (ANY,) * 7, RECURRENT_EXAMPLES),
    Row("lstm", "lstm", build_lstm, torch_lstm, recurrent_shapes("lstm"), (ANY,) * 6, RECURRENT_EXAMPLES),
    Row("lstm_peephole", "lstm", build_lstm, torch_lstm, recurrent_shapes("lstm_peephole"), (ANY,) * 7,
        RECURRENT_EXAMPLES),
    Row("gru", "gru", build_gru, torch_gru, recurrent_shapes("gru"), (ANY,) * 6, RECURRENT_EXAMPLES),
    loss_row("quadratic_dense", "quadratic_cost", ops.quadratic_cost, torch_quadratic,
             dense_loss_shapes("real"), ANY),
    loss_row("quadratic_labels", "quadratic_cost", ops.quadratic_cost, torch_quadratic,
             class_loss_shapes("labels"), ANY),
    loss_row("sigmoid_ce_dense", "sigmoid_cross_entropy", ops.sigmoid_cross_entropy, torch_sigmoid_ce,
             dense_loss_shapes("probabilities"), LOGITS),
    loss_row("sigmoid_ce_0d", "sigmoid_cross_entropy", ops.sigmoid_cross_entropy, torch_sigmoid_ce,
             dense_loss_shapes("probabilities", st.just(())), LOGITS),
    loss_row("sigmoid_ce_labels", "sigmoid_cross_entropy", ops.sigmoid_cross_entropy, torch_sigmoid_ce,
             class_loss_shapes("labels"), LOGITS),
    loss_row("softmax_ce_labels", "softmax_cross_entropy", ops.softmax_cross_entropy, torch_softmax_ce,
             class_loss_shapes("labels"), LOGITS),
    loss_row("softmax_ce_onehot", "softmax_cross_entropy", ops.softmax_cross_entropy, torch_softmax_ce,
             class_loss_shapes("onehot"), LOGITS),
    loss_row("softmax_ce_soft", "softmax_cross_entropy", ops.softmax_cross_entropy, torch_softmax_ce,
             class_loss_shapes("soft"), LOGITS),
    # convolution: stride, padding, non-square images and kernels, several channels and maps
    conv_row("conv2d", conv_shapes(bias=True)),
    conv_row("conv2d_no_bias", conv_shapes(bias=False), bias=False),
    conv_row("conv2d_strided_padded", pinned(((2, 3, 7, 5), (4, 3, 3, 2), (4,)), {"stride": (2, 1), "padding": (1, 0)}),
             examples=1),
    # transposed convolution: stride, padding that crops, output padding, non-square kernels
    conv_transpose_row("conv_transpose2d", conv_transpose_shapes(bias=True)),
    conv_transpose_row("conv_transpose2d_no_bias", conv_transpose_shapes(bias=False), bias=False),
    conv_transpose_row("conv_transpose2d_dcgan", pinned(((2, 3, 4, 3), (3, 2, 4, 4), (2,)),
                                                        {"stride": 2, "padding": 1, "output_padding": (1, 0)}),
                       examples=1),
    # pooling: max on distinct values (no window holds a tie), L2 away from 0 (where √ has no slope)
    pool_row("max_pool2d", "max_pool2d", max_pool, torch_max_pool, distinct, pool_shapes(padded=True)),
    pool_row("max_pool2d_overlapping", "max_pool2d", max_pool, torch_max_pool, distinct,
             pinned(((2, 3, 7, 6),), {"kernel": (3, 2), "stride": 1, "padding": (1, 1)}), examples=1),
    pool_row("avg_pool2d", "avg_pool2d", lambda x, p: ops.avg_pool2d(x, p["kernel"], p["stride"], p["padding"]),
             lambda x, p: F.avg_pool2d(x, p["kernel"], p["stride"], p["padding"]), ANY, pool_shapes(padded=True)),
    pool_row("l2_pool2d", "l2_pool2d", lambda x, p: ops.l2_pool2d(x, p["kernel"], p["stride"]),
             lambda x, p: F.lp_pool2d(x, 2, p["kernel"], p["stride"]), NONZERO, pool_shapes(padded=False)),
    # regularisation and learned units
    unary("dropout", "dropout", lambda x, p: ops.dropout(x, p["p"], np.random.default_rng(p["seed"])), torch_dropout,
          ANY, shapes=dropout_shapes()),
    Row("batch_norm_train", "batch_norm", build_batch_norm, torch_batch_norm, batch_norm_shapes(True),
        (spread_batch, uniform(-2.0, 2.0), ANY)),
    Row("batch_norm_eval", "batch_norm", build_batch_norm, torch_batch_norm, batch_norm_shapes(False),
        (ANY, uniform(-2.0, 2.0), ANY)),
    binary("prelu_shared", "prelu", lambda x, a, p: ops.prelu(x, a), lambda x, a, p: F.prelu(x, a),
           domains=(NO_KINK, uniform(-0.5, 0.5)), shapes=prelu_shapes(False)),
    binary("prelu_channels", "prelu", lambda x, a, p: ops.prelu(x, a), lambda x, a, p: F.prelu(x, a),
           domains=(NO_KINK, uniform(-0.5, 0.5)), shapes=prelu_shapes(True)),
]


# ---------------------------------------------------------------------------------------- helpers


def sample_inputs(row: Row, shapes, rng) -> list[np.ndarray]:
    return [np.asarray(domain(rng, shape), dtype=np.float64) for domain, shape in zip(row.domain, shapes)]


def output_weights(rng, shape) -> np.ndarray:
    """Fixed random weights for (out * w).sum(): a non-trivial gradient into the op."""
    return rng.uniform(-1.5, 1.5, shape)


def assert_grad_like(grad, operand: np.ndarray, what: str) -> None:
    # a 0-d gradient may be a NumPy scalar rather than a 0-d array; both carry shape and dtype
    assert isinstance(grad, (np.ndarray, np.generic)), f"{what}: grad is {type(grad).__name__}"
    assert grad.shape == operand.shape, f"{what}: grad shape {grad.shape} != operand shape {operand.shape}"
    assert grad.dtype == operand.dtype, f"{what}: grad dtype {grad.dtype} != operand dtype {operand.dtype}"


def outputs_of(row: Row, result, dtype) -> tuple:
    """The op's outputs as a tuple (split returns several, every other op one), each checked to be
    the row's op in the inputs' dtype."""
    outputs = result if isinstance(result, tuple) else (result,)
    for out in outputs:
        assert out.op == row.op, f"{row.name}: built op {out.op!r}, expected {row.op!r}"
        assert out.dtype == dtype, f"{row.name}: output dtype {out.dtype}, inputs {np.dtype(dtype)}"
    return outputs


def weighted_total(outputs, weights, wrap):
    """Σᵢ (outputᵢ ⊙ wᵢ).sum(): a scalar whose gradient into each output is its fixed weights."""
    parts = [(out * wrap(w)).sum() for out, w in zip(outputs, weights)]
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def compare_with_torch(row: Row, shapes, params, rng, dtype, rtol: float, atol: float) -> None:
    inputs = [x.astype(dtype) for x in sample_inputs(row, shapes, rng)]

    tensors = [Tensor(x.copy(), requires_grad=True) for x in inputs]
    outputs = outputs_of(row, row.build(tensors, params), dtype)
    weights = [output_weights(rng, out.shape).astype(dtype) for out in outputs]
    weighted_total(outputs, weights, Tensor).backward()

    twins = [torch.tensor(x, requires_grad=True) for x in inputs]
    twin_result = row.twin(twins, params)
    twin_outputs = twin_result if isinstance(twin_result, tuple) else (twin_result,)
    weighted_total(twin_outputs, weights, torch.as_tensor).backward()

    assert len(outputs) == len(twin_outputs), f"{row.name}: {len(outputs)} outputs vs torch {len(twin_outputs)}"
    for out, twin_out in zip(outputs, twin_outputs):
        assert out.shape == tuple(twin_out.shape), f"{row.name}: output shape {out.shape} vs torch {tuple(twin_out.shape)}"
        np.testing.assert_allclose(out.data, twin_out.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{row.name}: forward")
    for i, (t, twin, x) in enumerate(zip(tensors, twins, inputs)):
        assert t.grad is not None, f"{row.name}: operand {i} received no gradient"
        assert_grad_like(t.grad, x, f"{row.name} operand {i}")
        expected = np.zeros_like(x) if twin.grad is None else twin.grad.numpy()
        np.testing.assert_allclose(t.grad, expected, rtol=rtol, atol=atol, err_msg=f"{row.name}: grad of operand {i}")


ROW_PARAMS = [pytest.param(row, id=row.name) for row in ROWS]


# ---------------------------------------------------------------------------------------- tests


def test_every_differentiable_op_has_a_row():
    covered = {row.op for row in ROWS}
    missing = sorted(set(ops.DIFFERENTIABLE_OPS) - covered)
    assert not missing, f"ops without an oracle row in tests/ops/test_ops.py: {missing}"
    unknown = sorted({row.op for row in ROWS} - set(ops.DIFFERENTIABLE_OPS))
    assert not unknown, f"rows for names not in DIFFERENTIABLE_OPS: {unknown}"
    for name in ops.DIFFERENTIABLE_OPS:
        assert callable(getattr(ops, name)), name
    names = [row.name for row in ROWS]
    assert len(names) == len(set(names)), "row names must be unique"


def run_examples(row: Row, check: Callable[[Row, tuple, dict, np.random.Generator], None]) -> None:
    """Run ``check`` on Hypothesis examples of the row's shapes."""

    @settings(SETTINGS, max_examples=row.examples)
    @given(case=row.shapes, seed=SEED)
    def examples(case, seed):
        shapes, params = case
        assert len(shapes) == len(row.domain), f"{row.name}: {len(shapes)} shapes for {len(row.domain)} domains"
        check(row, shapes, params, np.random.default_rng(seed))

    examples()


def check_finite_differences(row: Row, shapes, params, rng) -> None:
    inputs = sample_inputs(row, shapes, rng)
    weights = {}

    def scalar(*tensors):
        outputs = outputs_of(row, row.build(list(tensors), params), np.float64)
        if "w" not in weights:  # drawn once, on the first (backprop) call, then fixed
            weights["w"] = [output_weights(rng, out.shape) for out in outputs]
        return weighted_total(outputs, weights["w"], Tensor)

    grads = gradcheck(scalar, inputs, rng=rng)
    for i, (g, x) in enumerate(zip(grads, inputs)):
        assert_grad_like(g, x, f"{row.name} operand {i}")


@pytest.mark.parametrize("row", ROW_PARAMS)
def test_gradient_matches_finite_differences(row: Row):
    run_examples(row, check_finite_differences)


@pytest.mark.parametrize("row", ROW_PARAMS)
def test_matches_torch_float64(row: Row):
    run_examples(row, lambda *case: compare_with_torch(*case, np.float64, rtol=1e-7, atol=1e-9))


@pytest.mark.parametrize("row", ROW_PARAMS)
def test_matches_torch_float32(row: Row):
    run_examples(row, lambda *case: compare_with_torch(*case, np.float32, rtol=1e-5, atol=1e-5))


# ---------------------------------------------------------------------------------------- large inputs
# Hypothesis favours small shapes, so the random-direction branch of gradcheck (500 elements or more)
# is exercised here on purpose, with the same rows and oracles.

LARGE_CASES = [
    ("exp", ((7, 7, 7, 7),), {}),
    ("mul", ((7, 1, 7, 7), (7, 7, 7)), {}),
    ("div", ((7, 7, 7), (7, 7, 7)), {}),
    ("relu", ((30, 40),), {}),
    ("pow_real", ((700,),), {"p": 1.5}),
    ("matmul_batched_broadcast", ((3, 1, 7, 6), (4, 6, 7)), {}),  # 294 elements: full
    ("matmul_batched_broadcast", ((5, 1, 7, 9), (4, 9, 7)), {}),
    ("matmul_1d_batched", ((30,), (3, 30, 9)), {}),
    ("linear", ((64, 20), (10, 20), (10,)), {}),
    ("linear", ((10, 60), (40, 60), (40,)), {}),  # few rows, more outputs: computed as (W xᵀ)ᵀ
    ("linear_1d", ((60,), (40, 60), (40,)), {}),
    ("sum", ((7, 7, 7, 7),), {"axis": (1, -1), "keepdims": True}),
    ("mean", ((7, 7, 7, 7),), {"axis": 2, "keepdims": False}),
    ("max", ((7, 7, 7, 7),), {"axis": -1, "keepdims": False}),
    ("reshape", ((7, 7, 7, 7),), {"shape": (49, -1)}),
    ("transpose", ((5, 6, 7, 3),), {"axes": (2, 0, 3, 1)}),
    ("getitem_basic", ((7, 7, 7, 7),), {"index": (slice(None, None, -2), 3, slice(1, None))}),
    ("getitem_array", ((7, 7, 7, 2),), {"index": np.array([[0, 3, 3, -1, 6, 0, 0, 2, 3]] * 2)}),
    ("concat", ((7, 7, 7, 7), (7, 3, 7, 7), (7, 1, 7, 7)), {"axis": 1}),
    ("stack", ((7, 7, 7), (7, 7, 7), (7, 7, 7)), {"axis": -1}),
    ("split_indices", ((7, 7, 7, 7),), {"sections": [5, 2, -1], "axis": 2}),
    ("where", ((7, 7, 7, 7), (7, 1, 7)), {"condition": np.arange(49).reshape(7, 7) % 3 == 0, "kind": "array"}),
    ("softmax", ((5, 7, 7, 7),), {"axis": 1}),
    ("log_softmax", ((5, 7, 7, 7),), {"axis": -1}),
    ("quadratic_dense", ((50, 12),), {"y": np.linspace(-1, 1, 600).reshape(50, 12), "reduction": "mean",
                                      "as_tensor": False}),
    ("softmax_ce_labels", ((64, 10),), {"labels": np.arange(64) % 10, "reduction": "mean"}),
    ("sigmoid_ce_labels", ((64, 10),), {"labels": (np.arange(64) * 7) % 10, "reduction": "sum"}),
    ("conv2d", ((4, 3, 12, 10), (6, 3, 5, 3), (6,)), {"stride": 1, "padding": (2, 1)}),
    ("conv_transpose2d", ((4, 6, 7, 7), (6, 3, 4, 4), (3,)), {"stride": 2, "padding": 1, "output_padding": 1}),
    ("max_pool2d", ((4, 6, 12, 10),), {"kernel": 2, "stride": None, "padding": 0}),
    ("avg_pool2d", ((4, 6, 12, 10),), {"kernel": 3, "stride": 2, "padding": 1}),
    ("l2_pool2d", ((4, 6, 12, 10),), {"kernel": 2, "stride": None}),
    ("dropout", ((30, 40),), {"p": 0.5, "seed": 7}),
    ("batch_norm_train", ((16, 6, 5, 5), (6,), (6,)), {"eps": 1e-5}),
    ("batch_norm_train", ((64, 20), (20,), (20,)), {"eps": 1e-5}),
    ("prelu_channels", ((8, 6, 5, 5), (6,)), {}),
]
ROW_BY_NAME = {row.name: row for row in ROWS}


@pytest.mark.parametrize("name, shapes, params", LARGE_CASES, ids=[f"{case[0]}-{i}" for i, case in enumerate(LARGE_CASES)])
def test_large_inputs(name, shapes, params):
    row = ROW_BY_NAME[name]
    check_finite_differences(row, shapes, params, np.random.default_rng(1))
    compare_with_torch(row, shapes, params, np.random.default_rng(2), np.float64, rtol=1e-7, atol=1e-9)
    compare_with_torch(row, shapes, params, np.random.default_rng(3), np.float32, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------- beyond the table


def test_max_ties_share_the_gradient_like_torch_amax():
    # finite differences are meaningless at a tie; the documented convention is PyTorch's amax
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [5.0, -1.0, 5.0, 5.0]])
    w = np.array([[0.5, -1.0, 2.0]])
    for axis, keepdims in [(1, True), (0, False), (None, False), ((0, 1), True)]:
        t = Tensor(x.copy(), requires_grad=True)
        out = ops.max(t, axis, keepdims)
        weights = np.resize(w, out.shape)
        (out * Tensor(weights)).sum().backward()
        twin = torch.tensor(x, requires_grad=True)
        dims = torch_dims(axis, x.ndim)
        twin_out = torch.amax(twin, dim=dims, keepdim=keepdims)
        (twin_out * torch.as_tensor(weights)).sum().backward()
        np.testing.assert_array_equal(out.data, twin_out.detach().numpy())
        np.testing.assert_allclose(t.grad, twin.grad.numpy(), rtol=1e-12, err_msg=f"axis={axis}")


@pytest.mark.parametrize("rows, n_out", [(10, 100), (10, 10), (64, 100), (1, 30)])
def test_times_transposed_is_x_times_w_transposed_in_either_orientation(rows, n_out):
    # (10, 100) and (1, 30) take the (W xᵀ)ᵀ branch; the result is column-major there, and a second
    # layer fed with it must give what the row-major product gives
    rng = np.random.default_rng(0)
    x, w1, w2 = rng.standard_normal((rows, 50)), rng.standard_normal((n_out, 50)), rng.standard_normal((7, n_out))
    hidden = times_transposed(x, w1)
    np.testing.assert_allclose(hidden, x @ w1.T, rtol=1e-12, atol=1e-12)
    assert hidden.shape == (rows, n_out)
    np.testing.assert_allclose(times_transposed(hidden, w2), (x @ w1.T) @ w2.T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_feedback_matrix_replaces_the_weight_only_for_the_input_gradient(bias):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((5, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    feedback = rng.standard_normal((3, 4))
    g = rng.standard_normal((5, 3))
    grads = {}
    for name, matrix in [("backprop", None), ("feedback", feedback)]:
        tensors = [Tensor(a.copy(), requires_grad=True) for a in ((x, w, b) if bias else (x, w))]
        out = ops.linear(*tensors, feedback=matrix)
        np.testing.assert_allclose(out.data, x @ w.T + (b if bias else 0))
        (out * Tensor(g)).sum().backward()
        grads[name] = [t.grad for t in tensors]
    np.testing.assert_allclose(grads["backprop"][0], g @ w)
    np.testing.assert_allclose(grads["feedback"][0], g @ feedback)
    for backprop, aligned in zip(grads["backprop"][1:], grads["feedback"][1:]):
        np.testing.assert_array_equal(backprop, aligned)


@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 5, 4), ()])
def test_linear_names_an_input_that_does_not_fit_the_weight(shape):
    # a (2, 5, 4) input once came out of the (W xᵀ)ᵀ branch with its axes scrambled
    message = rf"linear: input of shape {re.escape(str(shape))} does not fit weight of shape \(3, 4\); " \
              r"expected \(batch, 4\) or \(4,\)"
    with pytest.raises(ShapeError, match=message):
        ops.linear(Tensor(np.ones(shape)), Tensor(np.ones((3, 4))))
