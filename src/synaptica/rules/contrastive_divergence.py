"""Contrastive divergence (CD-k) and persistent contrastive divergence (PCD) for a Bernoulli RBM.

The log-likelihood gradient of an RBM (:mod:`synaptica.nn.rbm`) is a difference of two
expectations, one under the data and one under the model:

    ∂ log p(v) / ∂Wⱼᵢ = ⟨hⱼ vᵢ⟩_data − ⟨hⱼ vᵢ⟩_model,
    ∂/∂bᵢ = ⟨vᵢ⟩_data − ⟨vᵢ⟩_model,        ∂/∂cⱼ = ⟨hⱼ⟩_data − ⟨hⱼ⟩_model.

The data term is exact: with v a batch row, hⱼ is replaced by its probability p(hⱼ = 1 | v). The
model term would need samples from p(v, h); contrastive divergence (Hinton 2002) takes them from a
chain of k block-Gibbs steps started at the data (CD-k), persistent contrastive divergence
(Tieleman 2008) from chains that carry on from where the previous step left them (PCD-k), so that
they wander towards the model's distribution instead of starting over at the data. Each step of
either is

    h⁰ ~ p(h | v_data)  (CD)   or   h⁰ = the persistent chains' hiddens  (PCD)
    k times: v⁻ ~ p(v | h), h⁻ ~ p(h | v⁻)
    ΔW = η (⟨p(h | v_data) v_dataᵀ⟩ − ⟨p(h | v⁻) v⁻ᵀ⟩),   Δb, Δc alike,

averages over the batch for the data term and over the chains for the model term; the negative
visibles are samples and the negative hiddens probabilities, as scikit-learn's ``BernoulliRBM``
(which is PCD-1 with as many chains as a batch has rows, started at h = 0; ``persistent=True,
k=1`` here is the same algorithm). The chains and every sample come from the rule's own Generator,
given by ``bind``; the chains are the rule's state, saved in checkpoints.

The data must be binary (a Bernoulli RBM's visibles are 0 or 1): other values are refused, naming
how many and the data's size. ``data="probabilities"`` accepts any values in [0, 1] instead, as a
deep belief net's upper layers take the probabilities of the layer below (Hinton's practical guide
§3.2: using probabilities for the data lowers the sampling noise).

Step metric (CD only): ``loss``, the batch's squared reconstruction error per example,
‖v − p(v | h⁰)‖², a rough progress signal and not the objective (the guide §5 warns about it);
measure the pseudo-likelihood (:class:`~synaptica.train.evaluators.PseudoLikelihood`) or the AIS
log-likelihood (:mod:`synaptica.models.rbm`) instead.

References: G. E. Hinton, "Training products of experts by minimizing contrastive divergence",
Neural Computation 14, 2002; T. Tieleman, "Training restricted Boltzmann machines using
approximations to the likelihood gradient", ICML 2008; G. E. Hinton, "A practical guide to training
restricted Boltzmann machines", UTML TR 2010-003.
"""

from __future__ import annotations

import numpy as np

from synaptica.checks import one_of, positive_float, positive_int
from synaptica.errors import ShapeError
from synaptica.nn.rbm import RBM, bernoulli, check_binary
from synaptica.nn.module import Module
from synaptica.rules.base import State


