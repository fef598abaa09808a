"""Recurrent layers: Elman (RNN, and the IRNN), Jordan, LSTM and GRU, stacked and bidirectional.

Each layer reads a batch of sequences (batch, time, features) and unrolls its cell over time. The
loop over time runs inside one fused op per layer and direction (:mod:`synaptica.ops.recurrent`,
:mod:`synaptica.ops.lstm`, :mod:`synaptica.ops.gru`), whose forward is the visible loop
``for t in step_order(...)``; the loop here is over the stacked layers and the two directions:

    layer 1 reads x, layer k reads layer k − 1's states at every step;
    a bidirectional layer runs a second cell from the last step to the first and concatenates the two
    states of each step, so step t sees the whole sequence (Schuster and Paliwal 1997).

``forward(x)`` (the inference path, what ``predict`` and a ``Sequential`` call) returns every step's
output (batch, time, directions·hidden) when ``return_sequences`` is set, else the last state
(batch, directions·hidden): the forward cell's state after the last step beside the backward cell's
after the first, as PyTorch's ``h_n`` (many-to-one: a classifier of sequences).

:meth:`run` is the full interface for the models that build on these layers (sequence to sequence,
padded batches): ``run(x, lengths=..., initial_state=...) -> (outputs, final_state)``. With lengths,
sequence b holds lengths[b] real steps followed by padding: the state stays put on padded steps, so
a sequence's final state is its state at its own length; the outputs at padded steps are 0, as
PyTorch's packed sequences give. ``final_state`` is (layers·directions, batch, hidden), PyTorch's
layout (for the LSTM a pair (h, c)).

Parameter names follow PyTorch's (``weight_ih_l0``, ``weight_hh_l1_reverse``, …), so copying
weights across is by name; the gate blocks' order is given by each class (the LSTM's differs).

Reference: M. Schuster and K. K. Paliwal, "Bidirectional recurrent neural networks", IEEE
Transactions on Signal Processing 45, 1997.
"""

from __future__ import annotations

import numpy as np

from synaptica import ops
from synaptica.checks import one_of, positive_int
from synaptica.errors import ShapeError, shape_message
from synaptica.nn.budget import check_activation, check_parameters
from synaptica.nn.module import Module, Parameter, check_input_dtype
from synaptica.ops.gru import gru
from synaptica.ops.lstm import lstm
from synaptica.ops.recurrent import NONLINEARITIES, elman, jordan
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor

#: how the weights may start: PyTorch's U(±1/√hidden) for every weight and bias, the IRNN's identity
#: (Elman cells only), or zeros (a model whose weights come from a file)
INITS = ("uniform", "identity", "zeros")

def _flag(owner: str, name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


def lengths_from(layer: str, lengths=None, mask=None, batch: int = 0, steps: int = 0) -> np.ndarray | None:
    """The per-sequence lengths (batch,) from ``lengths`` or a (batch, time) ``mask`` true on a prefix
    of each row; None when neither is given. Each length must be within 1 … steps."""
    if mask is not None:
        if lengths is not None:
            raise ValueError(f"{layer}: give lengths or mask, not both")
        mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask).astype(bool)
        if mask.shape != (batch, steps):
            raise ShapeError(f"{layer}: the mask has shape {mask.shape}; expected (batch, time) = {(batch, steps)}")
        lengths = mask.sum(axis=1)
        if not np.array_equal(mask, np.arange(steps) < lengths[:, None]):
            raise ValueError(f"{layer}: the mask must be true on a prefix of each row (padding at the end)")
    if lengths is None:
        return None
    lengths = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
    if lengths.shape != (batch,) or (lengths.size and not np.all(lengths == np.round(lengths))):
        raise ValueError(f"{layer}: lengths must be {batch} whole numbers, one per sequence, got shape {lengths.shape}")
    lengths = lengths.astype(np.int64)
    if lengths.size and (lengths.min() < 1 or lengths.max() > steps):
        raise ValueError(f"{layer}: every length must be within 1 … {steps} (the time axis); got lengths from "
                         f"{lengths.min()} to {lengths.max()}; an empty sequence cannot be read")
    return lengths


