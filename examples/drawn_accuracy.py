"""Does the web page's preprocessing degrade a model? Its test accuracy on the test images as they
are, and on the same images drawn 3 to 5 times larger anywhere on a 160-pixel canvas and framed by
the server's own drawing path (``synaptica.serve.payload.drawing_image``), as the page's drawings are.

    PYTHONPATH=src python examples/drawn_accuracy.py model.safetensors
    PYTHONPATH=src python examples/drawn_accuracy.py cnn.safetensors --data fashion-mnist

The framing follows the dataset the model file names (``synaptica.dataset``), see docs/serve.md.
"""

from __future__ import annotations

import argparse

import numpy as np

from synaptica.data import load_dataset
from synaptica.data.preprocess import framing_for
from synaptica.io import load_model
from synaptica.serve.inference import input_side
from synaptica.serve.payload import drawing_image
from synaptica.train import predict


def drawn(images: np.ndarray, side: int, box: int, centre: str, seed: int = 0) -> np.ndarray:
    """Each image drawn at a random whole scale and place on a 160-pixel canvas, then framed again."""
    rng = np.random.default_rng(seed)
    framed = np.empty_like(images)
    for i, image in enumerate(images):
        scale = int(rng.integers(3, 6))
        top, left = rng.integers(0, 160 - side * scale + 1, size=2)
        canvas = np.zeros((160, 160))
        canvas[top:top + side * scale, left:left + side * scale] = np.kron(image.reshape(side, side),
                                                                           np.ones((scale, scale)))
        framed[i] = drawing_image(canvas, side, box, centre).ravel()
    return framed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--data", default=None, help="the dataset (default: the one the model file names)")
    args = parser.parse_args()
    model, metadata = load_model(args.model)
    dataset = args.data or metadata.get("synaptica.dataset", "fashion-mnist")
    test = load_dataset(dataset).test
    side = input_side(model)
    box, centre = framing_for(metadata.get("synaptica.dataset"))
    ordinary = np.mean(predict(model, test.x).argmax(axis=1) == test.y)
    accuracy = np.mean(predict(model, drawn(test.x, side, box, centre)).argmax(axis=1) == test.y)
    print(f"{args.model} on {dataset}: test accuracy {ordinary:.4f} as the images are, {accuracy:.4f} drawn and "
          f"framed ({100 * (accuracy - ordinary):+.2f} points; box {box}, centred by {centre})")


if __name__ == "__main__":
    main()
