"""Checkpoints: a training run saved whole, so that it can continue exactly where it stopped.

A checkpoint is one safetensors file, written atomically (a temporary file, fsync, rename), so a
crash or a SIGKILL at any moment leaves the previous checkpoint or the new one, never a torn file::

    runs/20261204-150112-seed0/checkpoints/
        checkpoint-e0003-s000000.safetensors     after epoch 3 (3 epochs done, none of the 4th)
        checkpoint-e0004-s001200.safetensors     1,200 steps into the 5th epoch (Ctrl-C, or --checkpoint-every)

Inside, the arrays are tensors and the rest is JSON in the metadata:

    model/<name>           every parameter and buffer, in its own dtype
    rule/<key>             the rule's state_dict (optimizer moments and step counts, feedback
                           matrices, the perturbation key of evolution strategies)
    callback/<i>/<key>     the state of the i-th callback that has one (early stopping's best weights)
    history/losses/<e>     every step's cost in epoch e
    source/<key>           between two steps: where the epoch stands (its order, the next batch)
    synaptica.run          {"epoch", "step", "steps", "generators", "history", "callbacks", ...}
    synaptica.crc32        a CRC-32 of every tensor and entry, checked on resume (damage is named)

A run continued from a checkpoint (``fit(..., resume=path)``) gives bit for bit the weights, the
history and the test figures of a run that was never stopped: every Generator's state is saved (the
run's, each dropout layer's, the rule's), and so, between two steps, is the batch source's place in
the epoch (its order and the distorted block the next batch comes from).

:class:`Checkpoint` is the ``fit`` callback that writes them (after every epoch, every few minutes,
and when a stop is requested by a signal, see :mod:`synaptica.train.interrupt`), keeping the last k.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import numpy as np

from synaptica.errors import FormatError
from synaptica.io.atomic import remove_temporaries
from synaptica.io.checksum import CHECKSUM_KEY, checksums, verify_checksums
from synaptica.io.safetensors_format import load_tensors, read_metadata, save_tensors
from synaptica.rules.base import prefixed, unprefixed
from synaptica.train.history import History
from synaptica.train.interrupt import StopRequest, TrainingInterrupted
from synaptica.train.run import Run

FORMAT_VERSION = "1"
RUN_KEY = "synaptica.run"
NAME = re.compile(r"^checkpoint-e(\d+)-s(\d+)\.safetensors$")


def checkpoint_name(epoch: int, step: int) -> str:
    """``checkpoint-e0003-s000000.safetensors``: sorts by epoch, then by step."""
    return f"checkpoint-e{epoch:04d}-s{step:06d}.safetensors"


def save_checkpoint(path: str | os.PathLike, run: Run, metadata: dict[str, str] | None = None) -> Path:
    """Write ``run`` to ``path`` atomically; ``metadata``: extra strings (the command's settings)."""
    tensors = prefixed("model/", run.model.state_dict())
    tensors.update({f"rule/{key}": np.asarray(value) for key, value in run.rule.state_dict().items()})
    kinds = []
    for index, callback in enumerate(run.callbacks):
        kinds.append(type(callback).__name__)
        if hasattr(callback, "state_dict"):
            tensors.update({f"callback/{index}/{key}": np.asarray(value)
                            for key, value in callback.state_dict().items()})
    if run.step:
        if not run.can_pause_mid_epoch:
            raise ValueError(f"save_checkpoint: the batch source {run.source!r} cannot save where an epoch "
                             "stands (no state_dict); save at the end of an epoch")
        tensors.update({f"source/{key}": value for key, value in run.source.state_dict().items()})
    history = run.history
    tensors.update({f"history/losses/{index}": losses for index, losses in enumerate(history.step_losses)})
    state = {
        "epoch": run.epoch, "step": run.step, "steps": [_plain(step) for step in run.steps],
        "seconds_before": run.epoch_seconds() if run.step else 0.0, "rule": getattr(run.rule, "name", type(run.rule).__name__),
        "architecture": run.model.config(), "callbacks": kinds,
        "generators": {name: g.bit_generator.state for name, g in run.generators().items()},
        "history": {"epochs": history.epochs, "metrics": history.metrics, "seconds": history.seconds,
                    "stopped_early": history.stopped_early, "stop_reason": history.stop_reason},
    }
    header = {"synaptica.checkpoint": FORMAT_VERSION, RUN_KEY: json.dumps(state), **(metadata or {})}
    header[CHECKSUM_KEY] = checksums(tensors, header)
    save_tensors(path, tensors, header)
    return Path(path)


def restore_checkpoint(path: str | os.PathLike, run: Run) -> dict[str, str]:
    """Put the run saved at ``path`` into ``run`` (its model, rule and callbacks already made, the rule
    bound); returns the file's metadata. Refuses a checkpoint of another model, rule or callbacks."""
    name = os.fspath(path)
    tensors, metadata = load_tensors(path)
    state = _run_state(name, metadata)
    try:
        verify_checksums(tensors, metadata, name)
    except FormatError as error:
        raise FormatError(f"{error} (an older checkpoint beside it may be whole: resume from its path)") from None
    for what, saved, current in [("model", state["architecture"], run.model.config()),
                                 ("rule", state["rule"], getattr(run.rule, "name", type(run.rule).__name__)),
                                 ("callbacks", state["callbacks"], [type(c).__name__ for c in run.callbacks])]:
        if json.dumps(saved) != json.dumps(current):
            raise ValueError(f"{name}: the checkpoint was made with another {what}: {_short(saved)}; this run "
                             f"has {_short(current)}. Resume with the settings the run started with.")
    run.model.load_state_dict(unprefixed("model/", tensors), source=name)
    run.rule.load_state_dict(unprefixed("rule/", tensors))
    for index, callback in enumerate(run.callbacks):
        if hasattr(callback, "load_state_dict"):
            callback.load_state_dict(unprefixed(f"callback/{index}/", tensors))
    generators = state["generators"]
    for key, generator in run.generators().items():
        if key in generators:
            generator.bit_generator.state = generators[key]
    if state["step"]:
        run.source.load_state_dict(unprefixed("source/", tensors))
    saved = state["history"]
    run.history = History(epochs=list(saved["epochs"]), metrics={k: list(v) for k, v in saved["metrics"].items()},
                          seconds=list(saved["seconds"]), stopped_early=saved["stopped_early"],
                          stop_reason=saved["stop_reason"],
                          step_losses=[tensors[f"history/losses/{i}"] for i in range(len(saved["epochs"]))])
    run.epoch, run.step, run.steps = state["epoch"], state["step"], list(state["steps"])
    run.epoch_started = time.perf_counter() - state["seconds_before"]
    return metadata


def checkpoint_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The metadata of a checkpoint (the command's settings, the run's counters), read without the arrays."""
    metadata = read_metadata(path)
    _run_state(os.fspath(path), metadata)
    return metadata


def latest_checkpoint(path: str | os.PathLike) -> Path:
    """The checkpoint to resume from: ``path`` itself if it is a file, else the newest checkpoint in the
    directory ``path`` (or in its ``checkpoints/`` sub-directory: a run directory)."""
    path = Path(path)
    if path.is_file():
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"cannot resume from {str(path)!r}: no such checkpoint file or directory")
    found = _checkpoints(path) or _checkpoints(path / "checkpoints")
    if not found:
        raise FileNotFoundError(f"cannot resume from {str(path)!r}: it holds no checkpoint-e*-s*.safetensors")
    return found[-1]


def _checkpoints(directory: Path) -> list[Path]:
    """The checkpoint files of ``directory``, oldest first (by epoch, then step)."""
    if not directory.is_dir():
        return []
    named = [(NAME.match(p.name), p) for p in directory.iterdir()]
    return [p for _, p in sorted(((int(m[1]), int(m[2])), p) for m, p in named if m)]


class Checkpoint:
    """A ``fit`` callback that saves the run into ``directory`` and keeps the newest ``keep`` files.

    It saves after every epoch (put it last among the callbacks, so that what the others changed at
    the end of the epoch is saved too), every ``every_minutes`` between two steps, and, given a
    :class:`~synaptica.train.interrupt.StopRequest`, at the first step boundary after the request:
    it then raises :class:`~synaptica.train.interrupt.TrainingInterrupted`, which names the file.
    Between two steps needs a batch source that can save its place (``state_dict``, as
    :class:`~synaptica.data.loaders.ArraySource` has); with another, both wait for the epoch's end.
    Temporary files left by a write that a kill interrupted are removed when the run starts::

        with stop_on_signals() as stop:
            fit(model, rule, data, epochs=30, batch_size=10,
                callbacks=[Checkpoint("runs/net/checkpoints", keep=3, stop=stop)])
        ...
        fit(model, rule, data, epochs=30, batch_size=10, callbacks=[Checkpoint(...)],
            resume="runs/net/checkpoints")   # continues exactly; same model, rule and callbacks

    Args:
        directory: where the files go (made if missing).
        keep: how many of the newest checkpoints to keep (≥ 1).
        every_minutes: also save between two steps when this much time has passed since the last save.
        stop: a stop request to honour (Ctrl-C, SIGTERM).
        metadata: strings to store in every file (``synaptica train`` stores its settings).
    """

    def __init__(self, directory: str | os.PathLike, keep: int = 3, every_minutes: float | None = None,
                 stop: StopRequest | None = None, metadata: dict[str, str] | None = None):
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise ValueError(f"Checkpoint: keep must be an integer >= 1, got {keep!r}")
        if every_minutes is not None and not (every_minutes > 0 and np.isfinite(every_minutes)):
            raise ValueError(f"Checkpoint: every_minutes must be a number > 0, got {every_minutes!r}")
        self.directory, self.keep, self.every_minutes = Path(directory), keep, every_minutes
        self.stop, self.metadata = stop, dict(metadata or {})
        self.run: Run | None = None
        self.saved: list[Path] = []
        self._last_save = time.monotonic()

    def start(self, run: Run) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        remove_temporaries(self.directory)
        self.run, self._last_save = run, time.monotonic()

    def after_step(self, epoch: int, index: int, metrics: dict, model) -> None:
        if not self.run.can_pause_mid_epoch:
            return  # the epoch's end will do
        if self.stop is not None and self.stop.requested:
            self._stop(self.save())
        if self.every_minutes is not None and time.monotonic() - self._last_save >= 60 * self.every_minutes:
            self.save()

    def __call__(self, epoch: int, history: History, model) -> None:
        path = self.save()
        if self.stop is not None and self.stop.requested:
            self._stop(path)

    def _stop(self, path: Path) -> None:
        raise TrainingInterrupted(self.stop.signal_name, path, self.run.epoch, self.run.step)

    def save(self) -> Path:
        """Write the run now and drop the oldest files beyond ``keep``; returns the new file's path."""
        if self.run is None:
            raise RuntimeError("Checkpoint: fit hands the callback its run when training starts; "
                               "pass it to fit(..., callbacks=[...])")
        path = save_checkpoint(self.directory / checkpoint_name(self.run.epoch, self.run.step), self.run,
                               self.metadata)
        self._last_save = time.monotonic()
        for old in _checkpoints(self.directory)[:-self.keep]:
            old.unlink(missing_ok=True)
        self.saved.append(path)
        return path

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.directory)!r}, keep={self.keep})"


def _run_state(name: str, metadata: dict[str, str]) -> dict:
    if metadata.get("synaptica.checkpoint") != FORMAT_VERSION or RUN_KEY not in metadata:
        version = metadata.get("synaptica.checkpoint")
        raise FormatError(f"{name}: not a synaptica checkpoint of format {FORMAT_VERSION}"
                          + (f" (format {version!r})" if version else " (no 'synaptica.checkpoint' entry)"))
    try:
        return json.loads(metadata[RUN_KEY])
    except json.JSONDecodeError as error:
        raise FormatError(f"{name}: the run's state is not valid JSON: {error}") from None


def _plain(metrics: dict) -> dict:
    """A step's metrics as JSON numbers (ints stay ints, so sums of correct counts stay exact)."""
    return {key: int(value) if isinstance(value, (int, np.integer)) else float(value) for key, value in metrics.items()}


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 160 else text[:157] + "..."

