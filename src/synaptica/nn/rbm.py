"""The restricted Boltzmann machine with binary (Bernoulli) visible and hidden units.

A bipartite undirected model of binary visibles v ∈ {0,1}ᵈ and hiddens h ∈ {0,1}ᵐ with weights
W (m, d), visible biases b (d,) and hidden biases c (m,) (Smolensky 1986; Hinton 2002), whose
energy and joint distribution are

    E(v, h) = −bᵀv − cᵀh − hᵀW v,        p(v, h) = exp(−E(v, h)) / Z.

No two units of one layer are connected, so each layer is independent given the other:

    p(hⱼ = 1 | v) = σ(cⱼ + Wⱼ·v),        p(vᵢ = 1 | h) = σ(bᵢ + (Wᵀh)ᵢ),

which makes block Gibbs sampling (all hiddens at once, then all visibles) the natural sampler, and
lets the hiddens be summed out of p(v) in closed form: p(v) = exp(−F(v)) / Z with the free energy

    F(v) = −bᵀv − Σⱼ log(1 + exp(cⱼ + Wⱼ·v)) = −bᵀv − Σⱼ softplus(cⱼ + Wⱼ·v).

``forward(x)`` is the inference path, the hidden probabilities p(h = 1 | v) as a Tensor (so
``predict``, ONNX export and a deep belief net's fine-tuning see the RBM as a sigmoid layer); the
sampling and the free energy are plain NumPy methods that the learning rule
(:class:`~synaptica.rules.ContrastiveDivergence`) and the estimates of
:mod:`synaptica.models.rbm` call, each with the Generator it is given.

The weights start N(0, 0.01²) and the biases 0 (Hinton's practical guide, §8; scikit-learn's
``BernoulliRBM`` starts the same way); :meth:`RBM.visible_bias_from_data` sets bᵢ = log(pᵢ/(1 − pᵢ))
from the data's pixel means, the guide's advice for the visible biases.

References: G. E. Hinton, "Training products of experts by minimizing contrastive divergence",
Neural Computation 14, 2002; G. E. Hinton, "A practical guide to training restricted Boltzmann
machines", UTML TR 2010-003.
"""

from __future__ import annotations

import numpy as np

from synaptica import ops
from synaptica.checks import one_of, positive_int
from synaptica.nn.budget import check_parameters
from synaptica.nn.linear import check_rows
from synaptica.nn.module import Module, Parameter
from synaptica.ops.elementwise import sigmoid_array, softplus_array
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor

#: the initial weights: N(0, 0.01²) ("normal"), or zeros (a model whose weights come from a file)
RBM_INITS = ("normal", "zeros")