class ContrastiveDivergence:
    """CD-k or, with ``persistent=True``, PCD-k for an :class:`~synaptica.models.RBM`.

    Args:
        learning_rate: η.
        k: Gibbs steps per update.
        persistent: keep the chains between steps (PCD) instead of starting them at the data (CD).
        chains: persistent chains (default: the first batch's rows, as scikit-learn).
        data: ``"binary"`` (values 0 or 1; anything else is refused) or ``"probabilities"``.
    """

    name = "contrastive-divergence"
    arguments = ()  # no cost, no optimizer: the update is the difference of two expectations

    def __init__(self, learning_rate: float = 0.1, k: int = 1, persistent: bool = False, chains: int | None = None,
                 data: str = "binary"):
        self.learning_rate = positive_float("ContrastiveDivergence", "learning_rate", learning_rate)
        self.k = positive_int("ContrastiveDivergence", "k", k)
        self.persistent = bool(persistent)
        self.chains = None if chains is None else positive_int("ContrastiveDivergence", "chains", chains)
        self.data = one_of("ContrastiveDivergence", "data", data, ("binary", "probabilities"))
        self.hidden_chains: np.ndarray | None = None  # PCD: the chains' hidden states
        self.rng: np.random.Generator | None = None
        self._rbm: RBM | None = None

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        if not isinstance(model, RBM):
            raise TypeError(f"ContrastiveDivergence trains an RBM (synaptica.models.RBM), got {model!r}")
        if self.hidden_chains is not None and self.hidden_chains.shape[1] != model.hidden:
            raise ShapeError(f"ContrastiveDivergence: its persistent chains have {self.hidden_chains.shape[1]} hidden "
                             f"units but {model!r} has {model.hidden}")
        self._rbm, self.rng = model, rng

    def unbind(self, model: Module) -> None:
        """Nothing to undo; the persistent chains stay with the rule, so a second ``fit`` carries on."""
        self._rbm = None

    def step(self, model: Module, batch: tuple) -> dict:
        if self._rbm is None or self.rng is None:
            raise RuntimeError("ContrastiveDivergence: call bind(model, rng) before step (fit does it)")
        rbm = self._rbm
        dtype = rbm.weight.data.dtype
        x = np.asarray(batch[0])
        v = x.reshape(len(x), -1).astype(dtype, copy=False)
        if v.shape[1] != rbm.visible:
            raise ShapeError(f"ContrastiveDivergence: {rbm!r} has {rbm.visible} visible units but the batch's "
                             f"examples have {v.shape[1]} values (batch of shape {x.shape})")
        check_binary(f"ContrastiveDivergence ({rbm!r}, data={self.data!r})", v, self.data == "probabilities")
        h_data = rbm.hidden_probabilities(v)
        v_model, h_model, reconstruction = self.negative_phase(rbm, h_data)
        gradient = self.gradients(v, h_data, v_model, h_model)
        for parameter, step in zip((rbm.weight, rbm.visible_bias, rbm.hidden_bias), gradient):
            parameter.data += (self.learning_rate * step).astype(dtype)
        if self.persistent:  # the chains' first visibles are no reconstruction of this batch
            return {}
        return {"loss": float(np.sum((v - reconstruction) ** 2) / len(v))}

    def negative_phase(self, rbm: RBM, h_data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The model's samples: k Gibbs steps from h⁰ (sampled from the data, or the persistent
        chains); returns the last visible samples, the last hidden probabilities, and p(v | h⁰) (for
        CD, the reconstruction of the batch)."""
        if not self.persistent:
            h = bernoulli(h_data, self.rng)
        else:
            if self.hidden_chains is None:
                self.hidden_chains = np.zeros((self.chains or len(h_data), rbm.hidden), dtype=h_data.dtype)
            h = self.hidden_chains
        first = None
        for _ in range(self.k):
            p_visible = rbm.visible_probabilities(h)
            first = p_visible if first is None else first
            v_model = bernoulli(p_visible, self.rng)
            h_model = rbm.hidden_probabilities(v_model)
            h = bernoulli(h_model, self.rng)
        if self.persistent:
            self.hidden_chains = h
        return v_model, h_model, first

    @staticmethod
    def gradients(v_data: np.ndarray, h_data: np.ndarray, v_model: np.ndarray,
                  h_model: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ΔW, Δb, Δc)/η: the data's expectations minus the model's, each averaged over its rows."""
        n, chains = len(v_data), len(v_model)
        weight = h_data.T @ v_data / n - h_model.T @ v_model / chains
        return weight, v_data.mean(axis=0) - v_model.mean(axis=0), h_data.mean(axis=0) - h_model.mean(axis=0)

    def state_dict(self) -> State:
        return {} if self.hidden_chains is None else {"hidden_chains": self.hidden_chains.copy()}

    def load_state_dict(self, state: State) -> None:
        self.hidden_chains = np.array(state["hidden_chains"]) if "hidden_chains" in state else None

    def __repr__(self) -> str:
        kind = "PCD" if self.persistent else "CD"
        return f"ContrastiveDivergence({kind}-{self.k}, η={self.learning_rate:g})"
