"""``synaptica train --resume``: continue a run from its checkpoint with the settings it started with.

Every checkpoint that ``synaptica train`` writes holds the command's settings (after the recipe's
defaults were filled in) as JSON in its metadata. ``--resume PATH`` takes them from there, so the
resume line a stopped run prints is short. Options given with ``--resume`` must agree with the saved
settings, except those that change neither the numbers nor the model: how many epochs to train in
all, where outputs go, what is printed, where the work runs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synaptica.train.checkpoints import checkpoint_metadata, latest_checkpoint

SETTINGS_KEY = "synaptica.train.settings"

#: what a resumed run may change: none of them alters a weight (a schedule follows --epochs, though)
MAY_CHANGE = frozenset({"epochs", "out", "history", "quiet", "plot", "workers", "executor", "checkpoint",
                        "checkpoint_every", "keep", "resume", "log_dir", "tensorboard", "serve"})


def saved_settings(args: argparse.Namespace) -> dict[str, str]:
    """The metadata entry that records the command's settings in every checkpoint."""
    settings = {name: value for name, value in vars(args).items()
                if name not in ("command", "resume") and isinstance(value, (str, int, float, bool, list, type(None)))}
    return {SETTINGS_KEY: json.dumps(settings)}


def adopt_settings(args: argparse.Namespace, defaults: argparse.Namespace) -> Path:
    """Fill ``args`` with the settings saved in the checkpoint ``args.resume`` names (its newest one,
    for a directory) and return that checkpoint's path. An option given on the command line (one
    whose value differs from its default) that disagrees with the saved value is refused, unless it
    is one of :data:`MAY_CHANGE`."""
    path = latest_checkpoint(args.resume)
    metadata = checkpoint_metadata(path)
    if SETTINGS_KEY not in metadata:
        raise ValueError(f"{path}: the checkpoint has no settings of synaptica train; resume it from Python "
                         "with fit(..., resume=path)")
    saved = json.loads(metadata[SETTINGS_KEY])
    conflicts = []
    for name, value in saved.items():
        given = getattr(args, name, None)
        if name in MAY_CHANGE and given != getattr(defaults, name, None):
            continue
        if given != getattr(defaults, name, None) and given != value:
            conflicts.append(f"--{name.replace('_', '-')} {_shown(given)} (the run has {_shown(value)})")
        setattr(args, name, value)
    if conflicts:
        raise ValueError(f"--resume continues {path} with the settings it started with; these options disagree "
                         f"with them: {'; '.join(conflicts)}. Leave them out, or start a new run.")
    return path


def run_directory(checkpoint: Path) -> Path | None:
    """The run directory a checkpoint belongs to (``<run>/checkpoints/<file>``), if it is one."""
    parent = checkpoint.parent
    if parent.name == "checkpoints" and (parent.parent / "history.jsonl").is_file():
        return parent.parent
    return None


def _shown(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)
