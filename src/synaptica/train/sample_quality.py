"""How good a generator's samples are: a Fréchet distance and a classifier's verdict.

A generative model has no accuracy. Two measures stand in for one, both computed with a classifier
trained on the real data (for Fashion-MNIST, the library's own CNN, :func:`fashion_classifier`):

**Fréchet distance** (Heusel et al. 2017, "FID" with Inception features; here with the classifier's
last hidden layer). Fit a Gaussian to the features of real images, N(μ_r, Σ_r), and one to the
features of samples, N(μ_g, Σ_g); the Fréchet (2-Wasserstein) distance between them is

    d² = ‖μ_r − μ_g‖² + tr(Σ_r + Σ_g − 2 (Σ_r Σ_g)^{1/2})        (Dowson and Landau 1982)

Zero when the two Gaussians agree; it grows when samples are off (μ moves) and when they lack
variety (Σ_g shrinks: a generator that makes one good image scores badly). tr (Σ_r Σ_g)^{1/2} is
computed without a general matrix square root: with A = Σ_r^{1/2} (symmetric, by eigh), A Σ_g A is
symmetric positive semi-definite and has the eigenvalues of Σ_r Σ_g, so the trace is the sum of the
square roots of its eigenvalues. The estimate is biased upwards for few samples, so distances are
compared only at the same number of samples.

**Confidence and class coverage**: the classifier's mean top probability on the samples (a sample
that looks like some garment scores high) and how many of the classes its arg-max reaches on
1,000 samples (a generator that collapsed to a few modes reaches few).

References: M. Heusel, H. Ramsauer, T. Unterthiner, B. Nessler and S. Hochreiter, "GANs trained by a
two time-scale update rule converge to a local Nash equilibrium", NeurIPS 2017; D. C. Dowson and
B. V. Landau, "The Fréchet distance between multivariate normal distributions", J. Multivariate
Analysis 12, 1982; T. Salimans et al., "Improved techniques for training GANs", NeurIPS 2016
(scoring samples with a classifier).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from synaptica.nn.containers import Sequential
from synaptica.nn.module import Module
from synaptica.random import SeedLike, stream
from synaptica.train.evaluate import predict


def gaussian_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (n − 1 in the denominator) of feature rows, in float64."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"gaussian_statistics: need (n >= 2, features) rows, got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mean_a: np.ndarray, cov_a: np.ndarray, mean_b: np.ndarray, cov_b: np.ndarray) -> float:
    """d² = ‖μ_a − μ_b‖² + tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^{1/2}) between N(μ_a, Σ_a) and N(μ_b, Σ_b)."""
    mean_a, mean_b = np.asarray(mean_a, np.float64), np.asarray(mean_b, np.float64)
    cov_a, cov_b = np.atleast_2d(cov_a).astype(np.float64), np.atleast_2d(cov_b).astype(np.float64)
    if mean_a.shape != mean_b.shape or cov_a.shape != cov_b.shape or cov_a.shape != mean_a.shape * 2:
        raise ValueError(f"frechet_distance: means {mean_a.shape} and {mean_b.shape} and covariances "
                         f"{cov_a.shape} and {cov_b.shape} must describe Gaussians of one dimension")
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T  # Σ_a^{1/2}
    middle = root_a @ cov_b @ root_a
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)).sum()
    diff = mean_a - mean_b
    return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * cross)


def feature_extractor(classifier: Sequential) -> Sequential:
    """The classifier without its last layer (the logits): its last hidden layer's activities."""
    if not isinstance(classifier, Sequential) or len(classifier.layers) < 2:
        raise ValueError(f"feature_extractor: needs a Sequential classifier of several layers, got {classifier!r}")
    return Sequential(classifier.layers[:-1])


