"""Optimizers: how a gradient becomes an update."""

from synaptica.optim.base import Optimizer as Optimizer
from synaptica.optim.sgd import SGD as SGD
