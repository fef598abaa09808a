"""The page's preprocessing does not degrade the model: the 10,000 Fashion-MNIST test images, drawn
larger anywhere on a canvas and framed by the server's own drawing path, keep the test accuracy."""

import numpy as np
import pytest

from synaptica.data.preprocess import framing_for
from synaptica.io import load_model
from synaptica.serve.inference import input_side
from synaptica.serve.payload import drawing_image
from synaptica.train import predict


@pytest.mark.slow
def test_drawn_test_images_keep_the_test_accuracy_within_half_a_point(model_file, fashion):
    model, metadata = load_model(model_file)
    box, centre = framing_for(metadata["synaptica.dataset"])
    side = input_side(model)
    rng = np.random.default_rng(0)
    framed = np.empty_like(fashion.test.x)
    for i, image in enumerate(fashion.test.x):
        scale = int(rng.integers(3, 6))  # drawn 84, 112 or 140 pixels large on a 160-pixel canvas
        top, left = rng.integers(0, 160 - 28 * scale + 1, size=2)
        canvas = np.zeros((160, 160))
        canvas[top:top + 28 * scale, left:left + 28 * scale] = np.kron(image.reshape(28, 28), np.ones((scale, scale)))
        framed[i] = drawing_image(canvas, side, box, centre).ravel()
    ordinary = np.mean(predict(model, fashion.test.x).argmax(axis=1) == fashion.test.y)
    drawn = np.mean(predict(model, framed).argmax(axis=1) == fashion.test.y)
    assert abs(drawn - ordinary) <= 0.005, (ordinary, drawn)
