"""Training: the fit loop, evaluation, and what a run returns."""

from synaptica.train.evaluate import Evaluation as Evaluation
from synaptica.train.evaluate import confusion_matrix as confusion_matrix
from synaptica.train.evaluate import evaluate as evaluate
from synaptica.train.evaluate import predict as predict
from synaptica.train.fit import fit as fit
from synaptica.train.history import History as History
