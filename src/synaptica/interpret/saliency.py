"""Class saliency maps: which pixels the class score is most sensitive to (Simonyan et al. 2014).

Near an image I₀ the class score S_c (the logit, before softmax) is approximately linear in the
image, S_c(I) ≈ wᵀI + b with w = ∂S_c/∂I at I₀. The magnitude of w says how much each pixel would
have to change to change the score least: the pixels that matter. For an image of C channels the
map takes the largest magnitude over channels,

    M[i, j] = max_c |w[c, i, j]|

One backward pass gives it, with no training and no labelled locations: the class need not even
be the one the network predicts.

Reference: K. Simonyan, A. Vedaldi and A. Zisserman, "Deep inside convolutional networks:
visualising image classification models and saliency maps", ICLR workshop 2014 (arXiv:1312.6034).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synaptica.interpret.probe import as_images, check_classes, class_scores, frozen, model_dtype
from synaptica.nn.module import Module
from synaptica.tensor import Tensor


@dataclass(frozen=True)
class Saliency:
    """``maps`` (n, H, W): M for each image; ``classes`` (n,) the class explained; ``scores`` (n,) its logit."""

    maps: np.ndarray
    classes: np.ndarray
    scores: np.ndarray


def saliency_maps(model: Module, images: np.ndarray, classes=None, score: str = "logit") -> Saliency:
    """M = max over channels of |∂S_c/∂x| for each image (n, C, H, W), or one (C, H, W) / (H, W) image.

    Args:
        classes: the class to explain for each image (an int applies to all); default the class the
            model predicts.
        score: ``"logit"`` (Simonyan et al.'s S_c) or ``"log-probability"``.
    """
    images = as_images(images, model_dtype(model))
    with frozen(model):
        x = Tensor(images, requires_grad=True)
        scores = class_scores(model, x, score)
        if classes is None:
            classes = scores.data.argmax(axis=1)
        classes = check_classes(classes, scores.shape[1])
        if len(classes) == 1 and len(images) > 1:
            classes = np.repeat(classes, len(images))
        if len(classes) != len(images):
            raise ValueError(f"saliency_maps: {len(classes)} classes for {len(images)} images")
        chosen = scores[np.arange(len(images)), classes]
        chosen.sum().backward()
    maps = np.abs(x.grad).max(axis=1)
    return Saliency(maps, classes, chosen.data.copy())
