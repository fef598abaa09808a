"""The closed registry of layer types that a saved architecture may name.

Loading a model never imports or calls anything a file names: the ``type`` field is looked up in
:data:`LAYERS`, a dict built from this library's own classes (:data:`LAYER_CLASSES`), and each
class's arguments are checked against the names and JSON types it accepts. An unknown type, an
unknown or missing argument, a value of the wrong JSON type and a value the layer refuses are each
refused with a :class:`FormatError` naming the place in the architecture (see the Keras
CVE-2025-1550 lesson in the project's reliability notes).

A damaged or hostile architecture cannot exhaust the stack or the memory either: containers nest at
most :data:`MAX_NESTING` deep, and before each layer is built the numbers it would hold
(``parameter_count``) are added up and checked against a budget: the values its file holds, when the
model loader passes that, and never more than :data:`synaptica.nn.budget.MAX_PARAMETERS`.

Nothing is written twice: a layer's saved arguments are the keys of its ``config()``, and their
JSON types come from the annotations of its constructor (``in_features: int`` takes a JSON integer,
``kernel_size: int | tuple[int, int]`` an integer or a list). :func:`layer_spec` reads both once,
when this module is imported, from a small example instance of each class.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from dataclasses import dataclass
from typing import Any

from synaptica.errors import FormatError
from synaptica.nn.activation import ELU, LeakyReLU, ReLU, Sigmoid, Softmax, Softplus, Tanh
from synaptica.nn.batch_norm import BatchNorm1d, BatchNorm2d
from synaptica.nn.bayes import BayesLinear
from synaptica.nn.bayes_conv import BayesConv2d
from synaptica.nn.budget import MAX_PARAMETERS
from synaptica.nn.containers import Sequential
from synaptica.nn.conv import AvgPool2d, Conv2d, Flatten, L2Pool2d, MaxPool2d
from synaptica.nn.conv_transpose import ConvTranspose2d
from synaptica.nn.dropout import Dropout
from synaptica.nn.ensemble import Ensemble
from synaptica.nn.linear import Linear
from synaptica.nn.maxout import Maxout
from synaptica.nn.module import Module
from synaptica.nn.prelu import PReLU
from synaptica.nn.embedding import Embedding
from synaptica.nn.recurrent import GRU, LSTM, RNN, Jordan
from synaptica.nn.rbm import RBM
from synaptica.nn.unflatten import Unflatten

#: the layers a saved architecture may name, besides the containers Sequential and Ensemble
LAYER_CLASSES: tuple[type[Module], ...] = (
    Linear, Sigmoid, Tanh, ReLU, Softmax, LeakyReLU, ELU, Softplus, Conv2d, MaxPool2d, AvgPool2d, L2Pool2d,
    Flatten, Unflatten, Dropout, BatchNorm1d, BatchNorm2d, PReLU, Maxout,
    BayesLinear, BayesConv2d,
    RNN, Jordan, LSTM, GRU, Embedding,
    ConvTranspose2d,
    RBM,
)


def _autoencoder() -> type[Module]:
    from synaptica.models.autoencoder import Autoencoder  # models build on nn: imported when asked for

    return Autoencoder


def _gan() -> type[Module]:
    from synaptica.models.gan import GAN  # models build on nn: imported when asked for

    return GAN


def _vae() -> type[Module]:
    from synaptica.models.vae import VAE

    return VAE


def _categorical_vae() -> type[Module]:
    from synaptica.models.categorical_vae import CategoricalVAE

    return CategoricalVAE


def _char_language_model() -> type[Module]:
    from synaptica.models.char_lm import CharLanguageModel

    return CharLanguageModel


#: models built from plain arguments, as a layer is, and checked the same way; each entry gives its
#: class when a file names it (models build on nn, so they are imported only then)
MODEL_LAYERS: dict[str, typing.Callable[[], type[Module]]] = {"CharLanguageModel": _char_language_model}

#: the containers a saved architecture may name, each with a function giving its class
CONTAINERS: dict[str, typing.Callable[[], type[Module]]] = {
    "Sequential": lambda: Sequential, "Ensemble": lambda: Ensemble, "Autoencoder": _autoencoder,
    "VAE": _vae, "CategoricalVAE": _categorical_vae, "GAN": _gan,
}

#: the Python types ``json.loads`` gives for the values an annotation allows. A float argument takes
#: a JSON integer too (``"alpha": 1``), as PEP 484 lets an int stand for a float; bool never stands
#: for a number.
_JSON_TYPES: dict[type, tuple[type, ...]] = {
    int: (int,), float: (float, int), bool: (bool,), str: (str,), list: (list,), tuple: (list,),
    type(None): (type(None),),
}

#: a value of each JSON type for the example instance, small enough for every layer
_EXAMPLE_VALUES: dict[type, Any] = {int: 1, float: 1.0, bool: True, str: "", list: [1]}


def json_types(annotation: Any) -> tuple[type, ...]:
    """The JSON value types an annotation accepts: ``int | tuple[int, int]`` -> ``(int, list)``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        accepted = [kind for argument in typing.get_args(annotation) for kind in json_types(argument)]
        return tuple(dict.fromkeys(accepted))
    kind = typing.get_origin(annotation) or annotation
    if kind not in _JSON_TYPES:
        raise TypeError(f"registry: a saved argument cannot be annotated {annotation!r}; use JSON types "
                        "(int, float, bool, str, lists and tuples of them)")
    return _JSON_TYPES[kind]


