"""Running a trained network on an input that is itself being differentiated.

Every method in :mod:`synaptica.interpret` asks one question of a trained :class:`Sequential`
network: how does some quantity (a class score, a channel's activation, a layer's norm) change when
the *input* changes? The engine answers it as it answers training, by backward, with the roles
swapped (seed notes 004, "What does CNN learn?"): the input image is a Tensor with
``requires_grad=True`` and the weights are held fixed.

    x = Tensor(images, requires_grad=True)
    score = objective(forward_to(model, x, layer))
    score.sum().backward()          # x.grad = ∂score/∂x, one image at a time (the images are independent)

:func:`frozen` holds the weights fixed for the duration: the model is put in evaluation mode
(dropout off, batch normalisation on its running statistics, so the images of a batch do not
influence each other) and its parameters stop requiring gradients, so backward computes ∂/∂x only,
never touches the parameters' ``.grad``, and no optimizer could move them. Both are restored on exit.

Images are channels-first, ``(n, C, H, W)``, whatever the network takes: a network that reads flat
rows (one that starts with a fully connected layer, or with ``Unflatten`` as the library's CNNs do)
receives them flattened to ``(n, C·H·W)`` by a reshape inside the graph, so its gradient comes back
in image form too.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np

from synaptica import ops
from synaptica.errors import ShapeError
from synaptica.nn.activation import Softmax
from synaptica.nn.batch_norm import BatchNorm1d, BatchNorm2d
from synaptica.nn.containers import Sequential
from synaptica.nn.conv import AvgPool2d, Conv2d, L2Pool2d, MaxPool2d
from synaptica.nn.linear import Linear
from synaptica.nn.maxout import Maxout
from synaptica.nn.module import Module, model_dtype
from synaptica.nn.unflatten import Unflatten
from synaptica.tensor import Tensor

#: layers that take images (n, C, H, W) as they come
IMAGE_LAYERS = (Conv2d, MaxPool2d, AvgPool2d, L2Pool2d, BatchNorm2d)
#: layers that take flat rows (n, features)
FLAT_LAYERS = (Linear, Maxout, BatchNorm1d, Unflatten)


def layers_of(model: Module) -> list[Module]:
    """The layers of a :class:`Sequential` model, in order; anything else is refused with the reason."""
    if not isinstance(model, Sequential):
        raise ValueError(f"looking inside a network needs a Sequential model (layers one after another, "
                         f"each addressed by its index); got {type(model).__name__}")
    if not model.layers:
        raise ValueError("the model has no layers")
    return model.layers


def describe_layers(model: Module) -> str:
    """``(0) Conv2d(1→8, 5×5), (1) ReLU(), ...``: how an error message lists the valid layers."""
    return ", ".join(f"({i}) {layer!r}" for i, layer in enumerate(layers_of(model)))


def check_layer(model: Module, index: int) -> int:
    """``index`` if it names a layer of ``model``; otherwise a ValueError that lists the valid range."""
    layers = layers_of(model)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < len(layers):
        raise ValueError(f"layer {index!r} does not exist: the model has layers 0 to {len(layers) - 1}: "
                         f"{describe_layers(model)}")
    return int(index)


def takes_images(model: Module) -> bool:
    """Whether the model's first shape-bearing layer takes images (n, C, H, W) rather than rows (n, d)."""
    for layer in layers_of(model):
        if isinstance(layer, IMAGE_LAYERS):
            return True
        if isinstance(layer, FLAT_LAYERS):
            return False
    return True  # activations only: any shape goes


def input_channels(model: Module) -> int | None:
    """The channels of the model's input images: from a leading ``Unflatten``'s shape or the first
    convolution's ``in_channels``; None when a fully connected layer comes first."""
    shape = declared_image_shape(model)
    if shape is not None:
        return shape[0]
    for layer in layers_of(model):
        if isinstance(layer, Conv2d):
            return layer.in_channels
        if isinstance(layer, FLAT_LAYERS):
            return None
    return None


