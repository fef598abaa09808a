"""The registry of saved layer types: derived from the classes, tied to what synaptica.nn exports, and
every layer round-trips through a model file in float32 and float64."""

import importlib
import inspect
import json
import pkgutil

import numpy as np
import pytest

import synaptica.nn
from synaptica import FormatError, Tensor
from synaptica.io import load_model, save_model, save_tensors
from synaptica.nn import (ELU, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Flatten, L2Pool2d, LeakyReLU,
                          Linear, MaxPool2d, Maxout, Module, PReLU, RBM, ReLU, Sequential, Sigmoid, Softmax, Softplus,
                          Tanh, Unflatten)
from synaptica.nn import GRU, LSTM, RNN, Embedding, Jordan
from synaptica.nn.conv_transpose import ConvTranspose2d
from synaptica.nn.registry import LAYERS, module_from_config

#: Module subclasses of synaptica.nn that a file may not name as a layer, and why
NOT_IN_THE_REGISTRY = {
    "Module": "the base class: it computes nothing of its own",
    "Sequential": "a container, built by module_from_config from its nested 'layers'",
    "Ensemble": "a container, built by module_from_config from its nested 'members'",
}

#: one instance of every registered layer (non-default arguments where it has them, so that they
#: must be saved) and the shape of an input it takes
EXAMPLES = {
    "Linear": (lambda dtype: Linear(5, 4, bias=False, rng=0, dtype=dtype), (3, 5)),
    "Sigmoid": (lambda dtype: Sigmoid(), (3, 5)),
    "Tanh": (lambda dtype: Tanh(), (3, 5)),
    "ReLU": (lambda dtype: ReLU(), (3, 5)),
    "Softmax": (lambda dtype: Softmax(), (3, 5)),
    "LeakyReLU": (lambda dtype: LeakyReLU(0.2), (3, 5)),
    "ELU": (lambda dtype: ELU(0.5), (3, 5)),
    "Softplus": (lambda dtype: Softplus(), (3, 5)),
    "Conv2d": (lambda dtype: Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1, bias=False, rng=0, dtype=dtype),
               (2, 2, 6, 5)),
    "MaxPool2d": (lambda dtype: MaxPool2d(3, stride=2, padding=1), (2, 2, 6, 5)),
    "AvgPool2d": (lambda dtype: AvgPool2d((2, 3), stride=1, padding=(1, 1)), (2, 2, 6, 5)),
    "L2Pool2d": (lambda dtype: L2Pool2d(2, stride=1), (2, 2, 6, 5)),
    "Flatten": (lambda dtype: Flatten(), (2, 2, 3, 3)),
    "Unflatten": (lambda dtype: Unflatten((2, 3, 3)), (4, 18)),
    "Dropout": (lambda dtype: Dropout(0.3, rng=0), (3, 5)),
    "BatchNorm1d": (lambda dtype: BatchNorm1d(5, eps=1e-3, momentum=0.2, dtype=dtype), (3, 5)),
    "BatchNorm2d": (lambda dtype: BatchNorm2d(2, eps=1e-4, momentum=0.5, dtype=dtype), (2, 2, 3, 3)),
    "PReLU": (lambda dtype: PReLU(5, init=0.1, dtype=dtype), (3, 5)),
    "Maxout": (lambda dtype: Maxout(5, 4, pieces=3, rng=0, dtype=dtype), (3, 5)),
    "BayesLinear": (lambda dtype: synaptica.nn.BayesLinear(5, 4, bias=False, prior_pi=0.25, prior_sigma1=0.5,
                                                           prior_sigma2=0.01, rho_init=-3.0, rng=0, dtype=dtype),
                    (3, 5)),
    "BayesConv2d": (lambda dtype: synaptica.nn.BayesConv2d(2, 3, (3, 2), stride=(2, 1), padding=1, bias=False,
                                                           prior_pi=0.75, rho_init=-2.0, rng=0, dtype=dtype),
                    (2, 2, 6, 5)),
    "RNN": (lambda dtype: RNN(3, 4, num_layers=2, bidirectional=True, nonlinearity="relu", rng=0, dtype=dtype),
            (2, 5, 3)),
    "Jordan": (lambda dtype: Jordan(3, 4, output_size=2, return_sequences=True, rng=0, dtype=dtype), (2, 5, 3)),
    "LSTM": (lambda dtype: LSTM(3, 4, peephole=True, bidirectional=True, rng=0, dtype=dtype), (2, 5, 3)),
    "GRU": (lambda dtype: GRU(3, 4, num_layers=2, return_sequences=True, rng=0, dtype=dtype), (2, 5, 3)),
    "Embedding": (lambda dtype: Embedding(6, 3, rng=0, dtype=dtype), (2, 5)),
    "ConvTranspose2d": (lambda dtype: ConvTranspose2d(2, 3, (3, 2), stride=2, padding=(1, 0), output_padding=1,
                                                      rng=0, dtype=dtype), (2, 2, 4, 3)),
    "RBM": (lambda dtype: RBM(5, 4, rng=0, dtype=dtype), (3, 5)),
}


def _module_subclasses_defined_in_synaptica_nn() -> dict[str, type]:
    found = {}
    for info in pkgutil.iter_modules(synaptica.nn.__path__, "synaptica.nn."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, Module) and value.__module__ == info.name
                    and not name.startswith("_")):
                found[name] = value
    return found


