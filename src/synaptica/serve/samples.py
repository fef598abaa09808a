"""The gallery page's data: random test images with the model's guesses, or only its mistakes.

The test split of the dataset the model was trained on (its file's ``synaptica.dataset``) is read
and predicted once, on the first request, then kept; each request draws ``count`` images from a
Generator seeded by the request, so a page can be shared and shows the same images again.
"""

from __future__ import annotations

import base64
import threading

import numpy as np

from synaptica.data import load_dataset
from synaptica.serve.payload import RequestError
from synaptica.train.evaluate import predict

#: the most images one gallery request returns
MAX_SAMPLES = 200


class Samples:
    """Test images of ``dataset`` and the predictions of ``predictor``'s model on them."""

    def __init__(self, predictor, dataset: str | None):
        self.predictor = predictor
        self.dataset = dataset
        self._lock = threading.Lock()
        self._data = None

    def _load(self):
        with self._lock:
            if self._data is None:
                if not self.dataset:
                    raise RequestError(404, "the model file does not say which dataset it was trained on, so "
                                            "there are no test images to show")
                try:
                    test = load_dataset(self.dataset, download=False).test
                except Exception as error:  # a missing or damaged dataset: say so on the page
                    raise RequestError(404, f"the {self.dataset} test images could not be read: {error}") from None
                guesses = predict(self.predictor.model, test.x).argmax(axis=1)
                self._data = (test.x, test.y, guesses)
            return self._data

    def draw(self, count: int, seed: int, mistakes: bool) -> dict:
        """``count`` random test images (only misclassified ones with ``mistakes``), with labels and guesses."""
        if not 1 <= count <= MAX_SAMPLES:
            raise RequestError(422, f"count must be between 1 and {MAX_SAMPLES}, got {count}")
        x, y, guesses = self._load()
        pool = np.flatnonzero(guesses != y) if mistakes else np.arange(len(y))
        chosen = np.random.default_rng(seed).choice(pool, size=min(count, len(pool)), replace=False)
        names = self.predictor.class_names
        return {"accuracy": float(np.mean(guesses == y)), "total": int(len(y)), "mistakes": int(np.sum(guesses != y)),
                "side": self.predictor.side, "items": [
                    {"index": int(i), "label": int(y[i]), "guess": int(guesses[i]), "label_name": names[y[i]],
                     "guess_name": names[guesses[i]],
                     "pixels": base64.b64encode(np.rint(np.clip(x[i], 0, 1) * 255).astype(np.uint8).tobytes())
                     .decode("ascii")} for i in chosen]}
