"""Optimizers: how a gradient becomes an update. Learning-rate schedules are in
:mod:`synaptica.optim.schedules`."""

from synaptica.optim import schedules as schedules
from synaptica.optim.adagrad import Adagrad as Adagrad
from synaptica.optim.adam import Adam as Adam
from synaptica.optim.adamw import AdamW as AdamW
from synaptica.optim.base import Optimizer as Optimizer
from synaptica.optim.rmsprop import RMSProp as RMSProp
from synaptica.optim.sgd import SGD as SGD
