"""The speed of learning of each layer: ‖∂C/∂bˡ‖, measured on a fixed batch as training goes.

Nielsen (ch. 5, "The vanishing gradient problem") measures how fast each hidden layer learns by the
length of the gradient of the cost with respect to that layer's biases,

    speed of layer l  =  ‖∂C/∂bˡ‖  =  ‖δˡ‖,     the mean over a fixed batch of training examples,

because ∂C/∂bˡⱼ = δˡⱼ (BP3) is the error of neuron j, and ∂C/∂wˡⱼₖ = aˡ⁻¹ₖ δˡⱼ (BP4) scales with it.
Backpropagating through a sigmoid network multiplies δ by Wᵀ and σ'(z) at every layer,

    δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ'(zˡ),      with σ'(z) ≤ 1/4,

so with weights of size about 1 each layer back shrinks the error: in Nielsen's [784, 30, 30, 30,
30, 10] network the first hidden layer learns about 100 times more slowly than the fourth. That is
the vanishing gradient problem; the seed notes call it "the gradient in early layers is the product
of terms from all the later layers".

:func:`layer_speeds` measures once, with the engine's own backward pass; :class:`LayerSpeedMonitor`
is a :func:`~synaptica.train.fit` callback that measures after every epoch on the same batch
(Nielsen uses 1,000 training images), and :func:`synaptica.viz.plot_gradient_norms` draws it.

Reference: Nielsen, Neural Networks and Deep Learning, ch. 5, "Why are deep neural networks hard to
train?"; Hochreiter 1991 and Bengio, Simard and Frasconi 1994 for the original analyses.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.losses import Cost
from synaptica.nn.module import Module, Parameter, input_tensor
from synaptica.rules.base import unprefixed
from synaptica.train.history import History


def biased_layers(model: Module) -> list[tuple[str, Module]]:
    """The layers that have a bias, in the model's order, named as Nielsen names them.

    For a feed-forward network (a :class:`~synaptica.nn.Sequential`) the model's order is the forward
    order, so the names are ``hidden layer 1``, ..., ``hidden layer L−1`` and ``output layer``.
    """
    layers = [m for m in model.modules() if isinstance(getattr(m, "bias", None), Parameter)]
    if not layers:
        raise ValueError(f"layer_speeds: {type(model).__name__} has no layer with a bias to measure")
    names = [f"hidden layer {i + 1}" for i in range(len(layers) - 1)] + ["output layer"]
    return list(zip(names, layers))


def layer_speeds(model: Module, cost: Cost, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """‖∂C/∂b‖ for every layer with a bias, for the mean cost over the batch ``(x, y)``.

    One forward and one backward pass, with the model in evaluation mode (no dropout, so the same
    weights give the same numbers). The parameters' ``.grad`` are put back as they were, so the
    measurement can sit between training steps. Under a rule that sends the error backward through
    other matrices (feedback alignment binds them to the layers), the norms are those of the signal
    that rule delivers.

    Returns:
        ``{"hidden layer 1": ‖∂C/∂b¹‖, ..., "output layer": ‖∂C/∂bᴸ‖}`` in forward order.
    """
    if len(x) != len(y):
        raise ShapeError(f"layer_speeds: {len(x)} inputs but {len(y)} targets (shapes {x.shape} and {y.shape})")
    if len(x) == 0:
        raise ValueError("layer_speeds: the batch is empty")
    layers = biased_layers(model)
    parameters = model.parameters()
    saved_grads = [p.grad for p in parameters]
    was_training = model.training
    model.eval()
    try:
        for p in parameters:
            p.grad = None
        cost(model(input_tensor(model, x, "layer_speeds")), y).backward()
        return {name: float(np.linalg.norm(layer.bias.grad)) if layer.bias.grad is not None else 0.0
                for name, layer in layers}
    finally:
        for p, grad in zip(parameters, saved_grads):
            p.grad = grad
        model.train(was_training)


class LayerSpeedMonitor:
    """Record :func:`layer_speeds` on a fixed batch after every epoch (a ``fit`` callback).

    Args:
        cost: the cost whose gradient is measured (the one training minimises).
        x, y: the fixed batch, e.g. the first 1,000 training images, as in Nielsen's figures.
        model: when given, measure it now too, so the record starts at initialisation.

    Attributes:
        epochs: how many epochs of training each measurement follows (0 = at initialisation).
        norms: ``{layer name: [‖∂C/∂b‖ at each of epochs]}`` in forward order.

    Example::

        monitor = LayerSpeedMonitor(CrossEntropyCost(), x[:1000], y[:1000], model=net)
        fit(net, rule, (x, y), epochs=30, batch_size=10, callbacks=[monitor])
        plot_gradient_norms(monitor.norms, "speed.png", epochs=monitor.epochs)
    """

    def __init__(self, cost: Cost, x: np.ndarray, y: np.ndarray, model: Module | None = None):
        if len(x) != len(y):
            raise ShapeError(f"LayerSpeedMonitor: {len(x)} inputs but {len(y)} targets")
        self.cost = cost
        self.x, self.y = x, y
        self.epochs: list[int] = []
        self.norms: dict[str, list[float]] = {}
        if model is not None:
            self.record(model, 0)

    def record(self, model: Module, epochs_done: int) -> dict[str, float]:
        """Measure ``model`` now, after ``epochs_done`` epochs, and keep the numbers."""
        speeds = layer_speeds(model, self.cost, self.x, self.y)
        if self.norms and list(speeds) != list(self.norms):
            raise ValueError(f"LayerSpeedMonitor: the model's layers changed from {list(self.norms)} to {list(speeds)}")
        self.epochs.append(epochs_done)
        for name, value in speeds.items():
            self.norms.setdefault(name, []).append(value)
        return speeds

    def __call__(self, epoch: int, history: History, model: Module) -> None:
        self.record(model, epoch + 1)

    def state_dict(self) -> dict[str, np.ndarray]:
        """The measurements so far, for checkpoints: ``epochs`` and one ``norms/<layer>`` series per layer."""
        return {"epochs": np.array(self.epochs, dtype=np.int64),
                **{f"norms/{name}": np.array(values, dtype=np.float64) for name, values in self.norms.items()}}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.epochs = [int(e) for e in state["epochs"]]
        saved = {name: [float(v) for v in values] for name, values in unprefixed("norms/", state).items()}
        order = [name for name in self.norms if name in saved] + [name for name in saved if name not in self.norms]
        self.norms = {name: saved[name] for name in order}  # forward order, not the file's sorted one

    def rows(self) -> list[dict]:
        """One dict per measurement: ``{"epochs": e, "hidden layer 1": ..., ...}`` (for CSV logs)."""
        return [{"epochs": e, **{name: values[i] for name, values in self.norms.items()}}
                for i, e in enumerate(self.epochs)]

    def __repr__(self) -> str:
        return f"LayerSpeedMonitor({len(self.x)} examples, {len(self.epochs)} measurements)"
