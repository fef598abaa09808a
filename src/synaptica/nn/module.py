"""Module and Parameter: the containers that hold a network's learnable state.

A :class:`Module` holds :class:`Parameter`s and other modules as plain attributes; nothing is
registered by magic. :meth:`Module.named_parameters` finds them by walking the attributes (and
lists of modules) and names each by its attribute path, e.g. ``layers.0.weight``. Modules hold
state; the math lives in :mod:`synaptica.ops`.

Some state is not learned by gradient descent but must still be saved with the model, such as
batch normalisation's running mean and variance. A module names such NumPy-array attributes in its
class attribute ``buffer_names``; :meth:`Module.named_buffers` finds them as
:meth:`~Module.named_parameters` finds parameters, and the state dict holds both.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from synaptica.errors import ShapeError
from synaptica.tensor import Tensor


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
    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted attribute path, in attribute order."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
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

    def load_state_dict(self, state: dict[str, np.ndarray], source: str = "state_dict") -> None:
        """Copy arrays into the parameters and buffers. Names and shapes must match exactly;
        ``source`` names where the arrays came from in error messages (e.g. the file)."""
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
        for name, p in own.items():
            p.data = np.asarray(state[name]).astype(p.dtype, copy=True)
        for name, module, attribute in self._buffer_slots():
            value = np.asarray(state[name]).astype(buffers[name].dtype, copy=True)
            setattr(module, attribute, value)

    def config(self) -> dict[str, Any]:
        """The constructor arguments as JSON-ready values, with ``type`` naming the class."""
        return {"type": type(self).__name__}

    def __repr__(self) -> str:
        """The class with its constructor arguments from :meth:`config`, e.g. ``LeakyReLU(0.2)``."""
        arguments = ", ".join(str(v) for k, v in self.config().items() if k != "type")
        return f"{type(self).__name__}({arguments})"
