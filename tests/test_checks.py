"""The validators of constructor arguments, and the layers and builders that use them."""

import math

import numpy as np
import pytest

from synaptica.checks import (finite_float, in_unit_interval, non_negative_float, non_negative_int, one_of,
                              positive_float, positive_int, positive_ints, probability)
from synaptica.nn import (ELU, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Ensemble, LeakyReLU, Linear,
                          MaxPool2d, Maxout, PReLU, Unflatten, cnn, conv_net, mlp)

NOT_NUMBERS = [True, False, "3", None, [3]]


@pytest.mark.parametrize("check, good, bad", [
    (positive_int, [1, 7, np.int64(3)], [0, -2, 2.5, 3.0, *NOT_NUMBERS]),
    (non_negative_int, [0, 7, np.int64(3)], [-1, 2.5, 0.0, *NOT_NUMBERS]),
    (positive_float, [1e-9, 3, 0.5], [0, -1.0, math.nan, math.inf, *NOT_NUMBERS]),
    (non_negative_float, [0, 0.0, 2.5], [-1e-9, math.nan, math.inf, *NOT_NUMBERS]),
    (finite_float, [-3.5, 0, 7], [math.nan, -math.inf, *NOT_NUMBERS]),
    (probability, [0, 0.5, 1.0], [-0.1, 1.01, math.nan, *NOT_NUMBERS]),
    (in_unit_interval, [0, 0.5, 1.0], [-0.1, 1.01, math.inf, *NOT_NUMBERS]),
])
def test_each_validator_returns_a_plain_number_or_names_the_owner_and_the_value(check, good, bad):
    for value in good:
        result = check("Layer", "size", value)
        assert result == value and type(result) in (int, float)
    for value in bad:
        with pytest.raises(ValueError) as error:
            check("Layer", "size", value)
        assert str(error.value).startswith("Layer: size must be ") and str(error.value).endswith(f"got {value!r}")


def test_messages_say_what_is_wanted():
    with pytest.raises(ValueError, match=r"^L: n must be a positive integer, got 2\.5$"):
        positive_int("L", "n", 2.5)
    with pytest.raises(ValueError, match=r"^L: eps must be > 0, got 0$"):
        positive_float("L", "eps", 0)
    with pytest.raises(ValueError, match=r"^L: eps must be > 0 \(a finite number\), got inf$"):
        positive_float("L", "eps", math.inf)
    with pytest.raises(ValueError, match=r"^L: p must be a probability in \[0, 1\), got 1$"):
        probability("L", "p", 1, one=False)
    with pytest.raises(ValueError, match=r"^L: slope must be in \[0, 1\), got 1$"):
        in_unit_interval("L", "slope", 1, one=False)
    with pytest.raises(ValueError, match=r"^L: unknown init 'gauss'; choose from \['he', 'zeros'\]$"):
        one_of("L", "init", "gauss", {"zeros", "he"})
    with pytest.raises(ValueError, match=r"^mlp: sizes\[1\] must be a positive integer, got 0$"):
        positive_ints("mlp", "sizes", [3, 0])
    with pytest.raises(ValueError, match=r"^mlp: sizes must be a list of positive integers such as \[784, 30, 10\]"):
        positive_ints("mlp", "sizes", 30)


def test_an_empty_owner_and_name_leave_the_problem_alone():
    """The command line's option types print the problem after argparse's own ``argument --eta:``."""
    with pytest.raises(ValueError, match=r"^must be > 0 \(a finite number\), got inf$"):
        positive_float("", "", math.inf)
    with pytest.raises(ValueError, match=r"^seed must be an integer >= 0, got -1$"):
        non_negative_int("", "seed", -1)


@pytest.mark.parametrize("make, message", [
    (lambda: Linear(2.5, 3), "Linear: in_features must be a positive integer, got 2.5"),
    (lambda: Linear(3, True), "Linear: out_features must be a positive integer, got True"),
    (lambda: Linear(3, 3, init="gauss"), "Linear: unknown init 'gauss'; choose from"),
    (lambda: Conv2d(1, np.float64(4), 3), "Conv2d: out_channels must be a positive integer, got "),
    (lambda: MaxPool2d(2.0), "MaxPool2d: kernel_size must be an int or a pair of ints, got 2.0"),
    (lambda: Dropout(math.nan), "Dropout: p must be a probability in [0, 1) (a finite number), got nan"),
    (lambda: Dropout(True), "Dropout: p must be a probability in [0, 1) (a finite number), got True"),
    (lambda: BatchNorm1d(3, eps=math.inf), "BatchNorm1d: eps must be > 0 (a finite number), got inf"),
    (lambda: BatchNorm2d(3, momentum=-0.1), "BatchNorm2d: momentum must be a probability in [0, 1], got -0.1"),
    (lambda: PReLU(3, init=math.nan), "PReLU: init must be a finite number, got nan"),
    (lambda: PReLU(True), "PReLU: num_parameters must be a positive integer, got True"),
    (lambda: Maxout(3, 2, pieces=2.0), "Maxout: pieces must be a positive integer, got 2.0"),
    (lambda: Unflatten((1, 28.0, 28)), "Unflatten: shape[1] must be a positive integer, got 28.0"),
    (lambda: Unflatten(()), "Unflatten: shape must hold at least one size"),
    (lambda: Unflatten(784), "Unflatten: shape must be a list of positive integers such as (1, 28, 28), got 784"),
    (lambda: LeakyReLU(math.nan), "LeakyReLU: negative_slope must be in [0, 1) (a finite number), got nan"),
    (lambda: ELU(0), "ELU: alpha must be > 0, got 0"),
    (lambda: Ensemble([mlp([3, 2], rng=0)], combine="median"), "Ensemble: unknown combine rule 'median'"),
    (lambda: mlp([784, 0, 10]), "mlp: sizes[1] must be a positive integer, got 0"),
    (lambda: mlp([784, 30.5, 10]), "mlp: sizes[1] must be a positive integer, got 30.5"),
    (lambda: mlp([784]), "mlp needs at least an input and an output size, got [784]"),
    (lambda: mlp([784, 10], dropout=1.0), "mlp: dropout must be a probability in [0, 1), got 1.0"),
    (lambda: mlp([784, 10], output_activation="swish"), "mlp: unknown output_activation 'swish'"),
    (lambda: conv_net((1, 28, 28), [20], [100], 10, kernel=0), "conv_net: kernel must be a positive integer, got 0"),
    (lambda: conv_net((1, 28), [20], [100], 10), "conv_net: image_shape must be (channels, rows, columns)"),
    (lambda: conv_net((1, 28, 28), [20, -1], [100], 10), "conv_net: maps[1] must be a positive integer, got -1"),
    (lambda: cnn(n_classes=0), "conv_net: n_classes must be a positive integer, got 0"),
])
def test_layers_and_builders_refuse_bad_arguments_by_name(make, message):
    with pytest.raises(ValueError) as error:
        make()
    assert message in str(error.value)
