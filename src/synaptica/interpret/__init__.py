"""What a trained network has learned, found with gradients on its input (seed notes 004, "What does CNN learn?").

Every function returns NumPy arrays; :mod:`synaptica.viz.cnn` draws them. The network is a trained
:class:`~synaptica.nn.Sequential`; its weights are never changed (:func:`frozen`).

- :func:`first_layer_filters`, :func:`feature_maps`: the kernels of the first convolution, and what
  a chosen layer outputs for an image.
- :func:`maximize_channel`, :func:`maximize_class`: activation maximisation, the image a filter or a
  class responds to most (Erhan et al. 2009; Simonyan et al. 2014), with image priors.
- :func:`saliency_maps`: max over channels of |∂S_c/∂x| (Simonyan et al. 2014).
- :func:`deep_dream`: amplify what a layer sees in an image (Mordvintsev et al. 2015).
- :func:`style_transfer`: one image's content in another's style (Gatys et al. 2015).
"""

from synaptica.interpret.ascent import AscentResult as AscentResult
from synaptica.interpret.ascent import AscentSettings as AscentSettings
from synaptica.interpret.ascent import gradient_ascent as gradient_ascent
from synaptica.interpret.dream import DREAM_SETTINGS as DREAM_SETTINGS
from synaptica.interpret.dream import Dream as Dream
from synaptica.interpret.dream import deep_dream as deep_dream
from synaptica.interpret.filters import feature_maps as feature_maps
from synaptica.interpret.filters import first_conv as first_conv
from synaptica.interpret.filters import first_layer_filters as first_layer_filters
from synaptica.interpret.maximize import CHANNEL_SETTINGS as CHANNEL_SETTINGS
from synaptica.interpret.maximize import CLASS_SETTINGS as CLASS_SETTINGS
from synaptica.interpret.maximize import ChannelImages as ChannelImages
from synaptica.interpret.maximize import ClassImages as ClassImages
from synaptica.interpret.maximize import class_probabilities as class_probabilities
from synaptica.interpret.maximize import maximize_channel as maximize_channel
from synaptica.interpret.maximize import maximize_class as maximize_class
from synaptica.interpret.priors import ImagePrior as ImagePrior
from synaptica.interpret.priors import total_variation as total_variation
from synaptica.interpret.probe import frozen as frozen
from synaptica.interpret.saliency import Saliency as Saliency
from synaptica.interpret.saliency import saliency_maps as saliency_maps
from synaptica.interpret.style import StyleResult as StyleResult
from synaptica.interpret.style import content_loss as content_loss
from synaptica.interpret.style import gram_matrix as gram_matrix
from synaptica.interpret.style import style_layer_loss as style_layer_loss
from synaptica.interpret.style import style_transfer as style_transfer
