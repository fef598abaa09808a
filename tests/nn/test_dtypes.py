"""One dtype per model: layers refuse an input of another float dtype (PyTorch's rule), and the entry
points that take NumPy arrays (predict, evaluate, Sequential.trace) cast them to the model's dtype."""

import numpy as np
import pytest

from synaptica import LogLikelihoodCost, Tensor
from synaptica.errors import DtypeError
from synaptica.nn import (BatchNorm1d, BatchNorm2d, Conv2d, Ensemble, Linear, Maxout, PReLU, ReLU, Sequential,
                          cnn, input_tensor, mlp, model_dtype)
from synaptica.train import evaluate, predict

#: every layer with parameters, built in a dtype, with the shape of an input it accepts
LAYERS_WITH_PARAMETERS = [
    (lambda dtype: Linear(3, 2, rng=0, dtype=dtype), (4, 3)),
    (lambda dtype: Conv2d(2, 3, 3, rng=0, dtype=dtype), (4, 2, 5, 5)),
    (lambda dtype: BatchNorm1d(3, dtype=dtype), (4, 3)),
    (lambda dtype: BatchNorm2d(2, dtype=dtype), (4, 2, 3, 3)),
    (lambda dtype: PReLU(3, dtype=dtype), (4, 3)),
    (lambda dtype: Maxout(3, 2, rng=0, dtype=dtype), (4, 3)),
]


@pytest.mark.parametrize("make, shape", LAYERS_WITH_PARAMETERS)
@pytest.mark.parametrize("layer_dtype, input_dtype", [(np.float32, np.float64), (np.float64, np.float32)])
def test_a_layer_refuses_an_input_of_another_float_dtype(make, shape, layer_dtype, input_dtype):
    layer = make(layer_dtype)
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.raises(DtypeError) as error:
        layer(Tensor(x, dtype=input_dtype))
    message = str(error.value)
    wanted, given = np.dtype(layer_dtype).name, np.dtype(input_dtype).name
    assert message.startswith(repr(layer)), message
    assert f"got a {given} input but its parameters are {wanted}" in message
    assert f"x.astype(np.{wanted})" in message and f"dtype=np.{given}" in message
    out = layer(Tensor(x, dtype=layer_dtype))
    assert out.dtype == layer_dtype


def test_the_error_names_the_layer_inside_a_network_and_an_ensemble():
    x = Tensor(np.zeros((2, 4)), dtype=np.float64)
    with pytest.raises(DtypeError, match=r"^layers\.0: Linear\(4→3\) got a float64 input"):
        mlp([4, 3, 2], rng=0)(x)
    ensemble = Ensemble([mlp([4, 3, 2], rng=0), mlp([4, 3, 2], rng=1)])
    with pytest.raises(DtypeError, match=r"^members\.0: layers\.0: Linear\(4→3\) got a float64 input"):
        ensemble(x)


def test_predict_and_evaluate_cast_arrays_to_the_model_dtype(rng):
    x64 = rng.random((30, 12))
    y = rng.integers(0, 4, 30)
    for dtype in (np.float32, np.float64):
        model = mlp([12, 8, 4], "relu", rng=0, dtype=dtype)
        same = predict(model, x64.astype(dtype))
        for given in (x64, x64.astype(np.float32), (x64 * 255).astype(np.uint8)):
            out = predict(model, given, batch_size=7)
            assert out.dtype == dtype
            np.testing.assert_array_equal(out, predict(model, given.astype(dtype), batch_size=7))
        np.testing.assert_array_equal(predict(model, x64), same)
        result = evaluate(model, x64, y, LogLikelihoodCost())
        assert result.correct == int(np.sum(same.argmax(axis=1) == y))
        assert np.isfinite(result.cost)


def test_an_ensemble_predicts_in_its_members_dtype(rng):
    x64 = rng.random((20, 784))
    members = [cnn(rng=0), mlp([784, 16, 10], "relu", rng=1)]
    out = predict(Ensemble(members), x64)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, predict(Ensemble(members), x64.astype(np.float32)))


def test_model_dtype():
    assert model_dtype(mlp([4, 3, 2], rng=0)) == np.float32
    assert model_dtype(mlp([4, 3, 2], rng=0, dtype=np.float64)) == np.float64
    assert model_dtype(Sequential(ReLU())) == np.float32  # no parameters: the library's default
    mixed = Sequential(Linear(4, 3, rng=0), ReLU(), Linear(3, 2, rng=0, dtype=np.float64))
    with pytest.raises(DtypeError, match=r"'layers\.0\.weight' is float32, 'layers\.2\.weight' is float64"):
        model_dtype(mixed)


def test_input_tensor_casts_without_copying_and_refuses_non_numbers():
    model = mlp([4, 3, 2], rng=0)
    x = np.zeros((2, 4), np.float32)
    assert input_tensor(model, x).data is x
    assert input_tensor(model, [[1, 2, 3, 4]]).dtype == np.float32
    with pytest.raises(TypeError, match=r"predict: the input must hold numbers, got an array of dtype <U1"):
        predict(model, np.array([["a", "b", "c", "d"]]))


def test_trace_casts_to_the_model_dtype():
    model = mlp([4, 3, 2], rng=0)
    outputs = model.trace(np.ones((2, 4)))
    assert [out.dtype for _, out in outputs] == [np.float32] * 3


def test_the_interpretation_tools_probe_a_float64_network_in_its_dtype():
    from synaptica.interpret.probe import n_classes

    assert n_classes(cnn(dtype=np.float64, rng=0), (1, 28, 28)) == 10
