"""The page's preprocessing does not degrade the model: the 10,000 Fashion-MNIST test images, drawn
larger anywhere on a canvas and framed by the server's own drawing path, keep the test accuracy."""

import numpy as np
import pytest

from synaptica.data.preprocess import framing_for
from synaptica.io import load_model
from synaptica.serve.inference import input_side
from synaptica.train import predict
from tests.conftest import REPO


@pytest.fixture
def drawn(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "examples"))
    import drawn_accuracy

    return drawn_accuracy.drawn


@pytest.mark.slow
def test_drawn_test_images_keep_the_test_accuracy_within_half_a_point(model_file, fashion, drawn):
    model, metadata = load_model(model_file)
    framed = drawn(fashion.test.x, input_side(model), *framing_for(metadata["synaptica.dataset"]))
    assert framed.shape == fashion.test.x.shape and not np.array_equal(framed, fashion.test.x)
    ordinary = np.mean(predict(model, fashion.test.x).argmax(axis=1) == fashion.test.y)
    accuracy = np.mean(predict(model, framed).argmax(axis=1) == fashion.test.y)
    assert abs(accuracy - ordinary) <= 0.005, (ordinary, accuracy)
