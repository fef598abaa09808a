"""Synthetic gradients (Jaderberg et al. 2017): each block learns from a prediction of its gradient.

Backprop locks every layer until the layers above have run forward and sent the error back. A
decoupled neural interface cuts the network into blocks and gives the output hˡ of each hidden block
a small network Mₗ that predicts the gradient at once, so the block updates without waiting.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from synaptica.checks import in_unit_interval, non_negative_float, one_of, positive_float, positive_int
from synaptica.losses import QuadraticCost
from synaptica.nn.builders import mlp
from synaptica.nn.module import Module
from synaptica.optim import OPTIMIZERS, make_optimizer
from synaptica.rules.base import (GradientRule, State, batch_metrics, checked_cost, inputs_and_targets, model_input,
                                  prefixed, unprefixed)
from synaptica.rules.feedback_alignment import FEEDBACK_LAYERS
from synaptica.rules.layers import cut_into_blocks, run_layers
from synaptica.rules.least_squares_fit import RecursiveLeastSquares
from synaptica.tensor import Tensor

#: ``factory(name, size, condition_size, rng, dtype) -> Module``: the predictor for the block whose
#: output is named ``name`` and has ``size`` values per example, given ``condition_size`` more inputs.
PredictorFactory = Callable[[str, int, int, np.random.Generator, np.dtype], Module]

#: How the predictors can learn: an optimizer by name, or a closed-form least-squares fit.
LEAST_SQUARES = "least-squares"
PREDICTOR_FITS = (*OPTIMIZERS, LEAST_SQUARES)


class SyntheticGradients(GradientRule):
    """Every hidden block updates from a synthetic gradient δ̂ˡ = Mₗ(hˡ) (DNI) or Mₗ(hˡ, y) (cDNI).

    The model (a :class:`~synaptica.nn.Sequential`) is cut into blocks at its weight layers, as for
    direct feedback alignment: block l computes hˡ = fˡ(hˡ⁻¹) (a Linear and its activation, say, or
    ``layers_per_block`` of them), and the last block the output and the cost C. One step:

        hˡ = fˡ(hˡ⁻¹), each block on the detached output of the one below
        top block:      backprop of C through it gives its weights' gradients and the true ∂C/∂hᴸ⁻¹
        hidden block l: δ̂ˡ = Mₗ(hˡ[, y]) / m, and backprop of δ̂ˡ through block l alone gives its
                        weights' gradients, ∂C/∂θˡ ≈ (∂hˡ/∂θˡ)ᵀ δ̂ˡ, and (∂hˡ/∂hˡ⁻¹)ᵀ δ̂ˡ at its input
        predictors:     Mₗ is trained on ½‖Mₗ(hˡ) − m δˡ‖² averaged over the batch, where the target
                        δˡ is the true ∂C/∂hᴸ⁻¹ for the block below the top and, for the others, the
                        bootstrapped (∂hˡ⁺¹/∂hˡ)ᵀ δ̂ˡ⁺¹ that block l + 1 sent down
        both optimizers step: the model's (``optimizer``) and the predictors' (the rule's own)

    m is the batch size when the cost is a batch mean (1 for a sum), so Mₗ predicts the gradient of
    one example's cost, whatever the batch size. Every block uses the prediction made before this
    step's update of Mₗ. No block's update waits for the blocks above: here the blocks still run in
    one process, one after another, but each weight update only uses its own block, its input and
    Mₗ (update-unlocked, in the paper's words). With an oracle Mₗ that returns the true gradient the
    rule is backprop exactly (tested).

    Each Mₗ is an MLP (``predictor_hidden`` ReLU layers; none: a linear map, the paper's cDNI choice)
    from hˡ (flattened) and, with ``conditional``, the one-hot label (or target row) to a gradient of
    hˡ's shape. Its output layer starts at zero, as in the paper, so training begins as if the hidden
    blocks were frozen and δ̂ grows as the predictors learn. The predictors are made the first time
    the rule sees the blocks' output sizes, from the rule's own random stream; their weights and their
    optimizer's state are the rule's (saved by :meth:`state_dict`).

    Step metrics: ``loss``, ``correct`` and, per block output, ``predictor_loss_<name>`` (the loss
    above). :class:`~synaptica.rules.alignment.SyntheticGradientAlignment` measures the angle between
    δ̂ˡ and the true gradient.

    Reference: M. Jaderberg, W. M. Czarnecki, S. Osindero, O. Vinyals, A. Graves, D. Silver and
    K. Kavukcuoglu, "Decoupled neural interfaces using synthetic gradients", ICML 2017
    (arXiv:1608.05343).

    Args:
        cost, optimizer: the cost and the optimizer of the model's parameters.
        conditional: cDNI, Mₗ(hˡ, y), where y is one-hot (labels) or the target row.
        predictor_hidden: hidden layer sizes of every Mₗ.
        predictor_optimizer, predictor_learning_rate: how the predictors learn (Adam, η = 0.001: the
            settings measured in docs/rules.md), or ``"least-squares"``: each linear Mₗ is set after
            every step to the exponentially weighted ridge regression of all its targets so far on its
            inputs, A = R (S + λI)⁻¹ with S ← βS + H̃ᵀH̃ and R ← βR + TᵀH̃, h̃ = [h(, y); 1]
            (:class:`~synaptica.rules.least_squares_fit.RecursiveLeastSquares`; η is unused).
        predictor_forgetting, predictor_ridge: β and λ of the least-squares fit (the best measured at
            full size; none measured in docs/rules.md does better than Adam).
        layers_per_block: weight layers per block (1: every hidden layer is decoupled).
        predictor: a :data:`PredictorFactory` to make each Mₗ instead of the MLP above.

    Attributes:
        predictors: ``{name of the block's last layer: Mₗ}`` (empty until the first step).
    """

    name = "synthetic-gradients"

    def __init__(self, cost, optimizer, *, conditional: bool = False, predictor_hidden: tuple[int, ...] = (),
                 predictor_optimizer: str = "adam", predictor_learning_rate: float = 1e-3, layers_per_block: int = 1,
                 predictor: PredictorFactory | None = None, predictor_forgetting: float = 0.9,
                 predictor_ridge: float = 1.0):
        super().__init__(cost, optimizer)
        owner = type(self).__name__
        self.conditional = bool(conditional)
        self.predictor_hidden = tuple(positive_int(owner, "predictor_hidden", size) for size in predictor_hidden)
        self.predictor_optimizer_name = one_of(owner, "predictor_optimizer", predictor_optimizer, PREDICTOR_FITS)
        self.predictor_learning_rate = positive_float(owner, "predictor_learning_rate", predictor_learning_rate)
        self.predictor_forgetting = in_unit_interval(owner, "predictor_forgetting", predictor_forgetting)
        self.predictor_ridge = non_negative_float(owner, "predictor_ridge", predictor_ridge)
        self.least_squares = self.predictor_optimizer_name == LEAST_SQUARES
        if self.least_squares and (self.predictor_hidden or predictor is not None):
            raise ValueError(f"{owner}: predictor_optimizer='least-squares' fits linear predictors; it cannot fit "
                             f"predictor_hidden={self.predictor_hidden} or a predictor factory")
        self.layers_per_block = positive_int(owner, "layers_per_block", layers_per_block)
        self.factory = predictor or self._mlp_predictor
        self.predictors: dict[str, Module] = {}
        self.predictor_optimizer = None
        self._blocks: list[tuple[str, list[Module]]] = []
        self._rng: np.random.Generator | None = None
        self._saved: State = {}  # predictor state loaded before the predictors exist

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        blocks = cut_into_blocks(model, type(self).__name__, FEEDBACK_LAYERS, self.layers_per_block)
        self._blocks = [(block[-1][0], [layer for _, layer in block]) for block in blocks]
        self._rng = rng

    def unbind(self, model: Module) -> None:
        self._blocks = []

    # ------------------------------------------------------------------ one step
    def gradients(self, model: Module, batch: tuple) -> dict:
        """Fill ``.grad`` of the model's parameters (from the synthetic gradients) and of the
        predictors' (from their targets); the predictors' losses join the metrics."""
        x, y = inputs_and_targets(batch)
        hidden, output = self._forward(x)
        loss = self.cost(output, y)
        value = checked_cost(loss)
        self.optimizer.zero_grad()
        loss.backward()
        condition = self._condition(y, output.shape[1])
        self._make_predictors(hidden, condition)
        self.predictor_optimizer.zero_grad()
        metrics = batch_metrics(value, output.data, y)
        scale = self._scale(len(x))
        target = hidden[-1][2].grad  # the true ∂C/∂hᴸ⁻¹ for the block below the top
        for i in reversed(range(len(hidden))):
            name, h, leaf = hidden[i]
            features = self._features(leaf.data, condition)
            prediction = self.predictors[name](features)
            targets = (np.zeros_like(h.data) if target is None else target * scale).reshape(prediction.shape)
            error = QuadraticCost()(prediction, targets)
            if self.least_squares:  # the fit needs the pairs, not the loss's gradient
                self.predictor_optimizer.observe(name, features.data, targets)
            else:
                error.backward()
            metrics[f"predictor_loss_{name}"] = float(error.data)
            h.backward((prediction.data / scale).reshape(h.shape))  # block l learns from δ̂ˡ
            target = hidden[i - 1][2].grad if i else None  # (∂hˡ/∂hˡ⁻¹)ᵀ δ̂ˡ: the target of the block below
        return metrics

    def step(self, model: Module, batch: tuple) -> dict:
        metrics = super().step(model, batch)
        self.predictor_optimizer.step()
        return metrics

    def block_gradients(self, model: Module, batch: tuple) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{name: (synthetic, true)}``: δ̂ˡ and ∂C/∂hˡ at every hidden block's output on ``batch``, both
        as the gradient of the batch's cost (δ̂ˡ = Mₗ(hˡ)/m). Only the parameters' ``.grad`` change."""
        x, y = inputs_and_targets(batch)
        hidden, output = self._forward(x)
        self.cost(output, y).backward()
        condition = self._condition(y, output.shape[1])
        self._make_predictors(hidden, condition)
        found = {}
        for i in reversed(range(len(hidden))):
            name, h, leaf = hidden[i]
            synthetic = self.predictors[name](self._features(leaf.data, condition)).data
            found[name] = ((synthetic / self._scale(len(x))).reshape(h.shape), leaf.grad)
            h.backward(leaf.grad)  # the true gradient goes on down, as backprop sends it
        return found

    def _forward(self, x: np.ndarray) -> tuple[list[tuple[str, Tensor, Tensor]], Tensor]:
        """Every block on the detached output of the one below: [(name, hˡ, its detached leaf)], output."""
        if not self._blocks:
            raise RuntimeError("SyntheticGradients: call bind(model, rng) before step (fit does it)")
        hidden, a = [], model_input(x, self.optimizer.params[0].dtype)
        for name, layers in self._blocks[:-1]:
            h = run_layers(layers, a)
            a = h.detach().requires_grad_()  # collects the gradient the block above sends down
            hidden.append((name, h, a))
        return hidden, run_layers(self._blocks[-1][1], a)

    def _scale(self, m: int) -> int:
        return m if self.cost.reduction == "mean" else 1

    def _condition(self, y: np.ndarray, n_outputs: int) -> np.ndarray | None:
        """cDNI's extra input: the one-hot label, or the target row itself."""
        if not self.conditional:
            return None
        if y.ndim == 1:
            return np.eye(n_outputs, dtype=self.optimizer.params[0].dtype)[y]
        return np.asarray(y, dtype=self.optimizer.params[0].dtype).reshape(len(y), -1)

    @staticmethod
    def _features(h: np.ndarray, condition: np.ndarray | None) -> Tensor:
        flat = h.reshape(len(h), -1)
        return Tensor(flat if condition is None else np.concatenate([flat, condition.astype(flat.dtype)], axis=1))

    # ------------------------------------------------------------------ the predictors
    def _mlp_predictor(self, name: str, size: int, condition_size: int, rng: np.random.Generator,
                       dtype: np.dtype) -> Module:
        """Mₗ: an MLP [size + condition_size, *predictor_hidden, size], ReLU, its output layer zero."""
        network = mlp([size + condition_size, *self.predictor_hidden, size], "relu", init="he", rng=rng, dtype=dtype)
        last = network.layers[-1]
        last.weight.data[...] = 0
        last.bias.data[...] = 0
        return network

    def _make_predictors(self, hidden: list, condition: np.ndarray | None) -> None:
        """Make Mₗ for every block output (once: later fits go on with the same ones), their optimizer,
        and put back a state loaded before they existed."""
        wanted = [(name, int(np.prod(h.shape[1:]))) for name, h, _ in hidden]
        if self.predictor_optimizer is not None and list(self.predictors) == [name for name, _ in wanted]:
            return
        extra = 0 if condition is None else condition.shape[1]
        self.predictors = {name: self.factory(name, size, extra, self._rng, hidden[0][1].dtype)
                           for name, size in wanted}
        if self.least_squares:
            self.predictor_optimizer = RecursiveLeastSquares(
                {name: predictor.layers[-1] for name, predictor in self.predictors.items()},
                self.predictor_forgetting, self.predictor_ridge)
        else:
            parameters = [p for predictor in self.predictors.values() for p in predictor.parameters()]
            self.predictor_optimizer = make_optimizer(self.predictor_optimizer_name, parameters,
                                                      self.predictor_learning_rate)
        if self._saved:
            self._load_predictors(self._saved)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> State:
        if self.predictor_optimizer is None:
            return {**super().state_dict(), **self._saved}
        weights = {f"{name}.{key}": value.copy() for name, predictor in self.predictors.items()
                   for key, value in predictor.state_dict().items()}
        return {**super().state_dict(), **prefixed("predictor.", weights),
                **prefixed("predictor_optimizer.", self.predictor_optimizer.state_dict())}

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        self._saved = {key: value for key, value in state.items() if key.startswith("predictor")}
        if self.predictor_optimizer is not None:
            self._load_predictors(self._saved)

    def _load_predictors(self, state: State) -> None:
        weights = unprefixed("predictor.", state)
        for name, predictor in self.predictors.items():
            predictor.load_state_dict(unprefixed(f"{name}.", weights), source=f"{type(self).__name__} state")
        self.predictor_optimizer.load_state_dict(unprefixed("predictor_optimizer.", state))
        self._saved = {}

    def __repr__(self) -> str:
        kind = "cDNI" if self.conditional else "DNI"
        return f"SyntheticGradients({kind}, {self.cost.name}, {type(self.optimizer).__name__})"
