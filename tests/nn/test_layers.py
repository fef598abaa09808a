"""Layers: repr, parameter naming, initial weight statistics, shape errors, state dicts."""

import numpy as np
import pytest

from synaptica import ShapeError, Tensor, ops
from synaptica.nn import BatchNorm1d, Linear, Module, Parameter, ReLU, Sequential, Sigmoid, Softmax, Tanh, mlp
from tests.ops.gradcheck import gradcheck


def test_repr_shows_the_architecture():
    model = mlp([784, 30, 10], "sigmoid", output_activation="sigmoid", rng=0)
    assert repr(model.layers[0]) == "Linear(784→30)"
    assert "(2) Linear(30→10)" in repr(model) and "(3) Sigmoid()" in repr(model)


def test_parameters_are_found_by_attribute_path():
    model = mlp([4, 3, 2], rng=0)
    names = [name for name, _ in model.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert model.layers[0].weight.regularized and not model.layers[0].bias.regularized
    assert set(model.state_dict()) == set(names)


@pytest.mark.parametrize("init, weight_std, bias_std", [
    ("large", lambda n_in, n_out: 1.0, 1.0),
    ("nielsen", lambda n_in, n_out: 1 / np.sqrt(n_in), 1.0),
    ("xavier", lambda n_in, n_out: np.sqrt(2.0 / (n_in + n_out)), 0.0),
    ("he", lambda n_in, n_out: np.sqrt(2.0 / n_in), 0.0),
])
def test_initialisers_have_the_documented_spread(init, weight_std, bias_std):
    layer = Linear(400, 300, init=init, rng=1)
    assert layer.weight.shape == (300, 400) and layer.weight.dtype == np.float32
    assert layer.weight.data.std() == pytest.approx(weight_std(400, 300), rel=0.02)
    assert abs(layer.weight.data.mean()) < 0.01
    assert layer.bias.data.std() == pytest.approx(bias_std, rel=0.2, abs=1e-9)


def test_same_seed_same_weights_and_float64_available():
    a, b = mlp([10, 5, 2], rng=3), mlp([10, 5, 2], rng=3)
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert np.array_equal(p.data, q.data)
    assert mlp([10, 5, 2], rng=3, dtype=np.float64).layers[0].weight.dtype == np.float64


def test_wrong_input_width_names_the_layer_and_both_shapes():
    model = mlp([784, 30, 10], rng=0)
    with pytest.raises(ShapeError) as error:
        model(Tensor(np.zeros((10, 785), np.float32)))
    message = str(error.value)
    assert "layers.0" in message and "Linear(784→30)" in message
    assert "(10, 785)" in message and "(batch, 784)" in message


def test_images_given_to_linear_get_a_flatten_hint():
    with pytest.raises(ShapeError, match="Flatten"):
        Linear(784, 10, rng=0)(Tensor(np.zeros((2, 28, 28), np.float32)))


def test_fifty_wrong_inputs_never_leak_a_numpy_error(rng):
    model = mlp([12, 7, 3], rng=0)
    for _ in range(50):
        shape = tuple(int(n) for n in rng.integers(1, 15, size=rng.integers(1, 4)))
        if len(shape) in (2, 3) and shape[-1] == 12:  # a batch, or a batch of sequences
            continue
        with pytest.raises(ShapeError, match=r"Linear\(12→7\)"):
            model(Tensor(np.zeros(shape, np.float32)))


def test_activations_compute_their_functions():
    z = Tensor(np.array([[-2.0, 0.0, 3.0]]))
    assert np.allclose(Sigmoid()(z).data, 1 / (1 + np.exp(-z.data)))
    assert np.allclose(Tanh()(z).data, np.tanh(z.data))
    assert np.array_equal(ReLU()(z).data, [[0.0, 0.0, 3.0]])
    assert np.allclose(Softmax()(z).data.sum(), 1.0)


def test_load_state_dict_refuses_a_wrong_shape_naming_the_tensor():
    model = mlp([4, 3, 2], rng=0)
    state = {k: v.copy() for k, v in model.state_dict().items()}
    state["layers.0.weight"] = np.zeros((3, 5), np.float32)
    with pytest.raises(ShapeError, match=r"'layers.0.weight' is \(3, 5\) in the file but \(3, 4\) in the model"):
        model.load_state_dict(state)


def test_train_and_eval_reach_every_module():
    model = Sequential(Linear(2, 2, rng=0), Sequential(Sigmoid(), Linear(2, 1, rng=0)))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_bad_layer_arguments_are_refused_early():
    with pytest.raises(ValueError, match="Linear: in_features must be a positive integer, got 0"):
        Linear(0, 3)
    with pytest.raises(ValueError, match="unknown init"):
        Linear(3, 3, init="gaussian")
    with pytest.raises(ValueError, match="unknown activation"):
        mlp([3, 3], "swish")


def test_leaky_relu_elu_softplus_layers_compute_and_round_trip_through_a_file(tmp_path):
    from synaptica.io import load_model, save_model
    from synaptica.nn import ELU, LeakyReLU, Softplus

    z = Tensor(np.array([[-2.0, 0.5]]))
    assert np.allclose(LeakyReLU(0.2)(z).data, [[-0.4, 0.5]])
    assert np.allclose(ELU(1.5)(z).data, [[1.5 * np.expm1(-2.0), 0.5]])
    assert np.allclose(Softplus()(z).data, np.log1p(np.exp(z.data)))
    model = Sequential(Linear(3, 4, rng=0), LeakyReLU(0.2), Linear(4, 4, rng=1), ELU(0.5),
                       Linear(4, 2, rng=2), Softplus())
    save_model(tmp_path / "m.safetensors", model)
    loaded, _ = load_model(tmp_path / "m.safetensors")
    assert repr(loaded) == repr(model) and "LeakyReLU(0.2)" in repr(loaded) and "ELU(0.5)" in repr(loaded)
    x = Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    assert np.array_equal(loaded(x).data, model(x).data)
    with pytest.raises(ValueError, match=r"LeakyReLU: negative_slope must be in \[0, 1\), got 1.5"):
        LeakyReLU(1.5)
    assert isinstance(mlp([3, 2, 2], "elu", rng=0).layers[1], ELU)


class _TwoHeads(Module):
    """A trunk and a dict of heads, plus a dict of loose parameters: all must be found by name."""

    def __init__(self, seed):
        self.trunk = Linear(4, 3, rng=seed)
        self.heads = {"digits": Linear(3, 10, rng=seed + 1), "norm": BatchNorm1d(3)}
        self.scales = {"digits": Parameter(np.full(10, float(seed), np.float32), regularized=False)}

    def forward(self, x):
        h = self.heads["norm"](self.trunk(x))
        return self.heads["digits"](h) * self.scales["digits"]


def test_modules_and_parameters_held_in_a_dict_are_found_and_round_trip():
    model = _TwoHeads(0)
    assert [name for name, _ in model.named_children()] == ["trunk", "heads.digits", "heads.norm"]
    assert [name for name, _ in model.named_parameters()] == [
        "scales.digits", "trunk.weight", "trunk.bias", "heads.digits.weight", "heads.digits.bias",
        "heads.norm.gamma", "heads.norm.beta"]
    assert [name for name, _ in model.named_buffers()] == ["heads.norm.running_mean", "heads.norm.running_var"]
    model(Tensor(np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32)))  # moves the running stats
    other = _TwoHeads(5)
    other.load_state_dict({name: array.copy() for name, array in model.state_dict().items()})
    for (name, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        assert np.array_equal(a, b), name
    model.eval()
    assert not model.heads["norm"].training and not model.heads["digits"].training


def test_linear_reads_out_every_step_of_a_sequence_batch(rng):
    layer = Linear(5, 3, rng=0, dtype=np.float64)
    x = rng.normal(size=(4, 6, 5))
    each = np.stack([layer(Tensor(x[:, t])).data for t in range(6)], axis=1)
    np.testing.assert_allclose(layer(Tensor(x)).data, each, rtol=1e-12)
    gradcheck(lambda t, w: (ops.linear(ops.reshape(t, (24, 5)), w) ** 2).sum(), [x, layer.weight.data])
    with pytest.raises(ShapeError, match=r"\(batch, steps, 5\)"):
        layer(Tensor(rng.normal(size=(4, 6, 7))))