@dataclass(frozen=True)
class LayerSpec:
    """What a file may say about one layer class.

    Attributes:
        cls: the class.
        arguments: each saved argument (a key of ``config()``) and the JSON types it accepts.
        required: the saved arguments the constructor has no default for.
        weights_from_file: the constructor draws initial weights (it takes ``init`` and does not
            save it), so the loader builds it with ``init="zeros"``: the weights come from the file.
    """

    cls: type[Module]
    arguments: dict[str, tuple[type, ...]]
    required: tuple[str, ...]
    weights_from_file: bool


def layer_spec(cls: type[Module]) -> LayerSpec:
    """Read a layer class's saved arguments from ``config()`` and their JSON types from the
    constructor's annotations (the example instance gets a small value for each required argument)."""
    parameters = inspect.signature(cls).parameters
    hints = typing.get_type_hints(cls.__init__)
    required = [name for name, p in parameters.items() if p.default is inspect.Parameter.empty]
    example = cls(**{name: _EXAMPLE_VALUES[json_types(hints[name])[0]] for name in required})
    saved = [name for name in example.config() if name != "type"]
    for name in saved:
        if name not in hints:
            raise TypeError(f"registry: {cls.__name__}.config() saves {name!r}, which is not an annotated "
                            "argument of its constructor")
    return LayerSpec(cls, {name: json_types(hints[name]) for name in saved},
                     tuple(name for name in required if name in saved),
                     "init" in parameters and "init" not in saved)


#: type name -> what a file may say about that layer
LAYERS: dict[str, LayerSpec] = {cls.__name__: layer_spec(cls) for cls in LAYER_CLASSES}


@functools.cache
def spec_of(kind: str) -> LayerSpec | None:
    """What a file may say about the layer or model-layer ``kind``; None for a name outside the registry."""
    if kind in LAYERS:
        return LAYERS[kind]
    return layer_spec(MODEL_LAYERS[kind]()) if kind in MODEL_LAYERS else None


#: how deeply containers (Sequential, Ensemble, Autoencoder, GAN) may nest in a saved architecture
MAX_NESTING = 64


def module_from_config(config: Any, source: str = "architecture", path: str = "model",
                       max_parameters: int | None = None) -> Module:
    """Build a module from its ``config()`` dict; ``source`` and ``path`` name the place in errors.

    Args:
        max_parameters: the most numbers (parameters and buffers) the whole module may hold (the
            model loader derives it from the number of values in the file the weights come from);
            :data:`~synaptica.nn.budget.MAX_PARAMETERS` at most.

    Raises:
        FormatError: anything the module docstring lists, naming ``source`` and the place.
    """
    return _Builder(source, max_parameters).build(config, path, 0)


def model_from_config(cls: type[Module], config: Any, source: str = "architecture",
                      max_parameters: int | None = None) -> Module:
    """Build a model kept outside the registry (one with no ONNX form, such as
    :class:`~synaptica.models.seq2seq.Seq2Seq`) from its ``config()``, with every check a registry layer gets.
    The class comes from the caller, never from the file; a config naming another type is refused."""
    kind = config.get("type") if isinstance(config, dict) else type(config).__name__
    if kind != cls.__name__:
        raise FormatError(f"{source}: the architecture is a {kind!r}, not the {cls.__name__} asked for")
    return _Builder(source, max_parameters).layer(config, "model", layer_spec(cls))


