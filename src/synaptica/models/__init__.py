"""Models that are more than a Sequential: each keeps ``forward`` as its inference path and offers the
extra outputs training needs through named methods; and models that are not trained by the loop at all,
with an estimator's shape (the Hopfield network: ``store`` patterns, ``recall`` them)."""

from synaptica.models.autoencoder import Autoencoder as Autoencoder
from synaptica.models.autoencoder import dense_autoencoder as dense_autoencoder
from synaptica.models.categorical_vae import CategoricalVAE as CategoricalVAE
from synaptica.models.categorical_vae import dense_categorical_vae as dense_categorical_vae
from synaptica.models.gan import GAN as GAN
from synaptica.models.gan import dcgan as dcgan
from synaptica.models.gan import mlp_gan as mlp_gan
from synaptica.models.hopfield import Hopfield as Hopfield
from synaptica.models.hopfield import Recall as Recall
from synaptica.models.centres import Centres as Centres
from synaptica.models.som import SelfOrganizingMap as SelfOrganizingMap
from synaptica.models.vae import VAE as VAE
from synaptica.models.vae import dense_vae as dense_vae
from synaptica.models.snn import Neurons as Neurons
from synaptica.models.snn import SpikingNetwork as SpikingNetwork
from synaptica.nn.rbm import RBM as RBM
