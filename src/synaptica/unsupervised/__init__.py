"""Learning without labels, in scikit-learn's shape: ``fit(x) -> self``, fitted attributes ending in
``_``, ``random_state``. k-means and PCA, and anomaly scores built on them and on autoencoders."""

from synaptica.unsupervised.kmeans import KMeans as KMeans
from synaptica.unsupervised.pca import PCA as PCA