class _Builder:
    """One walk over an architecture: the nesting depth, and the numbers the layers built so far hold."""

    def __init__(self, source: str, max_parameters: int | None):
        self.source = source
        self.limit = MAX_PARAMETERS if max_parameters is None else min(max_parameters, MAX_PARAMETERS)
        self.budget = (f"the {self.limit:,} this architecture's file allows" if self.limit < MAX_PARAMETERS
                       else f"the budget of {MAX_PARAMETERS:,} (synaptica.nn.budget.MAX_PARAMETERS)")
        self.total = 0

    def build(self, config: Any, path: str, depth: int) -> Module:
        source = self.source
        if not isinstance(config, dict) or not isinstance(config.get("type"), str):
            raise FormatError(f"{source}: {path} must be an object with a string 'type', got {config!r:.80}")
        if depth > MAX_NESTING:
            raise FormatError(f"{source}: {path} is nested {depth} containers deep; at most {MAX_NESTING} is accepted")
        kind = config["type"]
        if kind == "Sequential":
            layers = config.get("layers")
            if not isinstance(layers, list) or set(config) != {"type", "layers"}:
                raise FormatError(f"{source}: {path} (Sequential) needs exactly a 'layers' list")
            return Sequential([self.build(c, f"{path}.layers.{i}", depth + 1) for i, c in enumerate(layers)])
        if kind == "Ensemble":
            members, combine = config.get("members"), config.get("combine")
            if (not isinstance(members, list) or not isinstance(combine, str)
                    or set(config) != {"type", "members", "combine"}):
                raise FormatError(f"{source}: {path} (Ensemble) needs exactly a 'members' list and a 'combine' string")
            built = [self.build(c, f"{path}.members.{i}", depth + 1) for i, c in enumerate(members)]
            try:
                return Ensemble(built, combine)
            except ValueError as error:
                raise FormatError(f"{source}: {path}: {error}") from None
        if kind == "Autoencoder":
            from synaptica.models.autoencoder import Autoencoder  # models build on nn: imported when named

            if set(config) != {"type", "encoder", "decoder"}:
                raise FormatError(f"{source}: {path} (Autoencoder) needs exactly an 'encoder' and a 'decoder'")
            return Autoencoder(self.build(config["encoder"], f"{path}.encoder", depth + 1),
                               self.build(config["decoder"], f"{path}.decoder", depth + 1))
        if kind in ("VAE", "CategoricalVAE"):
            from synaptica.models.vae import variational_from_config

            return variational_from_config(config, source, path, lambda part, at: self.build(part, at, depth + 1))
        if kind == "GAN":
            if set(config) != {"type", "generator", "discriminator"}:
                raise FormatError(f"{source}: {path} (GAN) needs exactly a 'generator' and a 'discriminator'")
            try:
                return _gan()(self.build(config["generator"], f"{path}.generator", depth + 1),
                              self.build(config["discriminator"], f"{path}.discriminator", depth + 1))
            except ValueError as error:  # a ShapeError too: the two networks do not fit
                raise FormatError(f"{source}: {path}: {error}") from None
        return self.layer(config, path)

    def layer(self, config: dict, path: str, spec: LayerSpec | None = None) -> Module:
        kind = config["type"]
        spec = spec or spec_of(kind)
        if spec is None:
            raise FormatError(
                f"{self.source}: {path} names unknown layer type {kind!r}; "
                f"known types: {sorted(LAYERS) + sorted(MODEL_LAYERS) + sorted(CONTAINERS)}"
            )
        where = f"{self.source}: {path} ({kind})"
        arguments = {k: v for k, v in config.items() if k != "type"}
        for name, value in arguments.items():
            accepted = spec.arguments.get(name)
            if accepted is None:
                raise FormatError(f"{where} has unknown argument {name!r}; it takes {sorted(spec.arguments)}")
            if type(value) not in accepted:
                names = " or ".join("null" if t is type(None) else t.__name__ for t in accepted)
                raise FormatError(f"{where} argument {name!r} must be {names}, got {value!r}")
        missing = [name for name in spec.required if name not in arguments]
        if missing:
            raise FormatError(f"{where} lacks the argument(s) {missing}")
        try:
            count = spec.cls.parameter_count(**arguments)
        except ValueError as error:  # a kernel_size that is not one int or two
            raise FormatError(f"{where}: {error}") from None
        self.take(count, where)
        if spec.weights_from_file:
            arguments["init"] = "zeros"
        try:
            return spec.cls(**arguments)
        except ValueError as error:  # a value of the right type the layer refuses (a size of 0, a list of 3)
            raise FormatError(f"{where}: {error}") from None

    def take(self, count: int, where: str) -> None:
        """Add a layer's numbers to the total, refusing it before it is built if the total passes the limit."""
        self.total += max(count, 0)
        if self.total > self.limit:
            raise FormatError(f"{where} would hold {count:,} numbers, which brings the architecture to "
                              f"{self.total:,}, more than {self.budget}")
