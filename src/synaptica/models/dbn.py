"""Deep belief nets: a stack of RBMs trained greedily, one layer at a time, then used two ways.

Hinton, Osindero and Teh (2006) showed that a deep net can be learned one layer at a time: train an
RBM on the data, then a second RBM on the first one's hidden activities, and so on; each added layer
improves a variational bound on the data's log-likelihood. Here the pretraining is a sequence of
:func:`~synaptica.train.fit` calls, one per RBM (:meth:`DeepBeliefNet.pretrain`): the first RBM on the
binary images, each next one on the previous one's hidden probabilities p(h = 1 | v) (Hinton's
practical guide §3: probabilities, not samples, as the data of the layer above).

**Reading** (seed 003: the net as a feature extractor, then fine-tuned): :meth:`DeepBeliefNet.to_mlp`
turns the stack into a sigmoid MLP whose hidden layers start from the RBMs' weights and hidden biases
(an RBM's p(h | v) is exactly a sigmoid layer) with an output layer on top, to be fine-tuned by
backprop for classification (Hinton and Salakhutdinov 2006).

**Writing** ("not only can it read digits, it can also write them"): with ``labels`` > 0 the top RBM
models the joint of the layer below and a one-hot label, as in Hinton et al. (2006) (here with
binary label units rather than a softmax group). :meth:`DeepBeliefNet.generate` clamps the label
units, runs block Gibbs sampling in the top RBM, and sends the result down through the lower RBMs'
p(v | h) to the pixels.

References: G. E. Hinton, S. Osindero and Y.-W. Teh, "A fast learning algorithm for deep belief
nets", Neural Computation 18, 2006; G. E. Hinton and R. R. Salakhutdinov, "Reducing the
dimensionality of data with neural networks", Science 313, 2006.
"""

from __future__ import annotations

import numpy as np

from synaptica.checks import non_negative_int, positive_ints
from synaptica.nn import Linear, RBM, Sequential, Sigmoid
from synaptica.nn.rbm import check_binary
from synaptica.parallel.blas import blas_threads, training_threads
from synaptica.random import SeedLike, as_generator, stream
from synaptica.rules.contrastive_divergence import ContrastiveDivergence
from synaptica.train.fit import fit


class DeepBeliefNet:
    """A stack of RBMs of ``sizes`` (visible first), the top one joined to ``labels`` one-hot units.

    ``DeepBeliefNet([784, 500, 500, 2000], labels=10)`` is Hinton et al.'s digit generator;
    ``DeepBeliefNet([784, 500, 500])`` a feature extractor to fine-tune.
    """

    def __init__(self, sizes: list[int], labels: int = 0, rng: SeedLike = None, dtype=np.float32):
        self.sizes = positive_ints("DeepBeliefNet", "sizes", sizes, example="[784, 500, 500]")
        if len(self.sizes) < 2:
            raise ValueError(f"DeepBeliefNet needs at least a visible and a hidden size, got {list(sizes)}")
        self.labels = non_negative_int("DeepBeliefNet", "labels", labels)
        generator = as_generator(rng)
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.rbms = [RBM(n_in + (self.labels if i == len(pairs) - 1 else 0), n_out, rng=generator, dtype=dtype)
                     for i, (n_in, n_out) in enumerate(pairs)]

    def pretrain(self, x: np.ndarray, y: np.ndarray | None = None, *, epochs: int, batch_size: int,
                 learning_rate: float = 0.05, k: int = 1, persistent: bool = False, rng: SeedLike = None,
                 verbose: bool = False) -> list:
        """Greedy layer-wise pretraining: one ``fit`` per RBM, bottom up, each on the hidden
        probabilities of the one below (the top one on those joined to one-hot ``y`` when the net has
        label units). ``x`` must be binary. Returns the :class:`~synaptica.train.History` of each fit."""
        generator = as_generator(rng)
        if self.labels and y is None:
            raise ValueError(f"DeepBeliefNet with {self.labels} label units: pretrain needs the labels y")
        data = np.asarray(x, dtype=self.rbms[0].weight.data.dtype).reshape(len(x), -1)
        check_binary(f"{self!r}.pretrain", data)
        histories = []
        for i, rbm in enumerate(self.rbms):
            top = i == len(self.rbms) - 1
            inputs = np.concatenate([data, self.one_hot(y, len(data))], axis=1) if top and self.labels else data
            rule = ContrastiveDivergence(learning_rate, k=k, persistent=persistent,
                                         data="binary" if i == 0 else "probabilities")
            histories.append(fit(rbm, rule, inputs, epochs=epochs, batch_size=batch_size,
                                 rng=stream(generator, f"layer {i}"), verbose=verbose))
            if not top:
                data = rbm.hidden_probabilities(data)
        return histories

    def one_hot(self, y: np.ndarray, n: int) -> np.ndarray:
        """The labels as (n, labels) one-hot rows, refusing labels outside 0 … labels − 1."""
        y = np.asarray(y)
        if y.shape != (n,) or y.dtype.kind not in "iu" or (len(y) and (y.min() < 0 or y.max() >= self.labels)):
            raise ValueError(f"DeepBeliefNet: labels must be {n} integers in 0..{self.labels - 1}, "
                             f"got an array of shape {y.shape} and dtype {y.dtype}")
        return np.eye(self.labels, dtype=self.rbms[-1].weight.data.dtype)[y]

    def to_mlp(self, classes: int, rng: SeedLike = None) -> Sequential:
        """A sigmoid MLP ``sizes + [classes]`` whose hidden layers are the RBMs' recognition weights
        (W, c) and whose output layer (logits) starts N(0, 1/n_in); the top RBM's label weights are left out."""
        layers = []
        for rbm in self.rbms:
            n_in = rbm.visible - (self.labels if rbm is self.rbms[-1] else 0)
            layer = Linear(n_in, rbm.hidden, init="zeros", dtype=rbm.weight.data.dtype)
            layer.weight.data[...] = rbm.weight.data[:, :n_in]
            layer.bias.data[...] = rbm.hidden_bias.data
            layers += [layer, Sigmoid()]
        layers.append(Linear(self.sizes[-1], classes, rng=rng, dtype=self.rbms[-1].weight.data.dtype))
        return Sequential(layers)

    def generate(self, labels: np.ndarray, rng: np.random.Generator, steps: int = 1000) -> np.ndarray:
        """One image per label in ``labels``: the top RBM sampled by ``steps`` rounds of block Gibbs
        sampling with its label units clamped to the label, then passed down by p(v | h) (samples in the
        middle layers, probabilities for the pixels)."""
        if not self.labels:
            raise ValueError("DeepBeliefNet.generate needs label units: build the net with labels=10")
        top = self.rbms[-1]
        penultimate = top.visible - self.labels
        start = np.concatenate([(rng.random((len(labels), penultimate)) < 0.5).astype(top.weight.data.dtype),
                                self.one_hot(labels, len(labels))], axis=1)
        clamp = np.arange(top.visible) >= penultimate
        with blas_threads(training_threads(len(labels))):  # small products: fit's thread policy
            h = top.gibbs(start, steps, rng, clamp=clamp)[:, :penultimate]
            for i, rbm in enumerate(reversed(self.rbms[:-1])):
                last = i == len(self.rbms) - 2
                h = rbm.visible_probabilities(h) if last else rbm.sample_visible(h, rng)
        return h

    def __repr__(self) -> str:
        return f"DeepBeliefNet({list(self.sizes)}, labels={self.labels})"