class _Recurrent(Module):
    """What the recurrent layers share: checks, parameters per layer and direction, the stacking loop.

    A subclass writes :meth:`_shapes` (one direction's parameters, in the order its op takes them),
    :meth:`_cell` (the fused op of one direction), and sets ``state_parts`` (1, or 2 for the LSTM's
    (h, c)); :meth:`_initial`, :meth:`_split` and :meth:`output_units` when it differs.
    """

    state_parts = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                 return_sequences: bool = False, init: str = "uniform", rng: SeedLike = None, dtype=np.float32,
                 **options):
        name = type(self).__name__
        self.input_size = positive_int(name, "input_size", input_size)
        self.hidden_size = positive_int(name, "hidden_size", hidden_size)
        self.num_layers = positive_int(name, "num_layers", num_layers)
        self.bidirectional = _flag(name, "bidirectional", bidirectional)
        self.return_sequences = _flag(name, "return_sequences", return_sequences)
        self.options = options
        init = one_of(name, "init", init, INITS)
        check_parameters(repr(self), self.parameter_count(**self.config_arguments()))
        generator = as_generator(rng)
        for layer in range(self.num_layers):
            for direction in range(self.directions):
                shapes = self._shapes(self._layer_input(layer), self.hidden_size, **options)
                for key, shape in shapes.items():
                    values = self._initial(key, shape, init, generator, dtype)
                    setattr(self, self._name(key, layer, direction),
                            Parameter(values, regularized=key.startswith("weight")))

    # ------------------------------------------------------------------ what subclasses write
    @classmethod
    def _shapes(cls, input_size: int, hidden_size: int, **options) -> dict[str, tuple[int, ...]]:
        raise NotImplementedError  # pragma: no cover

    def _cell(self, x: Tensor, state: list[Tensor], parameters: list[Tensor], mask, reverse: bool) -> Tensor:
        raise NotImplementedError  # pragma: no cover

    def _initial(self, key: str, shape, init: str, rng: np.random.Generator, dtype) -> np.ndarray:
        if init == "zeros":
            return np.zeros(shape, dtype)
        bound = 1 / np.sqrt(self.hidden_size)
        return rng.uniform(-bound, bound, shape).astype(dtype)

    @classmethod
    def output_units(cls, hidden_size: int, **options) -> int:
        """The size of one direction's output at a step (the Jordan layer's differs from hidden_size)."""
        return hidden_size

    # ------------------------------------------------------------------ sizes and names
    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        return self.directions * self.output_units(self.hidden_size, **self.options)

    def _layer_input(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.output_size

    @staticmethod
    def _name(key: str, layer: int, direction: int) -> str:
        return f"{key}_l{layer}{'_reverse' if direction else ''}"

    def cell_parameters(self, layer: int, direction: int) -> list[Parameter]:
        """One cell's parameters in the order its op takes them."""
        keys = self._shapes(self._layer_input(layer), self.hidden_size, **self.options)
        return [getattr(self, self._name(key, layer, direction)) for key in keys]

    def state_size(self) -> int:
        """The size of one cell's fed-back state (hidden_size; the Jordan layer's is its output)."""
        return self.output_units(self.hidden_size, **self.options)

    @classmethod
    def parameter_count(cls, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                        return_sequences: bool = False, **options) -> int:
        directions = 2 if bidirectional else 1
        total, size = 0, input_size
        for _ in range(num_layers):
            shapes = cls._shapes(size, hidden_size, **options)
            total += directions * sum(int(np.prod(shape)) for shape in shapes.values())
            size = directions * cls.output_units(hidden_size, **options)
        return total

    # ------------------------------------------------------------------ running
    def _check(self, x: Tensor) -> None:
        if x.ndim != 3 or x.shape[2] != self.input_size:
            hint = ("Reshape images into rows first, e.g. Unflatten((28, 28)) before the layer."
                    if x.ndim == 2 else None)
            raise ShapeError(shape_message(repr(self), x.shape, f"(batch, time, {self.input_size})", hint))
        if x.shape[1] == 0:
            raise ShapeError(f"{self!r} got an empty sequence (input of shape {x.shape}); a sequence needs at "
                             "least one step")
        check_input_dtype(self, x, self.cell_parameters(0, 0)[0])
        check_activation(repr(self), x.shape, "states", (x.shape[0], x.shape[1], self.output_size))

    def run(self, x: Tensor, lengths=None, initial_state=None, mask=None):
        """Every step's outputs and the final state (module docstring).

        Args:
            x: (batch, time, input_size).
            lengths: None, or each sequence's number of real steps (batch,), 1 … time.
            initial_state: None (zeros), or what ``final_state`` holds: a Tensor
                (layers·directions, batch, state) — for the LSTM a pair (h, c) of them.
            mask: instead of lengths, (batch, time) true on the real steps (a prefix of each row).

        Returns:
            (outputs (batch, time, output_size), final_state).
        """
        outputs, finals = self._run(x, lengths, initial_state, mask)
        stacked = [ops.stack([final[part] for final in finals], axis=0) for part in range(self.state_parts)]
        return outputs, (stacked[0] if self.state_parts == 1 else tuple(stacked))

    def _run(self, x: Tensor, lengths, initial_state, mask):
        self._check(x)
        batch, steps = x.shape[:2]
        lengths = lengths_from(repr(self), lengths, mask, batch, steps)
        step_mask = None if lengths is None else np.arange(steps) < lengths[:, None]
        initial = self._initial_state(initial_state, batch, x.dtype)
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.directions):
                index = layer * self.directions + direction
                state = [part[index] for part in initial]
                states = self._cell(x, state, self.cell_parameters(layer, direction), step_mask, bool(direction))
                last = 0 if direction else -1
                out, final = self._split(states, last)
                outputs.append(out)
                finals.append(final)
            x = outputs[0] if len(outputs) == 1 else ops.concat(outputs, axis=2)
        if step_mask is not None:
            x = x * step_mask[:, :, None].astype(x.dtype)
        return x, finals

    def _split(self, states: Tensor, last: int) -> tuple[Tensor, list[Tensor]]:
        """(outputs, [final state parts]) from a cell op's result."""
        return states, [states[:, last]]

    def _initial_state(self, given, batch: int, dtype) -> list:
        count = self.num_layers * self.directions
        size = self.state_size()
        if given is None:
            zeros = Tensor(np.zeros((batch, size), dtype))
            return [[zeros] * count for _ in range(self.state_parts)]
        parts = given if isinstance(given, (tuple, list)) else (given,)
        if len(parts) != self.state_parts:
            raise ValueError(f"{self!r}: initial_state needs {self.state_parts} part(s), got {len(parts)}")
        checked = []
        for part in parts:
            part = part if isinstance(part, Tensor) else Tensor(np.asarray(part, dtype))
            if part.shape != (count, batch, size):
                raise ShapeError(f"{self!r}: initial_state has shape {part.shape}; expected "
                                 f"(layers·directions, batch, state) = {(count, batch, size)}")
            checked.append([part[i] for i in range(count)])
        return checked

    def forward(self, x: Tensor) -> Tensor:
        outputs, finals = self._run(x, None, None, None)
        if self.return_sequences:
            return outputs
        last = [final[0] for final in finals[-self.directions:]]
        return last[0] if len(last) == 1 else ops.concat(last, axis=1)

    # ------------------------------------------------------------------ saving
    def config_arguments(self) -> dict:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size, "num_layers": self.num_layers,
                "bidirectional": self.bidirectional, "return_sequences": self.return_sequences, **self.options}

    def config(self) -> dict:
        return {"type": type(self).__name__, **self.config_arguments()}

    def __repr__(self) -> str:
        extra = [f"{self.num_layers} layers"] if self.num_layers > 1 else []
        extra += ["bidirectional"] if self.bidirectional else []
        extra += [f"{k}={v}" for k, v in self.options.items()]
        return f"{type(self).__name__}({self.input_size}→{self.hidden_size}{''.join(', ' + e for e in extra)})"


