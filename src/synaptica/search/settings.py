"""The training settings a search space may fix or search, with their types, defaults and checks.

A trial is one run of the training ``synaptica train`` does, so the settings are that command's
options (``eta``, ``lmbda``, ``hidden``, ...) under the same names, and a setting left out takes the
command's default. Three more make a trial cheap, as Nielsen advises for the early stages of a
search ("get quick feedback ... strip your network down"): ``train_examples`` and
``validation_examples`` use only the first examples of each split, and ``optimizer`` chooses the
update rule.

Each setting's ``check`` returns what is wrong with a value, or ``None``; :mod:`synaptica.search.load`
turns that into an error naming the key, the file and the line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from synaptica.recipes import DEFAULTS
from synaptica.losses import COSTS
from synaptica.nn import ACTIVATIONS, INITIALISERS
from synaptica.optim import OPTIMIZERS as OPTIMIZER_CLASSES

#: The optimizers a trial can use; ``eta`` is their learning rate and ``lmbda`` Nielsen's L2 λ for
#: every one of them (as ``synaptica train`` builds them: :func:`synaptica.optim.make_optimizer`);
#: ``momentum`` belongs to SGD only.
OPTIMIZERS = tuple(OPTIMIZER_CLASSES)
#: The learning rules a trial can use (each trains with an optimizer and a learning rate).
SEARCH_RULES = ("backprop", "feedback-alignment", "direct-feedback-alignment")


@dataclass(frozen=True)
class Setting:
    """One training setting: its value type (``float``, ``int``, ``str`` or ``list`` of sizes), its
    default, a ``check(value) -> problem or None``, and a line of help for the documentation."""

    type: type
    default: object
    check: Callable[[object], str | None]
    help: str


def _one_of(names) -> Callable[[object], str | None]:
    allowed = sorted(names)
    return lambda value: None if value in allowed else f"must be one of {allowed}, got {value!r}"


def _at_least(low: float, *, strict: bool = False) -> Callable[[object], str | None]:
    def check(value):
        if value is None:
            return None
        if not math.isfinite(value) or (value <= low if strict else value < low):
            return f"must be {'>' if strict else '>='} {low:g}, got {value!r}"
        return None
    return check


def _momentum(value) -> str | None:
    return None if 0 <= value < 1 else f"must be in [0, 1), got {value!r}"


def _layer_sizes(value) -> str | None:
    if not all(isinstance(size, int) and not isinstance(size, bool) and size >= 1 for size in value):
        return f"must be a list of positive integers such as [30] or [256, 128], got {value!r}"
    return None


SETTINGS: dict[str, Setting] = {
    "dataset": Setting(str, "fashion-mnist", lambda value: None if value else "must not be empty",
                       "a dataset name, or a directory of IDX files (relative to the space file)"),
    "train_examples": Setting(int, None, _at_least(1), "use only the first N training examples"),
    "validation_examples": Setting(int, None, _at_least(1), "use only the first N validation examples"),
    "hidden": Setting(list, [int(size) for size in DEFAULTS["hidden"].split(",")], _layer_sizes,
                      "hidden layer sizes, e.g. [30] or [256, 128]"),
    "activation": Setting(str, DEFAULTS["activation"], _one_of(ACTIVATIONS), "hidden-layer activation"),
    "cost": Setting(str, DEFAULTS["cost"], _one_of(COSTS), "quadratic, cross-entropy or log-likelihood"),
    "init": Setting(str, DEFAULTS["init"], _one_of(set(INITIALISERS) - {"zeros"}), "weight initialisation"),
    "rule": Setting(str, DEFAULTS["rule"], _one_of(SEARCH_RULES), "learning rule"),
    "optimizer": Setting(str, "sgd", _one_of(OPTIMIZERS), "how a gradient becomes an update"),
    "eta": Setting(float, DEFAULTS["eta"], _at_least(0, strict=True), "learning rate η"),
    "lmbda": Setting(float, DEFAULTS["lmbda"], _at_least(0), "L2 regularisation λ (SGD's weight shrink; an L2 penalty for the others)"),
    "momentum": Setting(float, 0.0, _momentum, "momentum μ (sgd only)"),
    "batch_size": Setting(int, DEFAULTS["batch_size"], _at_least(1), "mini-batch size m"),
    "epochs": Setting(int, DEFAULTS["epochs"], _at_least(1), "number of epochs"),
    "patience": Setting(int, None, _at_least(1), "stop after this many epochs without a better validation accuracy"),
    "seed": Setting(int, DEFAULTS["seed"], _at_least(0), "seed for initial weights and shuffling"),
}

#: Settings that only the SGD optimizer uses; setting them for another optimizer is refused.
SGD_ONLY = ("momentum",)


def coerce(name: str, value: object) -> object:
    """``value`` as setting ``name``'s type (a TOML integer is a valid float), or raise ValueError
    saying what was expected. Booleans are refused where numbers are expected."""
    setting = SETTINGS[name]
    kind = setting.type
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = float(value)
    elif kind is list and isinstance(value, list):
        value = list(value)
    elif not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"must be {_TYPE_WORDS[kind]}, got {value!r}")
    problem = setting.check(value)
    if problem:
        raise ValueError(problem)
    return value


_TYPE_WORDS = {float: "a number", int: "an integer", str: "a string", list: "a list of layer sizes"}


def full_settings(fixed: dict, params: dict) -> dict:
    """Every setting of one trial: the defaults, overridden by the fixed settings, then the trial's
    searched parameters."""
    settings = {name: setting.default for name, setting in SETTINGS.items()}
    settings.update(fixed)
    settings.update(params)
    if settings["optimizer"] != "sgd":
        for name in SGD_ONLY:  # only SGD uses them
            settings[name] = 0.0
    return settings
