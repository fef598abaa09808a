"""Optimizers: how a gradient becomes an update. Learning-rate schedules are in
:mod:`synaptica.optim.schedules`; clipping, penalties and constraints that compose with every
optimizer are in :mod:`synaptica.optim.regularizers`."""

from synaptica.optim import schedules as schedules
from synaptica.optim.adagrad import Adagrad as Adagrad
from synaptica.optim.adam import Adam as Adam
from synaptica.optim.adamw import AdamW as AdamW
from synaptica.optim.base import Optimizer as Optimizer
from synaptica.optim.by_name import OPTIMIZERS as OPTIMIZERS
from synaptica.optim.by_name import make_optimizer as make_optimizer
from synaptica.optim.regularizers import L1 as L1
from synaptica.optim.regularizers import L2 as L2
from synaptica.optim.regularizers import ClipGradNorm as ClipGradNorm
from synaptica.optim.regularizers import ClipGradValue as ClipGradValue
from synaptica.optim.regularizers import DecoupledWeightDecay as DecoupledWeightDecay
from synaptica.optim.regularizers import MaxNorm as MaxNorm
from synaptica.optim.rmsprop import RMSProp as RMSProp
from synaptica.optim.sgd import SGD as SGD
