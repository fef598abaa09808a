"""The memory budget: sizes typed by mistake are refused before anything is allocated."""

import tracemalloc

import numpy as np
import pytest

from synaptica.errors import BudgetError, FormatError
from synaptica.nn import (BatchNorm1d, BatchNorm2d, Conv2d, Linear, Maxout, PReLU, Sequential, mlp,
                          module_from_config)
from synaptica.nn.budget import MAX_ACTIVATION_VALUES, MAX_PARAMETERS
from synaptica.tensor import Tensor


def refusal_and_peak_mb(call, kind: type[Exception]) -> tuple[Exception, float]:
    """The ``kind`` error ``call()`` must raise, and the most memory (MiB) Python and NumPy held at
    once meanwhile (tracemalloc counts a NumPy array whole, even before its pages are touched)."""
    tracemalloc.start()
    try:
        with pytest.raises(kind) as error:
            call()
        return error.value, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_a_mistyped_hidden_size_is_refused_at_once_naming_the_layer_and_the_size():
    error, peak = refusal_and_peak_mb(lambda: mlp([784, 30_000_000, 10]), BudgetError)
    assert peak < 1  # MiB: refused before any weight was drawn
    message = str(error)
    assert "Linear(784→30000000)" in message and "23,550,000,000 parameters (87.7 GiB as float32)" in message and f"{MAX_PARAMETERS:,}" in message
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("build, layer", [
    (lambda: Linear(2**15, 2**14), "Linear(32768→16384)"),
    (lambda: Conv2d(4096, 4096, 5), "Conv2d(4096→4096, 5×5)"),
    (lambda: Maxout(2**14, 2**13, pieces=4), "Maxout(16384→8192, pieces=4)"),
    (lambda: BatchNorm1d(2**27), "BatchNorm1d(134217728)"),
    (lambda: BatchNorm2d(2**27), "BatchNorm2d(134217728)"),
    (lambda: PReLU(2**28 + 1), "PReLU(268435457)"),
])
def test_every_layer_with_parameters_checks_the_budget(build, layer):
    with pytest.raises(BudgetError, match="more than the budget") as error:
        build()
    assert layer in str(error.value)


def test_layers_at_the_budget_are_built():
    assert Linear(2**14, 2**14 - 1, init="zeros").weight.size < MAX_PARAMETERS


def test_a_conv_padding_as_wide_as_the_kernel_is_refused():
    with pytest.raises(ValueError, match=r"padding 10000 must be smaller than the kernel 5×5"):
        Conv2d(1, 20, 5, padding=10_000)
    with pytest.raises(ValueError, match=r"padding \(0, 3\) must be smaller than the kernel 3×3"):
        Conv2d(1, 2, 3, padding=(0, 3))
    Conv2d(1, 2, 3, padding=2)  # the widest that still sees the image


def test_a_forward_pass_whose_output_exceeds_the_budget_is_refused_before_allocating():
    layer = Linear(1, 2**20, init="zeros")
    x = Tensor(np.zeros((2**9, 1), np.float32))  # 2**29 outputs: 2 GiB
    error, peak = refusal_and_peak_mb(lambda: layer(x), BudgetError)
    assert peak < 1 and "fewer examples at a time" in str(error)
    assert "Linear(1→1048576) on an input of shape (512, 1) would make its output of shape (512, 1048576)" in str(error)
    assert layer(Tensor(np.zeros((2, 1), np.float32))).shape == (2, 2**20)


def test_a_convolution_whose_patch_matrix_exceeds_the_budget_is_refused():
    layer = Conv2d(1, 1, 64, padding=63, init="zeros")
    x = Tensor(np.zeros((64, 1, 28, 28), np.float32))  # 64 · 91 · 91 windows of 4,096 pixels
    with pytest.raises(BudgetError, match=r"patch matrix of shape \(529984, 4096\)"):
        layer(x)
    assert 529984 * 4096 > MAX_ACTIVATION_VALUES


def test_the_registry_refuses_an_architecture_over_its_budget_before_building():
    config = {"type": "Sequential", "layers": [{"type": "Linear", "in_features": 784, "out_features": 100}] * 3}
    with pytest.raises(FormatError, match=r"model.layers.2 \(Linear\) would hold 78,500 numbers, which brings "
                                          r"the architecture to 235,500, more than the 200,000"):
        module_from_config(config, source="net.safetensors", max_parameters=200_000)
    assert isinstance(module_from_config(config, max_parameters=235_500), Sequential)


def test_the_registry_limits_nesting():
    config = {"type": "Linear", "in_features": 2, "out_features": 2}
    for _ in range(65):
        config = {"type": "Sequential", "layers": [config]}
    with pytest.raises(FormatError, match="nested 65 containers deep; at most 64"):
        module_from_config(config, source="deep.safetensors")
    assert isinstance(module_from_config(config["layers"][0]), Sequential)