class SampleQuality:
    """An evaluator of a generator: ``<name>_frechet``, ``<name>_confidence`` and ``<name>_classes``.

    After every epoch it draws ``samples`` noise vectors (the same ones each time, from its own stream
    of ``seed``, so the figures of two epochs differ only by the generator), makes the samples with
    ``predict(model, z)`` (the model's inference path: noise → samples, in evaluation mode) and
    scores them with ``classifier``: the Fréchet distance between the features of the samples and
    those of ``real`` images, the mean top probability and the number of classes reached.

    Args:
        classifier: a Sequential ending in class logits, trained on the real data.
        real: real images, rows like the generator's samples (the test split: the statistics are
            computed once).
        samples: how many samples to score (1,000 in the docs' figures).
        seed: seed of the noise.
    """

    def __init__(self, classifier: Sequential, real: np.ndarray, samples: int = 1000, seed: SeedLike = 0,
                 name: str = "samples"):
        self.classifier, self.name, self.samples = classifier, name, int(samples)
        self.features = feature_extractor(classifier)
        self.real_statistics = gaussian_statistics(predict(self.features, real))
        self.seed = seed

    def scores(self, images: np.ndarray) -> dict[str, float]:
        """The three figures for given sample images (rows as the classifier takes them)."""
        features = predict(self.features, images)
        logits = predict(self.classifier.layers[-1], features)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        return {f"{self.name}_frechet": frechet_distance(*self.real_statistics, *gaussian_statistics(features)),
                f"{self.name}_confidence": float(probabilities.max(axis=1).mean()),
                f"{self.name}_classes": float(len(np.unique(logits.argmax(axis=1))))}

    def __call__(self, model: Module) -> dict[str, float]:
        return self.scores(predict(model, model.noise(self.samples, stream(self.seed, "sample-quality"))))

    def __repr__(self) -> str:
        return f"SampleQuality({self.name}, {self.samples} samples)"


class SampleGrid:
    """A callback: after each epoch write ``pattern.format(epoch=...)``, a grid of ``count`` samples.

    The same noise every epoch (the callback's own stream of ``seed``), turned into images by
    ``predict(model, z)`` (the generator, in evaluation mode), so the files of successive epochs show
    one set of samples taking shape.

    Args:
        pattern: the file name, with ``{epoch}`` where the epoch number goes (``samples-{epoch:02d}.png``),
            or one name to overwrite each epoch.
        image_shape: (rows, columns) of one sample, (28, 28) for Fashion-MNIST.
        count: samples per grid (64: 8 × 8).
        seed: seed of the noise.

    Attributes:
        written: the paths written so far.
    """

    def __init__(self, pattern: str | os.PathLike[str], image_shape: tuple[int, int] = (28, 28), count: int = 64,
                 seed: SeedLike = 0, title: str = "Samples"):
        self.pattern, self.image_shape, self.count, self.title = str(pattern), tuple(image_shape), count, title
        self.seed = seed
        self.written: list[Path] = []

    def __call__(self, epoch: int, history, model: Module) -> None:
        from synaptica.viz.samples import plot_samples  # pictures are drawn when asked for (the plot extra)

        samples = predict(model, model.noise(self.count, stream(self.seed, "sample-grid")))
        path = self.pattern.format(epoch=epoch)
        self.written.append(plot_samples(samples, self.image_shape, path, title=f"{self.title}, epoch {epoch}"))


#: the file the Fashion-MNIST classifier is kept in, under the user cache
CLASSIFIER_FILE = "classifiers/fashion-mnist-cnn.safetensors"


def fashion_classifier(cache_dir: str | os.PathLike | None = None, epochs: int = 2, examples: int | None = None,
                       verbose: bool = True) -> Sequential:
    """The library's default CNN (:func:`synaptica.nn.cnn`) trained on Fashion-MNIST, from the cache.

    The first call trains it (Adam, η = 0.001, mini-batches of 64, ``epochs`` epochs, seed 0: 0.873
    test accuracy after 2) and saves it in ``<cache>/classifiers/`` (``cache_dir``, else
    ``$SYNAPTICA_CACHE_DIR``, else ``~/.cache/synaptica``, as the datasets' cache); later calls load it.
    ``examples`` trains on the first N training images only (a quick, weaker judge, for tests).
    """
    from synaptica.data import load_dataset
    from synaptica.data.datasets import user_cache
    from synaptica.io.model_file import load_model, save_model
    from synaptica.nn.cnn import cnn
    from synaptica.optim import Adam
    from synaptica.rules import Backprop
    from synaptica.losses import LogLikelihoodCost
    from synaptica.train.fit import fit

    subset = "" if examples is None else f"-{examples}"
    path = user_cache(cache_dir) / CLASSIFIER_FILE.replace(".safetensors", f"-{epochs}{subset}.safetensors")
    if path.exists():
        return load_model(path)[0]
    data = load_dataset("fashion-mnist", cache_dir=cache_dir)
    model = cnn(rng=0)
    x, y = data.train.x[:examples], data.train.y[:examples]
    fit(model, Backprop(LogLikelihoodCost(), Adam(model.parameters(), 1e-3)), (x, y),
        epochs=epochs, batch_size=64, rng=0, verbose=verbose)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_model(path, model, {"trained": f"fashion-mnist ({len(x)} images), cnn, Adam 1e-3, batch 64, {epochs} epochs, "
                                        "seed 0"})
    return model
