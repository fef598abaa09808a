"""Module and Parameter: the containers that hold a network's learnable state.

A :class:`Module` holds :class:`Parameter`s and other modules as plain attributes; nothing is
registered by magic. :meth:`Module.named_parameters` finds them by walking the attributes, and the
lists, tuples and dicts held in them, and names each by its attribute path: ``layers.0.weight`` for
a list, ``heads.digits.weight`` for a dict's key ``"digits"``. Modules hold state; the math lives in
:mod:`synaptica.ops`.

Some state is not learned by gradient descent but must still be saved with the model, such as
batch normalisation's running mean and variance. A module names such NumPy-array attributes in its
class attribute ``buffer_names``; :meth:`Module.named_buffers` finds them as
:meth:`~Module.named_parameters` finds parameters, and the state dict holds both.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from synaptica.errors import DtypeError, ShapeError
from synaptica.tensor import DEFAULT_DTYPE, Tensor


class Parameter(Tensor):
    """A tensor that training updates. ``regularized`` marks weights (True) versus biases (False):
    Nielsen's L2 and L1 penalties shrink weights only."""

    __slots__ = ("regularized",)

    def __init__(self, data, regularized: bool = True, dtype=None):
        super().__init__(data, requires_grad=True, dtype=dtype)
        self.regularized = regularized

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


class Module:
    """Base class of layers and models: ``forward``, parameters, train/eval mode, state dict.

    A subclass writes ``__init__`` (creating its parameters as attributes), ``forward(x)``, and
    ``config()`` (its constructor arguments, for saving the architecture as JSON).
    """

    training: bool = True
    #: names of NumPy-array attributes saved and loaded with the parameters but not trained
    buffer_names: tuple[str, ...] = ()

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):  # pragma: no cover - every layer overrides it
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    # ------------------------------------------------------------ walking the attributes
    def _attributes_of_type(self, kind: type) -> Iterator[tuple[str, Any]]:
        """The attributes that are ``kind``, and the ``kind`` items of the lists, tuples and dicts held
        in attributes, named ``attr``, ``attr.index`` or ``attr.key``, in attribute (and item) order."""
        for name, value in vars(self).items():
            if isinstance(value, kind):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, kind):
                        yield f"{name}.{i}", item
            elif isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(item, kind):
                        yield f"{name}.{key}", item

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The modules held directly (as attributes, or in a list, tuple or dict attribute)."""
        return self._attributes_of_type(Module)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted attribute path: this module's own first, then each child's."""
        for name, parameter in self._attributes_of_type(Parameter):
            yield prefix + name, parameter
        for name, child in self.named_children():
            yield from child.named_parameters(prefix + name + ".")

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """Every buffer (the arrays named in ``buffer_names``) with its dotted attribute path."""
        for name, module, attribute in self._buffer_slots(prefix):
            yield name, getattr(module, attribute)

    def _buffer_slots(self, prefix: str = "") -> Iterator[tuple[str, Module, str]]:
        """(dotted name, the module holding the buffer, its attribute name) for every buffer."""
        for attribute in self.buffer_names:
            yield prefix + attribute, self, attribute
        for name, child in self.named_children():
            yield from child._buffer_slots(prefix + name + ".")

    def named_generators(self, prefix: str = "") -> Iterator[tuple[str, np.random.Generator]]:
        """Every random Generator a module holds (a dropout layer's masks), with its dotted path: what
        a checkpoint must save so that a resumed run draws the same numbers."""
        for name, generator in self._attributes_of_type(np.random.Generator):
            yield prefix + name, generator
        for name, child in self.named_children():
            yield from child.named_generators(prefix + name + ".")

    def modules(self) -> Iterator[Module]:
        yield self
        for _, child in self.named_children():
            yield from child.modules()

    # ------------------------------------------------------------ mode and state
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch statistics updated) for this module and all below."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameter and buffer arrays by name (the arrays themselves, not copies)."""
        state = {name: p.data for name, p in self.named_parameters()}
        state.update(self.named_buffers())
        return state

    def load_state_dict(self, state: dict[str, np.ndarray], source: str = "state_dict",
                        keep_dtypes: bool = False) -> None:
        """Copy arrays into the parameters and buffers. Names and shapes must match exactly;
        ``source`` names where the arrays came from in error messages (e.g. the file).

        Each array is cast to the dtype of the parameter or buffer it replaces, as PyTorch's
        ``load_state_dict`` does. With ``keep_dtypes`` (what :func:`synaptica.io.load_model` uses,
        since the model it builds has no dtype of its own yet) a float32 or float64 array keeps its
        dtype, so a float64 model loads as float64; arrays of other dtypes are still cast."""
        own = dict(self.named_parameters())
        buffers = dict(self.named_buffers())
        missing = sorted((set(own) | set(buffers)) - set(state))
        unexpected = sorted(set(state) - set(own) - set(buffers))
        if missing or unexpected:
            raise ShapeError(
                f"{source}: parameters and buffers do not match the model: missing {missing}, unexpected {unexpected}"
            )
        for name, array in [(name, p.data) for name, p in own.items()] + list(buffers.items()):
            value = np.asarray(state[name])
            if value.shape != array.shape:
                raise ShapeError(
                    f"{source}: {name!r} is {tuple(value.shape)} in the file but {tuple(array.shape)} in the model"
                )

        def loaded(name: str, current: np.ndarray) -> np.ndarray:
            value = np.asarray(state[name])
            keep = keep_dtypes and value.dtype in (np.float32, np.float64)
            return value.astype(value.dtype if keep else current.dtype, copy=True)

        for name, p in own.items():
            p.data = loaded(name, p.data)
        for name, module, attribute in self._buffer_slots():
            setattr(module, attribute, loaded(name, buffers[name]))

    @classmethod
    def parameter_count(cls, **arguments: Any) -> int:
        """How many numbers (parameters and buffers) a layer of this class built with these saved
        arguments (the keys of :meth:`config`) holds, worked out without building it: the model
        loader checks an architecture against its budget with it (:mod:`synaptica.nn.budget`).
        Layers with parameters override it; their constructors check the same count."""
        return 0

    def config(self) -> dict[str, Any]:
        """The constructor arguments as JSON-ready values, with ``type`` naming the class."""
        return {"type": type(self).__name__}

    def __repr__(self) -> str:
        """The class with its constructor arguments from :meth:`config`, e.g. ``LeakyReLU(0.2)``."""
        arguments = ", ".join(str(v) for k, v in self.config().items() if k != "type")
        return f"{type(self).__name__}({arguments})"