class RNN(_Recurrent):
    """Elman's simple recurrent layer: hₜ = φ(W_ih xₜ + W_hh hₜ₋₁ + b), φ = tanh or ReLU.

    With ``nonlinearity="relu"`` and ``init="identity"`` it is the IRNN of Le, Jaitly and Hinton
    (2015): W_hh starts as the identity and b as 0, so at first the state just adds up its inputs
    and gradients pass back through time unchanged. W_ih starts as in PyTorch, U(±1/√hidden): Le et
    al. draw it N(0, 0.001²) for SGD with tiny learning rates, but under Adam the first steps move
    the biases by about η each, far more than such inputs, and switch almost every unit off for good
    (on the 8×8 digits, 98 % of the units were dead after one epoch). PyTorch's ``nn.RNN``
    holds two biases, b_ih and b_hh; only their sum matters, which is ``bias`` here.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                 return_sequences: bool = False, nonlinearity: str = "tanh", init: str = "uniform",
                 rng: SeedLike = None, dtype=np.float32):
        one_of("RNN", "nonlinearity", nonlinearity, NONLINEARITIES)
        super().__init__(input_size, hidden_size, num_layers, bidirectional, return_sequences, init, rng, dtype,
                         nonlinearity=nonlinearity)

    @classmethod
    def _shapes(cls, input_size, hidden_size, **options):
        return {"weight_ih": (hidden_size, input_size), "weight_hh": (hidden_size, hidden_size),
                "bias": (hidden_size,)}

    def _initial(self, key, shape, init, rng, dtype):
        if init != "identity":
            return super()._initial(key, shape, init, rng, dtype)
        if key == "weight_hh":
            return np.eye(shape[0], dtype=dtype)
        if key == "weight_ih":
            return super()._initial(key, shape, "uniform", rng, dtype)
        return np.zeros(shape, dtype)

    def _cell(self, x, state, parameters, mask, reverse):
        return elman(x, state[0], *parameters, nonlinearity=self.options["nonlinearity"], mask=mask,
                     reverse=reverse)


class Jordan(_Recurrent):
    """Jordan's recurrent layer: the output is fed back (:func:`synaptica.ops.recurrent.jordan`).

        hₜ = tanh(W_ih xₜ + W_yh yₜ₋₁ + b),   yₜ = tanh(W_hy hₜ + b_y)

    ``hidden_size`` units compute each step's ``output_size`` outputs yₜ, which are both what the
    layer gives and what it feeds back.
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int = 1, num_layers: int = 1,
                 bidirectional: bool = False, return_sequences: bool = False, init: str = "uniform",
                 rng: SeedLike = None, dtype=np.float32):
        if init == "identity":
            raise ValueError("Jordan: init 'identity' belongs to the Elman RNN (the IRNN)")
        positive_int("Jordan", "output_size", output_size)
        super().__init__(input_size, hidden_size, num_layers, bidirectional, return_sequences, init, rng, dtype,
                         output_size=output_size)

    @classmethod
    def _shapes(cls, input_size, hidden_size, output_size=1):
        return {"weight_ih": (hidden_size, input_size), "weight_yh": (hidden_size, output_size),
                "bias": (hidden_size,), "weight_hy": (output_size, hidden_size), "bias_y": (output_size,)}

    @classmethod
    def output_units(cls, hidden_size, output_size=1):
        return output_size

    def _cell(self, x, state, parameters, mask, reverse):
        return jordan(x, state[0], *parameters, mask=mask, reverse=reverse)


