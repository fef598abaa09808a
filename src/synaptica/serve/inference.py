"""One prediction as the web page shows it: the label, the probabilities, every layer, the saliency.

:class:`Predictor` holds a trained :class:`~synaptica.nn.containers.Sequential` classifier for the
server's lifetime, in evaluation mode with its parameters frozen (no gradient is ever computed for
them). For one 28 × 28 image x it runs one forward pass that keeps the layers' outputs, then one
backward pass from the predicted class's score S_k (the logit, before softmax) to the input:

    probabilities  p = softmax(z)           (z the logits; a network ending in Softmax gives p itself)
    label          k = argmax of the network's output (what ``predict`` and ``evaluate`` call its class)
    layers         aˡ for the layers worth drawing (:func:`shown_layers`)
    saliency       M = |∂S_k/∂x|            (Simonyan et al. 2014; :mod:`synaptica.interpret.saliency`)

Each layer's output and the saliency map are sent as heat-maps: the values scaled to 0–255 between
their smallest and largest (``low`` and ``high`` give the scale back: v = low + p·(high − low)/255),
one byte a value, base64-encoded.
The model is shared by the server's threads: with its parameters frozen, a prediction only reads it
and builds a graph of its own (NumPy releases the GIL in its loops and BLAS, as in ``predict``'s
threads), so predictions run in parallel, at most one per usable core (a semaphore), which also
bounds the memory their activations take.
"""

from __future__ import annotations

import base64
import threading

import numpy as np

from synaptica.data.preprocess import framing_for
from synaptica.interpret.probe import declared_image_shape, forward_collect, layers_of, logits_layer
from synaptica.nn.activation import ELU, LeakyReLU, ReLU, Sigmoid, Softmax, Softplus, Tanh
from synaptica.nn.conv import Flatten
from synaptica.nn.dropout import Dropout
from synaptica.nn.linear import Linear
from synaptica.nn.module import Module, model_dtype
from synaptica.nn.prelu import PReLU
from synaptica.ops.softmax import softmax_array
from synaptica.parallel.blas import usable_cores
from synaptica.nn.unflatten import Unflatten
from synaptica.tensor import Tensor

#: element-wise activations: the layer before one is drawn through it
ACTIVATIONS = (Sigmoid, Tanh, ReLU, Softmax, LeakyReLU, ELU, Softplus, PReLU)
#: layers whose output is another layer's output reshaped or copied: never drawn on their own
RESHAPING = (Flatten, Unflatten, Dropout)


def shown_layers(model: Module) -> list[int]:
    """The layers whose outputs are drawn: every layer except reshapes and dropout, and except a layer
    followed at once by an activation (its activation's output is drawn instead)."""
    layers = layers_of(model)
    shown = []
    for i, layer in enumerate(layers):
        followed_by_activation = i + 1 < len(layers) and isinstance(layers[i + 1], ACTIVATIONS)
        if not isinstance(layer, RESHAPING) and not followed_by_activation:
            shown.append(i)
    return shown


def heat_map(name: str, values: np.ndarray, scale: tuple[float, float] | None = None) -> dict:
    """``values`` as a heat-map: shape, scale (low, high: their extremes unless given) and the pixels 0–255
    in C order, one byte each, in base64 (a CNN's feature maps are tens of thousands of values: as one
    string they cost the JSON encoder nothing)."""
    values = np.asarray(values, dtype=np.float64)
    low, high = scale if scale is not None else (float(values.min()), float(values.max()))
    span = high - low
    pixels = np.zeros(values.shape, np.uint8) if span == 0 else np.rint(np.clip((values - low) * (255 / span), 0, 255)).astype(np.uint8)
    return {"name": name, "shape": list(values.shape), "low": low, "high": high, "pixels": base64.b64encode(pixels.tobytes()).decode("ascii")}


