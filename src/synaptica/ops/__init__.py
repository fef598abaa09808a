"""Differentiable ops. Each is a function that computes its forward and attaches its vjp.

The table :data:`DIFFERENTIABLE_OPS` lists every public op; the oracle tests check that each one has
an entry (finite differences and PyTorch), so a new op cannot land untested. ``straight_through`` is
the one exception: its backward is by definition not its derivative (which is zero almost everywhere),
so tests/ops/test_sampling.py checks it against that definition and against PyTorch's idiom instead.
"""

from synaptica.ops.batch_norm import batch_norm as batch_norm
from synaptica.ops.conv import conv2d as conv2d
from synaptica.ops.conv_transpose import conv_transpose2d as conv_transpose2d
from synaptica.ops.dropout import dropout as dropout
from synaptica.ops.elementwise import add as add
from synaptica.ops.elementwise import div as div
from synaptica.ops.elementwise import elu as elu
from synaptica.ops.elementwise import exp as exp
from synaptica.ops.elementwise import leaky_relu as leaky_relu
from synaptica.ops.elementwise import log as log
from synaptica.ops.elementwise import mul as mul
from synaptica.ops.elementwise import neg as neg
from synaptica.ops.elementwise import pow as pow
from synaptica.ops.elementwise import relu as relu
from synaptica.ops.elementwise import sigmoid as sigmoid
from synaptica.ops.elementwise import softplus as softplus
from synaptica.ops.elementwise import sqrt as sqrt
from synaptica.ops.elementwise import sub as sub
from synaptica.ops.elementwise import tanh as tanh
from synaptica.ops.gru import gru as gru
from synaptica.ops.linalg import linear as linear
from synaptica.ops.linalg import matmul as matmul
from synaptica.ops.lstm import lstm as lstm
from synaptica.ops.losses import quadratic_cost as quadratic_cost
from synaptica.ops.losses import sigmoid_cross_entropy as sigmoid_cross_entropy
from synaptica.ops.losses import softmax_cross_entropy as softmax_cross_entropy
from synaptica.ops.mixture import scale_mixture_log_prior as scale_mixture_log_prior
from synaptica.ops.pool import avg_pool2d as avg_pool2d
from synaptica.ops.pool import l2_pool2d as l2_pool2d
from synaptica.ops.pool import max_pool2d as max_pool2d
from synaptica.ops.prelu import prelu as prelu
from synaptica.ops.recurrent import elman as elman
from synaptica.ops.recurrent import jordan as jordan
from synaptica.ops.reduce import max as max
from synaptica.ops.sampling import categorical_kl as categorical_kl
from synaptica.ops.sampling import gaussian_kl as gaussian_kl
from synaptica.ops.sampling import gumbel_softmax as gumbel_softmax
from synaptica.ops.sampling import reparameterize as reparameterize
from synaptica.ops.sampling import straight_through as straight_through
from synaptica.ops.reduce import mean as mean
from synaptica.ops.reduce import sum as sum
from synaptica.ops.shape import concat as concat
from synaptica.ops.shape import getitem as getitem
from synaptica.ops.shape import reshape as reshape
from synaptica.ops.shape import split as split
from synaptica.ops.shape import stack as stack
from synaptica.ops.shape import transpose as transpose
from synaptica.ops.shape import where as where
from synaptica.ops.softmax import log_softmax as log_softmax
from synaptica.ops.softmax import softmax as softmax

DIFFERENTIABLE_OPS = (
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "sigmoid", "tanh", "relu",
    "leaky_relu", "elu", "softplus",
    "matmul", "linear", "sum", "mean", "max", "reshape", "transpose", "getitem",
    "concat", "stack", "split", "where", "softmax",
    "log_softmax", "quadratic_cost", "sigmoid_cross_entropy", "softmax_cross_entropy",
    "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "l2_pool2d",
    "dropout", "batch_norm", "prelu",
    "scale_mixture_log_prior",
    "reparameterize", "gaussian_kl", "categorical_kl", "gumbel_softmax",
    "elman", "jordan", "lstm", "gru",
)
