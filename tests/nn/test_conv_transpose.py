"""ConvTranspose2d: the adjoint of Conv2d, the output size, PyTorch's layer, errors and saving.

The op itself (conv_transpose2d) is checked against finite differences and PyTorch in
tests/ops/test_ops.py; here the layer around it is checked.
"""

import json

import numpy as np
import pytest
import torch

from synaptica import ShapeError, Tensor
from synaptica import ops
from synaptica.io import load_model, save_model
from synaptica.nn import Conv2d, ConvTranspose2d, Sequential, module_from_config


@pytest.mark.parametrize("kernel, stride, padding, extra", [(4, 2, 1, 0), ((3, 2), (2, 1), (1, 0), (1, 0)),
                                                            (5, 3, 2, 2), (1, 1, 0, 0)])
def test_it_is_the_adjoint_of_the_convolution_with_the_same_kernel(kernel, stride, padding, extra):
    """⟨conv(y), x⟩ = ⟨y, conv_transpose(x)⟩ for every x and y: the transposed convolution is the
    convolution's transpose, and the output sizes agree (the convolution maps H_out back to H)."""
    rng = np.random.default_rng(0)
    layer = ConvTranspose2d(3, 2, kernel, stride=stride, padding=padding, output_padding=extra, bias=False,
                            rng=0, dtype=np.float64)
    x = rng.standard_normal((2, 3, 5, 4))
    out = layer(Tensor(x)).data
    assert out.shape[1:] == layer.output_shape(5, 4)
    y = rng.standard_normal(out.shape)
    back = ops.conv2d(Tensor(y), Tensor(layer.weight.data), None, stride, padding).data  # (F, C) = (C_in, C_out)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.vdot(back, x), np.vdot(y, out), rtol=1e-10)


def test_matches_pytorchs_layer_with_the_same_weights():
    layer = ConvTranspose2d(4, 3, 4, stride=2, padding=1, output_padding=1, rng=0, dtype=np.float64)
    layer.bias.data[:] = [0.5, -1.0, 2.0]
    twin = torch.nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1, output_padding=1, dtype=torch.float64)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.weight.data))
        twin.bias.copy_(torch.from_numpy(layer.bias.data))
    x = np.random.default_rng(1).standard_normal((3, 4, 7, 6))
    np.testing.assert_allclose(layer(Tensor(x)).data, twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    assert layer(Tensor(x)).shape == (3, 3, 15, 13)


def test_dcgan_step_doubles_the_image():
    layer = ConvTranspose2d(8, 4, 4, stride=2, padding=1, rng=0)
    assert layer(Tensor(np.zeros((2, 8, 7, 7), np.float32))).shape == (2, 4, 14, 14)
    assert repr(layer) == "ConvTranspose2d(8→4, 4×4, stride=2, padding=1)"


def test_bad_input_names_the_layer_and_shapes():
    layer = ConvTranspose2d(3, 2, 4, stride=2, padding=1)
    with pytest.raises(ShapeError, match=r"ConvTranspose2d\(3→2.*\(5, 2, 7, 7\)"):
        layer(Tensor(np.zeros((5, 2, 7, 7), np.float32)))
    with pytest.raises(ValueError, match=r"output_padding 2×2 must be smaller than the stride 2×2"):
        ConvTranspose2d(3, 2, 4, stride=2, output_padding=2)
    with pytest.raises(ShapeError, match=r"has no output"):
        ops.conv_transpose2d(Tensor(np.zeros((1, 1, 1, 1))), Tensor(np.zeros((1, 1, 1, 1))), padding=1)


def test_saved_and_loaded_it_computes_the_same(tmp_path):
    model = Sequential(ConvTranspose2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0), output_padding=(1, 0), rng=0),
                       Conv2d(3, 1, 2, rng=1))
    config = json.loads(json.dumps(model.config()))
    assert config["layers"][0] == {"type": "ConvTranspose2d", "in_channels": 2, "out_channels": 3,
                                   "kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 0],
                                   "output_padding": [1, 0], "bias": True}
    assert isinstance(module_from_config(config).layers[0], ConvTranspose2d)
    save_model(tmp_path / "net.safetensors", model)
    loaded, _ = load_model(tmp_path / "net.safetensors")
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5)).astype(np.float32)
    np.testing.assert_array_equal(loaded(Tensor(x)).data, model(Tensor(x)).data)
