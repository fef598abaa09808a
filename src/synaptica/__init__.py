"""synaptica: neural networks from first principles, and the ways of learning after backpropagation.

The public names, one per line; each lives in one small module named after what it does.
"""

from synaptica.errors import DataError as DataError
from synaptica.errors import FormatError as FormatError
from synaptica.errors import NonFiniteError as NonFiniteError
from synaptica.errors import ShapeError as ShapeError
from synaptica.errors import UnsafeFileError as UnsafeFileError
from synaptica.losses import COSTS as COSTS
from synaptica.losses import CrossEntropyCost as CrossEntropyCost
from synaptica.losses import LogLikelihoodCost as LogLikelihoodCost
from synaptica.losses import QuadraticCost as QuadraticCost
from synaptica.optim import SGD as SGD
from synaptica.rules import Backprop as Backprop
from synaptica.rules import FeedbackAlignment as FeedbackAlignment
from synaptica.tensor import Tensor as Tensor
from synaptica.tensor import no_grad as no_grad
from synaptica.train import evaluate as evaluate
from synaptica.train import fit as fit

__version__ = "0.1.0"
