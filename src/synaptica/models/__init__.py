"""Models that are more than a Sequential: each keeps ``forward`` as its inference path and offers the
extra outputs training needs through named methods."""

from synaptica.models.autoencoder import Autoencoder as Autoencoder
from synaptica.models.autoencoder import dense_autoencoder as dense_autoencoder
from synaptica.models.centres import Centres as Centres