def check_input_dtype(layer: Module, x: Tensor, parameter: Parameter) -> None:
    """Refuse an input whose dtype differs from the layer's parameters (PyTorch's rule).

    NumPy would promote ``float64 input @ float32 weight`` to float64 silently, so a float32 model
    fed float64 data computes (and trains) in float64 at twice the memory and time, and a float64
    model fed float32 data loses the precision it was built for. A layer with parameters calls this
    first in ``forward``; the entry points that take NumPy arrays (``predict``, ``evaluate``) cast
    with :func:`input_tensor` instead, so only a Tensor built by hand can get here in the wrong dtype.

    Raises:
        DtypeError: naming the layer, both dtypes and the two fixes.
    """
    if x.dtype != parameter.dtype:
        rebuild = f" or build the model with dtype=np.{x.dtype}" if x.dtype.kind == "f" else ""
        raise DtypeError(f"{layer!r} got a {x.dtype} input but its parameters are {parameter.dtype}; cast the "
                         f"input (x.astype(np.{parameter.dtype})){rebuild}")


def model_dtype(model: Module) -> np.dtype:
    """The dtype a model computes in: that of its parameters and float buffers.

    A model without parameters (``Sequential(ReLU())``) computes in the dtype it is given; arrays
    handed to it through :func:`input_tensor` become float32, the library's default, as for a Tensor.

    Raises:
        DtypeError: the parameters do not share one dtype (the message names one of each).
    """
    first_of: dict[np.dtype, str] = {}
    for name, array in [(name, p.data) for name, p in model.named_parameters()] + list(model.named_buffers()):
        if array.dtype.kind == "f":
            first_of.setdefault(array.dtype, name)
    if len(first_of) > 1:
        listed = ", ".join(f"{name!r} is {dtype}" for dtype, name in first_of.items())
        raise DtypeError(f"{type(model).__name__} mixes parameter dtypes ({listed}); build every layer with one "
                         "dtype")
    return next(iter(first_of), np.dtype(DEFAULT_DTYPE))


def input_tensor(model: Module, x, owner: str = "input") -> Tensor:
    """NumPy data as a Tensor in the model's dtype (:func:`model_dtype`): the rule at the entry points.

    Layers refuse an input of another dtype than their parameters (:func:`check_input_dtype`), but
    the functions that take arrays from the user (``predict``, ``evaluate``, ``Sequential.trace``)
    cast instead, as a user expects ``predict(model, x)`` to work for float64 or uint8 ``x``: the
    array is converted to the model's dtype (no copy when it already has it). ``owner`` names the
    caller in the error for an array that does not hold numbers.

    Raises:
        TypeError: ``x`` holds something other than numbers (strings, objects).
    """
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: the input must hold numbers, got an array of dtype {array.dtype}")
    return Tensor(array.astype(model_dtype(model), copy=False))