def declared_image_shape(model: Module) -> tuple[int, ...] | None:
    """The (C, H, W) a leading ``Unflatten`` layer turns rows into, or None when there is none."""
    for layer in layers_of(model):
        if isinstance(layer, Unflatten):
            return layer.shape if len(layer.shape) == 3 else None
        if isinstance(layer, (*IMAGE_LAYERS, *FLAT_LAYERS)):
            return None
    return None


def logits_layer(model: Module) -> int:
    """The index of the layer whose output is the class scores before softmax (Simonyan's S_c).

    That is the last layer, unless the network ends in a :class:`Softmax` layer (which turns the
    scores into probabilities), in which case it is the layer before it.
    """
    layers = layers_of(model)
    last = len(layers) - 1
    if isinstance(layers[last], Softmax):
        if last == 0:
            raise ValueError("the model is a lone Softmax layer: it has no class scores to explain")
        return last - 1
    return last


@contextmanager
def frozen(model: Module) -> Iterator[Module]:
    """Evaluation mode, and no gradient for the parameters, until the block ends (then both restored)."""
    parameters = model.parameters()
    wanted_grad = [p.requires_grad for p in parameters]
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    for p in parameters:
        p.requires_grad = False
    try:
        yield model
    finally:
        for p, flag in zip(parameters, wanted_grad):
            p.requires_grad = flag
        for module, mode in modes:
            module.training = mode


def as_images(images: np.ndarray, dtype=np.float32) -> np.ndarray:
    """A batch (n, C, H, W) of ``dtype`` from (n, C, H, W), one image (C, H, W) or one grey (H, W) image."""
    array = np.asarray(images, dtype=dtype)
    if array.ndim == 2:
        array = array[None, None]
    elif array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or 0 in array.shape:
        raise ShapeError(f"expected images (n, C, H, W), one image (C, H, W) or (H, W); got shape "
                         f"{np.shape(images)}")
    if not np.all(np.isfinite(array)):
        raise ValueError("the images hold NaN or infinite pixels")
    return array


def forward_to(model: Module, images: Tensor, layer: int) -> Tensor:
    """The output of layer ``layer`` (0-based, inclusive) for images (n, C, H, W), recorded for backward."""
    return forward_collect(model, images, [layer])[layer]


def forward_collect(model: Module, images: Tensor, wanted: list[int]) -> dict[int, Tensor]:
    """The outputs of the layers in ``wanted`` from one pass, up to the deepest of them."""
    layers = layers_of(model)
    for index in wanted:
        check_layer(model, index)
    a = images if takes_images(model) else ops.reshape(images, (images.shape[0], -1))
    outputs: dict[int, Tensor] = {}
    for i in range(max(wanted) + 1):
        try:
            a = layers[i](a)
        except ShapeError as error:
            raise ShapeError(f"layers.{i}: {error}") from None
        if i in wanted:
            outputs[i] = a
    return outputs


def class_scores(model: Module, images: Tensor, score: str) -> Tensor:
    """(n, classes): the logits (``score="logit"``) or their log-softmax (``"log-probability"``)."""
    logits = forward_to(model, images, logits_layer(model))
    if logits.ndim != 2:
        raise ShapeError(f"the model's class scores have shape {logits.shape}; expected (batch, classes)")
    if score == "logit":
        return logits
    if score == "log-probability":
        return ops.log_softmax(logits, axis=-1)
    raise ValueError(f"unknown score {score!r}; choose 'log-probability' or 'logit'")


def check_classes(classes, n_classes: int) -> np.ndarray:
    """Class indices as an int array, each checked against the model's number of classes."""
    classes = np.atleast_1d(np.asarray(classes))
    if classes.dtype.kind not in "iu" or classes.ndim != 1:
        raise ValueError(f"classes must be integers, got {classes!r}")
    bad = classes[(classes < 0) | (classes >= n_classes)]
    if len(bad):
        raise ValueError(f"class {int(bad[0])} does not exist: the model has classes 0 to {n_classes - 1}")
    return classes.astype(np.intp)


def n_classes(model: Module, image_shape: tuple[int, ...]) -> int:
    """The number of class scores the model gives for one image of ``image_shape`` (C, H, W)."""
    with frozen(model):
        scores = class_scores(model, Tensor(np.zeros((1, *image_shape), model_dtype(model))), "logit")
    return scores.shape[1]
