"""Training: the fit loop, evaluation, and what a run returns."""

from synaptica.train.calibration import Calibration as Calibration
from synaptica.train.calibration import expected_calibration_error as expected_calibration_error
from synaptica.train.calibration import predictive_entropy as predictive_entropy
from synaptica.train.calibration import predictive_probabilities as predictive_probabilities
from synaptica.train.callbacks import EarlyStopping as EarlyStopping
from synaptica.train.callbacks import EpochSchedule as EpochSchedule
from synaptica.train.callbacks import HalveOnPlateau as HalveOnPlateau
from synaptica.train.callbacks import StopTraining as StopTraining
from synaptica.train.ensemble import train_ensemble as train_ensemble
from synaptica.train.evaluate import Evaluation as Evaluation
from synaptica.train.evaluate import confusion_matrix as confusion_matrix
from synaptica.train.evaluate import evaluate as evaluate
from synaptica.train.evaluate import predict as predict
from synaptica.train.evaluators import Classification as Classification
from synaptica.train.evaluators import MapQuality as MapQuality
from synaptica.train.evaluators import PrincipalComponents as PrincipalComponents
from synaptica.train.evaluators import Quantization as Quantization
from synaptica.train.evaluators import Reconstruction as Reconstruction
from synaptica.train.evaluators import VariationalBound as VariationalBound
from synaptica.train.evaluators import SpikeVotes as SpikeVotes
from synaptica.train.fit import fit as fit
from synaptica.train.history import History as History
from synaptica.train.logs import CsvLog as CsvLog
from synaptica.train.logs import JsonlLog as JsonlLog
from synaptica.train.monitors import LayerSpeedMonitor as LayerSpeedMonitor
from synaptica.train.monitors import layer_speeds as layer_speeds
from synaptica.train.tensorboard import TensorBoardLog as TensorBoardLog  # tensorboardX only when one is made
