"""A run's epochs as a feed that a live page can follow: metrics and first-layer filters per epoch.

:class:`LiveFeed` is a :func:`~synaptica.train.fit` callback. After every epoch it appends one
event to a list that only grows: the epoch's log row (:func:`~synaptica.train.logs.epoch_row`:
costs, accuracies, learning rate, seconds) and the first layer's filters as heat-maps. Readers
(the web server's threads, :mod:`synaptica.serve.app`) ask for the events after the ones they have
(:meth:`LiveFeed.since`), so any number of pages can follow a run, joining at any time, and
training never waits for a reader. When training ends (or is stopped) the feed is marked finished, with a last ``end`` event.

The filters: a CNN's first convolution's kernels (F, C, k, k), each drawn as a k × k picture; a
fully connected network's first layer's weight rows, each reshaped to the input image (the
pattern a hidden unit responds to, seed notes 003), the first :data:`MAX_FILTERS` of them.
"""

from __future__ import annotations

import base64
import threading
import time

import numpy as np

from synaptica.nn.conv import Conv2d
from synaptica.nn.linear import Linear
from synaptica.nn.module import Module
from synaptica.optim.base import Optimizer
from synaptica.train.history import History
from synaptica.train.logs import epoch_row

#: the most filters drawn
MAX_FILTERS = 32


def first_layer_filters(model: Module) -> np.ndarray | None:
    """(n, h, w) pictures of the first layer's filters, or None when the first weighted layer has none."""
    for module in model.modules():
        if isinstance(module, Conv2d):
            weight = module.weight.data[:MAX_FILTERS]
            return weight.mean(axis=1) if weight.shape[1] > 1 else weight[:, 0]
        if isinstance(module, Linear):
            side = int(round(np.sqrt(module.in_features)))
            if side * side != module.in_features:
                return None
            return module.weight.data[:MAX_FILTERS].reshape(-1, side, side)
    return None


def filter_map(filters: np.ndarray) -> dict:
    """Filters as one heat-map scaled symmetrically about zero (pixel 127.5 is a zero weight), the pixels
    one byte each in base64, as :func:`synaptica.serve.inference.heat_map` sends them."""
    bound = float(np.abs(filters).max()) or 1.0
    pixels = np.rint((np.clip(filters / bound, -1, 1) + 1) * 127.5).astype(np.uint8)
    return {"shape": list(filters.shape), "low": -bound, "high": bound, "pixels": base64.b64encode(pixels.tobytes()).decode("ascii")}


class LiveFeed:
    """The events of a run, appended after each epoch; thread-safe for any number of readers.

    Args:
        title: what the page calls the run (the run directory's name).
        optimizer: read for the learning rate.
        settings: shown on the page (the model, the rule, η, ...).
    """

    def __init__(self, title: str, optimizer: Optimizer | None = None, settings: dict | None = None):
        self.title = title
        self.optimizer = optimizer
        self.settings = dict(settings or {})
        self.started = time.time()
        self.finished = False
        self._events: list[dict] = []
        self._lock = threading.Lock()

    def publish(self, event: dict) -> None:
        with self._lock:
            self._events.append(event)

    def since(self, count: int) -> tuple[list[dict], bool]:
        """The events after the first ``count``, and whether the run has finished."""
        with self._lock:
            return self._events[count:], self.finished

    def start(self, run) -> None:
        filters = first_layer_filters(run.model)
        if filters is not None and not run.history.epochs:
            self.publish({"kind": "start", "filters": filter_map(filters)})

    def __call__(self, epoch: int, history: History, model: Module) -> None:
        event = {"kind": "epoch", "row": epoch_row(history, optimizer=self.optimizer)}
        filters = first_layer_filters(model)
        if filters is not None:
            event["filters"] = filter_map(filters)
        self.publish(event)

    def end(self, history: History, model: Module) -> None:
        self.finish(history.stop_reason)

    def finish(self, reason: str | None = None) -> None:
        """Mark the run finished with a last ``end`` event (once: a second call does nothing). ``fit``
        calls it through :meth:`end`; whoever started a run that an error or a signal stopped calls it."""
        with self._lock:
            if not self.finished:
                self._events.append({"kind": "end", "reason": reason})
                self.finished = True