def input_side(model: Module) -> int:
    """The side of the square grey images the model reads (28 for a 784-input network)."""
    shape = declared_image_shape(model)
    if shape is not None:
        if shape[0] != 1 or shape[1] != shape[2]:
            raise ValueError(f"the web page draws square grey images; this model reads images of shape {shape}")
        return int(shape[1])
    first = next((layer for layer in layers_of(model) if isinstance(layer, Linear)), None)
    side = int(round(np.sqrt(first.in_features))) if first is not None else 0
    if first is None or side * side != first.in_features:
        raise ValueError("the web page draws square grey images; this model's first layer does not read one "
                         f"({first!r})")
    return side


class Predictor:
    """A frozen classifier and what the page needs to know about it.

    Args:
        model: a Sequential classifier (logits, or ending in Softmax or Sigmoid outputs).
        metadata: the model file's metadata; ``synaptica.dataset`` chooses the drawing's framing
            (:data:`synaptica.data.preprocess.DATASET_FRAMING`) and the class names.
        class_names: the names of the classes (default: class 0, class 1, ...).
    """

    def __init__(self, model: Module, metadata: dict[str, str] | None = None, class_names=None):
        self.model = model
        self.metadata = dict(metadata or {})
        self.dataset = self.metadata.get("synaptica.dataset")
        self.side = input_side(model)
        self.box, self.centre = framing_for(self.dataset)
        self.dtype = model_dtype(model)
        model.eval()
        for parameter in model.parameters():
            parameter.requires_grad = False
        self.logits = logits_layer(model)
        self.shown = shown_layers(model)
        self._lock = threading.BoundedSemaphore(usable_cores())
        with self._lock:
            outputs = self._forward(np.zeros((self.side, self.side)))[1]
        self.n_classes = int(outputs[len(layers_of(model)) - 1].shape[1])
        self.class_names = list(class_names or [f"class {k}" for k in range(self.n_classes)])

    def info(self) -> dict:
        """What the page shows about the model."""
        return {"classes": self.class_names, "dataset": self.dataset, "side": self.side,
                "framing": {"box": self.box, "centre": self.centre}, "model": repr(self.model),
                "layers": [f"layers.{i} {layers_of(self.model)[i]!r}" for i in self.shown]}

    def _forward(self, image: np.ndarray):
        x = Tensor(np.asarray(image, dtype=self.dtype).reshape(1, 1, self.side, self.side), requires_grad=True)
        wanted = sorted({*self.shown, self.logits, len(layers_of(self.model)) - 1})
        return x, forward_collect(self.model, x, wanted)

    def predict(self, image: np.ndarray, layers: bool = True) -> dict:
        """The page's answer for one ``side`` × ``side`` image in [0, 1] (see the module)."""
        with self._lock:
            x, outputs = self._forward(image)
            output = outputs[len(layers_of(self.model)) - 1].data[0]
            logits = outputs[self.logits]
            label = int(np.argmax(output))
            answer = {"label": label, "name": self.class_names[label],
                      "probabilities": _probabilities(self.model, logits.data[0], output).tolist()}
            if layers:
                logits[np.arange(1), np.array([label])].sum().backward()
                answer["layers"] = {f"layers.{i}": heat_map(f"layers.{i} {layers_of(self.model)[i]!r}",
                                                            outputs[i].data[0]) for i in self.shown}
                answer["saliency"] = heat_map("saliency |∂S/∂x|", np.abs(x.grad[0, 0]))
        if layers:
            answer["input"] = heat_map("input", image, (0.0, 1.0))
        return answer


def _probabilities(model: Module, logits: np.ndarray, output: np.ndarray) -> np.ndarray:
    """softmax(z) for a network ending in logits; its own output for one ending in Softmax; Sigmoid
    outputs scaled to sum to 1 (they are independent yes/no scores, not a distribution)."""
    last = layers_of(model)[-1]
    if isinstance(last, Softmax):
        return output.astype(np.float64)
    if logits is output or logits.shape == output.shape and np.array_equal(logits, output):
        return softmax_array(logits.astype(np.float64))
    total = output.sum()
    return (output / total if total > 0 else np.full_like(output, 1 / len(output))).astype(np.float64)