class LSTM(_Recurrent):
    """Long short-term memory (Hochreiter and Schmidhuber 1997) with a forget gate (Gers et al. 2000)
    and optional peepholes: the equations are in :mod:`synaptica.ops.lstm`.

    Gate order: W_ih, W_hh and b hold the blocks (o, i, f, g); PyTorch's ``nn.LSTM`` holds
    (i, f, g, o), so our block k is PyTorch's block ``TORCH_ORDER[k]`` = (3, 0, 1, 2)[k], and our
    ``bias`` is PyTorch's b_ih + b_hh. ``peephole`` (3·hidden,) holds (p_o, p_i, p_f).

    Forget-gate bias: b_f starts at ``forget_bias`` = 1 (PyTorch starts it at U(±1/√hidden) like
    every bias). With b_f = 0, fₜ ≈ σ(0) = ½ at first and the cell halves every step, so what it
    holds fades within a few steps before the network has learnt to keep it; starting b_f at 1
    (fₜ ≈ 0.73) lets memory and its gradient last from the start (Gers, Schmidhuber and Cummins
    2000; Jozefowicz, Zaremba and Sutskever, "An empirical exploration of recurrent network
    architectures", ICML 2015, found it closes most of the gap between LSTM and GRU).
    """

    state_parts = 2

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                 return_sequences: bool = False, peephole: bool = False, init: str = "uniform",
                 forget_bias: float = 1.0, rng: SeedLike = None, dtype=np.float32):
        if init == "identity":
            raise ValueError("LSTM: init 'identity' belongs to the Elman RNN (the IRNN)")
        self.forget_bias = float(forget_bias)
        super().__init__(input_size, hidden_size, num_layers, bidirectional, return_sequences, init, rng, dtype,
                         peephole=_flag("LSTM", "peephole", peephole))

    @classmethod
    def _shapes(cls, input_size, hidden_size, peephole=False):
        shapes = {"weight_ih": (4 * hidden_size, input_size), "weight_hh": (4 * hidden_size, hidden_size),
                  "bias": (4 * hidden_size,)}
        if peephole:
            shapes["peephole"] = (3 * hidden_size,)
        return shapes

    def _initial(self, key, shape, init, rng, dtype):
        values = super()._initial(key, shape, init, rng, dtype)
        if key == "bias" and init != "zeros":
            values[2 * self.hidden_size:3 * self.hidden_size] = self.forget_bias
        return values

    def _cell(self, x, state, parameters, mask, reverse):
        return lstm(x, state[0], state[1], *parameters, mask=mask, reverse=reverse)

    def _split(self, states, last):
        h = self.hidden_size
        return states[:, :, :h], [states[:, last, :h], states[:, last, h:]]


class GRU(_Recurrent):
    """Gated recurrent unit (Cho et al. 2014), PyTorch's form: equations in :mod:`synaptica.ops.gru`.

    Gate order (r, z, n) as PyTorch's ``nn.GRU``, with its two biases b_ih and b_hh (the reset gate
    multiplies U_n h + b_hn, so the two are not interchangeable), so weights copy across unchanged.
    """

    @classmethod
    def _shapes(cls, input_size, hidden_size):
        return {"weight_ih": (3 * hidden_size, input_size), "weight_hh": (3 * hidden_size, hidden_size),
                "bias_ih": (3 * hidden_size,), "bias_hh": (3 * hidden_size,)}

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                 return_sequences: bool = False, init: str = "uniform", rng: SeedLike = None, dtype=np.float32):
        if init == "identity":
            raise ValueError("GRU: init 'identity' belongs to the Elman RNN (the IRNN)")
        super().__init__(input_size, hidden_size, num_layers, bidirectional, return_sequences, init, rng, dtype)

    def _cell(self, x, state, parameters, mask, reverse):
        return gru(x, state[0], *parameters, mask=mask, reverse=reverse)
