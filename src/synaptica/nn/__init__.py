"""Layers and containers. Every class is importable and constructible directly."""

from synaptica.nn.activation import ELU as ELU
from synaptica.nn.activation import LeakyReLU as LeakyReLU
from synaptica.nn.activation import ReLU as ReLU
from synaptica.nn.activation import Sigmoid as Sigmoid
from synaptica.nn.activation import Softmax as Softmax
from synaptica.nn.activation import Softplus as Softplus
from synaptica.nn.activation import Tanh as Tanh
from synaptica.nn.builders import ACTIVATIONS as ACTIVATIONS
from synaptica.nn.builders import mlp as mlp
from synaptica.nn.containers import Sequential as Sequential
from synaptica.nn.init import INITIALISERS as INITIALISERS
from synaptica.nn.linear import Linear as Linear
from synaptica.nn.module import Module as Module
from synaptica.nn.module import Parameter as Parameter
from synaptica.nn.registry import module_from_config as module_from_config