class RBM(Module):
    """A Bernoulli–Bernoulli RBM: ``weight`` (hidden, visible), ``visible_bias``, ``hidden_bias``.

    Args:
        visible, hidden: numbers of visible units d and hidden units m.
        init: ``"normal"`` (weights N(0, 0.01²), biases 0) or ``"zeros"``.
        rng: seed or Generator for the initial weights.
        dtype: ``np.float32`` (default) or ``np.float64``.
    """

    def __init__(self, visible: int, hidden: int, init: str = "normal", rng: SeedLike = None, dtype=np.float32):
        self.visible = positive_int("RBM", "visible", visible)
        self.hidden = positive_int("RBM", "hidden", hidden)
        one_of("RBM", "init", init, RBM_INITS)
        check_parameters(repr(self), self.parameter_count(self.visible, self.hidden))
        weight = np.zeros((self.hidden, self.visible))
        if init == "normal":
            weight = 0.01 * as_generator(rng).standard_normal((self.hidden, self.visible))
        self.weight = Parameter(weight.astype(dtype), regularized=True)
        self.visible_bias = Parameter(np.zeros(self.visible, dtype), regularized=False)
        self.hidden_bias = Parameter(np.zeros(self.hidden, dtype), regularized=False)

    @property
    def in_features(self) -> int:
        """The input size, as a Linear layer names it (ONNX export reads it)."""
        return self.visible

    def forward(self, x: Tensor) -> Tensor:
        """p(h = 1 | v) = σ(v Wᵀ + c), differentiable (a deep belief net fine-tunes through it)."""
        check_rows(self, x, self.visible, self.weight)
        return ops.sigmoid(ops.linear(x, self.weight, self.hidden_bias))

    # The NumPy side: what the learning rule, the samplers and the estimates call.

    def hidden_probabilities(self, v: np.ndarray) -> np.ndarray:
        """p(h = 1 | v) = σ(c + v Wᵀ), (n, m)."""
        return sigmoid_array(v @ self.weight.data.T + self.hidden_bias.data)

    def visible_probabilities(self, h: np.ndarray) -> np.ndarray:
        """p(v = 1 | h) = σ(b + h W), (n, d)."""
        return sigmoid_array(h @ self.weight.data + self.visible_bias.data)

    def sample_hidden(self, v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """h ~ p(h | v), as 0.0/1.0 in the model's dtype."""
        return bernoulli(self.hidden_probabilities(v), rng)

    def sample_visible(self, h: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """v ~ p(v | h), as 0.0/1.0 in the model's dtype."""
        return bernoulli(self.visible_probabilities(h), rng)

    def gibbs(self, v: np.ndarray, steps: int, rng: np.random.Generator,
              clamp: np.ndarray | None = None) -> np.ndarray:
        """``steps`` rounds of block Gibbs sampling from visibles ``v``: h ~ p(h | v), then v ~ p(v | h).

        ``clamp``, a boolean mask over the visible units, keeps those units at their values in ``v``
        (a deep belief net's top RBM generates with its label units clamped)."""
        v = np.array(v, dtype=self.weight.data.dtype)
        fixed = None if clamp is None else v[:, clamp].copy()
        for _ in range(positive_int("RBM.gibbs", "steps", steps)):
            v = self.sample_visible(self.sample_hidden(v, rng), rng)
            if fixed is not None:
                v[:, clamp] = fixed
        return v

    def free_energy(self, v: np.ndarray) -> np.ndarray:
        """F(v) = −bᵀv − Σⱼ softplus(cⱼ + Wⱼ·v) of each row, in float64 (p(v) = exp(−F(v)) / Z)."""
        v = np.asarray(v, dtype=np.float64)
        weight = self.weight.data.astype(np.float64)
        return -(v @ self.visible_bias.data.astype(np.float64)) - softplus_array(
            v @ weight.T + self.hidden_bias.data.astype(np.float64)).sum(axis=1)

    def visible_bias_from_data(self, x: np.ndarray) -> None:
        """bᵢ = log(pᵢ / (1 − pᵢ)), pᵢ the fraction of rows with vᵢ = 1 (clipped to [1e-3, 1 − 1e-3]):
        the visible units alone then model the pixel means (the practical guide, §8)."""
        self.visible_bias.data[...] = pixel_log_odds(x)

    @classmethod
    def parameter_count(cls, visible: int, hidden: int) -> int:
        return hidden * visible + hidden + visible

    def config(self) -> dict:
        return {"type": "RBM", "visible": self.visible, "hidden": self.hidden}

    def __repr__(self) -> str:
        return f"RBM({self.visible}→{self.hidden})"


def pixel_log_odds(x: np.ndarray) -> np.ndarray:
    """log(pᵢ / (1 − pᵢ)) of each column's mean pᵢ, clipped to [1e-3, 1 − 1e-3]."""
    p = np.clip(np.asarray(x, dtype=np.float64).mean(axis=0), 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p))


def bernoulli(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 0/1 sample of each probability in ``p``, in ``p``'s dtype (1 where a uniform draw is below p)."""
    return (rng.random(p.shape, dtype=np.float32 if p.dtype == np.float32 else np.float64) < p).astype(p.dtype)


def binarise(x, threshold: float = 0.5) -> np.ndarray:
    """Images as 0/1 (1 where the value exceeds ``threshold``), the binarisation a Bernoulli RBM takes."""
    return (np.asarray(x) > threshold).astype(np.float32)


def check_binary(owner: str, x: np.ndarray, probabilities: bool = False) -> np.ndarray:
    """``x`` when every value is 0 or 1 (with ``probabilities``: within [0, 1]), else ValueError
    naming how many values are not, an example of one, and the size of the data."""
    bad = (x < 0) | (x > 1) if probabilities else (x != 0) & (x != 1)
    count = int(np.count_nonzero(bad))
    if count:
        example = float(x[bad].flat[0])
        what = "within [0, 1]" if probabilities else "0 or 1"
        raise ValueError(f"{owner} models binary units: every value must be {what}, but data of shape "
                         f"{x.shape} hold {count:,} of {x.size:,} values that are not (e.g. {example:g}); "
                         "binarise the images first (synaptica.nn.rbm.binarise(x), x > 0.5)")
    return x