def test_every_layer_of_synaptica_nn_is_registered_or_a_named_exception():
    defined = _module_subclasses_defined_in_synaptica_nn()
    exported = {name: value for name, value in vars(synaptica.nn).items()
                if inspect.isclass(value) and issubclass(value, Module)}
    assert set(defined) == set(exported), "a public layer class is defined but not exported (or the reverse)"
    unregistered = set(exported) - set(LAYERS) - set(NOT_IN_THE_REGISTRY)
    assert not unregistered, f"layers a saved model cannot name: {sorted(unregistered)}"
    assert not set(LAYERS) & set(NOT_IN_THE_REGISTRY)
    for name, spec in LAYERS.items():
        assert spec.cls is exported[name], name


def test_the_registry_reads_arguments_and_json_types_from_the_classes():
    linear = LAYERS["Linear"]
    assert linear.arguments == {"in_features": (int,), "out_features": (int,), "bias": (bool,)}
    assert linear.required == ("in_features", "out_features") and linear.weights_from_file
    assert LAYERS["Conv2d"].arguments["kernel_size"] == (int, list)
    assert LAYERS["MaxPool2d"].arguments["stride"] == (int, list, type(None))
    assert LAYERS["PReLU"].arguments == {"num_parameters": (int,), "init": (float, int)}
    assert not LAYERS["PReLU"].weights_from_file  # its init is the saved starting slope, not an initialiser
    for name, spec in LAYERS.items():
        assert set(spec.arguments) == set(EXAMPLES[name][0](np.float32).config()) - {"type"}, name


def _randomise(model: Module, dtype, rng: np.random.Generator) -> None:
    """Fill every parameter and buffer with random values, so a round trip that lost one shows."""
    for _, p in model.named_parameters():
        p.data = rng.uniform(0.5, 1.5, p.shape).astype(dtype)
    for name, module, attribute in model._buffer_slots():
        setattr(module, attribute, rng.uniform(0.5, 1.5, getattr(module, attribute).shape).astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_registered_layer_round_trips_through_a_model_file(tmp_path, name, dtype):
    assert set(EXAMPLES) == set(LAYERS), "give every registered layer an example"
    make, shape = EXAMPLES[name]
    model = Sequential(make(dtype))
    rng = np.random.default_rng(0)
    _randomise(model, dtype, rng)
    save_model(tmp_path / "m.safetensors", model)
    loaded, _ = load_model(tmp_path / "m.safetensors")
    assert loaded.config() == model.config()
    assert json.dumps(loaded.config()) == json.dumps(model.config())
    assert type(loaded.layers[0]) is type(model.layers[0])
    saved, read = model.state_dict(), loaded.state_dict()
    assert list(read) == list(saved)
    for key in saved:
        assert read[key].dtype == saved[key].dtype == dtype and read[key].tobytes() == saved[key].tobytes(), key
    x = Tensor(rng.integers(0, 6, shape) if name == "Embedding" else rng.uniform(-1, 1, shape), dtype=dtype)
    model.eval(), loaded.eval()
    assert loaded(x).data.tobytes() == model(x).data.tobytes()


@pytest.mark.parametrize("layer, complaint", [
    ({"type": "Linear", "in_features": 4}, r"lacks the argument\(s\) \['out_features'\]"),
    ({"type": "Linear", "in_features": 4, "out_features": 3, "rng": 1},
     r"has unknown argument 'rng'; it takes \['bias', 'in_features', 'out_features'\]"),
    ({"type": "Linear", "in_features": 4, "out_features": 3, "bias": 1}, r"argument 'bias' must be bool, got 1"),
    ({"type": "Linear", "in_features": True, "out_features": 3}, r"argument 'in_features' must be int, got True"),
    ({"type": "Linear", "in_features": 0, "out_features": 3},
     r"Linear: in_features must be a positive integer, got 0"),
    ({"type": "Conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": "3"},
     r"argument 'kernel_size' must be int or list, got '3'"),
    ({"type": "Conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": [3, 3, 3]},
     r"kernel_size must be an int or a pair of ints"),
    ({"type": "ELU", "alpha": "1"}, r"argument 'alpha' must be float or int, got '1'"),
    ({"type": "Dropout", "p": None}, r"argument 'p' must be float or int, got None"),
    ({"type": "Unflatten", "shape": [1, 0]}, r"Unflatten: shape\[1\] must be a positive integer, got 0"),
])
def test_each_refusal_names_the_place_and_the_fault(layer, complaint):
    with pytest.raises(FormatError, match=r"^net\.safetensors: model\.layers\.0 \(\w+\).*" + complaint):
        module_from_config({"type": "Sequential", "layers": [layer]}, "net.safetensors")


def test_a_json_integer_is_a_float_argument_and_null_a_default_stride(tmp_path):
    config = {"type": "Sequential", "layers": [{"type": "ELU", "alpha": 2}, {"type": "MaxPool2d", "kernel_size": 2,
                                                                            "stride": None}]}
    path = tmp_path / "m.safetensors"
    save_tensors(path, {}, {"synaptica.format": "1", "synaptica.architecture": json.dumps(config)})
    model, _ = load_model(path)
    assert model.layers[0].alpha == 2.0 and model.layers[1].stride == (2, 2)
