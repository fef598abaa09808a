"""Evaluators: what :func:`~synaptica.train.fit` measures after every epoch.

An evaluator is any callable ``evaluator(model) -> {name: number}``; its metrics join the run's
:class:`~synaptica.train.History` as named series (``history["validation_accuracy"]``), where
callbacks (early stopping, schedules, logs) find them. One may also offer ``summary(metrics) -> str``,
its part of the epoch line (Nielsen's ``8512 / 10000  accuracy 0.8512``).

Metric names start with the evaluator's ``name`` (the split: ``validation``, ``test``), so two
evaluators of the same kind on different data never collide.
"""

from __future__ import annotations

import numpy as np

from synaptica.losses import Cost
from synaptica.nn.module import Module
from synaptica.nn.rbm import check_binary
from synaptica.random import stream
from synaptica.tensor import Tensor, no_grad
from synaptica.train.evaluate import Evaluation, evaluate, predict
from synaptica.unsupervised.distances import nearest
from synaptica.unsupervised.inputs import data_matrix


class Classification:
    """Accuracy and mean cost on labelled data ``(x, y)``: metrics ``<name>_accuracy`` and ``<name>_cost``.

    A prediction is correct when the output's arg-max is the label (or, for target rows such as
    XOR's, when every output rounds to its target); the cost is NaN when no cost is given.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, cost: Cost | None = None, name: str = "validation"):
        if len(x) != len(y):
            raise ValueError(f"Classification({name}): {len(x)} inputs but {len(y)} targets")
        self.x, self.y, self.cost, self.name = x, y, cost, name
        self.last: Evaluation | None = None

    def __call__(self, model: Module) -> dict[str, float]:
        self.last = evaluate(model, self.x, self.y, self.cost)
        return {f"{self.name}_accuracy": self.last.accuracy, f"{self.name}_cost": self.last.cost}

    def summary(self, metrics: dict[str, float]) -> str:
        last = self.last
        return f"{last.correct} / {last.total}  accuracy {last.accuracy:.4f}  cost {last.cost:.4f}"

    def __repr__(self) -> str:
        return f"Classification({self.name}, {len(self.x)} examples)"


class Reconstruction:
    """How well a model reproduces its input: ``<name>_cost``, the mean of ``cost(model(x), x)``.

    For autoencoders, whose ``forward`` is the reconstruction x̂ (so the cost must take outputs, not
    logits). With ``QuadraticCost`` the cost is the mean over examples of ½‖x̂ − x‖²; ``<name>_mse``
    is the mean squared error per input value (the figure usually reported, and the one PCA
    minimises).
    """

    def __init__(self, x: np.ndarray, cost: Cost, name: str = "validation", batch_size: int = 1000):
        if not len(x):
            raise ValueError(f"Reconstruction({name}): no examples")
        if cost.takes_logits:
            raise ValueError(f"Reconstruction({name}): the {cost.name} cost takes logits, but a reconstruction "
                             "is compared with the input itself; use QuadraticCost and a model whose output is "
                             "the reconstruction")
        self.x, self.cost, self.name, self.batch_size = x, cost, name, batch_size

    def __call__(self, model: Module) -> dict[str, float]:
        output = predict(model, self.x, self.batch_size)
        with no_grad():
            cost = float(self.cost.fn(Tensor(output), self.x, reduction="mean").data)
        mse = float(np.mean((output.astype(np.float64) - self.x) ** 2))
        return {f"{self.name}_cost": cost, f"{self.name}_mse": mse}

    def summary(self, metrics: dict[str, float]) -> str:
        return (f"{self.name} reconstruction cost {metrics[f'{self.name}_cost']:.4f}  "
                f"mse {metrics[f'{self.name}_mse']:.5f}")

    def __repr__(self) -> str:
        return f"Reconstruction({self.name}, {len(self.x)} examples)"



class PrincipalComponents:
    """How close the rows of a linear layer's W are to reference principal components, for Hebbian rules.

    Metrics: ``<name>_cosine_<i>`` = |cos(wᵢ, vᵢ)| for each learnt row wᵢ against the reference vᵢ
    (the sign of a component is arbitrary), ``<name>_min_cosine`` (the worst of them),
    ``<name>_weight_norm`` (the largest ‖wᵢ‖: 1 at Oja's and Sanger's fixed points) and, given
    centred data ``x``, ``<name>_mse``, the mean squared reconstruction error per input value of
    x̂ = x Wᵀ W (PCA's minimum with orthonormal W equal to the first k components).

    Args:
        components: (k, n) reference components as rows, e.g. ``np.linalg.svd(x_centred)[2][:k]``.
        x: centred data for the reconstruction error (optional).
    """

    def __init__(self, components: np.ndarray, x: np.ndarray | None = None, name: str = "validation"):
        self.components = np.atleast_2d(np.asarray(components, dtype=np.float64))
        self.x, self.name = x, name

    def __call__(self, model: Module) -> dict[str, float]:
        from synaptica.rules.hebbian import hebbian_layer

        weight = hebbian_layer(model, "PrincipalComponents").weight.data.astype(np.float64)
        if weight.shape[1] != self.components.shape[1] or weight.shape[0] > len(self.components):
            raise ValueError(f"PrincipalComponents({self.name}): the layer's W is {weight.shape}, but "
                             f"{self.components.shape} reference components were given")
        norms = np.linalg.norm(weight, axis=1)
        reference = self.components[:len(weight)]
        cosines = np.abs((weight * reference).sum(axis=1)) / (norms * np.linalg.norm(reference, axis=1))
        metrics = {f"{self.name}_cosine_{i + 1}": float(c) for i, c in enumerate(cosines)}
        metrics.update({f"{self.name}_min_cosine": float(cosines.min()), f"{self.name}_weight_norm": float(norms.max())})
        if self.x is not None:
            x = np.asarray(self.x, dtype=np.float64).reshape(len(self.x), -1)
            metrics[f"{self.name}_mse"] = float(np.mean((x - x @ weight.T @ weight) ** 2))
        return metrics

    def summary(self, metrics: dict[str, float]) -> str:
        text = (f"{self.name} min cosine {metrics[f'{self.name}_min_cosine']:.4f}  "
                f"|w| {metrics[f'{self.name}_weight_norm']:.4g}")
        return text + (f"  mse {metrics[f'{self.name}_mse']:.5f}" if f"{self.name}_mse" in metrics else "")

    def __repr__(self) -> str:
        return f"PrincipalComponents({self.name}, {len(self.components)} components)"


class Quantization:
    """How well a model's centres represent data ``x``: ``<name>_inertia`` and ``<name>_quantization``.

    For models that hold k centres μⱼ (:class:`~synaptica.models.Centres`, trained by mini-batch
    k-means): each point is replaced by its nearest centre, and the inertia is k-means' objective
    Σᵢ minⱼ ‖xᵢ − μⱼ‖² over the data; the quantization error is its mean per point (the mean squared
    distance, Kohonen's figure for self-organizing maps too).
    """

    def __init__(self, x: np.ndarray, name: str = "validation"):
        self.x = data_matrix(f"Quantization({name})", x)
        self.name = name

    def __call__(self, model: Module) -> dict[str, float]:
        closest = nearest(self.x.astype(model.centres.dtype, copy=False), model.centres)[1]
        inertia = float(closest.sum(dtype=np.float64))
        return {f"{self.name}_inertia": inertia, f"{self.name}_quantization": inertia / len(self.x)}

    def summary(self, metrics: dict[str, float]) -> str:
        return (f"{self.name} inertia {metrics[f'{self.name}_inertia']:.6g}  "
                f"quantization error {metrics[f'{self.name}_quantization']:.4f}")

    def __repr__(self) -> str:
        return f"Quantization({self.name}, {len(self.x)} examples)"


class MapQuality:
    """How well a self-organizing map fits data ``x``: ``<name>_quantization_error`` and
    ``<name>_topographic_error``.

    For a :class:`~synaptica.models.SelfOrganizingMap`: the quantization error is the mean distance
    of each point to its best-matching unit's prototype, mean ‖x − w_c‖ (not squared, as MiniSom
    reports it, unlike :class:`Quantization`'s mean squared distance); the topographic error is the
    fraction of points whose best and second-best units are not neighbours on the grid.
    """

    def __init__(self, x: np.ndarray, name: str = "validation"):
        self.x = data_matrix(f"MapQuality({name})", x)
        self.name = name

    def __call__(self, model: Module) -> dict[str, float]:
        return {f"{self.name}_quantization_error": model.quantization_error(self.x),
                f"{self.name}_topographic_error": model.topographic_error(self.x)}

    def summary(self, metrics: dict[str, float]) -> str:
        return (f"{self.name} quantization error {metrics[f'{self.name}_quantization_error']:.4f}  "
                f"topographic error {metrics[f'{self.name}_topographic_error']:.4f}")

    def __repr__(self) -> str:
        return f"MapQuality({self.name}, {len(self.x)} examples)"


class VariationalBound:
    """−ELBO of a :class:`~synaptica.models.VAE` or :class:`~synaptica.models.CategoricalVAE` on binary
    images: ``<name>_cost``, in nats per image (summed over the pixels, averaged over the images),
    with ``samples`` draws of the code per image from a Generator seeded anew each epoch with
    ``seed``, so that the epochs are compared on the same noise."""

    def __init__(self, x: np.ndarray, name: str = "validation", samples: int = 1, seed: int = 0):
        self.x = data_matrix(f"VariationalBound({name})", x)
        self.name, self.samples, self.seed = name, samples, seed

    def __call__(self, model: Module) -> dict[str, float]:
        bound = model.negative_elbo(self.x, rng=np.random.default_rng(self.seed), samples=self.samples)
        return {f"{self.name}_cost": float(np.mean(bound))}

    def summary(self, metrics: dict[str, float]) -> str:
        return f"{self.name} −ELBO {metrics[f'{self.name}_cost']:.2f} nats"

    def __repr__(self) -> str:
        return f"VariationalBound({self.name}, {len(self.x)} examples)"


class SpikeVotes:
    """A spiking network's accuracy by its neurons' votes: ``<name>_accuracy``, ``<name>_labelled``.

    For a :class:`~synaptica.models.SpikingNetwork` (Diehl and Cook 2015): the network is shown the
    labelling images (``label_x``, ``label_y``: *training* data, never the data scored), each neuron
    takes the class it responds to most (:meth:`~synaptica.models.SpikingNetwork.assign_labels`),
    then each image of ``(x, y)`` is classified by the class whose neurons fire most on average.
    ``<name>_labelled`` is the fraction of neurons that fired at all on the labelling images. The
    spike trains come from streams of ``seed``, so the figure is the same for the same weights.
    """

    def __init__(self, label_x: np.ndarray, label_y: np.ndarray, x: np.ndarray, y: np.ndarray, name: str = "test",
                 seed: int = 0, batch_size: int = 32):
        if len(label_x) != len(label_y) or len(x) != len(y):
            raise ValueError(f"SpikeVotes({name}): {len(label_x)} labelling images with {len(label_y)} labels, "
                             f"{len(x)} images with {len(y)} labels")
        self.label_x, self.label_y, self.x, self.y = label_x, np.asarray(label_y), x, np.asarray(y)
        self.name, self.seed, self.batch_size = name, seed, batch_size

    def __call__(self, model: Module) -> dict[str, float]:
        counts = model.responses(self.label_x, stream(self.seed, "snn.label"), self.batch_size)
        labels = model.assign_labels(counts, self.label_y)
        predicted = model.classify(self.x, stream(self.seed, f"snn.{self.name}"), self.batch_size)
        return {f"{self.name}_accuracy": float(np.mean(predicted == self.y)),
                f"{self.name}_labelled": float(np.mean(labels >= 0))}

    def summary(self, metrics: dict[str, float]) -> str:
        return (f"{self.name} accuracy by votes {metrics[f'{self.name}_accuracy']:.4f}  "
                f"neurons labelled {metrics[f'{self.name}_labelled']:.2f}")

    def __repr__(self) -> str:
        return f"SpikeVotes({self.name}, {len(self.label_x)} labelling and {len(self.x)} scored images)"


class PseudoLikelihood:
    """An RBM's mean pseudo-likelihood of binary data ``x``: ``<name>_pseudo_likelihood``.

    scikit-learn's stochastic estimate (:func:`synaptica.models.rbm.pseudo_likelihood`), one flipped
    bit per example; the bits are drawn once, from ``seed``, so every epoch is measured on the same
    ones and the curve moves only with the model.
    """

    def __init__(self, x: np.ndarray, name: str = "validation", seed: int = 0):
        self.x = check_binary(f"PseudoLikelihood({name})", data_matrix(f"PseudoLikelihood({name})", x))
        self.flips = stream(seed, "pseudo-likelihood").integers(0, self.x.shape[1], size=len(self.x))
        self.name = name

    def __call__(self, model: Module) -> dict[str, float]:
        from synaptica.models.rbm import pseudo_likelihood  # models build on train: imported when measured

        return {f"{self.name}_pseudo_likelihood": float(np.mean(pseudo_likelihood(model, self.x, self.flips)))}

    def summary(self, metrics: dict[str, float]) -> str:
        return f"{self.name} pseudo-likelihood {metrics[f'{self.name}_pseudo_likelihood']:.3f}"

    def __repr__(self) -> str:
        return f"PseudoLikelihood({self.name}, {len(self.x)} examples)"
