"""The optimizer loop. A concrete optimizer writes one method, ``update(param, grad, state)``,
which changes ``param.data`` in place; the base class skips parameters without a gradient, keeps
each parameter's state (velocities, moments) in a dict of its own, and resolves the learning rate,
a number or a schedule, once per step.

An ``update`` must never write into ``grad``: one gradient array may be shared between parameters
(tied weights, a feedback matrix that is the weight itself), so optimizers work in buffers of their own.

Regularisation composes with every optimizer instead of being copied into each: pass
``regularizers=[...]`` (:mod:`synaptica.optim.regularizers`: gradient clipping, L1 and L2
penalties, decoupled weight decay, max-norm constraints) and ``step()`` applies them around
``update`` in a fixed order, whatever order the list gives:

    1. clipping     (``stage = "clip"``)        ClipGradNorm, ClipGradValue: rescale the gradients
    2. penalties    (``stage = "penalty"``)     L1, L2 (added to the gradient), DecoupledWeightDecay
                                                (shrinks the weights directly)
    3. the optimizer's own ``update`` of every parameter
    4. constraints  (``stage = "constraint"``)  MaxNorm: project the new weights back into the allowed set
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable, Protocol, Sequence, Union

import numpy as np

from synaptica.nn.module import Parameter

#: A learning rate: a number η > 0, or a schedule ``step -> η`` (step counts optimizer steps from 0).
LearningRate = Union[float, Callable[[int], float]]

#: The stages a regularizer may belong to, in the order ``step()`` applies them (the optimizer's own
#: update runs between "penalty" and "constraint").
STAGES = ("clip", "penalty", "constraint")


class Regularizer(Protocol):
    """What an optimizer needs from a regularizer: its stage and one method.

    ``apply`` may replace ``param.grad`` with a new array (never write into it: gradients may be
    shared) or change ``param.data`` in place; η is the learning rate of the step being taken.
    """

    stage: str

    def apply(self, params: Sequence[Parameter], learning_rate: float) -> None: ...


class Optimizer:
    """Base class: holds the parameters, the learning rate and per-parameter state.

    Args:
        params: the parameters to update (``model.parameters()``).
        learning_rate: η > 0, or a schedule: a callable ``step -> η`` such as those in
            :mod:`synaptica.optim.schedules`, called with the number of steps taken so far (0 on the
            first step).
        regularizers: clipping, penalties and constraints from :mod:`synaptica.optim.regularizers`,
            applied by ``step()`` in the fixed order of :data:`STAGES` (module docstring).

    Attributes:
        learning_rate: what was given (a float, or the schedule); may be reassigned between steps,
            e.g. to halve η by hand, and is validated again when it is.
        current_learning_rate: η for the step being taken (or, before the first step, for step 0):
            the number itself, or the schedule's value, resolved once at the start of each ``step()``.
        steps: how many times ``step()`` has been called.
        state: one dict per parameter, in the order of ``params``, for the optimizer's buffers.
    """

    def __init__(self, params: Iterable[Parameter], learning_rate: LearningRate,
                 regularizers: Iterable[Regularizer] = ()):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got no parameters to optimise")
        self.learning_rate = learning_rate
        self.steps = 0
        self.current_learning_rate = self._resolve_learning_rate(0)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self.regularizers = regularizers

    # ------------------------------------------------------------ regularizers
    @property
    def regularizers(self) -> tuple[Regularizer, ...]:
        """The regularizers in the order ``step()`` applies them (sorted by stage, a stable sort:
        the given order holds within a stage). May be reassigned between steps."""
        return self._regularizers

    @regularizers.setter
    def regularizers(self, value: Iterable[Regularizer]) -> None:
        given = (value,) if hasattr(value, "stage") else tuple(value)  # one regularizer, or several
        for item in given:
            if getattr(item, "stage", None) not in STAGES or not callable(getattr(item, "apply", None)):
                raise TypeError(f"{type(self).__name__}: {item!r} is not a regularizer: it needs a stage "
                                f"in {STAGES} and an apply(params, learning_rate) method")
        self._regularizers = tuple(sorted(given, key=lambda item: STAGES.index(item.stage)))
        self._before_update = tuple(r for r in self._regularizers if r.stage != "constraint")
        self._after_update = tuple(r for r in self._regularizers if r.stage == "constraint")

    # ------------------------------------------------------------ the learning rate
    @property
    def learning_rate(self) -> LearningRate:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: LearningRate) -> None:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            if not value > 0:  # also refuses NaN
                raise ValueError(f"{type(self).__name__}: learning_rate must be > 0, got {value}")
            self._learning_rate = float(value)
        elif callable(value):
            self._learning_rate = value
        else:
            raise TypeError(f"{type(self).__name__}: learning_rate must be a number > 0 or a callable "
                            f"step -> learning rate, got {value!r}")

    def _resolve_learning_rate(self, step: int) -> float:
        """η at ``step``: the number itself, or the schedule's value, which must be finite and ≥ 0."""
        rate = self._learning_rate
        if not callable(rate):
            return rate
        value = float(rate(step))
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{type(self).__name__}: the learning-rate schedule gave {value} at step "
                             f"{step}; it must be a finite number >= 0")
        return value

    # ------------------------------------------------------------ the loop
    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient, with η resolved for this step:
        clipping and penalties first, then ``update``, then constraints (module docstring)."""
        rate = self.current_learning_rate = self._resolve_learning_rate(self.steps)
        for regularizer in self._before_update:
            regularizer.apply(self.params, rate)
        for param, state in zip(self.params, self.state):
            if param.grad is not None:
                self.update(param, param.grad, state)
        for regularizer in self._after_update:
            regularizer.apply(self.params, rate)
        self.steps += 1

    # ------------------------------------------------------------ saving and resuming
    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything a resumed run needs to continue exactly: ``steps``, a numeric ``learning_rate``
        (a schedule is code and stays with the optimizer), and each parameter's buffers as
        ``"<index>.<name>"`` (velocities, moments, step counts; scratch space is left out). Values
        are NumPy arrays (scalars as 0-d arrays), ready for a safetensors file."""
        state = {"steps": np.array(self.steps, dtype=np.int64)}
        if not callable(self._learning_rate):
            state["learning_rate"] = np.array(self._learning_rate, dtype=np.float64)
        for index, slots in enumerate(self.state):
            for name, value in slots.items():
                if name != "scratch":
                    state[f"{index}.{name}"] = np.array(value)  # a copy: later steps must not change it
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` returned (from an optimizer over the same parameters)."""
        owner = type(self).__name__
        if "steps" not in state:
            raise ValueError(f"{owner}.load_state_dict: no 'steps' entry; keys {sorted(state)[:5]}")
        slots: list[dict[str, Any]] = [{} for _ in self.params]
        for key, value in state.items():
            if key in ("steps", "learning_rate"):
                continue
            index, _, name = key.partition(".")
            if not index.isdigit() or int(index) >= len(self.params) or not name:
                raise ValueError(f"{owner}.load_state_dict: unexpected entry {key!r} for {len(self.params)} parameters")
            value = np.asarray(value)
            if value.ndim == 0 and value.dtype.kind in "iu":
                slots[int(index)][name] = int(value)
            elif value.shape != self.params[int(index)].shape and value.ndim:
                raise ValueError(f"{owner}.load_state_dict: {key!r} has shape {value.shape}, but parameter "
                                 f"{index} has shape {self.params[int(index)].shape}")
            else:
                slots[int(index)][name] = value.astype(self.params[int(index)].dtype, copy=True)
        for param, slot in zip(self.params, slots):
            if slot:  # the workspace the updates write into is not saved: make it again
                slot["scratch"] = np.empty_like(param.data)
        self.steps = int(state["steps"])
        if "learning_rate" in state:
            self.learning_rate = float(state["learning_rate"])
        self.state = slots
        self.current_learning_rate = self._resolve_learning_rate(self.steps)

    def update(self, param: Parameter, grad: np.ndarray, state: dict) -> None:  # pragma: no cover
        """Change ``param.data`` in place from ``grad`` (read only) with η = ``current_learning_rate``."""
        raise NotImplementedError


def check_range(owner: str, name: str, value: float, low: float, high: float | None = None,
                include_low: bool = True) -> float:
    """``value`` as a float if low ≤ value < high (low < value when ``include_low`` is False; no upper
    bound when ``high`` is None), else a ValueError naming the optimizer and the argument."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}") from None
    above = number >= low if include_low else number > low
    below = True if high is None else number < high
    if not (above and below):  # NaN fails both
        if high is None:
            wanted = f"{'>=' if include_low else '>'} {low:g}"
        else:
            wanted = f"in {'[' if include_low else '('}{low:g}, {high:g})"
        raise ValueError(f"{owner}: {name} must be {wanted}, got {value}")
    return number


def step_by_root_mean(param: Parameter, grad: np.ndarray, accumulator: np.ndarray, scratch: np.ndarray,
                      eps: float, learning_rate: float) -> None:
    """The step Adagrad and RMSProp share: w ← w − η g / (√A + ε), with A their running sum or mean
    of squared gradients; ``scratch`` is a buffer of the parameter's shape (no allocation)."""
    np.sqrt(accumulator, out=scratch)
    scratch += eps                                      # √A + ε
    np.divide(grad, scratch, out=scratch)
    scratch *= learning_rate                            # η g / (√A + ε)
    param.data -= scratch
