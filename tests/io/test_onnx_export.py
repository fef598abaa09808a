"""ONNX export: every registry type has an exporter, and onnxruntime computes what ``predict`` does."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
import pytest

from synaptica.io.onnx_export import EXPORTERS, export_onnx, onnx_model
from synaptica.models.autoencoder import Autoencoder, dense_autoencoder
from synaptica.nn import (
    ELU, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Flatten, L2Pool2d, LeakyReLU, Linear, Maxout,
    MaxPool2d, PReLU, ReLU, Sequential, Sigmoid, Softmax, Softplus, Tanh, Unflatten, mlp,
)
from synaptica.nn import GRU, LSTM, RNN, Embedding, Jordan
from synaptica.nn.cnn import cnn
from synaptica.nn.ensemble import Ensemble
from synaptica.nn.registry import CONTAINERS, LAYERS, MODEL_LAYERS
from synaptica.train import predict


def run_onnx(proto, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": x})[0]


def check_same(model, x: np.ndarray, atol: float = 1e-5) -> None:
    proto = onnx_model(model)
    onnx.checker.check_model(proto, full_check=True)
    expected = predict(model, x, workers=1)
    got = run_onnx(proto, x.astype(expected.dtype))
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, atol=atol, rtol=atol)


def randomise_batch_norm(model, rng) -> None:
    for layer in model.modules():
        if isinstance(layer, (BatchNorm1d, BatchNorm2d)):
            n = layer.features
            dtype = layer.gamma.data.dtype
            layer.running_mean = rng.normal(size=n).astype(dtype)
            layer.running_var = rng.uniform(0.5, 2.0, size=n).astype(dtype)
            layer.gamma.data[...] = rng.uniform(0.5, 1.5, size=n)
            layer.beta.data[...] = rng.normal(size=n)


def test_every_registry_type_has_an_exporter():
    assert set(EXPORTERS) == set(LAYERS) | set(MODEL_LAYERS) | set(CONTAINERS)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp_outputs_match_predict_for_any_batch(dtype):
    model = mlp([20, 16, 12, 5], "sigmoid", rng=0, dtype=dtype)
    x = np.random.default_rng(1).normal(size=(7, 20)).astype(dtype)
    check_same(model, x)
    check_same(model, x[:1])  # the batch dimension is dynamic
    assert onnx_model(model).graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_a_bayesian_network_exports_its_mean_weights():
    from synaptica.nn import bayes_mlp

    model = bayes_mlp([12, 8, 3], rng=0)
    for p in model.parameters():  # spread ρ and μ so that a mix-up of the two would show
        p.data[...] = np.random.default_rng(p.data.size).normal(size=p.shape)
    x = np.random.default_rng(1).normal(size=(6, 12)).astype(np.float32)
    check_same(model, x)
    from synaptica.nn import BayesConv2d

    conv = Sequential(BayesConv2d(1, 3, 3, stride=2, padding=1, rng=0), ReLU(), Flatten(), bayes_mlp([48, 4], rng=1))
    for p in conv.parameters():
        p.data[...] = np.random.default_rng(p.data.size).normal(size=p.shape)
    check_same(conv, np.random.default_rng(2).normal(size=(5, 1, 8, 8)).astype(np.float32))


def test_activations_match():
    layers = [Linear(6, 8, rng=0), Tanh(), Linear(8, 8, rng=1), LeakyReLU(0.1), Linear(8, 8, rng=2), ELU(0.7),
              Linear(8, 8, rng=3), Softplus(), Linear(8, 8, bias=False, rng=4), ReLU(), Linear(8, 4, rng=5), Softmax()]
    x = np.random.default_rng(0).normal(size=(9, 6)).astype(np.float32) * 5
    check_same(Sequential(layers), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_prelu_maxout_dropout_match(dtype):
    rng = np.random.default_rng(0)
    model = Sequential(Linear(10, 12, rng=0, dtype=dtype), BatchNorm1d(12, dtype=dtype),
                       PReLU(12, init=0.1, dtype=dtype), Dropout(0.5, rng=0),
                       Maxout(12, 6, pieces=3, rng=1, dtype=dtype), PReLU(dtype=dtype), Linear(6, 3, rng=2, dtype=dtype), Sigmoid())
    randomise_batch_norm(model, rng)
    check_same(model, rng.normal(size=(8, 10)).astype(dtype), atol=1e-5 if dtype == np.float32 else 1e-12)


def test_default_cnn_matches():
    model = cnn(rng=0)
    x = np.random.default_rng(0).uniform(size=(4, 784)).astype(np.float32)
    check_same(model, x, atol=1e-4)


def test_pools_batch_norm_2d_and_prelu_on_images_match():
    rng = np.random.default_rng(0)
    model = Sequential(Unflatten((2, 9, 9)), Conv2d(2, 4, 3, padding=1, rng=0), BatchNorm2d(4), PReLU(4),
                       MaxPool2d(2, stride=1, padding=1), Conv2d(4, 3, (3, 2), stride=(2, 1), bias=False, rng=1),
                       AvgPool2d(2, padding=1), L2Pool2d(2, stride=1), Flatten(), Linear(24, 4, rng=2))
    randomise_batch_norm(model, rng)
    x = rng.normal(size=(5, 162)).astype(np.float32)
    check_same(model, x, atol=1e-4)


def test_model_starting_with_conv_takes_images_of_any_size():
    model = Sequential(Conv2d(1, 2, 3, rng=0), ReLU(), AvgPool2d(2))
    x = np.random.default_rng(0).normal(size=(3, 1, 8, 10)).astype(np.float32)
    check_same(model, x)


@pytest.mark.parametrize("combine", ["average", "vote"])
def test_ensemble_matches(combine):
    members = [mlp([8, 6, 4], "relu", rng=seed) for seed in range(3)]
    members[1] = Sequential(*members[1].layers, Softmax())
    x = np.random.default_rng(0).normal(size=(11, 8)).astype(np.float32)
    check_same(Ensemble(members, combine), x)


def test_autoencoder_matches():
    model = dense_autoencoder(12, [8], 3, rng=0)
    assert isinstance(model, Autoencoder)
    check_same(model, np.random.default_rng(0).uniform(size=(6, 12)).astype(np.float32))


def test_transposed_convolutions_match():
    from synaptica.nn import ConvTranspose2d

    dtype = np.float32  # onnxruntime implements ConvTranspose for float32 only

    rng = np.random.default_rng(0)
    model = Sequential(Linear(6, 2 * 3 * 3, rng=0, dtype=dtype), Unflatten((2, 3, 3)),
                       ConvTranspose2d(2, 4, 4, stride=2, padding=1, output_padding=1, rng=1, dtype=dtype), ReLU(),
                       ConvTranspose2d(4, 1, (3, 2), stride=(2, 1), padding=(1, 0), bias=False, rng=2, dtype=dtype),
                       Flatten())
    for layer in model.layers:
        if getattr(layer, "bias", None) is not None:
            layer.bias.data[...] = rng.normal(size=layer.bias.shape)
    check_same(model, rng.normal(size=(5, 6)).astype(dtype), atol=1e-5)


def test_a_gan_exports_its_generator():
    from synaptica.models import dcgan

    model = dcgan(noise_size=8, maps=4, rng=0)
    randomise_batch_norm(model, np.random.default_rng(1))
    proto = onnx_model(model)
    assert proto.graph.input[0].type.tensor_type.shape.dim[1].dim_value == 8
    check_same(model, np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32), atol=1e-5)


def test_a_module_outside_the_registry_is_refused():
    class Mine(Linear):
        pass

    with pytest.raises(ValueError, match="not a layer of synaptica's registry"):
        onnx_model(Sequential(Mine(3, 2)))


def test_export_writes_a_loadable_file(tmp_path):
    model = mlp([5, 4, 2], "tanh", rng=0)
    path = tmp_path / "model.onnx"
    export_onnx(model, path)
    x = np.ones((2, 5), np.float32)
    np.testing.assert_allclose(run_onnx(onnx.load(path), x), predict(model, x), atol=1e-5)
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_only_the_adapter_imports_onnx():
    from tests.conftest import REPO

    sources = [p for p in (REPO / "src").rglob("*.py") if "import onnx" in p.read_text()]
    assert [p.name for p in sources] == ["onnx_export.py"]


@pytest.mark.parametrize("layer", [
    RNN(7, 5, num_layers=2, bidirectional=True, rng=0), RNN(7, 5, nonlinearity="relu", init="identity", rng=0),
    LSTM(7, 5, num_layers=2, bidirectional=True, rng=0), LSTM(7, 5, peephole=True, bidirectional=True, rng=0),
    GRU(7, 5, num_layers=2, bidirectional=True, rng=0), Jordan(7, 6, output_size=4, num_layers=2, bidirectional=True, rng=0),
], ids=["rnn", "irnn", "lstm", "lstm-peephole", "gru", "jordan"])
def test_recurrent_classifiers_match(layer):
    model = Sequential(Unflatten((4, 7)), layer, Linear(layer.output_size, 3, rng=1))
    x = np.random.default_rng(0).normal(size=(6, 28)).astype(np.float32)
    check_same(model, x)


@pytest.mark.parametrize("kind", [RNN, LSTM, GRU, Jordan])
def test_recurrent_sequences_of_any_length_match(kind):
    model = Sequential(kind(3, 4, return_sequences=True, bidirectional=True, rng=0), Tanh())
    check_same(model, np.random.default_rng(0).normal(size=(2, 9, 3)).astype(np.float32))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_character_language_model_matches(cell):
    from synaptica.models.char_lm import CharLanguageModel

    model = CharLanguageModel(13, embedding_dim=4, hidden_size=6, num_layers=2, cell=cell, rng=0)
    check_same(model, np.random.default_rng(0).integers(0, 13, size=(3, 9)).astype(np.float32))


def test_embedding_then_lstm_matches():
    model = Sequential(Embedding(11, 4, rng=0), LSTM(4, 5, rng=1), Linear(5, 2, rng=2))
    check_same(model, np.random.default_rng(0).integers(0, 11, size=(3, 8)).astype(np.float32))


def test_a_read_out_at_every_step_matches():
    model = Sequential(GRU(3, 5, return_sequences=True, bidirectional=True, rng=0), Linear(10, 4, rng=1))
    check_same(model, np.random.default_rng(0).normal(size=(2, 7, 3)).astype(np.float32))
